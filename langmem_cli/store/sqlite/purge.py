"""Forgetting that forgets: erase memories' content from the table, the keyword index and the
history, keep a content-free tombstone, and give the freed space back to the file system.

A plain delete keeps the memory's text in ``history`` (that is what history is for). A purge
removes the row, blanks ``before``/``after`` of every history entry of the memory (the trail of
when, which run, which source stays, without content) and appends one ``purge`` entry: the
tombstone (memory id, namespace, time, run, source). ``vacuum`` then rewrites the file so no
freed page, old FTS5 segment or WAL frame still holds the text.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterable, Sequence

from langmem_cli.core.timestamps import now
from langmem_cli.errors import NotFoundError, UsageError
from langmem_cli.store.sqlite import db as dbmod
from langmem_cli.store.sqlite.base import SQLiteBase
from langmem_cli.store.sqlite.records_sql import in_batches, where_clause


def history_memory_ids(conn: sqlite3.Connection, namespace: str | None, prefix: str | None,
                       kinds: list[str] | None) -> list[str]:
    """Ids of memories (deleted ones included) whose history lies in the namespace(s)/kinds."""
    where, params = where_clause(namespace, prefix)
    if kinds:
        where += f" AND json_extract(coalesce(before, after), '$.kind') IN ({','.join('?' * len(kinds))})"
        params = [*params, *kinds]
    return [r[0] for r in conn.execute(f"SELECT DISTINCT memory_id FROM history WHERE {where}", params)]


def known_ids(conn: sqlite3.Connection, ids: Iterable[str]) -> set[str]:
    """The ids that have a memory row or any history."""
    found: set[str] = set()
    for chunk, marks in in_batches(ids):
        found.update(r[0] for r in conn.execute(
            f"SELECT id FROM memories WHERE id IN ({marks}) UNION SELECT memory_id FROM history WHERE memory_id IN ({marks})",
            [*chunk, *chunk]))
    return found


def erase(conn: sqlite3.Connection, ids: Iterable[str], at: str, run_id: str | None, source: str | None) -> dict[str, int]:
    """Inside the caller's transaction: delete the memories, blank their history, write tombstones.
    Returns {"memories": rows deleted, "history": entries blanked, "tombstones": entries added}."""
    conn.execute("PRAGMA secure_delete = ON")  # freed pages are zeroed, not left with the text
    counts = {"memories": 0, "history": 0, "tombstones": 0}
    for chunk, marks in in_batches(dict.fromkeys(ids)):
        namespaces = dict(conn.execute(
            f"SELECT memory_id, namespace FROM history WHERE memory_id IN ({marks}) GROUP BY memory_id", chunk))
        namespaces.update(conn.execute(f"SELECT id, namespace FROM memories WHERE id IN ({marks})", chunk))
        counts["memories"] += conn.execute(f"DELETE FROM memories WHERE id IN ({marks})", chunk).rowcount
        counts["history"] += conn.execute(
            f"UPDATE history SET before = NULL, after = NULL WHERE memory_id IN ({marks}) "
            "AND (before IS NOT NULL OR after IS NOT NULL)", chunk).rowcount
        conn.execute(f"DELETE FROM consolidated WHERE memory_id IN ({marks})", chunk)
        conn.executemany(
            "INSERT INTO history (memory_id, namespace, action, before, after, at, run_id, source) "
            "VALUES (?, ?, 'purge', NULL, NULL, ?, ?, ?)",
            [(i, namespaces[i], at, run_id, source) for i in chunk if i in namespaces],
        )
        counts["tombstones"] += sum(1 for i in chunk if i in namespaces)
    merge_keyword_segments(conn)
    return counts


def merge_keyword_segments(conn: sqlite3.Connection) -> None:
    """Merge the FTS5 segments: a deleted row's terms stay in old segments until they are merged."""
    conn.execute("INSERT INTO memories_fts (memories_fts) VALUES ('optimize')")


def file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def vacuum(conn: sqlite3.Connection, path: Path) -> dict[str, int]:
    """Rewrite the database without its free pages and empty the WAL (outside any transaction).
    Returns the size of the file and its WAL before and after, in bytes."""
    before = file_size(path)
    merge_keyword_segments(conn)
    conn.execute("VACUUM")
    busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    if busy:
        raise sqlite3.OperationalError("database is locked (a reader kept the write-ahead log open)")
    return {"size_before": before, "size_after": file_size(path)}


class Purging(SQLiteBase):
    """Part of SQLiteStore: purge and vacuum."""

    def purge(self, ids: Sequence[str], source: str | None = "cli", reclaim: bool = True) -> dict[str, int]:
        """Delete these memories (live or already deleted) and erase their content from history,
        keeping a content-free ``purge`` entry as tombstone; then reclaim the space (``vacuum``)."""
        with self.transaction():
            missing = set(ids) - known_ids(self.conn, ids)
            if missing:
                raise NotFoundError(f"no memory or history with id {sorted(missing)[0]}"
                                    + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
            counts = erase(self.conn, ids, now(), self.run_id, source)
        return self._purged(counts, reclaim)

    def purge_where(self, namespace: str | None = None, prefix: str | None = None, kinds: list[str] | None = None,
                    source: str | None = "cli", reclaim: bool = True) -> dict[str, int]:
        """``purge`` every memory of a namespace (or prefix), live or deleted, optionally of some kinds."""
        if namespace is None and prefix is None:
            raise UsageError("bulk purge needs a namespace or a prefix")
        where, params = where_clause(namespace, prefix, kinds)
        with self.transaction():
            ids = [r[0] for r in self.conn.execute(f"SELECT id FROM memories WHERE {where}", params)]
            ids += history_memory_ids(self.conn, namespace, prefix, kinds)
            counts = erase(self.conn, ids, now(), self.run_id, source)
        return self._purged(counts, reclaim)

    def vacuum(self) -> dict[str, int]:
        """Give freed space back: rewrite the file and empty the write-ahead log."""
        with dbmod.sqlite_errors(self.path):
            return vacuum(self.conn, self.path)

    def _purged(self, counts: dict[str, int], reclaim: bool) -> dict[str, int]:
        self.retrievers.reset(files=True)  # the indexes may still hold the purged text
        return {**counts, **(self.vacuum() if reclaim else {})}
