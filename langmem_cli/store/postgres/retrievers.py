"""The PostgreSQL backend's retrievers (store/retrievers.py): pgvector for vectors, the generated
tsvector + GIN index for keywords.

Vector side, two paths (which one a search takes is store/search.py's rule):
- exact: the scope is selected first (b-tree on the namespace) and sorted by exact inner product,
  so the top k are exactly the top k of that scope. An HNSW scan with the filter applied
  afterwards can return far fewer rows than asked (pgvector issues #259, #719); this path cannot.
- indexed: the HNSW index (halfvec where pgvector has it) gives candidates, re-ranked by the exact
  float32 inner product; rows not current (validity) are dropped afterwards, and if fewer than k
  remain the exact path answers instead.

Keyword side: any query term may match (as on SQLite), ranked by ts_rank with length
normalisation, ties in insertion order. ts_rank reads the whole tsvector of every row it scores,
so a global search does not rank every match of a common word: see ``keyword_top_k``.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from psycopg import sql

from langmem_cli.core.keywords import discriminating, terms
from langmem_cli.core.records import Memory
from langmem_cli.core.rerank import Candidate, places
from langmem_cli.store.postgres import schema
from langmem_cli.store.postgres.clauses import Vector, where_at
from langmem_cli.store.postgres.runner import PostgresRunner
from langmem_cli.store.retrievers import Query, Ranking, Scope

# HNSW candidate list: at least this many, and twice what is asked for (max 1000 in pgvector).
EF_SEARCH = 100
TSQUERY = "plainto_tsquery('english'::regconfig, %s)"
# A keyword found in more than this share of the memories (PostgreSQL's own statistics of the
# tsvector column) does not select candidates on its own; it still counts in their rank.
COMMON_SHARE = 0.01
# How long the column's statistics are kept (seconds) before they are read again.
STATS_TTL = 300.0


class PostgresRetrievers:
    def __init__(self, runner: PostgresRunner, caps: Any, model: str,
                 fetch: Callable[[Sequence[str]], dict[str, Memory]]) -> None:
        self.runner = runner
        self.caps = caps
        self.model = model
        self._fetch = fetch
        self.ef_search = 40  # pgvector's default
        self._indexed: set[tuple[str, int]] = set()
        self._lexemes: dict[str, tuple[str, ...]] = {}
        self._frequencies: tuple[float, dict[str, float]] | None = None

    # -- the HNSW index ------------------------------------------------------------
    def ensure_vector_index(self, dim: int | None = None) -> bool:
        """The HNSW index for the current model's vectors of size ``dim`` (by default the size of
        the stored ones), built once the dimension is known. False if there are no such vectors."""
        if dim is not None and (self.model, dim) in self._indexed:
            return True
        rows = self.runner.query("SELECT vector_dims(embedding) FROM memories WHERE embedding_model = %s "
                                 "AND embedding IS NOT NULL LIMIT 1", (self.model,))
        if not rows or (dim is not None and rows[0][0] != dim):
            return False
        key = (self.model, rows[0][0])
        if key not in self._indexed:
            with self.runner.errors():
                schema.ensure_vector_index(self.runner.conn, self.caps, *key)
            self._indexed.add(key)
        return True

    def set_ef_search(self, ef: int) -> None:
        """hnsw.ef_search for this session (set only when it changes: one round trip saved)."""
        if ef != self.ef_search:
            self.runner.execute(f"SET hnsw.ef_search = {int(ef)}")
            self.ef_search = ef

    # -- the protocol ----------------------------------------------------------------
    def begin(self) -> None:
        pass

    def vector_exact(self, scope: Scope, query: Query, k: int) -> Ranking:
        """Top k by exact inner product over the scope. Ordering by the stored ``embedding``
        itself (not the indexed halfvec/vector cast) keeps the HNSW index out of it."""
        vector = Vector(query.vector)
        where, params = where_at(scope.namespace, scope.prefix, scope.kinds, scope.filters, scope.moment)
        rows = self.runner.query(
            f"SELECT id, embedding <#> %s AS d FROM memories WHERE {where} AND embedding_model = %s "
            "AND embedding IS NOT NULL AND vector_dims(embedding) = %s ORDER BY d, seq LIMIT %s",
            [vector, *params, self.model, vector.values.size, k],
        )
        return [(r[0], -float(r[1])) for r in rows]

    def vector_indexed(self, scope: Scope, query: Query, k: int) -> Ranking | None:
        vector = Vector(query.vector)
        dim = vector.values.size
        if not self.ensure_vector_index(dim):
            return None
        where, params = where_at(scope.namespace, scope.prefix, scope.kinds, scope.filters, scope.moment)
        expr = sql.SQL(schema.vector_expression(self.caps, dim))
        cast = sql.SQL(f"{self.caps.index_type}({int(dim)})")
        self.set_ef_search(min(1000, max(EF_SEARCH, 2 * k)))
        statement = sql.SQL(
            "SELECT id, embedding <#> %s AS d FROM ("
            " SELECT id, seq, embedding, valid_from, valid_until FROM memories"
            " WHERE embedding_model = {model} AND vector_dims(embedding) = {dim}"
            " ORDER BY {expr} <#> %s::{cast} LIMIT {ef}) candidates "
            "WHERE {where} ORDER BY d, seq LIMIT %s"
        ).format(model=sql.Literal(self.model), dim=sql.Literal(int(dim)), expr=expr, cast=cast,
                 ef=sql.Literal(self.ef_search), where=sql.SQL(where))
        rows = self.runner.query(statement, [vector, vector, *params, k])
        if len(rows) < k:
            return None
        return [(r[0], -float(r[1])) for r in rows]

    def keyword_top_k(self, scope: Scope, query: Query, k: int) -> Ranking:
        """(id, relevance) best first. In a scoped search the scope's too common terms are left
        out (``core.keywords.discriminating``, as on SQLite).

        ts_rank reads every row it ranks, and a common word matches tens of thousands. So the
        candidates are the rows holding a less common query term (``selective``); each is ranked
        with every term, as before. Only when those are fewer than k does every match compete."""
        words = terms(query.text)
        if not words:
            return []
        where, params = where_at(scope.namespace, scope.prefix, scope.kinds, scope.filters, scope.moment)
        if scope.scoped:
            counts = ", ".join([f"count(*) FILTER (WHERE tsv @@ {TSQUERY})"] * len(words))
            row = self.runner.query(f"SELECT count(*), {counts} FROM memories WHERE {where}", [*words, *params])[0]
            words = discriminating(words, dict(zip(words, row[1:])), int(row[0]))
        tsquery = " || ".join([TSQUERY] * len(words))
        chosen = self.selective(words)
        if chosen != words:
            select = " || ".join([TSQUERY] * len(chosen))
            rows = self.runner.query(
                f"SELECT id, ts_rank(tsv, q, 1) AS rank FROM memories, (SELECT {tsquery} AS q, {select} AS s) query "
                f"WHERE tsv @@ s AND {where} ORDER BY rank DESC, seq LIMIT %s",
                [*words, *chosen, *params, k],
            )
            if len(rows) >= k:
                return [(r[0], float(r[1])) for r in rows]
        rows = self.runner.query(
            f"SELECT id, ts_rank(tsv, q, 1) AS rank FROM memories, (SELECT {tsquery} AS q) query "
            f"WHERE tsv @@ q AND {where} ORDER BY rank DESC, seq LIMIT %s",
            [*words, *params, k],
        )
        return [(r[0], float(r[1])) for r in rows]

    def selective(self, words: list[str]) -> list[str]:
        """The words whose every lexeme is in at most COMMON_SHARE of the memories, by the
        column's statistics (words without statistics count as rare); all words when none is."""
        frequencies = self._term_frequencies()
        if not frequencies:
            return words
        unknown = [w for w in words if w not in self._lexemes]
        if unknown:
            found = self.runner.query("SELECT " + ", ".join(
                [f"coalesce(tsvector_to_array(to_tsvector('english'::regconfig, %s)), '{{}}')"] * len(unknown)), unknown)[0]
            self._lexemes.update(zip(unknown, (tuple(x) for x in found)))
        rare = [w for w in words if all(frequencies.get(lexeme, 0.0) <= COMMON_SHARE for lexeme in self._lexemes[w])]
        return rare or words

    def forget_statistics(self) -> None:
        """Read the column's statistics again at the next search (after an ANALYZE)."""
        self._frequencies = None

    def _term_frequencies(self) -> dict[str, float]:
        """lexeme -> share of rows holding it, for the column's most common lexemes (pg_stats,
        gathered by ANALYZE / autovacuum); read again after STATS_TTL seconds."""
        import time

        if self._frequencies is not None and time.monotonic() - self._frequencies[0] < STATS_TTL:
            return self._frequencies[1]
        rows = self.runner.query(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = 'memories' AND attname = 'tsv'")
        frequencies: dict[str, float] = {}
        if rows and rows[0][0]:
            frequencies = dict(zip(rows[0][0], (float(f) for f in rows[0][1])))
        self._frequencies = (time.monotonic(), frequencies)
        return frequencies

    def candidates(self, scores: dict[str, float]) -> list[Candidate]:
        rows = self.runner.query("SELECT id, text, source, metadata::jsonb -> 'evidence' FROM memories WHERE id = ANY(%s)",
                                 [list(scores)])
        return [Candidate(r[0], scores[r[0]], r[1] or "", places(r[2], {"evidence": r[3]} if r[3] else None))
                for r in rows]

    def fetch(self, ids: Sequence[str]) -> dict[str, Memory]:
        return self._fetch(ids)
