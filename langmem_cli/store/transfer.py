"""Export to JSONL and import from it: lossless (ids, timestamps, optional history), idempotent."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Iterable, Iterator

from langmem_cli.core import lines as line_models
from langmem_cli.core.records import HistoryEntry, NewMemory
from langmem_cli.core.render import content_hash
from langmem_cli.core.timestamps import now
from langmem_cli.errors import InvalidInputError

if TYPE_CHECKING:
    from langmem_cli.store.base import Store

FORMAT_VERSION = 1
MEMORY_FIELDS = ("id", "namespace", "kind", "content", "metadata", "source", "created_at", "updated_at")
VALIDITY_FIELDS = line_models.VALIDITY_FIELDS


def export_lines(store: "Store", namespace: str | None = None, prefix: str | None = None, history: bool = False) -> Iterator[str]:
    for m in store.iter_memories(namespace, prefix):
        record = {"type": "memory", **{k: getattr(m, k) for k in MEMORY_FIELDS}}
        for key in VALIDITY_FIELDS:  # only when set: exports of time-blind stores stay as they were
            if getattr(m, key) is not None:
                record[key] = getattr(m, key)
        yield json.dumps(record, ensure_ascii=False, sort_keys=True)
    if history:
        for entry in store.iter_history(namespace, prefix):
            d = entry.to_dict()
            d.pop("id")
            yield json.dumps({"type": "history", **d}, ensure_ascii=False, sort_keys=True)


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
    report = ImportReport()
    memories: list[tuple[dict[str, Any], str]] = []
    histories: list[dict[str, Any]] = []
    for kind, record, location in parse_lines(lines, name, skip_invalid, report):
        (memories.append((record, location)) if kind == "memory" else histories.append(record))
    with_history = {h["memory_id"] for h in histories}
    inserts, updates = _decide(store, memories, report)

    # Embed outside the write lock what the writes below will need.
    store.precompute_embeddings([store.prepare(item) for item in inserts] + [
        store.prepare(NewMemory(r["namespace"], r["content"], r["kind"])) for r, _ in updates])
    with store.transaction():
        prepared = store.put_many(inserts, without_history=with_history)
        report.inserted = len(prepared)
        for record, location in updates:
            store.update(record["id"], record["content"], record["kind"], record["metadata"], record["source"] or f"import:{location}")
            report.updated += 1
        entries = [HistoryEntry(0, h["memory_id"], h["namespace"], h["action"], h["before"], h["after"], h["at"],
                                h["run_id"], h["source"]) for h in histories]
        added = store.add_history(entries)  # skips the lines already present
        report.history = len(added)
        landed = {e.memory_id for e in added}
        # Its history lines were all here already (e.g. it was deleted after the export): record
        # the re-insert, so history ends with it and vector indexes see the change.
        store.add_history([HistoryEntry(0, m.id, m.namespace, "insert", None, m.to_dict(), now(), store.run_id, m.source)
                           for m in prepared if m.id in with_history and m.id not in landed])
    return report


def _decide(store: "Store", memories: list[tuple[dict[str, Any], str]], report: ImportReport):
    """What each memory line does, against the store and earlier lines of the file."""
    existing = store.get_many([r["id"] for r, _ in memories if r["id"]])
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
        elif key in seen_hashes or store.has_content(record["namespace"], h, record["kind"]):
            report.skipped += 1
            continue
        seen_hashes.add(key)
        inserts.append(NewMemory(
            record["namespace"], record["content"], record["kind"], record["metadata"],
            record["source"] or f"import:{location}", record["id"], record["created_at"], record["updated_at"],
            valid_from=record["valid_from"], valid_until=record["valid_until"], superseded_by=record["superseded_by"],
        ))
    return inserts, updates


def write_export(store: "Store", fp: IO[str], **kwargs) -> int:
    n = 0
    for line in export_lines(store, **kwargs):
        fp.write(line + "\n")
        n += 1
    return n
