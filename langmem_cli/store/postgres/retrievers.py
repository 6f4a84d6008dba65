"""The PostgreSQL backend's retrievers (store/retrievers.py): pgvector for vectors, the tsvector
in a narrow keyword table + its GIN index for keywords.

Vector side, two paths (which one a search takes is store/search.py's rule):
- exact: the scope is selected first (b-tree on the namespace) and sorted by exact inner product,
  so the top k are exactly the top k of that scope. An HNSW scan with the filter applied
  afterwards can return far fewer rows than asked (pgvector issues #259, #719); this path cannot.
- indexed: the HNSW index (halfvec where pgvector has it) gives candidates, re-ranked by the exact
  float32 inner product; rows not current (validity) are dropped afterwards, and if fewer than k
  remain the exact path answers instead.

Keyword side: any query term may match (as on SQLite), ranked by ts_rank with length
normalisation, ties in insertion order, over ``memory_keywords``: a narrow copy of each memory's
tsvector and scope columns kept in step by a trigger (schema.py, migration 8), about a tenth of a
memories row (which carries its vector), so ranking thousands of matches reads a tenth of the
pages. ts_rank reads the whole tsvector of every row it scores, so a global search does not rank
every match of a common word: see ``_keyword_statement``.

A hybrid search (``vector_and_keyword``) is one pipeline: the keyword statement is sent first and
the server ranks while the query is embedded here; the vector statement is sent next, and the
keyword rows are read while the server runs it. Each statement also reads what re-ranking needs of
its rows (text, places), so nothing is read again before the final ``fetch``. A scoped keyword
statement reads the scope's narrow rows once (b-tree on the namespace) for the terms' counts in
the scope and the ranking: its cost follows the scope, not the table. A global one ranks the GIN
matches of a few terms, tier by tier (``tiers``): the less common terms first, so a question of
common words does not rank a quarter of the table. Which terms are common is read from the
column's statistics and each word's lexemes from the server (both cached). The rankings are those
of the rule written out plainly in tests/test_pg_search_statement.py, exactly.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from langmem_cli.core.keywords import MIN_SCOPE, terms
from langmem_cli.core.records import Memory
from langmem_cli.core.rerank import Candidate, places
from langmem_cli.store.postgres import schema
from langmem_cli.store.postgres.clauses import Vector, where_at
from langmem_cli.store.postgres.runner import PostgresRunner
from langmem_cli.store.retrievers import Query, Ranking, Scope

# HNSW candidate list: at least this many, and twice what is asked for (max 1000 in pgvector).
EF_SEARCH = 100
TSQUERY = "plainto_tsquery('english'::regconfig, %s)"
# A keyword found in more than this many memories (estimated from PostgreSQL's own statistics of
# the tsvector column) does not select candidates on its own; it still counts in their rank. A
# number of rows, not a share, so the ranking's cost is bounded whatever the table's size, and a
# table of fewer rows ranks every match. Chosen on bench/pg_speed.py (100,000 memories): 1,000 /
# 3,000 / 5,000 / 10,000 rows give hybrid global recall@10 0.83 / 0.92 / 0.94 / 1.00 against
# every match ranked, at p95 16 / 16 / 17 / 27 ms.
COMMON_ROWS = 5000
# How long the column's statistics are kept (seconds) before they are read again.
STATS_TTL = 300.0
# Words whose lexemes are kept per connection (the cache is emptied past this size).
LEXICON_SIZE = 20_000
# What re-ranking reads of a row (core.rerank's Candidate), returned with the rankings.
READ = "text, source, metadata"
# The keyword side's narrow table (schema.py, migration 8): id, seq, scope columns and tsvector.
KEYWORDS = "memory_keywords"


class PostgresRetrievers:
    def __init__(self, runner: PostgresRunner, caps: Any, model: str,
                 fetch: Callable[[Sequence[str]], dict[str, Memory]]) -> None:
        self.runner = runner
        self.caps = caps
        self.model = model
        self._fetch = fetch
        self.ef_search = 40  # pgvector's default
        self._indexed: set[tuple[str, int]] = set()
        # what re-ranking reads of the rows this search's statement returned: id -> (text, places)
        self._read: dict[str, tuple[str, tuple[tuple[str, int], ...]]] = {}
        self._frequencies: tuple[float, dict[str, float]] | None = None
        self._lexicon: dict[str, tuple[str, ...]] = {}
        self.common_rows: float = COMMON_ROWS

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
        self._read = {}

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
        if not self.ensure_vector_index(vector.values.size):
            return None
        statement = Statement()
        ranked = self._indexed_candidates(statement, scope, vector, k, read=False)
        statement.add(f"SELECT id, d FROM ({ranked}) ranked ORDER BY d, seq")
        rows = self.runner.query(statement.sql(), statement.params)
        if len(rows) < k:
            return None
        return [(r[0], -float(r[1])) for r in rows]

    def keyword_top_k(self, scope: Scope, query: Query, k: int) -> Ranking:
        """(id, relevance) best first, in one statement (``_keyword_statement``)."""
        words = terms(query.text)
        if not words:
            return []
        statement = self._keyword_statement(scope, words, k)
        return self._read_rows(self.runner.query(statement.sql(), statement.params))[1]

    def vector_and_keyword(self, scope: Scope, query: Query, k: int, indexed: bool) -> tuple[Ranking | None, Ranking]:
        """Both sides of a hybrid search, in one pipeline: the keyword statement is sent first and
        the server ranks while the query is embedded here; then the vector statement is sent, and
        the keyword rows are read while the server runs it. The vector side is None when
        ``indexed`` and the HNSW candidates hold fewer than k memories of the scope."""
        words = terms(query.text)
        keyword = self._keyword_statement(scope, words, k) if words else None
        if indexed:
            self.set_ef_search(min(1000, max(EF_SEARCH, 2 * k)))
        sent_vector = None
        with self.runner.pipeline():
            sent_keyword = self.runner.send(keyword.sql(), keyword.params) if keyword is not None else None
            vector = Vector(query.vector)  # embedded now, while the server ranks the keywords
            # an index not yet checked on this connection is checked (and built) after the pipeline
            if not indexed or (self.model, vector.values.size) in self._indexed:
                statement = self._vector_statement(scope, vector, k, indexed)
                sent_vector = self.runner.send(statement.sql(), statement.params)
            kw = self._read_rows(self.runner.rows(sent_keyword))[1] if sent_keyword is not None else []
        if sent_vector is not None:
            rows = self.runner.rows(sent_vector)
        else:
            indexed = self.ensure_vector_index(vector.values.size)
            statement = self._vector_statement(scope, vector, k, indexed)
            rows = self.runner.query(statement.sql(), statement.params)
        vec = self._read_rows(rows)[0]
        return (None if indexed and len(vec) < k else vec), kw

    # -- the statements -----------------------------------------------------------------
    def _read_rows(self, rows: list[tuple]) -> tuple[Ranking, Ranking]:
        """A statement's rows -> (vector ranking, keyword ranking); what re-ranking reads of
        each row is kept for ``candidates``."""
        vec: Ranking = []
        kw: Ranking = []
        for side, memory_id, distance, rank, text, source, evidence in rows:
            if side == 0:
                vec.append((memory_id, -float(distance)))
            else:
                kw.append((memory_id, float(rank)))
            self._read[memory_id] = (text or "", places(source, {"evidence": evidence} if evidence else None))
        return vec, kw

    def _vector_statement(self, scope: Scope, vector: Vector, k: int, indexed: bool) -> "Statement":
        """The vector ranking (exact, or through the HNSW index when ``indexed``), each row with
        side 0, id, distance, no rank, text, source and evidence."""
        statement = Statement()
        if indexed:
            ranked = self._indexed_candidates(statement, scope, vector, k)
        else:
            where, params = where_at(scope.namespace, scope.prefix, scope.kinds, scope.filters, scope.moment)
            statement.extend([vector, *params, self.model, vector.values.size])
            ranked = (f"SELECT ranked.*, {READ} FROM (SELECT id, seq, embedding <#> %s AS d FROM memories WHERE {where} "
                      "AND embedding_model = %s AND embedding IS NOT NULL AND vector_dims(embedding) = %s "
                      f"ORDER BY d, seq LIMIT {int(k)}) ranked JOIN memories USING (id)")
        statement.text = (f"SELECT 0 AS side, id, d, NULL::real AS rank, text, source, metadata::jsonb -> 'evidence' "
                          f"FROM ({ranked}) vec ORDER BY d, seq")
        return statement

    def _keyword_statement(self, scope: Scope, words: list[str], k: int) -> "Statement":
        """The keyword ranking of ``words`` over the narrow keyword table (``memory_keywords``,
        schema.py), each row with side 1, id, no distance, rank, text, source and evidence.

        - a scoped search leaves out the terms found in more than half of the scope's memories
          (``core.keywords.discriminating``): the scope's rows are read once (``scope``) and
          counted, kept and ranked from there; of the terms kept, those whose every lexeme is in
          at most ``common_rows`` memories (``pg_stats``: rare) select the candidates, ranked
          with every term kept; when they are fewer than k (or no term is rare, or every one is),
          every match competes;
        - a global search takes the candidates tier by tier (``tiers``): the matches of the rare
          terms, then of the rare terms and the least common other one, then of every term; the
          first tier with k matches is ranked, with every term."""
        statement = Statement()
        n = len(words)
        matches = self._matches(words)
        statement.extend(words)
        if not scope.scoped:
            return self._global_keyword_statement(statement, scope, words, matches, k)
        rare = ", ".join(f"{'true' if rows is None or rows <= self.common_rows else 'false'} AS r{i}"
                         for i, rows in enumerate(matches))
        ctes = [f"words AS MATERIALIZED (SELECT {', '.join(f'{TSQUERY} AS t{i}' for i in range(n))}, {rare})"]
        # The scope's rows, read once: which terms each holds (m<i>), its tsvector only if it holds
        # one (ranked later). Field filters read the memories themselves (the narrow table has no
        # content); OFFSET 0 keeps the matches from being evaluated twice.
        source = "memories" if scope.filters else KEYWORDS
        where, params = where_at(scope.namespace, scope.prefix, scope.kinds, scope.filters, scope.moment)
        held = "".join(f", tsv @@ w.t{i} AS m{i}" for i in range(n))
        holds = " OR ".join(f"m{i}" for i in range(n))
        ctes.append(f"scope AS MATERIALIZED (SELECT id, seq{''.join(f', m{i}' for i in range(n))}, "
                    f"CASE WHEN {holds} THEN tsv END AS tsv FROM (SELECT id, seq, tsv{held} "
                    f"FROM {source}, words w WHERE {where} OFFSET 0) rows)")
        statement.extend(params)
        # k<i>: discriminating in the scope; s<i>: the rare kept ones, else all kept
        counts = ", ".join(f"count(*) FILTER (WHERE m{i}) AS c{i}" for i in range(n))
        useful = ", ".join(f"2 * c{i} <= n AS u{i}" for i in range(n))
        any_useful = " OR ".join(f"u{i}" for i in range(n))
        kept = ", ".join(f"(n < {MIN_SCOPE} OR u{i} OR NOT ({any_useful})) AS k{i}" for i in range(n))
        kept_rare = " OR ".join(f"(k{i} AND r{i})" for i in range(n))
        chosen = ", ".join(f"k{i} AND (r{i} OR NOT ({kept_rare})) AS s{i}" for i in range(n))
        matched = " OR ".join(f"(query.k{i} AND s.m{i})" for i in range(n))
        selected = " OR ".join(f"(query.s{i} AND s.m{i})" for i in range(n))
        ctes += [
            f"counts AS (SELECT count(*) AS n, {counts} FROM scope)",
            f"kept AS (SELECT *, {kept} FROM (SELECT words.*, n, {useful} FROM words, counts) x)",
            f"query AS MATERIALIZED (SELECT {fold('k', n)} AS q, {', '.join(f'k{i}, s{i}' for i in range(n))} "
            f"FROM (SELECT *, {chosen} FROM kept) flags)",
            f"matches AS (SELECT s.id, s.seq, ts_rank(s.tsv, query.q, 1) AS rank, ({selected}) AS selected "
            f"FROM scope s, query WHERE {matched})",
            f"ranked AS (SELECT id, seq, rank FROM matches WHERE selected OR "
            f"(SELECT count(*) FROM matches WHERE selected) < {int(k)} ORDER BY rank DESC, seq LIMIT {int(k)})",
        ]
        return self._keyword_rows(statement, ctes)

    def _global_keyword_statement(self, statement: "Statement", scope: Scope, words: list[str],
                                  matches: list[float | None], k: int) -> "Statement":
        """The global keyword statement: one CTE per tier of ``tiers`` (the terms written into
        its condition, so that the GIN index reads the matches of those terms only), each
        ranked with every term; a tier is read only when the tiers before it hold fewer than k
        matches (PostgreSQL evaluates a one-time filter's sub-selects when it needs them)."""
        n = len(words)
        where, params = where_at(scope.namespace, scope.prefix, scope.kinds, scope.filters, scope.moment, alias="m")
        ctes = [f"words AS NOT MATERIALIZED (SELECT *, {fold(None, n)} AS q FROM "
                f"(SELECT {', '.join(f'{TSQUERY} AS t{i}' for i in range(n))}) terms)"]
        levels = tiers(matches, self.common_rows)
        names = []
        for level, terms_of in enumerate(levels):
            condition = " OR ".join(f"m.tsv @@ w.t{i}" for i in terms_of) if terms_of is not None else "m.tsv @@ w.q"
            name = f"tier{level}"
            ctes.append(f"{name} AS (SELECT m.id, m.seq, ts_rank(m.tsv, w.q, 1) AS rank FROM {KEYWORDS} m, words w "
                        f"WHERE ({condition}) AND {where} ORDER BY rank DESC, m.seq LIMIT {int(k)})")
            statement.extend(params)
            names.append(name)
        parts = []
        for level, name in enumerate(names):
            before = [f"(SELECT count(*) FROM {earlier}) < {int(k)}" for earlier in names[:level]]
            enough = [f"(SELECT count(*) FROM {name}) >= {int(k)}"] if level < len(names) - 1 else []
            condition = " AND ".join(before + enough) or "true"
            parts.append(f"SELECT * FROM {name} WHERE {condition}")
        ctes.append(f"ranked AS ({' UNION ALL '.join(parts)})")
        return self._keyword_rows(statement, ctes)

    @staticmethod
    def _keyword_rows(statement: "Statement", ctes: list[str]) -> "Statement":
        """The statement's end: what re-ranking reads, for the k ranked rows only (not carried
        through the ranking), best first."""
        ctes.append(f"kw AS (SELECT ranked.*, {READ} FROM ranked JOIN memories USING (id))")
        statement.text = (f"WITH {', '.join(ctes)} SELECT 1 AS side, id, NULL::float8 AS d, rank, text, source, "
                          "metadata::jsonb -> 'evidence' FROM kw ORDER BY rank DESC, seq")
        return statement

    def _indexed_candidates(self, statement: "Statement", scope: Scope, vector: Vector, k: int, read: bool = True) -> str:
        """The HNSW candidates (ef_search of them), re-ranked by the exact product, those of the
        scope: (id, seq, d[, READ]), at most k."""
        columns = f", {READ}" if read else ""
        dim = vector.values.size
        where, params = where_at(scope.namespace, scope.prefix, scope.kinds, scope.filters, scope.moment)
        self.set_ef_search(min(1000, max(EF_SEARCH, 2 * k)))
        statement.extend([vector, vector, *params])
        return (
            f"SELECT id, seq, embedding <#> %s AS d{columns} FROM ("
            f" SELECT id, seq, embedding, valid_from, valid_until{columns} FROM memories"
            f" WHERE embedding_model = {literal(self.model)} AND vector_dims(embedding) = {int(dim)}"
            f" ORDER BY {schema.vector_expression(self.caps, dim)} <#> %s::{self.caps.index_type}({int(dim)})"
            f" LIMIT {int(self.ef_search)}) candidates WHERE {where} ORDER BY d, seq LIMIT {int(k)}"
        )

    # -- term statistics -----------------------------------------------------------------
    def forget_statistics(self) -> None:
        """Read the column's statistics again at the next search (after an ANALYZE)."""
        self._frequencies = None

    def _matches(self, words: list[str]) -> list[float | None]:
        """Each term's estimated number of memories holding it: that of its most common lexeme
        (the column's statistics; a lexeme they do not list counts as 0), None for a term without
        lexemes (a stop word: it matches nothing)."""
        frequencies = self._term_frequencies()
        lexemes = self._lexemes(words)
        return [max(frequencies.get(x, 0.0) for x in lexemes[w]) if lexemes[w] else None for w in words]

    def _lexemes(self, words: list[str]) -> dict[str, tuple[str, ...]]:
        """word -> its lexemes as the server's parser and English dictionary give them (those
        ``plainto_tsquery`` searches for), asked for once per word of this connection."""
        missing = [w for w in dict.fromkeys(words) if w not in self._lexicon]
        if missing:
            if len(self._lexicon) > LEXICON_SIZE:
                self._lexicon.clear()
            for word, found in self.runner.query(
                    "SELECT w, coalesce(tsvector_to_array(to_tsvector('english'::regconfig, w)), ARRAY[]::text[]) "
                    "FROM unnest(%s::text[]) AS w", [missing]):
                self._lexicon[word] = tuple(found)
        return {w: self._lexicon[w] for w in words}

    def _term_frequencies(self) -> dict[str, float]:
        """lexeme -> estimated rows holding it (its share times the table's rows), for the
        column's most common lexemes (pg_stats and pg_class, gathered by ANALYZE / autovacuum);
        read again after STATS_TTL seconds."""
        import time

        if self._frequencies is not None and time.monotonic() - self._frequencies[0] < STATS_TTL:
            return self._frequencies[1]
        rows = self.runner.query(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples FROM pg_stats s "
            "JOIN pg_class c ON c.oid = to_regclass('memories') WHERE s.schemaname = current_schema() "
            "AND s.tablename = 'memories' AND s.attname = 'tsv'")
        frequencies: dict[str, float] = {}
        if rows and rows[0][0]:
            table = max(0.0, float(rows[0][2]))
            frequencies = dict(zip(rows[0][0], (float(f) * table for f in rows[0][1])))
        self._frequencies = (time.monotonic(), frequencies)
        return frequencies

    def candidates(self, scores: dict[str, float]) -> list[Candidate]:
        """In id order (as the primary key returns them); rows the search's statement read are
        not read again."""
        missing = [i for i in scores if i not in self._read]
        if missing:
            for r in self.runner.query("SELECT id, text, source, metadata::jsonb -> 'evidence' FROM memories "
                                       "WHERE id = ANY(%s)", [missing]):
                self._read[r[0]] = (r[1] or "", places(r[2], {"evidence": r[3]} if r[3] else None))
        return [Candidate(i, scores[i], *self._read[i]) for i in sorted(scores) if i in self._read]

    def fetch(self, ids: Sequence[str]) -> dict[str, Memory]:
        return self._fetch(ids)


def tiers(matches: Sequence[float | None], common_rows: float = COMMON_ROWS) -> list[list[int] | None]:
    """Which terms' matches are a global keyword search's candidates, tier by tier: the terms
    (their indexes) in at most ``common_rows`` memories (estimated: ``matches``); then those and
    the least common other term; then every term (None). A tier is listed only if it differs from
    the next one; a term without lexemes (``matches`` None) matches nothing and selects nothing."""
    live = [i for i, rows in enumerate(matches) if rows is not None]
    rare = [i for i in live if (matches[i] or 0.0) <= common_rows]
    common = sorted((i for i in live if (matches[i] or 0.0) > common_rows), key=lambda i: (matches[i], i))
    out: list[list[int] | None] = []
    if rare and common:
        out.append(rare)
    if len(common) > 1:
        out.append(sorted(rare + common[:1]))
    out.append(None)
    return out


class Statement:
    """SQL text and its ``%s`` parameters, in the order they appear."""

    def __init__(self) -> None:
        self.text = ""
        self.params: list[Any] = []

    def add(self, text: str) -> None:
        self.text += text

    def extend(self, values: Sequence[Any]) -> None:
        self.params.extend(values)

    def sql(self) -> str:
        return self.text


def fold(flag: str | None, n: int) -> str:
    """``t0 || t1 || ...`` over the terms whose column ``<flag><i>`` is true (every term when
    ``flag`` is None), in the query's order: the same operands and operators (an OR of the terms,
    each parenthesised); terms without lexemes (stop words) add nothing, as with ``||``."""
    if flag is None:
        return " || ".join(f"t{i}" for i in range(n))
    parts = ", ".join(f"CASE WHEN {flag}{i} AND numnode(t{i}) > 0 THEN '(' || t{i}::text || ')' END" for i in range(n))
    return f"array_to_string(ARRAY[{parts}], ' | ')::tsquery"


def literal(text: str) -> str:
    """A string constant inside SQL text that has ``%s`` parameters (a partial index's predicate
    is matched against constants)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"
