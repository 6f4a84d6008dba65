"""Export to JSONL and import from it: lossless (ids, timestamps, optional history), idempotent."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Iterable, Iterator

from langmem_cli.core import lines as line_models
from langmem_cli.core.render import canonical_json, content_hash
from langmem_cli.errors import InvalidInputError
from langmem_cli.store.records_sql import MEMORY_COLUMNS, row_to_history, row_to_memory, where_clause

if TYPE_CHECKING:
    from langmem_cli.store.store import Store

FORMAT_VERSION = 1
MEMORY_FIELDS = ("id", "namespace", "kind", "content", "metadata", "source", "created_at", "updated_at")


def export_lines(store: "Store", namespace: str | None = None, prefix: str | None = None, history: bool = False) -> Iterator[str]:
    where, params = where_clause(namespace, prefix)
    for row in store._query(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE {where} ORDER BY created_at, id", params):
        m = row_to_memory(row)
        record = {"type": "memory", **{k: getattr(m, k) for k in MEMORY_FIELDS}}
        yield json.dumps(record, ensure_ascii=False, sort_keys=True)
    if history:
        for row in store._query(
            "SELECT id, memory_id, namespace, action, before, after, at, run_id, source FROM history "
            f"WHERE {where} ORDER BY id",
            params,
        ):
            entry = row_to_history(row).to_dict()
            entry.pop("id")
            yield json.dumps({"type": "history", **entry}, ensure_ascii=False, sort_keys=True)


@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    skipped: int = 0  # already present
    invalid: int = 0
    history: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("inserted", "updated", "skipped", "invalid", "history", "errors")}


def parse_lines(lines: Iterable[str | bytes], name: str, skip_invalid: bool, report: ImportReport):
    """Yield ('memory'|'history', record, location); raise on the first bad line unless skipping."""
    for number, raw in enumerate(lines, start=1):
        location = f"{name}:{number}"
        try:
            if isinstance(raw, bytes):
                raw = raw.decode("utf-8")
            if not raw.strip():
                continue
            record = line_models.import_record(line_models.loads(raw, number))  # strict JSON, pydantic models
            yield record.type, record.model_dump(exclude={"type"}), location
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            message = (
                f"invalid UTF-8 (byte 0x{exc.object[exc.start]:02x} at column {exc.start + 1})"
            ) if isinstance(exc, UnicodeDecodeError) else (
                "JSON nested too deeply" if isinstance(exc, RecursionError) else str(exc).splitlines()[0][:200]
            )
            if not skip_invalid:
                raise InvalidInputError(message, location=location) from None
            report.invalid += 1
            report.errors.append(f"{location}: {message}")


def import_lines(store: "Store", lines: Iterable[str | bytes], name: str = "<stdin>", skip_invalid: bool = False) -> ImportReport:
    """Validate every line first; then embed; then write everything in one transaction."""
    from langmem_cli.store.store import NewMemory

    report = ImportReport()
    memories: list[tuple[dict[str, Any], str]] = []
    histories: list[dict[str, Any]] = []
    for kind, record, location in parse_lines(lines, name, skip_invalid, report):
        (memories.append((record, location)) if kind == "memory" else histories.append(record))
    with_history = {h["memory_id"] for h in histories}

    # Decide what each memory line does, against the store and earlier lines of the file.
    ids = [r["id"] for r, _ in memories if r["id"]]
    existing = store.get_many(ids)
    seen_ids: set[str] = set()
    seen_hashes: set[tuple[str, str, str]] = set()
    inserts: list[NewMemory] = []
    updates: list[tuple[dict[str, Any], str]] = []
    for record, location in memories:
        h = content_hash(record["kind"], record["content"])
        key = (record["namespace"], record["kind"], h)
        if record["id"]:
            if record["id"] in seen_ids:
                report.skipped += 1
                continue
            seen_ids.add(record["id"])
            current = existing.get(record["id"])
            if current is not None:
                newer = (record["updated_at"] or "") > current.updated_at
                if current.content_hash == h or not newer:
                    report.skipped += 1
                else:
                    updates.append((record, location))
                continue
        else:
            if key in seen_hashes or store._query(
                "SELECT 1 FROM memories WHERE namespace = ? AND kind = ? AND content_hash = ? LIMIT 1", key
            ):
                report.skipped += 1
                continue
        seen_hashes.add(key)
        inserts.append(
            NewMemory(
                record["namespace"], record["content"], record["kind"], record["metadata"],
                record["source"] or f"import:{location}", record["id"], record["created_at"], record["updated_at"],
            )
        )

    prepared = [store._prepare(item) for item in inserts]
    blobs = store._vectors_for([(m.content_hash, m.text) for m in prepared])
    with store.transaction():
        store._insert_rows(prepared, blobs)
        for m in prepared:
            if m.id not in with_history:
                store._record("insert", m.id, m.namespace, None, m, m.source)
        report.inserted = len(prepared)
        for record, location in updates:
            store.update(record["id"], record["content"], record["kind"], record["metadata"], record["source"] or f"import:{location}")
            report.updated += 1
        landed: set[str] = set()
        for h in histories:
            duplicate = store._query(
                "SELECT 1 FROM history WHERE memory_id = ? AND action = ? AND at = ? LIMIT 1",
                (h["memory_id"], h["action"], h["at"]),
            )
            if duplicate:
                continue
            store.conn.execute(
                "INSERT INTO history (memory_id, namespace, action, before, after, at, run_id, source) VALUES (?,?,?,?,?,?,?,?)",
                (
                    h["memory_id"], h["namespace"], h["action"],
                    None if h["before"] is None else canonical_json(h["before"]),
                    None if h["after"] is None else canonical_json(h["after"]),
                    h["at"], h["run_id"], h["source"],
                ),
            )
            landed.add(h["memory_id"])
            report.history += 1
        for m in prepared:
            # Its history lines were all here already (e.g. it was deleted after the export):
            # record the re-insert, so history ends with it and vector indexes see the change.
            if m.id in with_history and m.id not in landed:
                store._record("insert", m.id, m.namespace, None, m, m.source)
    return report


def write_export(store: "Store", fp: IO[str], **kwargs) -> int:
    n = 0
    for line in export_lines(store, **kwargs):
        fp.write(line + "\n")
        n += 1
    return n
