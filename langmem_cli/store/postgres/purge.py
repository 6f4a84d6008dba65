"""Forgetting that forgets, on PostgreSQL (as store/sqlite/purge.py): delete the memories, blank
``before``/``after`` of their history, append a content-free ``purge`` entry (the tombstone), and
rewrite the tables (``VACUUM FULL``) so no dead row version still holds the text. A mixin."""

from __future__ import annotations

from typing import Any, Sequence

from langmem_cli.core.timestamps import now
from langmem_cli.errors import NotFoundError, UsageError
from langmem_cli.store.postgres.base import PostgresBase
from langmem_cli.store.postgres.clauses import scope_clause

TABLES = ("memories", "memory_keywords", "history", "consolidated")


class PurgeMixin(PostgresBase):
    """Part of PostgresStore: purge and vacuum."""

    def purge(self, ids: Sequence[str], source: str | None = "cli", reclaim: bool = True) -> dict[str, int]:
        ids = list(dict.fromkeys(ids))
        with self.transaction():
            known = {r[0] for r in self.conn.execute(
                "SELECT id FROM memories WHERE id = ANY(%s) UNION SELECT memory_id FROM history WHERE memory_id = ANY(%s)",
                (ids, ids))}
            missing = sorted(set(ids) - known)
            if missing:
                raise NotFoundError(f"no memory or history with id {missing[0]}"
                                    + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
            counts = self._erase(ids, source)
        return self._purged(counts, reclaim)

    def purge_where(self, namespace: str | None = None, prefix: str | None = None, kinds: list[str] | None = None,
                    source: str | None = "cli", reclaim: bool = True) -> dict[str, int]:
        if namespace is None and prefix is None:
            raise UsageError("bulk purge needs a namespace or a prefix")
        parts, params = scope_clause(namespace, prefix)
        where = " AND ".join(parts)
        live, past = where, where
        if kinds:
            live += " AND kind = ANY(%s)"
            past += " AND (coalesce(before, after)::jsonb ->> 'kind') = ANY(%s)"
        with self.transaction():
            ids = [r[0] for r in self.conn.execute(f"SELECT id FROM memories WHERE {live}",
                                                   [*params, *([list(kinds)] if kinds else [])])]
            ids += [r[0] for r in self.conn.execute(f"SELECT DISTINCT memory_id FROM history WHERE {past}",
                                                    [*params, *([list(kinds)] if kinds else [])])]
            counts = self._erase(list(dict.fromkeys(ids)), source)
        return self._purged(counts, reclaim)

    def vacuum(self) -> dict[str, int]:
        """Rewrite the tables without dead row versions (VACUUM FULL takes a short exclusive lock)."""
        with self._errors():
            before = self._size()
            for table in TABLES:
                self.conn.execute(f"VACUUM FULL {table}")  # autocommit: VACUUM cannot run in a transaction
            return {"size_before": before, "size_after": self._size()}

    def _erase(self, ids: list[str], source: str | None) -> dict[str, int]:
        namespaces = dict(self.conn.execute(
            "SELECT DISTINCT ON (memory_id) memory_id, namespace FROM history WHERE memory_id = ANY(%s)", (ids,)).fetchall())
        namespaces.update(self.conn.execute("SELECT id, namespace FROM memories WHERE id = ANY(%s)", (ids,)).fetchall())
        deleted = self.conn.execute("DELETE FROM memories WHERE id = ANY(%s)", (ids,)).rowcount
        blanked = self.conn.execute(
            "UPDATE history SET before = NULL, after = NULL WHERE memory_id = ANY(%s) "
            "AND (before IS NOT NULL OR after IS NOT NULL)", (ids,)).rowcount
        self.conn.execute("DELETE FROM consolidated WHERE memory_id = ANY(%s)", (ids,))
        stamp = now()
        tombstones = [(i, namespaces[i], stamp, self.run_id, source) for i in ids if i in namespaces]
        with self.conn.cursor() as cur:
            cur.executemany("INSERT INTO history (memory_id, namespace, action, before, after, at, run_id, source) "
                            "VALUES (%s, %s, 'purge', NULL, NULL, %s, %s, %s)", tombstones)
        return {"memories": deleted, "history": blanked, "tombstones": len(tombstones)}

    def _purged(self, counts: dict[str, int], reclaim: bool) -> dict[str, Any]:
        return {**counts, **(self.vacuum() if reclaim else {})}

    def _size(self) -> int:
        return int(self._q("SELECT sum(pg_total_relation_size(c)) FROM unnest(%s::regclass[]) AS c",
                           (list(TABLES),))[0][0] or 0)
