"""Two extract runs on the same transcript at once: the second waits for the first to finish a
conversation, then finds it processed and skips it, instead of paying for the same LLM calls.

One lock file per database (``<db>.extract.lock``); each conversation (namespace + content hash)
locks one byte of it (POSIX record locks: released when the process ends, even by a crash).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path
from typing import Callable, ContextManager, Iterator

SLOTS = 1 << 16


@contextlib.contextmanager
def extract_locks(db_path: Path, *_: object) -> Iterator[Callable[[str, str], ContextManager[None]]]:
    path = Path(str(db_path) + ".extract.lock")
    try:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    except OSError:
        yield lambda namespace, digest: contextlib.nullcontext()  # a read-only folder: no lock, as before
        return

    @contextlib.contextmanager
    def locked(namespace: str, digest: str) -> Iterator[None]:
        slot = int(hashlib.sha256(f"{namespace}\0{digest}".encode()).hexdigest()[:8], 16) % SLOTS
        fcntl.lockf(fd, fcntl.LOCK_EX, 1, slot)
        try:
            yield
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, slot)

    try:
        yield locked
    finally:
        os.close(fd)
