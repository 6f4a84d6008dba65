"""Hybrid search: brute-force cosine over the in-memory vectors + FTS5 BM25, fused by rank."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langmem_cli.core.fusion import reciprocal_rank_fusion
from langmem_cli.core.keywords import match_expression
from langmem_cli.core.records import SearchHit
from langmem_cli.errors import UsageError
from langmem_cli.store.records_sql import where_clause

if TYPE_CHECKING:
    from langmem_cli.store.store import Store

MODES = ("hybrid", "vector", "keyword")
# Candidates taken from each retriever before fusion, as a multiple of what is asked for.
CANDIDATE_FACTOR = 4
MIN_CANDIDATES = 50
RRF_K = 60.0
VECTOR_WEIGHT = 1.0
KEYWORD_WEIGHT = 1.0


def keyword_ranking(store: "Store", query: str, k: int, where: str, params: list[Any]) -> list[tuple[str, float]]:
    """(id, bm25 relevance) best first; relevance is -bm25 so that higher is better."""
    expression = match_expression(query)
    if expression is None:
        return []
    rows = store._query(
        "SELECT m.id, bm25(memories_fts) AS rank FROM memories_fts "
        "JOIN memories m ON m.rowid = memories_fts.rowid "
        f"WHERE memories_fts MATCH ? AND {where} ORDER BY rank LIMIT ?",
        [expression, *params, k],
    )
    return [(r[0], -float(r[1])) for r in rows]


def vector_ranking(store: "Store", query: str, k: int, namespace, prefix, kinds, filters, where, params) -> list[tuple[str, float]]:
    index = store.vector_index()
    if not index.ids:
        return []
    allowed = None
    if filters:
        allowed = {r[0] for r in store._query(f"SELECT id FROM memories WHERE {where}", params)}
    keep = index.mask(namespace=namespace, prefix=prefix.rstrip("/") if prefix else None, kinds=kinds, allowed_ids=allowed)
    vector = store.embedder.embed([query])[0]
    return index.top(vector, k, keep)


def search(
    store: "Store",
    query: str,
    *,
    mode: str = "hybrid",
    namespace: str | None = None,
    prefix: str | None = None,
    kinds: list[str] | None = None,
    filters: list[tuple[str, Any]] | None = None,
    limit: int = 10,
    offset: int = 0,
) -> list[SearchHit]:
    if mode not in MODES:
        raise UsageError(f"unknown search mode {mode!r}: use {', '.join(MODES)}")
    if limit < 1 or offset < 0:
        raise UsageError("limit must be at least 1 and offset at least 0")
    if not query or not query.strip():
        raise UsageError("the query is empty")
    where, params = where_clause(namespace, prefix, kinds, filters, alias="m")
    want = limit + offset
    depth = want if mode != "hybrid" else max(MIN_CANDIDATES, CANDIDATE_FACTOR * want)

    vec: list[tuple[str, float]] = []
    kw: list[tuple[str, float]] = []
    if mode in ("hybrid", "vector"):
        plain_where, plain_params = where_clause(namespace, prefix, kinds, filters)
        vec = vector_ranking(store, query, depth, namespace, prefix, kinds, filters, plain_where, plain_params)
    if mode in ("hybrid", "keyword"):
        kw = keyword_ranking(store, query, depth, where, params)

    vec_scores = dict(vec)
    kw_scores = dict(kw)
    if mode == "vector":
        ranked = vec
    elif mode == "keyword":
        ranked = kw
    else:
        ranked = reciprocal_rank_fusion(
            [[i for i, _ in vec], [i for i, _ in kw]], weights=[VECTOR_WEIGHT, KEYWORD_WEIGHT], k=RRF_K
        )
    page = ranked[offset:want]
    memories = store.get_many([i for i, _ in page])
    return [
        SearchHit(memories[i], score, vec_scores.get(i), kw_scores.get(i))
        for i, score in page
        if i in memories
    ]
