"""Validity on SQLite (issue 14): writing a supersede plan (store/plan.py), the rows not valid at
a moment, and the supersede chain."""

from __future__ import annotations

from langmem_cli.core.records import Memory
from langmem_cli.core.render import canonical_json
from langmem_cli.errors import NotFoundError
from langmem_cli.store.sqlite.base import SQLiteBase
from langmem_cli.store.sqlite.records_sql import MEMORY_COLUMNS, row_to_memory


class Validity(SQLiteBase):
    """Part of SQLiteStore: writing a plan, validity masks, and the supersede chain."""

    def _write_metadata(self, before: Memory, after: Memory, source: str | None) -> None:
        self.conn.execute("UPDATE memories SET metadata = ?, updated_at = ? WHERE id = ?",
                          (canonical_json(after.metadata), after.updated_at, after.id))
        self._record("update", after.id, after.namespace, before, after, source)

    def _write_close(self, before: Memory, after: Memory, action: str, source: str | None) -> None:
        cursor = self.conn.execute("UPDATE memories SET valid_until = ?, superseded_by = ?, updated_at = ? WHERE id = ?",
                                   (after.valid_until, after.superseded_by, after.updated_at, after.id))
        if cursor.rowcount != 1:
            raise NotFoundError(f"no memory with id {after.id}")
        self._record(action, after.id, after.namespace, before, after, source)

    def lineage(self, memory_id: str) -> list[Memory]:
        memory = self.get(memory_id)
        chain = [memory]
        seen = {memory.id}
        head = memory
        while True:  # back: the memories this one replaced
            rows = self._query(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE superseded_by = ? ORDER BY rowid",
                               (head.id,))
            earlier = [row_to_memory(r) for r in rows if r[0] not in seen]
            if not earlier:
                break
            head = earlier[-1]
            chain.insert(0, head)
            seen.add(head.id)
        tail = memory
        while tail.superseded_by and tail.superseded_by not in seen:  # forward: what replaced it
            try:
                tail = self.get(tail.superseded_by)
            except NotFoundError:
                break
            chain.append(tail)
            seen.add(tail.id)
        return chain
