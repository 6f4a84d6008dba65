"""The one hybrid search, whatever the backend: it asks a backend's retrievers (store/retrievers.py)
for candidates and never writes SQL.

- vector side: a scoped search (namespace, prefix, kinds or field filters) is answered exactly; a
  global one through the backend's approximate index, exactly when the index cannot answer fully
  (none yet, stale, or too few current memories among its candidates);
- keyword side: the backend's BM25 / text ranking within the scope;
- fusion: convex combination of the min-max normalised scores (``core.fusion``), over
  ``max(MIN_CANDIDATES, CANDIDATE_FACTOR * (limit + offset))`` candidates of each side;
- after fusion, ONE place re-ranks: ``core.rerank`` (neighbours, time, people, diversity; pure
  functions), reading the candidates' text and places from the retrievers.
"""

from __future__ import annotations

from typing import Any

from langmem_cli.core.fusion import convex_fusion, ranked
from langmem_cli.core.records import SearchHit
from langmem_cli.core.rerank import Weights, rerank, weights_for
from langmem_cli.errors import UsageError
from langmem_cli.store.retrievers import Query, Ranking, Retrievers, Scope

SEARCH_MODES = ("hybrid", "vector", "keyword")
# Hybrid score = w * minmax(cosine) + (1 - w) * minmax(BM25) over each retriever's candidates.
VECTOR_WEIGHT = 0.4
# Candidates taken from each retriever before fusion, as a multiple of what is asked for.
CANDIDATE_FACTOR = 4
MIN_CANDIDATES = 100


def check(mode: str, query: str, limit: int, offset: int, vector_weight: float, weights: Weights) -> None:
    if mode not in SEARCH_MODES:
        raise UsageError(f"unknown search mode {mode!r}: use {', '.join(SEARCH_MODES)}")
    if not 0.0 <= vector_weight <= 1.0 or weights.neighbor < 0:
        raise UsageError("vector weight must be within 0..1 and neighbour weight at least 0")
    if limit < 1 or offset < 0:
        raise UsageError("limit must be at least 1 and offset at least 0")
    if not query or not query.strip():
        raise UsageError("the query is empty")


def vector_top_k(retrievers: Retrievers, scope: Scope, query: Query, k: int) -> Ranking:
    """Scoped -> exact; global -> the index, exact when it cannot answer fully."""
    if not scope.scoped:
        hits = retrievers.vector_indexed(scope, query, k)
        if hits is not None:
            return hits
    return retrievers.vector_exact(scope, query, k)


def both_top_k(retrievers: Retrievers, scope: Scope, query: Query, k: int) -> tuple[Ranking, Ranking]:
    """The vector side (by the rule of ``vector_top_k``) and the keyword side, asked together."""
    vec, kw = retrievers.vector_and_keyword(scope, query, k, indexed=not scope.scoped)
    if vec is None:
        vec = retrievers.vector_exact(scope, query, k)
    return vec, kw


def after_fusion(scores: dict[Any, float], query: Query, retrievers: Retrievers, weights: Weights,
                 want: int) -> list[tuple[Any, float]]:
    """The one place after fusion where the order changes: ``core.rerank`` over the candidates."""
    if not weights.any:
        return ranked(scores)
    return rerank(query.text, retrievers.candidates(scores), weights, want)


def search(retrievers: Retrievers, query: Query, scope: Scope, *, mode: str = "hybrid", limit: int = 10,
           offset: int = 0, vector_weight: float = VECTOR_WEIGHT, neighbor_weight: float | None = None,
           rerank_hits: bool = True) -> list[SearchHit]:
    """Memories of ``scope`` best first, re-ranked after fusion by ``core.rerank`` (neighbours,
    time, people, diversity; ``neighbor_weight`` None = the mode's default)."""
    if mode not in SEARCH_MODES:
        raise UsageError(f"unknown search mode {mode!r}: use {', '.join(SEARCH_MODES)}")
    weights = weights_for(mode, neighbor_weight, rerank_hits)
    check(mode, query.text, limit, offset, vector_weight, weights)
    retrievers.begin()
    want = limit + offset
    fuse = mode == "hybrid" or weights.neighbor > 0
    depth = max(MIN_CANDIDATES, CANDIDATE_FACTOR * want) if fuse else want
    if mode == "hybrid":
        vec, kw = both_top_k(retrievers, scope, query, depth)
    else:
        vec = vector_top_k(retrievers, scope, query, depth) if mode == "vector" else []
        kw = retrievers.keyword_top_k(scope, query, depth) if mode == "keyword" else []
    vec_scores, kw_scores = dict(vec), dict(kw)
    if not fuse:
        page = (vec if mode == "vector" else kw)[offset:want]
    else:
        if mode == "hybrid":
            scores = convex_fusion([vec, kw], [vector_weight, 1.0 - vector_weight])
        else:
            scores = convex_fusion([vec if mode == "vector" else kw], [1.0])
        page = after_fusion(scores, query, retrievers, weights, want)[offset:want]
    memories = retrievers.fetch([i for i, _ in page])
    return [SearchHit(memories[i], score, vec_scores.get(i), kw_scores.get(i)) for i, score in page if i in memories]


def nearest(retrievers: Retrievers, scope: Scope, vectors: Any) -> list[tuple[str | None, float]]:
    """For each normalised vector: the most similar memory of ``scope`` (exact) and its cosine,
    (None, 0.0) when there is none."""
    out: list[tuple[str | None, float]] = []
    for vector in vectors:
        top = retrievers.vector_exact(scope, Query.of_vector(vector), 1)
        out.append(top[0] if top else (None, 0.0))
    return out
