"""PostgresStore's `langmem watch` state (pg007), as on SQLite (store/sqlite/watch_state.py); the
methods are documented in store/base.py. A lease is taken under a transaction-scoped advisory lock
per source, so two watchers on two hosts cannot both take a free lease."""

from __future__ import annotations

import time
from typing import Callable

from langmem_cli.core.timestamps import now as _now
from langmem_cli.core.watch import Lease, Progress, SourceState, lease_is_free
from langmem_cli.store.postgres.connection import connect, pg_errors
from langmem_cli.store.postgres.schema import lock_key


class WatchStateMixin:
    """Needs ``conn``, ``_q``, ``transaction()`` and ``run_id`` of PostgresStore."""

    def watch_sources(self) -> dict[str, SourceState]:
        rows = self._q("SELECT path, size, mtime_ns, inode, byte_offset, content_hash FROM watch_sources")
        return {row[0]: SourceState(*row[1:]) for row in rows}

    def save_watch_source(self, path: str, state: SourceState) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO watch_sources (path, size, mtime_ns, inode, byte_offset, content_hash, at) "
                "VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (path) DO UPDATE SET size=EXCLUDED.size, "
                "mtime_ns=EXCLUDED.mtime_ns, inode=EXCLUDED.inode, byte_offset=EXCLUDED.byte_offset, "
                "content_hash=EXCLUDED.content_hash, at=EXCLUDED.at",
                (path, state.size, state.mtime_ns, state.inode, state.offset, state.content_hash, _now()),
            )

    def watch_progress(self, path: str) -> dict[str, Progress]:
        rows = self._q("SELECT conversation, count, digest, seen FROM watch_progress WHERE path = %s", (path,))
        return {row[0]: Progress(row[1], row[2], row[3] or "") for row in rows}

    def save_watch_progress(self, path: str, conversation: str, progress: Progress) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO watch_progress (path, conversation, count, digest, seen, run_id, at) "
                "VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (path, conversation) DO UPDATE SET count=EXCLUDED.count, "
                "digest=EXCLUDED.digest, seen=EXCLUDED.seen, run_id=EXCLUDED.run_id, at=EXCLUDED.at",
                (path, conversation, progress.count, progress.digest, progress.seen, self.run_id, _now()),
            )

    def acquire_watch_lease(self, source: str, holder: str, host: str, pid: int, ttl: float,
                            alive: Callable[[int], bool]) -> bool:
        now = time.time()
        with self.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(f"watch:{source}"),))
            row = self.conn.execute("SELECT holder, host, pid, expires_at FROM watch_leases WHERE source = %s",
                                    (source,)).fetchone()
            current = Lease(*row) if row else None
            holder_alive = current is not None and current.host == host and alive(current.pid)
            if not lease_is_free(current, holder, host, now, holder_alive):
                return False
            self.conn.execute(
                "INSERT INTO watch_leases (source, holder, host, pid, expires_at) VALUES (%s,%s,%s,%s,%s) "
                "ON CONFLICT (source) DO UPDATE SET holder=EXCLUDED.holder, host=EXCLUDED.host, pid=EXCLUDED.pid, "
                "expires_at=EXCLUDED.expires_at",
                (source, holder, host, pid, now + ttl),
            )
        return True

    def renew_watch_lease(self, source: str, holder: str, ttl: float) -> bool:
        conn = connect(self.url)  # not self.conn: called from a heartbeat thread
        try:
            with pg_errors(self.url, conn):
                return conn.execute("UPDATE watch_leases SET expires_at = %s WHERE source = %s AND holder = %s",
                                    (time.time() + ttl, source, holder)).rowcount == 1
        finally:
            conn.close()

    def release_watch_lease(self, source: str, holder: str) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM watch_leases WHERE source = %s AND holder = %s", (source, holder))

    def watch_leases(self) -> list[Lease]:
        rows = self._q("SELECT holder, host, pid, expires_at FROM watch_leases ORDER BY source")
        return [Lease(*row) for row in rows]
