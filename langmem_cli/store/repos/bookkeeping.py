"""Runs, prompt versions, processed conversations, consolidation marks and the failures of
consolidation clusters: the same SQL on every backend (store/repos/runner.py)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Callable, Sequence

from langmem_cli.core.render import canonical_json
from langmem_cli.core.timestamps import now
from langmem_cli.errors import NotFoundError
from langmem_cli.store.repos.runner import Runner

RUN_COLUMNS = ("id", "command", "arguments", "model", "prompt_tokens", "completion_tokens", "cost", "status", "error",
               "started_at", "ended_at", "rejected", "counts")
PROMPT_COLUMNS = ("id", "name", "hash", "text", "kind", "trajectories", "rationale", "changed", "run_id", "at")
MARK_COLUMNS = ("cluster", "namespace", "failures", "last_error", "parked", "at")


class Bookkeeping:
    """``run_id`` is read from the store when rows record it (``current_run``); ``scrub`` cleans
    an error text before it is kept (a server URL's password)."""

    def __init__(self, runner: Runner, current_run: Callable[[], str | None],
                 scrub: Callable[[str], str] = lambda text: text) -> None:
        self.db = runner
        self.current_run = current_run
        self.scrub = scrub

    def _q(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.db.query(self.db.sql(sql), params)

    def _x(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.db.execute(self.db.sql(sql), params)

    # -- statistics -------------------------------------------------------------
    def counts(self, model: str) -> dict[str, Any]:
        """The counts ``stats`` reports, whatever the backend; ``model``: the store's embedding model."""
        q = self._q
        by_model = {m or "none": n for m, n in q("SELECT embedding_model, count(*) FROM memories "
                                                 "GROUP BY embedding_model ORDER BY embedding_model")}
        return {
            "memories": q("SELECT count(*) FROM memories")[0][0],
            "expired": q("SELECT count(*) FROM memories WHERE valid_until IS NOT NULL")[0][0],
            "namespaces": q("SELECT count(DISTINCT namespace) FROM memories")[0][0],
            "kinds": {k: n for k, n in q("SELECT kind, count(*) FROM memories GROUP BY kind ORDER BY kind")},
            "history_entries": q("SELECT count(*) FROM history")[0][0],
            "runs": q("SELECT count(*) FROM runs")[0][0],
            "embedding_models": by_model,
            "embedding_model": model,
            "needs_reindex": sum(n for m, n in by_model.items() if m != model),
        }

    # -- runs --------------------------------------------------------------------
    def start_run(self, command: str, arguments: dict[str, Any] | None = None, model: str | None = None) -> str:
        run_id = str(uuid.uuid4())
        with self.db.transaction():
            self._x("INSERT INTO runs (id, command, arguments, model, status, started_at) VALUES (?,?,?,?,?,?)",
                    (run_id, command, canonical_json(arguments or {}), model, "running", now()))
        return run_id

    def finish_run(self, run_id: str, status: str, error: str | None = None, prompt_tokens: int = 0,
                   completion_tokens: int = 0, cost: float = 0.0) -> None:
        with self.db.transaction():
            self._x("UPDATE runs SET status=?, error=?, ended_at=?, prompt_tokens=?, completion_tokens=?, cost=? "
                    "WHERE id=?", (status, None if error is None else self.scrub(error), now(), prompt_tokens,
                                   completion_tokens, cost, run_id))

    def get_run(self, run_id: str) -> dict[str, Any]:
        rows = self._q(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise NotFoundError(f"no run with id {run_id}")
        return dict(zip(RUN_COLUMNS, rows[0]))

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._q(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs ORDER BY started_at DESC, id LIMIT ?", (limit,))
        return [dict(zip(RUN_COLUMNS, r)) for r in rows]

    def record_run_counts(self, run_id: str | None, counts: dict[str, Any]) -> None:
        """Keep a run's summary counts (and the grounding gate's rejections) with the run."""
        if not run_id:
            return
        keep = {k: v for k, v in counts.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        with self.db.transaction():
            self._x("UPDATE runs SET rejected = ?, counts = ? WHERE id = ?",
                    (int(counts.get("rejected") or 0), canonical_json(keep), run_id))

    # -- procedural memory: prompt versions ------------------------------------------
    def record_prompt_version(self, name: str, text: str, kind: str, trajectories: int, rationale: str,
                              changed: bool) -> dict[str, Any]:
        row = {"name": name, "hash": hashlib.sha256(text.encode("utf-8")).hexdigest()[:12], "text": text, "kind": kind,
               "trajectories": trajectories, "rationale": rationale, "changed": int(changed),
               "run_id": self.current_run(), "at": now()}
        with self.db.transaction():
            self._x(f"INSERT INTO prompt_versions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                    list(row.values()))
        return row

    def prompt_versions(self, name: str) -> list[dict[str, Any]]:
        rows = self._q(f"SELECT {', '.join(PROMPT_COLUMNS)} FROM prompt_versions WHERE name = ? ORDER BY id", (name,))
        return [dict(zip(PROMPT_COLUMNS, r)) for r in rows]

    def ids_with_prefix(self, prefix: str, limit: int = 10) -> list[str]:
        """Memory ids that start with ``prefix`` (sorted, at most ``limit``): short ids."""
        return [r[0] for r in self._q("SELECT id FROM memories WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT ?",
                                      (len(prefix), prefix, limit))]

    # -- the person a namespace is about (issue 23: one name per person) -------------------
    def person_names(self, prefix: str | None = None) -> dict[str, dict[str, Any]]:
        from langmem_cli.store.people import PERSON, people

        rows = self._q("SELECT key, value FROM meta WHERE substr(key, 1, ?) = ? ORDER BY key", (len(PERSON), PERSON))
        return people(rows, prefix)

    def set_person_name(self, namespace: str, name: str, since: str | None, source: str) -> None:
        from langmem_cli.store.people import PERSON

        with self.db.transaction():
            self._x("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (PERSON + namespace, canonical_json({"name": name, "since": since, "source": source})))

    # -- processed conversations ----------------------------------------------------------
    def is_processed(self, namespace: str, conversation_hash: str) -> bool:
        return bool(self._q("SELECT 1 FROM processed WHERE namespace = ? AND conversation_hash = ?",
                            (namespace, conversation_hash)))

    def mark_processed(self, namespace: str, conversation_hash: str, source: str | None,
                       counts: dict[str, int]) -> None:
        with self.db.transaction():
            self._x("INSERT INTO processed (namespace, conversation_hash, source, run_id, at, inserted, updated, deleted) "
                    "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (namespace, conversation_hash) DO UPDATE SET "
                    "source=excluded.source, run_id=excluded.run_id, at=excluded.at, inserted=excluded.inserted, "
                    "updated=excluded.updated, deleted=excluded.deleted",
                    (namespace, conversation_hash, source, self.current_run(), now(), counts.get("inserted", 0),
                     counts.get("updated", 0), counts.get("deleted", 0)))

    # -- consolidation marks -----------------------------------------------------------------
    def consolidation_marks(self, namespace: str) -> dict[str, str]:
        return {r[0]: r[1] for r in self._q(
            "SELECT c.memory_id, c.content_hash FROM consolidated c JOIN memories m ON m.id = c.memory_id "
            "WHERE m.namespace = ?", (namespace,))}

    def mark_consolidated(self, pairs: Sequence[tuple[str, str]]) -> None:
        if not pairs:
            return
        stamp = now()
        with self.db.transaction():
            self.db.executemany(self.db.sql(
                "INSERT INTO consolidated (memory_id, content_hash, at) VALUES (?, ?, ?) "
                "ON CONFLICT (memory_id) DO UPDATE SET content_hash = excluded.content_hash, at = excluded.at"),
                [(i, h, stamp) for i, h in pairs])

    def unmark_consolidated(self, ids: Sequence[str]) -> None:
        if ids:
            with self.db.transaction():
                self.db.executemany(self.db.sql("DELETE FROM consolidated WHERE memory_id = ?"), [(i,) for i in ids])

    # -- consolidation clusters that keep failing (parked after ``park_after``) ----------------
    def cluster_failures(self, cluster: str) -> dict[str, Any] | None:
        rows = self._q(f"SELECT {', '.join(MARK_COLUMNS)} FROM consolidate_marks WHERE cluster = ?", (cluster,))
        return dict(zip(MARK_COLUMNS, rows[0])) if rows else None

    def record_cluster_failure(self, cluster: str, namespace: str, error: str, park_after: int) -> bool:
        """Count one more failure of a cluster, atomically (two runs count both); True when it is
        now parked (not sent again until it changes)."""
        with self.db.transaction():
            [(failures,)] = self._q(
                "INSERT INTO consolidate_marks (cluster, namespace, failures, last_error, parked, at) "
                "VALUES (?, ?, 1, ?, 0, ?) ON CONFLICT (cluster) DO UPDATE SET "
                "failures = consolidate_marks.failures + 1, last_error = excluded.last_error, at = excluded.at "
                "RETURNING failures", (cluster, namespace, error[:500], now()))
            parked = failures >= park_after
            if parked:
                self._x("UPDATE consolidate_marks SET parked = 1 WHERE cluster = ?", (cluster,))
        return parked

    def clear_cluster_failures(self, cluster: str) -> None:
        with self.db.transaction():
            self._x("DELETE FROM consolidate_marks WHERE cluster = ?", (cluster,))
