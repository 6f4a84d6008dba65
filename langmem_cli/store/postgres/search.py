"""Search on PostgreSQL: pgvector for the vector side, a generated tsvector + GIN for keywords,
fused with the same functions as on SQLite (core.fusion).

Vector side, two paths:
- scoped (a namespace, a prefix, kinds or field filters): the scope is selected first (b-tree on
  the namespace) and sorted by exact inner product, so the top k are exactly the top k of that
  scope. An HNSW scan with the filter applied afterwards can return far fewer rows than asked
  (pgvector issues #259, #719); this path cannot.
- global: the HNSW index (halfvec where pgvector has it) gives candidates, re-ranked by the exact
  float32 inner product; rows not current (validity) are dropped afterwards, and if fewer than k
  remain the exact path answers instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psycopg import sql

from langmem_cli.core.fusion import convex_fusion, ranked
from langmem_cli.core.rerank import Candidate, places, rerank, weights_for
from langmem_cli.core.keywords import discriminating, terms
from langmem_cli.core.records import SearchHit
from langmem_cli.errors import UsageError
from langmem_cli.store.base import SEARCH_MODES, VECTOR_WEIGHT
from langmem_cli.store.postgres import schema
from langmem_cli.store.postgres.clauses import Vector, is_scoped, where_clause

if TYPE_CHECKING:
    from langmem_cli.store.postgres.store import PostgresStore

CANDIDATE_FACTOR = 4
MIN_CANDIDATES = 100
# HNSW candidate list: at least this many, and twice what is asked for (max 1000 in pgvector).
EF_SEARCH = 100


def exact_vector_ranking(store: "PostgresStore", query: Vector, k: int, where: str, params: list[Any]) -> list[tuple[str, float]]:
    """Top k by exact inner product over the rows ``where`` selects. Ordering by the stored
    ``embedding`` itself (not the indexed halfvec/vector cast) keeps the HNSW index out of it."""
    rows = store._q(
        f"SELECT id, embedding <#> %s AS d FROM memories WHERE {where} AND embedding_model = %s "
        "AND embedding IS NOT NULL AND vector_dims(embedding) = %s ORDER BY d, seq LIMIT %s",
        [query, *params, store.embedding_model, query.values.size, k],
    )
    return [(r[0], -float(r[1])) for r in rows]


def indexed_vector_ranking(store: "PostgresStore", query: Vector, k: int, where: str,
                           params: list[Any]) -> list[tuple[str, float]] | None:
    """Top k through the HNSW index, or None when it cannot answer fully."""
    dim = query.values.size
    if not store.ensure_vector_index(dim):
        return None
    expr = sql.SQL(schema.vector_expression(store.caps, dim))
    cast = sql.SQL(f"{store.caps.index_type}({int(dim)})")
    store.set_ef_search(min(1000, max(EF_SEARCH, 2 * k)))
    statement = sql.SQL(
        "SELECT id, embedding <#> %s AS d FROM ("
        " SELECT id, seq, embedding, valid_from, valid_until FROM memories"
        " WHERE embedding_model = {model} AND vector_dims(embedding) = {dim}"
        " ORDER BY {expr} <#> %s::{cast} LIMIT {ef}) candidates "
        "WHERE {where} ORDER BY d, seq LIMIT %s"
    ).format(model=sql.Literal(store.embedding_model), dim=sql.Literal(int(dim)), expr=expr, cast=cast,
             ef=sql.Literal(store.ef_search), where=sql.SQL(where))
    rows = store._q(statement, [query, query, *params, k])
    if len(rows) < k:
        return None
    return [(r[0], -float(r[1])) for r in rows]


def vector_ranking(store: "PostgresStore", query_text: str, k: int, scoped: bool, where: str,
                   params: list[Any]) -> list[tuple[str, float]]:
    query = Vector(store.embedder.embed([query_text])[0])
    if not scoped:
        hits = indexed_vector_ranking(store, query, k, where, params)
        if hits is not None:
            return hits
    return exact_vector_ranking(store, query, k, where, params)


def keyword_ranking(store: "PostgresStore", query: str, k: int, where: str, params: list[Any],
                    scoped: bool = False) -> list[tuple[str, float]]:
    """(id, relevance) best first: any query term may match (as on SQLite), ranked by ts_rank
    with length normalisation, ties in insertion order. In a scoped search the scope's too common
    terms are left out (``core.keywords.discriminating``, as on SQLite)."""
    words = terms(query)
    if not words:
        return []
    if scoped:
        counts = ", ".join(["count(*) FILTER (WHERE tsv @@ plainto_tsquery('english'::regconfig, %s))"] * len(words))
        row = store._q(f"SELECT count(*), {counts} FROM memories WHERE {where}", [*words, *params])[0]
        words = discriminating(words, dict(zip(words, row[1:])), int(row[0]))
    tsquery = " || ".join(["plainto_tsquery('english'::regconfig, %s)"] * len(words))
    rows = store._q(
        f"SELECT id, ts_rank(tsv, q, 1) AS rank FROM memories, (SELECT {tsquery} AS q) query "
        f"WHERE tsv @@ q AND {where} ORDER BY rank DESC, seq LIMIT %s",
        [*words, *params, k],
    )
    return [(r[0], float(r[1])) for r in rows]


def candidates_of(store: "PostgresStore", scores: dict[str, float]) -> list[Candidate]:
    """The fused candidates as ``core.rerank`` reads them (text and places), in one read."""
    rows = store._q("SELECT id, text, source, metadata::jsonb -> 'evidence' FROM memories WHERE id = ANY(%s)",
                    [list(scores)])
    return [Candidate(r[0], scores[r[0]], r[1] or "", places(r[2], {"evidence": r[3]} if r[3] else None)) for r in rows]


def search(
    store: "PostgresStore",
    query: str,
    *,
    mode: str = "hybrid",
    namespace: str | None = None,
    prefix: str | None = None,
    kinds: list[str] | None = None,
    filters: list[tuple[str, Any]] | None = None,
    limit: int = 10,
    offset: int = 0,
    vector_weight: float = VECTOR_WEIGHT,
    neighbor_weight: float | None = None,
    as_of: str | None = None,
    include_expired: bool = False,
    rerank_hits: bool = True,
) -> list[SearchHit]:
    if mode not in SEARCH_MODES:
        raise UsageError(f"unknown search mode {mode!r}: use {', '.join(SEARCH_MODES)}")
    weights = weights_for(mode, neighbor_weight, rerank_hits)
    if not 0.0 <= vector_weight <= 1.0 or weights.neighbor < 0:
        raise UsageError("vector weight must be within 0..1 and neighbour weight at least 0")
    if limit < 1 or offset < 0:
        raise UsageError("limit must be at least 1 and offset at least 0")
    if not query or not query.strip():
        raise UsageError("the query is empty")
    store.searches += 1
    where, params = where_clause(namespace, prefix, kinds, filters, as_of, include_expired)
    scoped = is_scoped(namespace, prefix, kinds, filters)
    want = limit + offset
    fuse = mode == "hybrid" or weights.neighbor > 0
    depth = max(MIN_CANDIDATES, CANDIDATE_FACTOR * want) if fuse else want

    vec: list[tuple[str, float]] = []
    kw: list[tuple[str, float]] = []
    if mode in ("hybrid", "vector"):
        vec = vector_ranking(store, query, depth, scoped, where, params)
    if mode in ("hybrid", "keyword"):
        kw = keyword_ranking(store, query, depth, where, params, bool(namespace or prefix or kinds or filters))

    vec_scores, kw_scores = dict(vec), dict(kw)
    if not fuse:
        page = (vec if mode == "vector" else kw)[offset:want]
    else:
        if mode == "hybrid":
            scores = convex_fusion([vec, kw], [vector_weight, 1.0 - vector_weight])
        else:
            scores = convex_fusion([vec if mode == "vector" else kw], [1.0])
        page = (rerank(query, candidates_of(store, scores), weights, want) if weights.any else ranked(scores))[offset:want]
    memories = store.get_many([i for i, _ in page])
    return [SearchHit(memories[i], score, vec_scores.get(i), kw_scores.get(i)) for i, score in page if i in memories]
