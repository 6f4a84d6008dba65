"""Reads, history, statistics and maintenance of the PostgreSQL store (a part of PostgresStore, on the typed base in base.py)."""

from __future__ import annotations

import builtins
from typing import Any, Iterator, Sequence

from langmem_cli.core.records import HistoryEntry, Memory
from langmem_cli.errors import NotFoundError, UsageError
from langmem_cli.store.postgres import schema
from langmem_cli.store.postgres.base import PostgresBase
from langmem_cli.store.postgres.clauses import (
    HISTORY_COLUMNS,
    MEMORY_COLUMNS,
    row_to_history,
    row_to_memory,
    scope_clause,
    where_clause,
)

ORDERS = {"created_at": "created_at, seq", "updated_at": "updated_at, seq", "rowid": "seq"}
PAGE = 2000


class ReadMixin(PostgresBase):
    """Part of PostgresStore: reads, history, statistics and maintenance."""

    # -- memories ----------------------------------------------------------------
    def get_many(self, ids: Sequence[str]) -> dict[str, Memory]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        return {r[0]: row_to_memory(r) for r in self._q(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE id = ANY(%s)", (ids,))}

    def list(self, namespace: str | None = None, prefix: str | None = None, kinds: list[str] | None = None,
             filters: list[tuple[str, Any]] | None = None, limit: int | None = 50, offset: int = 0,
             order: str = "created_at", as_of: str | None = None, include_expired: bool = False) -> list[Memory]:
        if order not in ORDERS:
            raise UsageError(f"unknown order {order!r}")
        where, params = where_clause(namespace, prefix, kinds, filters, as_of, include_expired)
        sql = f"SELECT {MEMORY_COLUMNS} FROM memories WHERE {where} ORDER BY {ORDERS[order]}"
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            params = [*params, limit, offset]
        elif offset:
            sql += " OFFSET %s"
            params = [*params, offset]
        return [row_to_memory(r) for r in self._q(sql, params)]

    def count(self, namespace: str | None = None, prefix: str | None = None, kinds: builtins.list[str] | None = None,
              filters: builtins.list[tuple[str, Any]] | None = None, as_of: str | None = None,
              include_expired: bool = False) -> int:
        where, params = where_clause(namespace, prefix, kinds, filters, as_of, include_expired)
        return self._q(f"SELECT count(*) FROM memories WHERE {where}", params)[0][0]

    def has_content(self, namespace: str, content_hash: str, kind: str | None = None,
                    include_expired: bool = True) -> bool:
        where, params = where_clause(namespace, kinds=[kind] if kind else None, include_expired=include_expired)
        return bool(self._q(f"SELECT 1 FROM memories WHERE {where} AND content_hash = %s LIMIT 1",
                            [*params, content_hash]))

    def _pages(self, sql: str, params: builtins.list[Any], key_columns: int) -> Iterator[tuple]:
        """Rows of ``sql`` (ordered by its last ``key_columns`` columns) fetched a page at a time by
        keyset, so that an export of a large store is neither one huge result nor a long transaction."""
        last: tuple | None = None
        while True:
            extra, extra_params = "", []
            if last is not None:
                keys = sql.rsplit("ORDER BY", 1)[1].strip()
                extra = f" AND ({keys}) > ({', '.join(['%s'] * key_columns)})"
                extra_params = list(last)
            head, order = sql.rsplit("ORDER BY", 1)
            rows = self._q(f"{head}{extra} ORDER BY {order} LIMIT {PAGE}", [*params, *extra_params])
            yield from rows
            if len(rows) < PAGE:
                return
            last = rows[-1][-key_columns:]

    def iter_memories(self, namespace: str | None = None, prefix: str | None = None) -> Iterator[Memory]:
        where, params = where_clause(namespace, prefix, include_expired=True)
        sql = f"SELECT {MEMORY_COLUMNS}, created_at, id FROM memories WHERE {where} ORDER BY created_at, id"
        for row in self._pages(sql, params, 2):
            yield row_to_memory(row)

    def iter_history(self, namespace: str | None = None, prefix: str | None = None) -> Iterator[HistoryEntry]:
        parts, params = scope_clause(namespace, prefix)
        where = " AND ".join(parts) or "TRUE"
        sql = f"SELECT {HISTORY_COLUMNS}, id FROM history WHERE {where} ORDER BY id"
        for row in self._pages(sql, params, 1):
            yield row_to_history(row)

    def lineage(self, memory_id: str) -> builtins.list[Memory]:
        """The supersede chain, as on SQLite: back through the latest memory each one replaced,
        forward through ``superseded_by``; oldest first."""
        start = self.get(memory_id)
        seen = {start.id}

        def walk(step) -> list[Memory]:
            out, current = [], start
            while (current := step(current)) is not None:
                seen.add(current.id)
                out.append(current)
            return out

        def replaced(m: Memory) -> Memory | None:
            rows = self._q(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE superseded_by = %s AND NOT id = ANY(%s) "
                           "ORDER BY seq DESC LIMIT 1", (m.id, list(seen)))
            return row_to_memory(rows[0]) if rows else None

        def successor(m: Memory) -> Memory | None:
            nxt = m.superseded_by
            return None if not nxt or nxt in seen else self.get_many([nxt]).get(nxt)

        earlier = walk(replaced)
        return earlier[::-1] + [start] + walk(successor)

    def namespaces(self, prefix: str | None = None) -> builtins.list[tuple[str, int]]:
        parts, params = scope_clause(prefix=prefix)
        where = " AND ".join(parts) or "TRUE"
        return [(r[0], r[1]) for r in self._q(
            f"SELECT namespace, count(*) FROM memories WHERE {where} GROUP BY namespace ORDER BY namespace", params)]

    def stats(self) -> dict[str, Any]:
        return {"path": self.location, "backend": "postgresql",
                "server": f"PostgreSQL {self.caps.server_version // 10000}, "
                          f"pgvector {'.'.join(map(str, self.caps.pgvector))}",
                "size_bytes": self._q("SELECT pg_database_size(current_database())")[0][0],
                **self.repos.bookkeeping.counts(self.embedding_model),
                "migrations": schema.applied_names(self.conn),
                "people": {ns: p["name"] for ns, p in self.person_names().items()}}

    def integrity_check(self) -> str:
        """Reads every table through (a damaged page or TOAST chunk fails the scan) and checks that
        stored vectors agree in size per model."""
        for table in ("memories", "memory_keywords", "history", "runs", "meta", "processed", "consolidated",
                      "prompt_versions"):
            self._q(f"SELECT count(*), max(length(t::text)) FROM {table} t")
        mixed = self._q("SELECT embedding_model FROM memories WHERE embedding IS NOT NULL "
                        "GROUP BY embedding_model HAVING count(DISTINCT vector_dims(embedding)) > 1")
        return "ok" if not mixed else f"vectors of different sizes for model {mixed[0][0]}"

    # -- vectors ---------------------------------------------------------------------
    def embedding(self, memory_id: str):
        rows = self._q("SELECT embedding FROM memories WHERE id = %s", (memory_id,))
        if not rows:
            raise NotFoundError(f"no memory with id {memory_id}")
        return rows[0][0]

    def embedded(self, namespace: str, include_expired: bool = False) -> builtins.list[tuple[Memory, Any]]:
        where, params = where_clause(namespace, include_expired=include_expired)
        rows = self._q(f"SELECT {MEMORY_COLUMNS}, embedding FROM memories WHERE {where} AND embedding_model = %s "
                       "AND embedding IS NOT NULL ORDER BY seq", [*params, self.embedding_model])
        return [(row_to_memory(r), r[-1]) for r in rows]

    def reindexed(self) -> None:
        """After a reindex: the HNSW index of the new vectors."""
        self.ensure_vector_index()
