"""Runs, prompt versions, processed conversations and consolidation marks on PostgreSQL (a mixin)."""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from typing import Any, Iterator, Sequence

from langmem_cli.core.render import canonical_json
from langmem_cli.core.timestamps import now
from langmem_cli.errors import NotFoundError

RUN_COLUMNS = ("id", "command", "arguments", "model", "prompt_tokens", "completion_tokens", "cost", "status", "error",
               "started_at", "ended_at", "rejected", "counts")
PROMPT_COLUMNS = ("id", "name", "hash", "text", "kind", "trajectories", "rationale", "changed", "run_id", "at")


class MetaMixin:
    # -- the person a namespace is about ------------------------------------------
    def person_names(self, prefix: str | None = None) -> dict[str, dict[str, Any]]:
        from langmem_cli.store.people import PERSON, people

        rows = self._q("SELECT key, value FROM meta WHERE left(key, %s) = %s ORDER BY key", (len(PERSON), PERSON))
        return people(rows, prefix)

    def set_person_name(self, namespace: str, name: str, since: str | None, source: str) -> None:
        from langmem_cli.store.people import PERSON

        with self.transaction():
            self.conn.execute("INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                              (PERSON + namespace, canonical_json({"name": name, "since": since, "source": source})))

    # -- runs --------------------------------------------------------------------
    def start_run(self, command: str, arguments: dict[str, Any] | None = None, model: str | None = None) -> str:
        run_id = str(uuid.uuid4())
        with self.transaction():
            self.conn.execute(
                "INSERT INTO runs (id, command, arguments, model, status, started_at) VALUES (%s,%s,%s,%s,%s,%s)",
                (run_id, command, canonical_json(arguments or {}), model, "running", now()),
            )
        self.run_id = run_id
        return run_id

    def finish_run(self, run_id: str, status: str, error: str | None = None, prompt_tokens: int = 0,
                   completion_tokens: int = 0, cost: float = 0.0) -> None:
        from langmem_cli.store.postgres.url import scrub

        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET status=%s, error=%s, ended_at=%s, prompt_tokens=%s, completion_tokens=%s, cost=%s "
                "WHERE id=%s",
                (status, None if error is None else scrub(error, self.url), now(), prompt_tokens,
                 completion_tokens, cost, run_id),
            )

    def get_run(self, run_id: str) -> dict[str, Any]:
        rows = self._q(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE id = %s", (run_id,))
        if not rows:
            raise NotFoundError(f"no run with id {run_id}")
        return dict(zip(RUN_COLUMNS, rows[0]))

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._q(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs ORDER BY started_at DESC, id LIMIT %s", (limit,))
        return [dict(zip(RUN_COLUMNS, r)) for r in rows]

    # -- procedural memory: prompt versions ------------------------------------------
    def record_prompt_version(self, name: str, text: str, kind: str, trajectories: int, rationale: str,
                              changed: bool) -> dict[str, Any]:
        row = {"name": name, "hash": hashlib.sha256(text.encode("utf-8")).hexdigest()[:12], "text": text, "kind": kind,
               "trajectories": trajectories, "rationale": rationale, "changed": int(changed), "run_id": self.run_id,
               "at": now()}
        with self.transaction():
            self.conn.execute(
                f"INSERT INTO prompt_versions ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))})",
                list(row.values()),
            )
        return row

    def prompt_versions(self, name: str) -> list[dict[str, Any]]:
        rows = self._q(f"SELECT {', '.join(PROMPT_COLUMNS)} FROM prompt_versions WHERE name = %s ORDER BY id", (name,))
        return [dict(zip(PROMPT_COLUMNS, r)) for r in rows]

    def ids_with_prefix(self, prefix: str, limit: int = 10) -> list[str]:
        return [r[0] for r in self._q("SELECT id FROM memories WHERE left(id, %s) = %s ORDER BY id LIMIT %s",
                                      (len(prefix), prefix, limit))]

    # -- processed conversations and consolidation marks --------------------------------
    def is_processed(self, namespace: str, conversation_hash: str) -> bool:
        return bool(self._q("SELECT 1 FROM processed WHERE namespace = %s AND conversation_hash = %s",
                            (namespace, conversation_hash)))

    def mark_processed(self, namespace: str, conversation_hash: str, source: str | None, counts: dict[str, int]) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO processed (namespace, conversation_hash, source, run_id, at, inserted, updated, deleted) "
                "VALUES (%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (namespace, conversation_hash) DO UPDATE SET "
                "source=excluded.source, run_id=excluded.run_id, at=excluded.at, inserted=excluded.inserted, "
                "updated=excluded.updated, deleted=excluded.deleted",
                (namespace, conversation_hash, source, self.run_id, now(), counts.get("inserted", 0),
                 counts.get("updated", 0), counts.get("deleted", 0)),
            )

    @contextlib.contextmanager
    def claim(self, namespace: str, conversation_hash: str) -> Iterator[None]:
        """A session advisory lock per conversation: waits while another session holds it; the
        server releases it if this session dies."""
        from langmem_cli.store.postgres.schema import lock_key

        key = lock_key(f"claim:{namespace}\0{conversation_hash}")
        self._q("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                self._q("SELECT pg_advisory_unlock(%s)", (key,))

    def consolidation_marks(self, namespace: str) -> dict[str, str]:
        return {r[0]: r[1] for r in self._q(
            "SELECT c.memory_id, c.content_hash FROM consolidated c JOIN memories m ON m.id = c.memory_id "
            "WHERE m.namespace = %s", (namespace,))}

    def mark_consolidated(self, pairs: Sequence[tuple[str, str]]) -> None:
        if not pairs:
            return
        stamp = now()
        with self.transaction():
            with self.conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO consolidated (memory_id, content_hash, at) VALUES (%s,%s,%s) "
                    "ON CONFLICT (memory_id) DO UPDATE SET content_hash = excluded.content_hash, at = excluded.at",
                    [(mid, h, stamp) for mid, h in pairs],
                )

    def unmark_consolidated(self, ids: Sequence[str]) -> None:
        if ids:
            with self.transaction():
                self.conn.execute("DELETE FROM consolidated WHERE memory_id = ANY(%s)", (list(ids),))
