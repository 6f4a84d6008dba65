"""History entries, the same on every backend: every change to a memory appends one (insert,
update, supersede, invalidate, delete, purge), with the run and the source that made it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from langmem_cli.core.records import HistoryEntry, Memory
from langmem_cli.core.render import canonical_json
from langmem_cli.core.timestamps import now
from langmem_cli.errors import NotFoundError
from langmem_cli.store.repos.runner import Runner

HISTORY_COLUMNS = "id, memory_id, namespace, action, before, after, at, run_id, source"
INSERT = "INSERT INTO history (memory_id, namespace, action, before, after, at, run_id, source) VALUES (?,?,?,?,?,?,?,?)"


@dataclass(frozen=True)
class Change:
    """One change to record: what happened to which memory, its rows before and after."""

    action: str
    memory_id: str
    namespace: str
    before: Memory | None
    after: Memory | None
    source: str | None


def row_to_history(row: Sequence[Any]) -> HistoryEntry:
    return HistoryEntry(
        id=row[0], memory_id=row[1], namespace=row[2], action=row[3],
        before=json.loads(row[4]) if row[4] else None, after=json.loads(row[5]) if row[5] else None,
        at=row[6], run_id=row[7], source=row[8],
    )


class History:
    def __init__(self, runner: Runner, current_run: Callable[[], str | None]) -> None:
        self.db = runner
        self.current_run = current_run

    def record(self, changes: Sequence[Change]) -> None:
        """Append entries for ``changes`` (inside the caller's transaction), in one batch."""
        if not changes:
            return
        stamp, run = now(), self.current_run()
        self.db.executemany(self.db.sql(INSERT), [
            (c.memory_id, c.namespace, c.action, canonical_json(c.before.to_dict()) if c.before else None,
             canonical_json(c.after.to_dict()) if c.after else None, stamp, run, c.source) for c in changes])

    def history(self, memory_id: str) -> list[HistoryEntry]:
        rows = self.db.query(self.db.sql(f"SELECT {HISTORY_COLUMNS} FROM history WHERE memory_id = ? ORDER BY id"),
                             (memory_id,))
        if not rows:
            raise NotFoundError(f"no history for memory {memory_id}")
        return [row_to_history(r) for r in rows]

    def add_history(self, entries: Sequence[HistoryEntry]) -> list[HistoryEntry]:
        """Append entries as given (import); one already present (same memory, action and time) is skipped."""
        added = []
        with self.db.transaction():
            for h in entries:
                if self.db.query(self.db.sql("SELECT 1 FROM history WHERE memory_id = ? AND action = ? AND at = ? "
                                             "LIMIT 1"), (h.memory_id, h.action, h.at)):
                    continue
                self.db.execute(self.db.sql(INSERT), (
                    h.memory_id, h.namespace, h.action, None if h.before is None else canonical_json(h.before),
                    None if h.after is None else canonical_json(h.after), h.at, h.run_id, h.source))
                added.append(h)
        return added
