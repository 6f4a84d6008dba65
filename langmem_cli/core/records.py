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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
