"""`langmem watch`: extract a conversation once it has been quiet for ``idle`` seconds.

The loop: file events (``watch_files.Changes``) mark files dirty; a dirty file is re-read (only
it) at most every ``settle`` seconds; each conversation with messages not yet extracted gets a
timer (``core.watch.Debouncer``) set from the file's mtime, so new activity pushes it back. A due
conversation is one unit of work: take the source's lease in the database, read the file again,
compute what is new against the progress stored in the database, and extract it with
``jobs.extract.extract_one``, whose transaction also records the new progress. A crash leaves
either both (memories and progress) or neither.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from langmem_cli.core.conversation import Conversation, Message
from langmem_cli.core.llm import Usage
from langmem_cli.core.watch import Debouncer, Progress, chain_digest, message_key, new_messages, with_extra
from langmem_cli.errors import InvalidInputError, LangmemError
from langmem_cli.jobs.extract import ExtractOptions, counted_as, extract_one, fill_namespace
from langmem_cli.jobs.watch_files import DEFAULT_GLOBS, Changes, Selection, Snapshot, parse, read_complete, signature
from langmem_cli.jobs.watch_lease import LeaseKeeper

Emit = Callable[[dict[str, Any]], None]


@dataclass
class WatchOptions:
    idle: float = 600.0
    globs: tuple[str, ...] = DEFAULT_GLOBS
    fmt: str | None = None
    once: bool = False
    poll: bool = False
    consolidate_every: float | None = None
    lease_ttl: float = 900.0  # renewed every ttl/3 while extracting; a dead holder on another host frees them after it
    database: Any = None  # what `consolidate`'s run lock is taken on (the --db path)

    @property
    def settle(self) -> float:
        """Shortest time between two reads of one file that keeps changing."""
        return min(self.idle / 4, 1.0)

    @property
    def poll_ms(self) -> int:
        return int(min(max(self.idle * 200, 100), 2000))


@dataclass
class Tracked:
    """One file as the watcher last saw it."""

    stat: tuple | None = None  # signature at the last event or scan
    parsed: tuple | None = None  # signature of the last read
    dirty: bool = False
    next_read: float = 0.0
    saved: tuple | None = None  # signature stored as "everything extracted"
    digests: dict[str, str] = field(default_factory=dict)  # conversation -> digest at the last read
    pending: dict[str, list[Message]] = field(default_factory=dict)  # not yet extracted, at the last read
    orphans: dict[str, list[Message]] = field(default_factory=dict)  # pending messages that left the file
    metadata: dict[str, dict] = field(default_factory=dict)
    failed: tuple | None = None  # signature whose content did not parse (reported once)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Watcher:
    def __init__(self, store, client, extract: ExtractOptions, opts: WatchOptions, selection: Selection,
                 emit: Emit, warn: Callable[[str], None]):
        self.store, self.client, self.extract, self.opts = store, client, extract, opts
        self.selection, self.emit, self.warn = selection, emit, warn
        self.files: dict[str, Tracked] = {}
        self.timers: Debouncer[tuple[str, str]] = Debouncer(opts.idle)  # (path, conversation key)
        self.usage = Usage()
        self.counts = {"extracted": 0, "failed": 0, "invalid": 0, "memories": 0}
        self.host = socket.gethostname()
        self.holder = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stopping = False
        self.changes: Changes | None = None
        self.next_consolidation = (time.time() + opts.consolidate_every) if opts.consolidate_every else None

    # -- the loop ----------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        self._scan()
        if self.opts.once:
            self._extract_due(time.time())
            return self.summary()
        self.changes = Changes(self.selection, self.opts.poll, self.opts.poll_ms, self.warn).start()
        self.emit({"event": "watching", "files": len(self.files), "pending": len(self.timers),
                   "idle": self.opts.idle, "polling": self.changes.polling})
        try:
            while not self.stopping:
                self._extract_due(time.time())
                self._consolidate_if_due()
                if self.stopping:
                    break
                paths = self.changes.get(self._wait())
                if paths is None:
                    break
                for path in paths:
                    self._changed(path)
                self._read_dirty(time.time())
        finally:
            self.changes.close()
        return self.summary()

    def stop(self) -> None:
        """Finish the current unit, then return from ``run`` (safe from a signal handler)."""
        self.stopping = True
        if self.changes is not None:
            self.changes.wake()

    def summary(self) -> dict[str, Any]:
        return {**self.counts, "files": len(self.files), "pending": len(self.timers), **self.usage.to_dict()}

    def _wait(self) -> float:
        now = time.time()
        deadlines = [now + 5.0]
        if (due := self.timers.next_due()) is not None:
            deadlines.append(due)
        deadlines += [t.next_read for t in self.files.values() if t.dirty]
        if self.next_consolidation is not None:
            deadlines.append(self.next_consolidation)
        return max(0.01, min(deadlines) - now)

    # -- seeing changes ----------------------------------------------------------
    def _scan(self) -> None:
        """Every file at start: one stat each; a file whose stat matches the stored state (all of it
        extracted) is not read."""
        stored = self.store.watch_sources()
        for path in self.selection.scan():
            self._changed(path)
            state = stored.get(path)
            tracked = self.files.get(path)
            if tracked and state and (state.size, state.mtime_ns, state.inode) == tracked.stat:
                tracked.dirty, tracked.parsed, tracked.saved = False, tracked.stat, tracked.stat
        self._read_dirty(time.time(), force=True)

    def _changed(self, path: str) -> None:
        if not self.selection.matches(path):
            return
        try:
            stat = signature(os.stat(path))
        except OSError:
            stat = None  # removed or renamed away: its pending messages are still extracted
        tracked = self.files.setdefault(path, Tracked())
        if stat != tracked.stat or stat is None:
            tracked.stat, tracked.dirty = stat, True

    def _read_dirty(self, now: float, force: bool = False) -> None:
        for path, tracked in list(self.files.items()):
            if tracked.dirty and (force or now >= tracked.next_read):
                self._read(path, tracked, now)

    def _read(self, path: str, tracked: Tracked, now: float) -> dict[str, Conversation] | None:
        tracked.dirty, tracked.next_read = False, now + self.opts.settle
        snapshot = read_complete(path)
        if snapshot is None:
            self._absorb(path, tracked, None, {}, now)
            return {}
        try:  # nothing complete yet (a new file, or its first line half-written) is not an error
            conversations = parse(path, snapshot.data, self.opts.fmt) if snapshot.data.strip() else {}
        except InvalidInputError as exc:
            self._unreadable(path, tracked, snapshot, exc, now)
            return None
        tracked.failed = None
        self._absorb(path, tracked, snapshot, conversations, now)
        return conversations

    def _unreadable(self, path: str, tracked: Tracked, snapshot: Snapshot, exc: Exception, now: float) -> None:
        """Content that does not parse may be a writer mid-way: look again once the file has been
        quiet for ``idle``; report it only if it still does not parse then, once per version."""
        if tracked.failed == snapshot.signature:
            return
        if now - snapshot.mtime < self.opts.idle:
            tracked.dirty, tracked.next_read = True, snapshot.mtime + self.opts.idle
            return
        tracked.failed = snapshot.signature
        self.counts["invalid"] += 1
        self.emit({"event": "invalid", "file": path, "error": str(exc)})

    def _absorb(self, path: str, tracked: Tracked, snapshot: Snapshot | None,
                conversations: dict[str, Conversation], now: float) -> None:
        """Timers from a fresh read: a conversation whose messages changed is active as of the
        file's mtime; one with nothing new has no timer."""
        activity = min(snapshot.mtime, now) if snapshot else now
        progress = self.store.watch_progress(path) if conversations else {}
        for key in set(tracked.pending) - set(conversations):  # gone from the file before extraction
            tracked.orphans.setdefault(key, []).extend(tracked.pending.pop(key))
            tracked.digests.pop(key, None)
            self.timers.touch((path, key), activity)
        for key, conversation in conversations.items():
            keys = [message_key(m) for m in conversation.messages]
            digest = chain_digest(keys)
            current = set(keys)
            left = [m for m in tracked.pending.get(key, []) if message_key(m) not in current]
            if left:
                tracked.orphans.setdefault(key, []).extend(left)
            fresh, _ = new_messages(conversation.messages, progress.get(key, Progress()), keys)
            tracked.metadata[key] = conversation.metadata
            changed = tracked.digests.get(key) != digest
            tracked.digests[key] = digest
            if fresh or tracked.orphans.get(key):
                tracked.pending[key] = fresh
                if changed or (path, key) not in self.timers or (snapshot and snapshot.partial):
                    self.timers.touch((path, key), activity)
            else:
                tracked.pending.pop(key, None)
                self.timers.discard((path, key))
        if snapshot is not None:
            tracked.parsed = snapshot.signature
            if not tracked.pending and not tracked.orphans and tracked.saved != snapshot.signature:
                self.store.save_watch_source(path, snapshot.state)
                tracked.saved = snapshot.signature

    # -- units of work -----------------------------------------------------------
    def _extract_due(self, now: float) -> None:
        for path, key in self.timers.due(now):
            if self.stopping:
                return
            self._unit(path, key)

    def _unit(self, path: str, key: str) -> None:
        if not self.store.acquire_watch_lease(path, self.holder, self.host, os.getpid(), self.opts.lease_ttl, _alive):
            self.timers.postpone((path, key), time.time() + min(self.opts.idle, 2.0))
            return
        try:
            with LeaseKeeper(self.store, path, self.holder, self.opts.lease_ttl, self.warn) as lease:
                self._extract(path, key, lease)
        finally:
            self.store.release_watch_lease(path, self.holder)

    def _extract(self, path: str, key: str, lease: LeaseKeeper) -> None:
        tracked = self.files[path]
        now = time.time()
        conversations = self._read(path, tracked, now)  # the file as it is now, under the lease
        if conversations is None:
            return
        if (path, key) not in self.timers or self.timers.next_due_of((path, key)) > now:
            return  # nothing left, or new activity since the timer was set: wait again
        conversation = conversations.get(key)
        stored = self.store.watch_progress(path).get(key, Progress())
        if conversation is not None:
            fresh, after = new_messages(conversation.messages, stored)
        else:
            fresh, after = [], stored
        extracted = set(stored.seen_keys())
        orphans = [m for m in tracked.orphans.get(key, []) if message_key(m) not in extracted]
        batch = orphans + fresh
        if orphans:
            after = with_extra(after, orphans)
        if not batch:  # another watcher did it
            self._done(path, tracked, key)
            return
        metadata = conversation.metadata if conversation is not None else tracked.metadata.get(key, {})
        lines = [m.line for m in batch if m.line is not None]
        delta = Conversation(batch, metadata=dict(metadata), source=f"{path}:{lines[0]}" if lines else path)
        event = {"event": "extracted", "file": path, "conversation": key, "messages": len(batch),
                 "lines": [min(lines), max(lines)] if lines else None}
        try:
            namespace = fill_namespace(self.extract.namespace, self.extract.variables, delta.metadata, delta.source)
        except LangmemError as exc:
            self._failed(path, key, event, str(exc), retry=False)
            return

        def committing() -> None:  # inside the transaction that writes the memories
            lease.check()
            self.store.save_watch_progress(path, key, after)

        result = extract_one(self.store, self.client, delta, namespace, self.extract, on_commit=committing)
        self.usage.merge(result.usage)
        event.update(namespace=namespace, status=result.status, seconds=round(result.seconds, 3))
        if result.status == "failed":
            self._failed(path, key, event, result.error or "failed", retry=True)
            return
        if result.status == "skipped":  # the same messages were extracted into this namespace before
            self.store.save_watch_progress(path, key, after)
        counts = {a: sum(1 for op in result.operations if counted_as(op) == a) for a in ("insert", "update", "delete")}
        event.update(inserted=counts["insert"], updated=counts["update"], deleted=counts["delete"])
        self.counts["extracted"] += 1
        self.counts["memories"] += counts["insert"]
        self._done(path, tracked, key)
        self.emit(event)

    def _done(self, path: str, tracked: Tracked, key: str) -> None:
        self.timers.discard((path, key))
        tracked.pending.pop(key, None)
        tracked.orphans.pop(key, None)
        if not tracked.pending and not tracked.orphans and tracked.parsed and tracked.saved != tracked.parsed:
            snapshot = read_complete(path)
            if snapshot is not None and snapshot.signature == tracked.parsed:
                self.store.save_watch_source(path, snapshot.state)
                tracked.saved = snapshot.signature

    def _failed(self, path: str, key: str, event: dict, error: str, retry: bool) -> None:
        self.counts["failed"] += 1
        event.update(event="failed", status="failed", error=error)
        if retry:  # try again after another quiet period (or when the file changes)
            self.timers.postpone((path, key), time.time() + max(self.opts.idle, 30.0))
        else:
            self.timers.discard((path, key))
        self.emit(event)

    # -- consolidation -----------------------------------------------------------
    def _consolidate_if_due(self) -> None:
        if self.next_consolidation is None or time.time() < self.next_consolidation or self.stopping:
            return
        from langmem_cli.errors import BusyError
        from langmem_cli.jobs.consolidate import ConsolidateOptions, run_consolidate

        self.next_consolidation = time.time() + (self.opts.consolidate_every or 0)
        if self.store.count() == 0:
            return
        try:
            with self.store.run_lock("consolidate"):  # a file lock on SQLite, an advisory lock on PostgreSQL
                report = run_consolidate(self.store, self.client,
                                         ConsolidateOptions(all=True, retries=self.extract.retries),
                                         self.extract.schemas)
        except BusyError as exc:
            self.emit({"event": "consolidate-skipped", "reason": str(exc)})
            return
        self.usage.merge(report.usage)
        self.emit({"event": "consolidated", **report.summary()})
