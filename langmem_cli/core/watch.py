"""`langmem watch` bookkeeping as pure functions (no I/O, no clock of their own).

* ``parse_duration("10m")``: the durations of ``--idle`` and ``--consolidate-every``.
* ``Progress`` and ``new_messages``: what of a conversation was already extracted: the count and
  digest of its messages when it was last extracted, and the keys of every message extracted so
  far (a message already extracted is never sent again, whatever a rewrite moved around it).
* ``Debouncer``: one timer per conversation; new activity resets it; due after ``idle`` seconds.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Generic, Hashable, Iterable, Sequence, TypeVar

from langmem_cli.core.conversation import Message
from langmem_cli.core.render import canonical_json

KEY_CHARS = 16  # hex characters of one message key
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h|d)?\s*$", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Seconds in ``"500ms"``, ``"0.5s"``, ``"10m"``, ``"24h"``, ``"2d"`` or a bare number of seconds."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"invalid duration {text!r}: use e.g. 30s, 10m, 24h (or a number of seconds)")
    return float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]


def message_key(message: Message) -> str:
    """A short, stable hash of a message: role, name, content and timestamp (not its line)."""
    canonical = canonical_json([message.role, message.name, message.content, message.timestamp])
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:KEY_CHARS]


def chain_digest(keys: Iterable[str]) -> str:
    return hashlib.sha256("".join(keys).encode("ascii")).hexdigest()


@dataclass(frozen=True)
class SourceState:
    """A source file as last read: stat (size, mtime_ns, inode), bytes complete up to ``offset``,
    and the sha256 of those bytes."""

    size: int
    mtime_ns: int
    inode: int
    offset: int
    content_hash: str


@dataclass(frozen=True)
class Progress:
    """What of one conversation has been extracted: it had ``count`` messages (their keys hash to
    ``digest``) when last extracted; ``seen`` is the keys of every message extracted, concatenated."""

    count: int = 0
    digest: str = chain_digest([])
    seen: str = ""

    def seen_keys(self) -> list[str]:
        return [self.seen[i:i + KEY_CHARS] for i in range(0, len(self.seen), KEY_CHARS)]


def new_messages(messages: Sequence[Message], progress: Progress,
                 keys: Sequence[str] | None = None) -> tuple[list[Message], Progress]:
    """The messages of a conversation not yet extracted, and the progress once they are.

    A message is new unless its key is among those extracted, counted with repeats: after an
    append the new ones are those after the old end (a second "ok" is a new message); after a
    rewrite, a truncation or a rotation, whatever moved, nothing extracted is sent again and
    nothing unseen is left out. (Two identical messages, timestamps included, one of them
    extracted before a rewrite, count as one.)
    """
    keys = list(keys) if keys is not None else [message_key(m) for m in messages]
    remaining: dict[str, int] = {}
    for key in progress.seen_keys():
        remaining[key] = remaining.get(key, 0) + 1
    fresh_index = []
    for i, key in enumerate(keys):
        if remaining.get(key, 0) > 0:
            remaining[key] -= 1
        else:
            fresh_index.append(i)
    fresh = [messages[i] for i in fresh_index]
    after = Progress(len(keys), chain_digest(keys), progress.seen + "".join(keys[i] for i in fresh_index))
    return fresh, after


def with_extra(progress: Progress, extra: Sequence[Message]) -> Progress:
    """``progress`` that also counts ``extra`` (messages that left the file before they were
    extracted, and are extracted from memory) as seen."""
    return Progress(progress.count, progress.digest, progress.seen + "".join(message_key(m) for m in extra))


Key = TypeVar("Key", bound=Hashable)


class Debouncer(Generic[Key]):
    """A timer per key: ``touch(key, at)`` records activity at ``at``; a key is due once ``idle``
    seconds have passed since its last activity. ``postpone`` sets an explicit time (retries)."""

    def __init__(self, idle: float):
        self.idle = idle
        self._due: dict[Key, float] = {}

    def __contains__(self, key: Key) -> bool:
        return key in self._due

    def __len__(self) -> int:
        return len(self._due)

    def touch(self, key: Key, at: float) -> None:
        self._due[key] = at + self.idle

    def postpone(self, key: Key, until: float) -> None:
        self._due[key] = until

    def discard(self, key: Key) -> None:
        self._due.pop(key, None)

    def keys(self) -> list[Key]:
        return list(self._due)

    def due(self, now: float) -> list[Key]:
        """Keys whose time has come, the longest waiting first."""
        return [k for k, t in sorted(self._due.items(), key=lambda item: item[1]) if t <= now]

    def next_due_of(self, key: Key) -> float:
        return self._due[key]

    def next_due(self) -> float | None:
        return min(self._due.values()) if self._due else None


@dataclass(frozen=True)
class Lease:
    """A holder's claim on a source: ``holder`` is unique per process (host:pid:token)."""

    holder: str
    host: str
    pid: int
    expires_at: float


def lease_is_free(current: Lease | None, me: str, host: str, now: float, holder_alive: bool) -> bool:
    """May ``me`` take the source? Yes when nobody holds it, when ``me`` does, when the lease has
    expired, or when its holder on this host is no longer running (``holder_alive`` says)."""
    if current is None or current.holder == me or current.expires_at <= now:
        return True
    return current.host == host and not holder_alive
