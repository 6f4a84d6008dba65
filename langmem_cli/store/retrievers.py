"""The retriever protocol: what one backend gives the one hybrid search (store/search.py).

A backend's retrievers answer four questions about one ``Scope`` (namespace, prefix, kinds,
field filters, the moment memories must be valid at): the k nearest vectors exactly, the k
nearest through an approximate index (or None when no index can answer fully), the k best
keyword matches, and the memories (or what re-ranking reads of them) of some ids. They hold no search
policy: fusion, neighbours and the rule "scoped -> exact, global -> index" live in search.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, Sequence

from langmem_cli.core.records import Memory

if TYPE_CHECKING:
    import numpy as np

    from langmem_cli.core.interfaces import Embedder
    from langmem_cli.core.rerank import Candidate

#: (memory id, score) best first; vector scores are cosines, keyword scores higher-is-better
Ranking = list[tuple[str, float]]


@dataclass
class Scope:
    """What a search (or a nearest-memory lookup) is restricted to."""

    namespace: str | None = None
    prefix: str | None = None
    kinds: list[str] | None = None
    filters: list[tuple[str, Any]] | None = None
    #: only memories valid at this moment (``core.timestamps.moment_for``); None: every memory
    moment: str | None = None

    @property
    def scoped(self) -> bool:
        """Restricted by more than validity: a namespace, a prefix, kinds or field filters."""
        return self.namespace is not None or self.prefix is not None or bool(self.kinds) or bool(self.filters)


class Query:
    """A search's text and, embedded on first use only, its vector."""

    def __init__(self, text: str, embedder: "Embedder | None") -> None:
        self.text = text
        self.embedder = embedder

    @classmethod
    def of_vector(cls, vector: "np.ndarray") -> "Query":
        """A query given as a vector (nearest-memory lookups)."""
        query = cls("", None)
        query.__dict__["vector"] = vector
        return query

    @cached_property
    def vector(self) -> "np.ndarray":
        if self.embedder is None:
            raise ValueError("a query without an embedder needs its vector")
        return self.embedder.embed([self.text])[0]


class Retrievers(Protocol):
    def begin(self) -> None:
        """A search starts (a backend may start warming its indexes)."""

    def vector_exact(self, scope: Scope, query: Query, k: int) -> Ranking:
        """The k memories of ``scope`` most similar to the query, by exact cosine."""

    def vector_indexed(self, scope: Scope, query: Query, k: int) -> Ranking | None:
        """The same through an approximate index; None when there is no usable index or it
        cannot give k memories of the scope (the search then asks ``vector_exact``)."""

    def keyword_top_k(self, scope: Scope, query: Query, k: int) -> Ranking:
        """The k best keyword matches of ``scope`` (BM25 or the backend's text ranking)."""

    def vector_and_keyword(self, scope: Scope, query: Query, k: int, indexed: bool) -> "tuple[Ranking | None, Ranking]":
        """Both sides of a hybrid search (at once where the backend can: one round trip, one
        pass over the scope): ``vector_indexed`` when ``indexed`` (None as there), else
        ``vector_exact``; and ``keyword_top_k``. The same rankings as those calls."""

    def candidates(self, scores: dict[str, float]) -> "list[Candidate]":
        """The fused candidates as ``core.rerank`` reads them (text and places), in one read."""

    def fetch(self, ids: Sequence[str]) -> dict[str, Memory]:
        """The memories of these ids (those that still exist)."""
