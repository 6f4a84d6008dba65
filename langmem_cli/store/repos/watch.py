"""`langmem watch` state, the same on every backend (methods documented in store/base.py):

* ``watch_sources``: per file, the stat signature, byte offset and content hash of the complete
  part last read when every conversation in it had been extracted (a restart skips such a file);
* ``watch_progress``: per conversation of a file, a ``core.watch.Progress``;
* ``watch_leases``: the watcher extracting from a source (one at a time per source). A lease is
  taken in a transaction serialised per source (``Runner.lock``: SQLite's write lock, an
  advisory lock on PostgreSQL), so two watchers, on two hosts too, cannot both take a free one.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

from langmem_cli.core.timestamps import now as _now
from langmem_cli.core.watch import Lease, Progress, SourceState, lease_is_free
from langmem_cli.store.repos.runner import Runner


class WatchState:
    def __init__(self, runner: Runner, current_run: Callable[[], str | None], offset_column: str = "offset") -> None:
        """``offset_column``: the byte offset's column (``offset`` is a reserved word on PostgreSQL)."""
        self.db = runner
        self.current_run = current_run
        self.offset = offset_column

    def _q(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.db.query(self.db.sql(sql), params)

    def _x(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.db.execute(self.db.sql(sql), params)

    # -- sources -----------------------------------------------------------------
    def watch_sources(self) -> dict[str, SourceState]:
        rows = self._q(f"SELECT path, size, mtime_ns, inode, {self.offset}, content_hash FROM watch_sources")
        return {row[0]: SourceState(*row[1:]) for row in rows}

    def save_watch_source(self, path: str, state: SourceState) -> None:
        o = self.offset
        with self.db.transaction():
            self._x(f"INSERT INTO watch_sources (path, size, mtime_ns, inode, {o}, content_hash, at) "
                    "VALUES (?,?,?,?,?,?,?) ON CONFLICT (path) DO UPDATE SET size=excluded.size, "
                    f"mtime_ns=excluded.mtime_ns, inode=excluded.inode, {o}=excluded.{o}, "
                    "content_hash=excluded.content_hash, at=excluded.at",
                    (path, state.size, state.mtime_ns, state.inode, state.offset, state.content_hash, _now()))

    # -- per-conversation progress -----------------------------------------------
    def watch_progress(self, path: str) -> dict[str, Progress]:
        rows = self._q("SELECT conversation, count, digest, seen FROM watch_progress WHERE path = ?", (path,))
        return {row[0]: Progress(row[1], row[2], row[3] or "") for row in rows}

    def save_watch_progress(self, path: str, conversation: str, progress: Progress) -> None:
        """Joins the current transaction: the one that applies the conversation's memories."""
        with self.db.transaction():
            self._x("INSERT INTO watch_progress (path, conversation, count, digest, seen, run_id, at) "
                    "VALUES (?,?,?,?,?,?,?) ON CONFLICT (path, conversation) DO UPDATE SET count=excluded.count, "
                    "digest=excluded.digest, seen=excluded.seen, run_id=excluded.run_id, at=excluded.at",
                    (path, conversation, progress.count, progress.digest, progress.seen, self.current_run(), _now()))

    # -- leases ------------------------------------------------------------------
    def acquire_watch_lease(self, source: str, holder: str, host: str, pid: int, ttl: float,
                            alive: Callable[[int], bool]) -> bool:
        moment = time.time()
        with self.db.transaction():
            self.db.lock(f"watch:{source}")
            rows = self._q("SELECT holder, host, pid, expires_at FROM watch_leases WHERE source = ?", (source,))
            current = Lease(*rows[0]) if rows else None
            holder_alive = current is not None and current.host == host and alive(current.pid)
            if not lease_is_free(current, holder, host, moment, holder_alive):
                return False
            self._x("INSERT INTO watch_leases (source, holder, host, pid, expires_at) VALUES (?,?,?,?,?) "
                    "ON CONFLICT (source) DO UPDATE SET holder=excluded.holder, host=excluded.host, pid=excluded.pid, "
                    "expires_at=excluded.expires_at", (source, holder, host, pid, moment + ttl))
        return True

    def renew_watch_lease(self, source: str, holder: str, ttl: float) -> bool:
        with self.db.fresh() as own:  # not the store's connection: called from a heartbeat thread
            return own.execute(own.sql("UPDATE watch_leases SET expires_at = ? WHERE source = ? AND holder = ?"),
                               (time.time() + ttl, source, holder)) == 1

    def release_watch_lease(self, source: str, holder: str) -> None:
        with self.db.transaction():
            self._x("DELETE FROM watch_leases WHERE source = ? AND holder = ?", (source, holder))

    def watch_leases(self) -> list[Lease]:
        rows = self._q("SELECT holder, host, pid, expires_at FROM watch_leases ORDER BY source")
        return [Lease(*row) for row in rows]
