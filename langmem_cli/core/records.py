"""Records passed between the store, the core and the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Memory:
    id: str
    namespace: str
    kind: str
    content: Any
    text: str
    content_hash: str
    created_at: str
    updated_at: str
    source: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    embedding_model: str | None = None
    # Validity (issue 14): when the fact became true (NULL = unknown/always), when it stopped
    # being true (NULL while current), and the memory that replaced it.
    valid_from: str | None = None
    valid_until: str | None = None
    superseded_by: str | None = None

    def is_valid_at(self, moment: str) -> bool:
        """Whether the fact held at ``moment`` (ISO 8601, compared as text in UTC form)."""
        return (self.valid_from is None or self.valid_from <= moment) and (
            self.valid_until is None or moment < self.valid_until)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class NewMemory:
    """What a caller gives to insert: content is text (free-text kinds) or a JSON value."""

    namespace: str
    content: Any
    kind: str = "memory"
    metadata: dict[str, Any] = field(default_factory=dict)
    source: str | None = "cli"
    id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    superseded_by: str | None = None  # import: the memory that replaced this one


@dataclass
class SearchHit:
    memory: Memory
    score: float
    vector_score: float | None = None
    keyword_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = self.memory.to_dict()
        d["score"] = round(self.score, 6)
        d["vector_score"] = None if self.vector_score is None else round(self.vector_score, 6)
        d["keyword_score"] = None if self.keyword_score is None else round(self.keyword_score, 6)
        return d


@dataclass
class HistoryEntry:
    id: int
    memory_id: str
    namespace: str
    action: str  # insert | update | delete
    before: Any
    after: Any
    at: str
    run_id: str | None
    source: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
