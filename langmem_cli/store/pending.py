"""Vectors computed before the write that stores them: offered by a caller that already embedded
the texts (the grounding gate, the LangGraph store) or precomputed outside a transaction."""

from __future__ import annotations

from typing import Any, Iterable

LIMIT = 10_000  # vectors held at most; the oldest go first


class PendingVectors:
    """By content hash. Each vector serves the write that stores it and is then dropped (later writes
    of the same text find it stored), so a long-lived store does not grow with every text offered."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._items: dict[str, Any] = {}
        self._limit = limit

    def add(self, pairs: Iterable[tuple[str, Any]]) -> None:
        for content_hash, vector in pairs:
            self._items.pop(content_hash, None)
            self._items[content_hash] = vector
        while len(self._items) > self._limit:
            del self._items[next(iter(self._items))]

    def take(self, hashes: Iterable[str]) -> dict[str, Any]:
        """The held vectors of these hashes, no longer held."""
        return {h: self._items.pop(h) for h in set(hashes) if h in self._items}

    def __len__(self) -> int:
        return len(self._items)
