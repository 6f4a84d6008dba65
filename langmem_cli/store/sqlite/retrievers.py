"""The SQLite backend's retrievers (store/retrievers.py): brute-force cosine over the in-memory
vectors (exact), the ANN index file for global searches (store/sqlite/ann.py), FTS5 BM25 or the
in-memory BM25 index (same ranking) for keywords.

A warm process (second search, or ``prepare``) loads the vectors and the keyword index in a
background thread (store/sqlite/warm.py); no search waits for the keyword index.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from langmem_cli.core.keywords import discriminating, match_expression, terms
from langmem_cli.core.records import Memory
from langmem_cli.core.rerank import Candidate, places
from langmem_cli.store.retrievers import Query, Ranking, Scope
from langmem_cli.store.sqlite.records_sql import NOT_VALID_AT, in_batches, where_clause
from langmem_cli.store.sqlite.runner import SQLiteRunner
from langmem_cli.store.sqlite.vectors import VectorIndex

if TYPE_CHECKING:
    from langmem_cli.store.sqlite.ann import AnnRetriever
    from langmem_cli.store.sqlite.keyword_index import KeywordIndex
    from langmem_cli.store.sqlite.warm import Warmer


class SQLiteRetrievers:
    def __init__(self, runner: SQLiteRunner, model: str, fetch: Callable[[Sequence[str]], dict[str, Memory]],
                 ann: "AnnRetriever | None" = None) -> None:
        self.runner = runner
        self.model = model
        self._fetch = fetch
        self.ann = ann
        self.vectors: VectorIndex | None = None
        self.warmer: "Warmer | None" = None  # started by the second search or prepare()
        self.searches = 0
        self._not_valid_cache: tuple[int, str, str, frozenset[str]] | None = None
        if ann is not None:
            ann.warm = lambda: self.searches > 1 or self.warmer is not None

    # -- indexes ---------------------------------------------------------------
    def vector_index(self) -> VectorIndex:
        with self.runner.errors():
            if self.vectors is None and self.warmer is not None:
                # loaded by prepare(), maybe before this process's own writes: refreshed below
                self.vectors = self.warmer.take_vectors(self.model)
            if self.vectors is None or self.vectors.model != self.model:
                self.vectors = VectorIndex.load(self.runner.conn, self.model)
            else:
                self.vectors.refresh(self.runner.conn)
        return self.vectors

    def keyword_index(self, wait: bool = False) -> "KeywordIndex | None":
        """The in-memory BM25 index (same ranking as FTS5), kept fresh; None while the background
        thread still builds it (``wait=True``: wait for it)."""
        self.prepare()
        assert self.warmer is not None
        index = self.warmer.wait() if wait else self.warmer.ready()
        if index is not None:
            with self.runner.errors():
                index.refresh(self.runner.conn)
        return index

    def prepare(self) -> None:
        """Load the vectors, then the keyword index, in a background thread."""
        from langmem_cli.store.sqlite.warm import Warmer

        if self.warmer is None:
            self.warmer = Warmer(self.runner.path, self.model if self.vectors is None else None)
        self.warmer.start()

    def reset(self, files: bool = False) -> None:
        """Forget the in-memory indexes (after a purge or a reindex: they may hold old data);
        ``files``: the ANN index file too (a purge: it holds the purged memories' vectors)."""
        self.vectors = None
        self.warmer = None
        if files and self.ann is not None:
            self.ann.remove()

    def rebuild_ann(self) -> int | None:
        """Rebuild the ANN index file now (``reindex``); see AnnRetriever.rebuild."""
        return None if self.ann is None else self.ann.rebuild()

    def not_valid_at(self, moment: str) -> frozenset[str]:
        """Ids of the memories not valid at ``moment`` (search masks them out). The same set
        serves every moment up to the next validity boundary, until the data change."""
        q = self.runner.query
        generation = q("SELECT coalesce(max(id), 0) FROM history")[0][0]
        cached = self._not_valid_cache
        if cached and cached[0] == generation and cached[1] <= moment < cached[2]:
            return cached[3]
        ids = frozenset(r[0] for r in q(NOT_VALID_AT, (moment, moment)))
        boundary = q(
            "SELECT min(x) FROM (SELECT min(valid_until) AS x FROM memories WHERE valid_until > ? "
            "UNION ALL SELECT min(valid_from) FROM memories WHERE valid_from > ?)", (moment, moment))[0][0]
        self._not_valid_cache = (generation, moment, boundary or "\uffff", ids)
        return ids

    def _excluded(self, scope: Scope) -> frozenset[str]:
        return frozenset() if scope.moment is None else self.not_valid_at(scope.moment)

    def mask(self, scope: Scope, index: Any, excluded: frozenset[str]) -> np.ndarray:
        allowed = None
        if scope.filters:
            where, params = where_clause(scope.namespace, scope.prefix, scope.kinds, scope.filters, moment=scope.moment)
            allowed = {r[0] for r in self.runner.query(f"SELECT id FROM memories WHERE {where}", params)}
        return index.mask(namespace=scope.namespace, prefix=scope.prefix.rstrip("/") if scope.prefix else None,
                          kinds=scope.kinds, allowed_ids=allowed, excluded_ids=excluded)

    # -- the protocol ------------------------------------------------------------
    def begin(self) -> None:
        self.searches += 1

    def vector_exact(self, scope: Scope, query: Query, k: int) -> Ranking:
        index = self.vector_index()
        if not index.ids:
            return []
        keep = self.mask(scope, index, self._excluded(scope))
        return index.top(query.vector, k, keep)

    def vector_indexed(self, scope: Scope, query: Query, k: int) -> Ranking | None:
        if self.ann is None:
            return None
        return self.ann.top_k(query, k, self._excluded(scope))

    def vector_and_keyword(self, scope: Scope, query: Query, k: int, indexed: bool) -> tuple[Ranking | None, Ranking]:
        """The two calls: the vectors and the keyword index are in this process."""
        vec = self.vector_indexed(scope, query, k) if indexed else self.vector_exact(scope, query, k)
        return vec, self.keyword_top_k(scope, query, k)

    def keyword_top_k(self, scope: Scope, query: Query, k: int) -> Ranking:
        """(id, bm25 relevance) best first; relevance is -bm25 so that higher is better.

        The first search asks FTS5; the second starts building the in-memory index in the
        background (a warm process), which answers with the same ranking, much faster, once it
        is ready. No search waits for it."""
        words = terms(query.text)
        if not words:
            return []
        excluded = self._excluded(scope)
        index = self.keyword_index() if self.searches > 1 or self.warmer is not None else None
        if index is not None:  # None while the background thread still builds it: FTS5 answers
            return index.top(words, k, self.mask(scope, index, excluded), scoped=scope.scoped)
        where, params = where_clause(scope.namespace, scope.prefix, scope.kinds, scope.filters, alias="m",
                                     moment=scope.moment)
        if scope.scoped:
            words = discriminating(words, *self._scope_frequencies(words, where, params))
        expression = match_expression(words)
        if not scope.scoped:
            # No filter but validity: FTS5 sorts by its own rank column (= bm25) and stops after
            # the k best plus as many as may be dropped, so only those are joined to memories.
            rows = self.runner.query(
                "SELECT m.id, memories_fts.rank FROM memories_fts "
                "JOIN memories m ON m.rowid = memories_fts.rowid "
                "WHERE memories_fts MATCH ? ORDER BY memories_fts.rank LIMIT ?",
                [expression, k + len(excluded)],
            )
            return [(r[0], -float(r[1])) for r in rows if r[0] not in excluded][:k]
        rows = self.runner.query(
            "SELECT m.id, bm25(memories_fts) AS rank FROM memories_fts "
            "JOIN memories m ON m.rowid = memories_fts.rowid "
            f"WHERE memories_fts MATCH ? AND {where} ORDER BY rank LIMIT ?",
            [expression, *params, k],
        )
        return [(r[0], -float(r[1])) for r in rows]

    def _scope_frequencies(self, words: list[str], where: str, params: list[Any]) -> tuple[dict[str, int], int]:
        """In how many of the scope's memories each word occurs, and how many memories it has: one
        query (each word's FTS5 matches are looked up once, as a set)."""
        columns = ", ".join(["sum(m.rowid IN (SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?))"] * len(words))
        row = self.runner.query(f"SELECT count(*), {columns} FROM memories m WHERE {where}",
                                [*(match_expression([w]) for w in words), *params])[0]
        return {w: int(c or 0) for w, c in zip(words, row[1:])}, int(row[0])

    def candidates(self, scores: dict[str, float]) -> list[Candidate]:
        out: list[Candidate] = []
        for chunk, marks in in_batches(list(scores)):
            for id_, text, source, evidence in self.runner.query(
                    f"SELECT id, text, source, json_extract(metadata, '$.evidence') FROM memories WHERE id IN ({marks})",
                    chunk):
                metadata = {"evidence": json.loads(evidence)} if evidence else None
                out.append(Candidate(id_, scores[id_], text or "", places(source, metadata)))
        return out

    def fetch(self, ids: Sequence[str]) -> dict[str, Memory]:
        return self._fetch(ids)
