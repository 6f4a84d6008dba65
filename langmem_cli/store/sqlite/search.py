"""Hybrid search: brute-force cosine over the in-memory vectors + FTS5 BM25, fused by rank."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from langmem_cli.core.fusion import convex_fusion, ranked
from langmem_cli.core.rerank import Candidate, places, rerank, weights_for
from langmem_cli.core.keywords import discriminating, match_expression, terms
from langmem_cli.core.records import SearchHit
from langmem_cli.errors import UsageError
from langmem_cli.store.base import SEARCH_MODES, VECTOR_WEIGHT
from langmem_cli.store.sqlite.records_sql import in_batches, where_clause

if TYPE_CHECKING:
    from langmem_cli.store.sqlite.store import SQLiteStore

MODES = SEARCH_MODES
# Candidates taken from each retriever before fusion, as a multiple of what is asked for.
CANDIDATE_FACTOR = 4
MIN_CANDIDATES = 100


class Scope:
    """What a search is restricted to, in the forms each retriever needs."""

    def __init__(self, store: "SQLiteStore", namespace, prefix, kinds, filters, moment: str | None):
        self.namespace, self.prefix, self.kinds, self.filters, self.moment = namespace, prefix, kinds, filters, moment
        self.where, self.params = where_clause(namespace, prefix, kinds, filters, alias="m", moment=moment)
        self.plain_where, self.plain_params = where_clause(namespace, prefix, kinds, filters, moment=moment)
        # The memories not valid at the moment: few (expired, or valid from a later date).
        self.excluded = frozenset() if moment is None else store.not_valid_at(moment)

    def mask(self, store: "SQLiteStore", index):
        allowed = None
        if self.filters:
            allowed = {r[0] for r in store._query(f"SELECT id FROM memories WHERE {self.plain_where}", self.plain_params)}
        return index.mask(namespace=self.namespace, prefix=self.prefix.rstrip("/") if self.prefix else None,
                          kinds=self.kinds, allowed_ids=allowed, excluded_ids=self.excluded)

    @property
    def only_validity(self) -> bool:
        return not (self.namespace or self.prefix or self.kinds or self.filters)


def keyword_ranking(store: "SQLiteStore", query: str, k: int, scope: Scope) -> list[tuple[str, float]]:
    """(id, bm25 relevance) best first; relevance is -bm25 so that higher is better.

    The first search of a Store asks FTS5; the second starts building the in-memory index in the
    background (a warm process: MCP server, API user, benchmark), which answers with the same
    ranking, much faster, once it is ready. No search waits for it."""
    words = terms(query)
    if not words:
        return []
    index = store.keyword_index() if store.searches > 1 or store._keywords is not None else None
    if index is not None:  # None while the background thread still builds it: FTS5 answers
        return index.top(words, k, scope.mask(store, index), scoped=not scope.only_validity)
    if not scope.only_validity:
        words = discriminating(words, *scope_frequencies(store, words, scope))
    expression = match_expression(words)
    if scope.only_validity:
        # No filter but validity: FTS5 sorts by its own rank column (= bm25) and stops after the
        # k best plus as many as may be dropped, so only those are joined to memories (about 2x
        # faster at 100k memories; same order).
        rows = store._query(
            "SELECT m.id, memories_fts.rank FROM memories_fts "
            "JOIN memories m ON m.rowid = memories_fts.rowid "
            "WHERE memories_fts MATCH ? ORDER BY memories_fts.rank LIMIT ?",
            [expression, k + len(scope.excluded)],
        )
        return [(r[0], -float(r[1])) for r in rows if r[0] not in scope.excluded][:k]
    rows = store._query(
        "SELECT m.id, bm25(memories_fts) AS rank FROM memories_fts "
        "JOIN memories m ON m.rowid = memories_fts.rowid "
        f"WHERE memories_fts MATCH ? AND {scope.where} ORDER BY rank LIMIT ?",
        [expression, *scope.params, k],
    )
    return [(r[0], -float(r[1])) for r in rows]


def scope_frequencies(store: "SQLiteStore", words: list[str], scope: Scope) -> tuple[dict[str, int], int]:
    """In how many of the scope's memories each word occurs, and how many memories it has: one
    query (each word's FTS5 matches are looked up once, as a set)."""
    columns = ", ".join(["sum(m.rowid IN (SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?))"] * len(words))
    row = store._query(
        f"SELECT count(*), {columns} FROM memories m WHERE {scope.where}",
        [*(match_expression([w]) for w in words), *scope.params],
    )[0]
    return {w: int(c or 0) for w, c in zip(words, row[1:])}, int(row[0])


def vector_ranking(store: "SQLiteStore", query: str, k: int, scope: Scope) -> list[tuple[str, float]]:
    index = store.vector_index()
    if not index.ids:
        return []
    keep = scope.mask(store, index)
    vector = store.embedder.embed([query])[0]
    return index.top(vector, k, keep)


def candidates_of(store: "SQLiteStore", scores: dict[str, float]) -> list[Candidate]:
    """The fused candidates as ``core.rerank`` reads them (text and places), in one read."""
    out: list[Candidate] = []
    for chunk, marks in in_batches(list(scores)):
        for id_, text, source, evidence in store._query(
                f"SELECT id, text, source, json_extract(metadata, '$.evidence') FROM memories WHERE id IN ({marks})", chunk):
            metadata = {"evidence": json.loads(evidence)} if evidence else None
            out.append(Candidate(id_, scores[id_], text or "", places(source, metadata)))
    return out


def search(
    store: "SQLiteStore",
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
    moment: str | None = None,
    rerank_hits: bool = True,
) -> list[SearchHit]:
    """Search memories valid at ``moment`` (None: all), re-ranked after fusion by ``core.rerank``
    (neighbours, time, people, diversity; ``neighbor_weight`` None = the mode's default)."""
    if mode not in MODES:
        raise UsageError(f"unknown search mode {mode!r}: use {', '.join(MODES)}")
    weights = weights_for(mode, neighbor_weight, rerank_hits)
    if not 0.0 <= vector_weight <= 1.0 or weights.neighbor < 0:
        raise UsageError("vector weight must be within 0..1 and neighbour weight at least 0")
    if limit < 1 or offset < 0:
        raise UsageError("limit must be at least 1 and offset at least 0")
    if not query or not query.strip():
        raise UsageError("the query is empty")
    store.searches += 1
    scope = Scope(store, namespace, prefix, kinds, filters, moment)
    want = limit + offset
    fuse = mode == "hybrid" or weights.neighbor > 0
    depth = max(MIN_CANDIDATES, CANDIDATE_FACTOR * want) if fuse else want

    vec: list[tuple[str, float]] = []
    kw: list[tuple[str, float]] = []
    if mode in ("hybrid", "vector"):
        vec = vector_ranking(store, query, depth, scope)
    if mode in ("hybrid", "keyword"):
        kw = keyword_ranking(store, query, depth, scope)

    vec_scores = dict(vec)
    kw_scores = dict(kw)
    if not fuse:
        page = (vec if mode == "vector" else kw)[offset:want]
    else:
        if mode == "hybrid":
            scores = convex_fusion([vec, kw], [vector_weight, 1.0 - vector_weight])
        else:
            scores = convex_fusion([vec if mode == "vector" else kw], [1.0])
        page = (rerank(query, candidates_of(store, scores), weights, want) if weights.any else ranked(scores))[offset:want]
    memories = store.get_many([i for i, _ in page])
    return [
        SearchHit(memories[i], score, vec_scores.get(i), kw_scores.get(i))
        for i, score in page
        if i in memories
    ]
