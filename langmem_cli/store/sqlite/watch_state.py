"""SQLiteStore's `langmem watch` state (migration m011); the methods are documented in store/base.py.

``WatchState`` is a mixin of SQLiteStore: it uses ``self.conn``, ``self.transaction()``,
``self._query`` and ``self.run_id``. Rows:

* ``watch_sources``: per file, the stat signature, byte offset and content hash of the complete
  part last read when every conversation in it had been extracted (a restart skips such a file).
* ``watch_progress``: per conversation of a file, a ``core.watch.Progress``.
* ``watch_leases``: the watcher extracting from a source (one at a time per source).
"""

from __future__ import annotations

import time
from typing import Callable

from langmem_cli.core.timestamps import now as _now
from langmem_cli.core.watch import Lease, Progress, SourceState, lease_is_free
from langmem_cli.store.sqlite import db as dbmod


class WatchState:
    # -- sources -----------------------------------------------------------------
    def watch_sources(self) -> dict[str, SourceState]:
        """Every source file's last complete state, by path."""
        rows = self._query("SELECT path, size, mtime_ns, inode, offset, content_hash FROM watch_sources")
        return {row[0]: SourceState(*row[1:]) for row in rows}

    def save_watch_source(self, path: str, state: SourceState) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO watch_sources (path, size, mtime_ns, inode, offset, content_hash, at) "
                "VALUES (?,?,?,?,?,?,?) ON CONFLICT(path) DO UPDATE SET size=excluded.size, "
                "mtime_ns=excluded.mtime_ns, inode=excluded.inode, offset=excluded.offset, "
                "content_hash=excluded.content_hash, at=excluded.at",
                (path, state.size, state.mtime_ns, state.inode, state.offset, state.content_hash, _now()),
            )

    # -- per-conversation progress -----------------------------------------------
    def watch_progress(self, path: str) -> dict[str, Progress]:
        """What was extracted of each conversation of ``path``, by conversation key."""
        rows = self._query("SELECT conversation, count, digest, seen FROM watch_progress WHERE path = ?", (path,))
        return {row[0]: Progress(row[1], row[2], row[3] or "") for row in rows}

    def save_watch_progress(self, path: str, conversation: str, progress: Progress) -> None:
        """Record ``progress`` (joins the current transaction: the one that applies the
        conversation's memories, so both are written or neither)."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO watch_progress (path, conversation, count, digest, seen, run_id, at) "
                "VALUES (?,?,?,?,?,?,?) ON CONFLICT(path, conversation) DO UPDATE SET count=excluded.count, "
                "digest=excluded.digest, seen=excluded.seen, run_id=excluded.run_id, at=excluded.at",
                (path, conversation, progress.count, progress.digest, progress.seen, self.run_id, _now()),
            )

    # -- leases ------------------------------------------------------------------
    def acquire_watch_lease(self, source: str, holder: str, host: str, pid: int, ttl: float,
                            alive: Callable[[int], bool]) -> bool:
        """Take (or renew) the lease on ``source`` for ``ttl`` seconds, unless another live holder
        has it. ``alive(pid)`` tells whether a holder on this host still runs."""
        now = time.time()
        with self.transaction():
            row = self.conn.execute("SELECT holder, host, pid, expires_at FROM watch_leases WHERE source = ?",
                               (source,)).fetchone()
            current = Lease(*row) if row else None
            holder_alive = current is not None and current.host == host and alive(current.pid)
            if not lease_is_free(current, holder, host, now, holder_alive):
                return False
            self.conn.execute(
                "INSERT INTO watch_leases (source, holder, host, pid, expires_at) VALUES (?,?,?,?,?) "
                "ON CONFLICT(source) DO UPDATE SET holder=excluded.holder, host=excluded.host, pid=excluded.pid, "
                "expires_at=excluded.expires_at",
                (source, holder, host, pid, now + ttl),
            )
        return True

    def renew_watch_lease(self, source: str, holder: str, ttl: float) -> bool:
        conn = dbmod.connect(self.path)  # not self.conn: called from a heartbeat thread
        try:
            with dbmod.sqlite_errors(self.path):
                return conn.execute("UPDATE watch_leases SET expires_at = ? WHERE source = ? AND holder = ?",
                                    (time.time() + ttl, source, holder)).rowcount == 1
        finally:
            conn.close()

    def release_watch_lease(self, source: str, holder: str) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM watch_leases WHERE source = ? AND holder = ?", (source, holder))

    def watch_leases(self) -> list[Lease]:
        rows = self._query("SELECT holder, host, pid, expires_at FROM watch_leases ORDER BY source")
        return [Lease(*row) for row in rows]
