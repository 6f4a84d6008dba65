"""SQLiteStore's bookkeeping: runs, prompt versions, processed conversations, consolidation marks, stats."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Sequence

from langmem_cli.core.render import canonical_json
from langmem_cli.core.timestamps import now
from langmem_cli.errors import NotFoundError
from langmem_cli.store.people import PERSON, people


class Bookkeeping:
    """Mixin of SQLiteStore (uses its ``db``, ``conn``, ``_query``, ``transaction``, ``run_id``)."""

    # -- runs ------------------------------------------------------------------
    def start_run(self, command: str, arguments: dict[str, Any] | None = None, model: str | None = None) -> str:
        run_id = str(uuid.uuid4())
        with self.transaction():
            self.db["runs"].insert({"id": run_id, "command": command, "arguments": canonical_json(arguments or {}),
                                    "model": model, "status": "running", "started_at": now()})
        self.run_id = run_id
        return run_id

    def finish_run(self, run_id: str, status: str, error: str | None = None, prompt_tokens: int = 0,
                   completion_tokens: int = 0, cost: float = 0.0) -> None:
        with self.transaction():
            self.db["runs"].update(run_id, {"status": status, "error": error, "ended_at": now(),
                                            "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                                            "cost": cost})

    def get_run(self, run_id: str) -> dict[str, Any]:
        rows = list(self.db["runs"].rows_where("id = ?", [run_id]))
        if not rows:
            raise NotFoundError(f"no run with id {run_id}")
        return rows[0]

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(self.db["runs"].rows_where(order_by="started_at desc", limit=limit))

    # -- procedural memory: prompt versions --------------------------------------
    def record_prompt_version(self, name: str, text: str, kind: str, trajectories: int, rationale: str,
                              changed: bool) -> dict[str, Any]:
        row = {"name": name, "hash": hashlib.sha256(text.encode("utf-8")).hexdigest()[:12], "text": text, "kind": kind,
               "trajectories": trajectories, "rationale": rationale, "changed": int(changed), "run_id": self.run_id,
               "at": now()}
        with self.transaction():
            self.db["prompt_versions"].insert(row)
        return row

    def prompt_versions(self, name: str) -> list[dict[str, Any]]:
        return list(self.db["prompt_versions"].rows_where("name = ?", [name], order_by="id"))

    def ids_with_prefix(self, prefix: str, limit: int = 10) -> list[str]:
        return [r[0] for r in self._query("SELECT id FROM memories WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT ?",
                                          (len(prefix), prefix, limit))]

    # -- processed conversations -------------------------------------------------
    def is_processed(self, namespace: str, conversation_hash: str) -> bool:
        return bool(self._query("SELECT 1 FROM processed WHERE namespace = ? AND conversation_hash = ?",
                                (namespace, conversation_hash)))

    def mark_processed(self, namespace: str, conversation_hash: str, source: str | None,
                       counts: dict[str, int]) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO processed (namespace, conversation_hash, source, run_id, at, inserted, updated, deleted) "
                "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(namespace, conversation_hash) DO UPDATE SET "
                "source=excluded.source, run_id=excluded.run_id, at=excluded.at, inserted=excluded.inserted, "
                "updated=excluded.updated, deleted=excluded.deleted",
                (namespace, conversation_hash, source, self.run_id, now(), counts.get("inserted", 0),
                 counts.get("updated", 0), counts.get("deleted", 0)),
            )

    def claim(self, namespace: str, conversation_hash: str):
        from langmem_cli.store.sqlite.db import byte_lock

        return byte_lock(self.path, "extract", f"{namespace}\0{conversation_hash}")

    # -- consolidation marks -------------------------------------------------------
    def consolidation_marks(self, namespace: str) -> dict[str, str]:
        return dict(self._query("SELECT c.memory_id, c.content_hash FROM consolidated c "
                                "JOIN memories m ON m.id = c.memory_id WHERE m.namespace = ?", (namespace,)))

    def mark_consolidated(self, pairs: Sequence[tuple[str, str]]) -> None:
        stamp = now()
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO consolidated (memory_id, content_hash, at) VALUES (?, ?, ?) "
                "ON CONFLICT(memory_id) DO UPDATE SET content_hash = excluded.content_hash, at = excluded.at",
                [(i, h, stamp) for i, h in pairs],
            )

    def unmark_consolidated(self, ids: Sequence[str]) -> None:
        with self.transaction():
            self.conn.executemany("DELETE FROM consolidated WHERE memory_id = ?", [(i,) for i in ids])

    # -- maintenance -----------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        q = self._query
        by_model = {m or "none": n for m, n in q("SELECT embedding_model, count(*) FROM memories GROUP BY embedding_model")}
        return {
            "path": str(self.path),
            "size_bytes": self.path.stat().st_size if self.path.exists() else 0,
            "memories": q("SELECT count(*) FROM memories")[0][0],
            "expired": q("SELECT count(*) FROM memories WHERE valid_until IS NOT NULL")[0][0],
            "namespaces": q("SELECT count(DISTINCT namespace) FROM memories")[0][0],
            "kinds": {k: n for k, n in q("SELECT kind, count(*) FROM memories GROUP BY kind ORDER BY kind")},
            "history_entries": q("SELECT count(*) FROM history")[0][0],
            "runs": q("SELECT count(*) FROM runs")[0][0],
            "embedding_models": by_model,
            "embedding_model": self.embedding_model,
            "needs_reindex": sum(n for m, n in by_model.items() if m != self.embedding_model),
            "migrations": [r[0] for r in q("SELECT name FROM _migrations ORDER BY rowid")],
            "people": {ns: p["name"] for ns, p in self.person_names().items()},
        }

    def integrity_check(self) -> str:
        return self._query("PRAGMA integrity_check")[0][0]

    # -- the person a namespace is about --------------------------------------------
    def person_names(self, prefix: str | None = None) -> dict[str, dict[str, Any]]:
        rows = self._query("SELECT key, value FROM meta WHERE substr(key, 1, ?) = ? ORDER BY key", [len(PERSON), PERSON])
        return people(rows, prefix)

    def set_person_name(self, namespace: str, name: str, since: str | None, source: str) -> None:
        with self.transaction():
            self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                              (PERSON + namespace, canonical_json({"name": name, "since": since, "source": source})))

