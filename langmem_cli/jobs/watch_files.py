"""The files side of `langmem watch`: which files, what changed, and their complete content.

* ``Selection``: the PATH arguments and ``--glob`` patterns; ``scan()`` lists the files once at
  start, ``matches(path)`` decides for a path a change event names.
* ``read_complete``: a file's bytes up to its last complete record (a half-written last line is
  left for later), with the stat signature they were read at.
* ``parse``: those bytes as conversations, each with a key stable across appends.
* ``Changes``: file-system events (watchfiles, on Rust's notify) from a thread into a queue,
  with notify's polling watcher for ``--poll`` or when events are unavailable.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import json
import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from langmem_cli.core.conversation import Conversation
from langmem_cli.core.watch import SourceState

DEFAULT_GLOBS = ("*.jsonl", "*.json")


@dataclass
class Selection:
    paths: list[Path]
    globs: tuple[str, ...] = DEFAULT_GLOBS

    def __post_init__(self) -> None:
        self.paths = [Path(os.path.abspath(p)) for p in self.paths]
        self.files = {str(p) for p in self.paths if not p.is_dir()}
        self.dirs = [p for p in self.paths if p.is_dir()]

    def matches(self, path: str) -> bool:
        """A file named as an argument, or a non-hidden file under a folder argument whose name
        matches a glob."""
        if path in self.files:
            return True
        name = os.path.basename(path)
        if name.startswith(".") or not any(fnmatch.fnmatch(name, g) for g in self.globs):
            return False
        for folder in self.dirs:
            try:
                rel = Path(path).relative_to(folder)
            except ValueError:
                continue
            if not any(part.startswith(".") for part in rel.parts[:-1]):
                return True
        return False

    def scan(self) -> Iterator[str]:
        yield from sorted(f for f in self.files if os.path.isfile(f))
        for folder in self.dirs:
            for root, dirs, names in os.walk(folder):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    path = os.path.join(root, name)
                    if self.matches(path):
                        yield path

    def watch_roots(self) -> tuple[list[str], list[str]]:
        """(folders watched recursively, folders watched for the named files) — a named file is
        watched through its folder, so a rotation (rename, new file) is seen."""
        parents = sorted({os.path.dirname(f) for f in self.files} - {str(d) for d in self.dirs})
        return [str(d) for d in self.dirs], [p for p in parents if os.path.isdir(p)]


def signature(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass
class Snapshot:
    """A file's complete part: ``data`` (up to ``offset``), its hash, and the stat it was read at.
    ``partial``: bytes after the last complete record (a writer mid-append) were left out."""

    data: bytes
    state: SourceState
    partial: bool
    mtime: float

    @property
    def signature(self) -> tuple[int, int, int]:
        return (self.state.size, self.state.mtime_ns, self.state.inode)


def read_complete(path: str) -> Snapshot | None:
    """The complete part of ``path`` (None if it is gone). Read until the stat before and after
    the read agree, so the signature describes the bytes."""
    for _ in range(5):
        try:
            before = os.stat(path)
            with open(path, "rb") as handle:
                data = handle.read()
            after = os.stat(path)
        except OSError:  # gone, a folder now, or unreadable: what was read of it is extracted
            return None
        if signature(before) == signature(after) and len(data) == after.st_size:
            break
    complete, partial = _complete_part(data)
    state = SourceState(after.st_size, after.st_mtime_ns, after.st_ino, len(complete),
                        hashlib.sha256(complete).hexdigest())
    return Snapshot(complete, state, partial, after.st_mtime)


def _complete_part(data: bytes) -> tuple[bytes, bool]:
    """(complete bytes, whether a tail was left out). A last line without its newline counts when
    it is a whole JSON value, or when the whole file is one JSON document."""
    cut = data.rfind(b"\n") + 1
    tail = data[cut:]
    if not tail.strip():
        return data, False
    for candidate in (tail, data):
        try:
            json.loads(candidate)
            return data, False
        except ValueError:
            continue
    return data[:cut], True


def conversation_keys(conversations: list[Conversation], path: str) -> list[str]:
    """A key per conversation that survives appends: its session/conversation id when the format
    has one, ``-`` for a file's only conversation, else where it starts in the file."""
    keys = []
    for conversation in conversations:
        meta = conversation.metadata
        ident = next((str(meta[k]) for k in ("session_id", "conversation_id", "id") if meta.get(k)), None)
        if ident is not None:
            keys.append(f"id:{ident}")
        elif len(conversations) == 1:
            keys.append("-")
        else:
            source = conversation.source
            keys.append(source[len(path):] if source.startswith(path) else source)
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):  # two conversations with one id stay apart
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            keys[i] = f"{key}#{seen[key]}"
    return keys


def parse(path: str, data: bytes, fmt: str | None) -> dict[str, Conversation]:
    """Conversations of ``data`` by key; raises InvalidInputError (file:line) for bad content."""
    from langmem_cli.formats import read_conversations

    conversations = list(read_conversations(path, fmt, stream=io.BytesIO(data)))
    return dict(zip(conversation_keys(conversations, path), conversations))


class Changes:
    """Paths that changed, from watchfiles' Rust watcher running in threads (one per root set)."""

    def __init__(self, selection: Selection, poll: bool, poll_ms: int, warn: Callable[[str], None]):
        self.queue: queue.Queue = queue.Queue()
        self.stop_event = threading.Event()
        self.polling = poll
        self._threads: list[threading.Thread] = []
        recursive, flat = selection.watch_roots()
        self._notifiers = []
        for roots, deep in ((recursive, True), (flat, False)):
            if roots:
                self._notifiers.append(self._notifier(roots, deep, poll_ms, warn))

    def _notifier(self, roots: list[str], recursive: bool, poll_ms: int, warn: Callable[[str], None]):
        from watchfiles._rust_notify import RustNotify

        if not self.polling:
            try:
                return RustNotify(roots, False, False, poll_ms, recursive, True)
            except (OSError, RuntimeError) as exc:  # e.g. the inotify watch limit
                warn(f"file events unavailable ({exc}): polling every {poll_ms} ms")
                self.polling = True
        return RustNotify(roots, False, True, poll_ms, recursive, True)

    def start(self) -> "Changes":
        for notifier in self._notifiers:
            thread = threading.Thread(target=self._pump, args=(notifier,), daemon=True, name="langmem-watch")
            thread.start()
            self._threads.append(thread)
        return self

    def _pump(self, notifier) -> None:
        while not self.stop_event.is_set():
            try:
                result = notifier.watch(200, 50, 1000, self.stop_event)
            except Exception as exc:  # noqa: BLE001 - the watcher thread must report, not die silently
                self.queue.put(("error", str(exc)))
                return
            if isinstance(result, set):
                self.queue.put(("paths", {path for _, path in result}))

    def get(self, timeout: float) -> set[str] | None:
        """Changed paths within ``timeout`` seconds (empty set on timeout); None when stopped."""
        try:
            kind, value = self.queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return set()
        if kind == "stop":
            return None
        if kind == "error":
            raise RuntimeError(f"file watcher failed: {value}")
        paths = set(value)
        while True:  # take everything already queued
            try:
                kind, value = self.queue.get_nowait()
            except queue.Empty:
                return paths
            if kind == "paths":
                paths |= value
            else:
                self.queue.put((kind, value))
                return paths

    def wake(self) -> None:
        """Make a waiting ``get`` return now (a signal asked to stop)."""
        self.queue.put(("stop", None))

    def close(self) -> None:
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout=2)
        for notifier in self._notifiers:
            notifier.close()
