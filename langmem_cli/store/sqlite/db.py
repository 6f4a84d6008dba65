"""Opening the database: permissions, WAL, busy timeout, and error translation."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path
from typing import Iterator

from langmem_cli.errors import BusyError, DatabaseError

BUSY_TIMEOUT_MS = 60_000


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the database file, readable by its owner only."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # Memories are personal data: create the file 0600 before SQLite touches it.
            fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
            os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise DatabaseError(f"cannot create database {path}: {exc.strerror or exc}") from exc
    if not os.access(path, os.R_OK):
        raise DatabaseError(f"cannot read database {path}: permission denied")
    started = time.monotonic()
    try:
        conn = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode.lower() != "wal":
            mode = _enable_wal(conn)
        if mode.lower() != "wal" and os.access(path, os.W_OK):
            raise DatabaseError(f"cannot enable WAL on {path} (journal mode {mode})")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise translate(exc, path, time.monotonic() - started) from exc
    _restrict_sidecars(path)
    return conn


def _enable_wal(conn: sqlite3.Connection) -> str:
    """Switch to WAL. SQLite answers "database is locked" at once, without the busy handler,
    while another process holds the file (e.g. several processes creating it together): retry
    until the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            return conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if not ("locked" in str(exc) or "busy" in str(exc)) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _restrict_sidecars(path: Path) -> None:
    for suffix in ("-wal", "-shm"):
        side = Path(str(path) + suffix)
        with contextlib.suppress(OSError):
            if side.exists() and side.stat().st_mode & 0o077:
                side.chmod(0o600)


def translate(exc: BaseException, path: Path | str, waited: float | None = None) -> DatabaseError:
    """One-line message for a sqlite3 error; ``waited``: seconds spent before SQLite gave up."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        how_long = (f"waited {waited:.1f} s" if waited is not None else "gave up") + f", busy timeout {BUSY_TIMEOUT_MS / 1000:g} s"
        return DatabaseError(f"database {path} is locked by another process ({how_long})")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return DatabaseError(f"{path} is not a langmem database or is corrupt ({text})")
    if "readonly" in text or "read-only" in text:
        return DatabaseError(f"database {path} is read-only")
    if "unable to open" in text:
        return DatabaseError(f"cannot open database {path}")
    return DatabaseError(f"database error on {path}: {text}")


@contextlib.contextmanager
def sqlite_errors(path: Path | str) -> Iterator[None]:
    """Translate sqlite3 errors; a lock error says how long the block waited before SQLite gave up."""
    started = time.monotonic()
    try:
        yield
    except sqlite3.DatabaseError as exc:
        raise translate(exc, path, time.monotonic() - started) from exc


_BYTE_LOCK_FILES: dict[str, int] = {}
BYTE_LOCK_SLOTS = 1 << 16


@contextlib.contextmanager
def byte_lock(db_path: Path | str, name: str, key: str) -> Iterator[None]:
    """Wait for, then hold, one byte of ``<db>.<name>.lock`` chosen by ``key`` (POSIX record
    locks: released when the process ends, even by a crash). The file stays open for the process:
    closing any descriptor of it would drop every record lock the process holds on it. A folder
    that cannot hold the lock file (read-only) means no lock, as before locks existed."""
    import fcntl
    import hashlib

    path = f"{db_path}.{name}.lock"
    fd = _BYTE_LOCK_FILES.get(path)
    if fd is None:
        try:
            fd = _BYTE_LOCK_FILES[path] = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        except OSError:
            yield
            return
    slot = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % BYTE_LOCK_SLOTS
    fcntl.lockf(fd, fcntl.LOCK_EX, 1, slot)
    try:
        yield
    finally:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, slot)


@contextlib.contextmanager
def file_lock(db_path: Path | str, name: str = "consolidate") -> Iterator[None]:
    """An exclusive lock per database and job, held by an open file beside it: a crashed run
    releases it. BusyError (exit 75) names the holder's pid."""
    import fcntl

    path = Path(f"{db_path}.{name}.lock")
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            raise BusyError(f"another {name} run holds the lock on {db_path} (pid {holder}); "
                            "did not wait (a run can take minutes): try again later") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
