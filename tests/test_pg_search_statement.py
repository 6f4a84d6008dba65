"""Issue 28: on PostgreSQL a hybrid search sends the keyword statement (over the narrow keyword
table: a scoped one reads the scope's rows once; a global one takes its candidates tier by tier:
the rare terms' GIN matches, then with the least common other term, then every match), embeds the
query while the server ranks, sends the vector statement and reads the keyword rows while the
server runs it; each statement reads what re-ranking needs of its rows. The hits must be those of
the rule written plainly: ``Previous`` below is that path, one statement per side and per tier,
term counts, the column statistics and lexemes read apart, candidates read again, and every
search is run through both and compared to the last bit of every score. Runs on both real
servers."""

from __future__ import annotations

import numpy as np
import pytest

from langmem_cli.core.keywords import discriminating, terms
from langmem_cli.core.records import NewMemory
from langmem_cli.core.rerank import Candidate, places
from langmem_cli.embed.hash_embedder import HashEmbedder
from langmem_cli.store import search as one_search
from langmem_cli.store.postgres.clauses import where_at
from langmem_cli.store.postgres.retrievers import TSQUERY
from langmem_cli.store.postgres.store import PostgresStore
from langmem_cli.store.retrievers import Query, Ranking, Scope

PAST = "2020-01-01T00:00:00+00:00"


class Previous:
    """The retrievers as they answered before the one-statement search (tests' reference)."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self.new = store.retrievers
        self.runner = store.runner
        self.branches: set[str] = set()

    def begin(self) -> None:
        pass

    def vector_exact(self, scope: Scope, query: Query, k: int) -> Ranking:
        return self.new.vector_exact(scope, query, k)

    def vector_indexed(self, scope: Scope, query: Query, k: int) -> Ranking | None:
        return self.new.vector_indexed(scope, query, k)

    def vector_and_keyword(self, scope: Scope, query: Query, k: int, indexed: bool):
        vec = self.vector_indexed(scope, query, k) if indexed else self.vector_exact(scope, query, k)
        return vec, self.keyword_top_k(scope, query, k)

    def shares(self, words: list[str]) -> list[float | None]:
        """Each term's estimated rows: its most common lexeme's share times the table's rows."""
        rows = self.runner.query(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = 'memories' AND attname = 'tsv'")
        table = self.runner.query("SELECT reltuples FROM pg_class WHERE relname = 'memories' "
                                  "AND relnamespace = current_schema()::regnamespace")[0][0]
        frequencies = {x: f * table for x, f in zip(rows[0][0], rows[0][1])} if rows and rows[0][0] else {}
        lexemes = self.runner.query("SELECT " + ", ".join(
            ["coalesce(tsvector_to_array(to_tsvector('english'::regconfig, %s)), '{}')"] * len(words)), words)[0]
        return [max(frequencies.get(x, 0.0) for x in found) if found else None for found in lexemes]

    def ranked(self, words: list[str], chosen: list[str] | None, where: str, params: list, k: int) -> list[tuple]:
        tsquery = " || ".join([TSQUERY] * len(words))
        if chosen is None:
            return self.runner.query(
                f"SELECT id, ts_rank(tsv, q, 1) AS rank FROM memories, (SELECT {tsquery} AS q) query "
                f"WHERE tsv @@ q AND {where} ORDER BY rank DESC, seq LIMIT %s", [*words, *params, k])
        select = " || ".join([TSQUERY] * len(chosen))
        return self.runner.query(
            f"SELECT id, ts_rank(tsv, q, 1) AS rank FROM memories, (SELECT {tsquery} AS q, {select} AS s) query "
            f"WHERE tsv @@ s AND {where} ORDER BY rank DESC, seq LIMIT %s", [*words, *chosen, *params, k])

    def keyword_top_k(self, scope: Scope, query: Query, k: int) -> Ranking:
        words = terms(query.text)
        if not words:
            return []
        where, params = where_at(scope.namespace, scope.prefix, scope.kinds, scope.filters, scope.moment)
        shares = self.shares(words)
        if scope.scoped:
            counts = ", ".join([f"count(*) FILTER (WHERE tsv @@ {TSQUERY})"] * len(words))
            row = self.runner.query(f"SELECT count(*), {counts} FROM memories WHERE {where}", [*words, *params])[0]
            kept = discriminating(words, dict(zip(words, row[1:])), int(row[0]))
            shares = [share for word, share in zip(words, shares) if word in kept]
            words = kept
            rare = [w for w, share in zip(words, shares) if share is None or share <= self.new.common_rows]
            chosen = rare if rare else words
            if chosen != words:
                rows = self.ranked(words, chosen, where, params, k)
                if len(rows) >= k:
                    self.branches.add("scoped: rare rows only")
                    return [(r[0], float(r[1])) for r in rows]
            self.branches.add("scoped: every match")
            return [(r[0], float(r[1])) for r in self.ranked(words, None, where, params, k)]
        # global, tier by tier: the rare terms' matches; with the least common other term; every match
        live = [(share, i) for i, share in enumerate(shares) if share is not None]
        rare = [words[i] for share, i in live if share <= self.new.common_rows]
        common = [words[i] for share, i in sorted(live) if share > self.new.common_rows]
        tiers = []
        if rare and common:
            tiers.append(("rare terms' rows", rare))
        if len(common) > 1:
            tiers.append(("with the least common other term", [w for w in words if w in rare or w == common[0]]))
        for name, chosen in tiers:
            rows = self.ranked(words, chosen, where, params, k)
            if len(rows) >= k:
                self.branches.add(name)
                return [(r[0], float(r[1])) for r in rows]
        self.branches.add("every match")
        return [(r[0], float(r[1])) for r in self.ranked(words, None, where, params, k)]

    def candidates(self, scores: dict[str, float]) -> list[Candidate]:
        rows = self.runner.query("SELECT id, text, source, metadata::jsonb -> 'evidence' FROM memories "
                                 "WHERE id = ANY(%s) ORDER BY id", [list(scores)])
        return [Candidate(r[0], scores[r[0]], r[1] or "", places(r[2], {"evidence": r[3]} if r[3] else None))
                for r in rows]

    def fetch(self, ids):
        return self.store.get_many(ids)


@pytest.fixture
def corpus(pg_url: str):
    """3,000 memories in 6 namespaces: each namespace's person named in most of its memories (a
    term the scoped search leaves out), words from common to rare (the column statistics, after
    ANALYZE, tell them apart), some memories closed in the past, two kinds."""
    rng = np.random.default_rng(28)
    vocabulary = [f"topic{i}" for i in range(400)]
    weights = 1.0 / np.arange(1, len(vocabulary) + 1) ** 1.1
    weights /= weights.sum()
    people = ["alice", "bruno", "chen", "dana", "emeka", "farah"]
    names = ["team/a", "team/b", "team/b/x", "team/c", "other/d", "other/e"]
    items = []
    for i in range(3000):
        n = i % 6
        words = list(rng.choice(vocabulary, size=int(rng.integers(3, 12)), p=weights))
        if rng.random() < 0.8:
            words.insert(int(rng.integers(0, len(words) + 1)), people[n].capitalize())
        closed = rng.random() < 0.05
        items.append(NewMemory(names[n], " ".join(words) + f" note {i}", kind="fact" if i % 7 == 0 else "memory",
                               source=f"chat.jsonl:{i}", valid_until=PAST if closed else None))
    with PostgresStore(pg_url, embedder=HashEmbedder(64)) as store:
        store.put_many(items, record_history=False)
        assert store.ensure_vector_index()
        store.runner.execute("ANALYZE memories")
        store.retrievers.forget_statistics()
        # 1 % of this small corpus (the default bounds the rows of a large table): every tier is taken
        store.retrievers.common_rows = 30
        yield store, vocabulary, people


def _queries(vocabulary: list[str], people: list[str]) -> list[str]:
    rng = np.random.default_rng(5)
    out = ["Alice topic0", "What did Bruno say about topic3 and topic250?", "topic399", "the of and",
           "unknownword", "Chen", " ".join(vocabulary[200:215]), "topic1 " + " ".join(vocabulary[150:160])]
    for _ in range(16):
        common = list(rng.choice(vocabulary[:8], size=int(rng.integers(0, 3))))
        rare = list(rng.choice(vocabulary[60:], size=int(rng.integers(0, 9))))
        person = [str(rng.choice(people)).capitalize()] if rng.random() < 0.5 else []
        words = person + common + rare
        out.append(" ".join(words) or "topic2")
    return out


SCOPES = [
    Scope(),
    Scope(namespace="team/a"),
    Scope(namespace="team/b"),
    Scope(prefix="team"),
    Scope(kinds=["memory"]),
    Scope(prefix="other", kinds=["fact"]),
]


def _hits(hits):
    return [(h.memory.id, h.score, h.vector_score, h.keyword_score) for h in hits]


@pytest.mark.parametrize("moment", [None, "2026-06-01T00:00:00+00:00"])
def test_hybrid_and_keyword_hits_are_those_of_the_previous_statements(corpus, moment) -> None:
    store, vocabulary, people = corpus
    previous = Previous(store)
    compared = 0
    for text in _queries(vocabulary, people):
        for base in SCOPES:
            scope = Scope(base.namespace, base.prefix, base.kinds, base.filters, moment)
            for mode, limit in (("hybrid", 10), ("hybrid", 40), ("keyword", 10)):
                new = one_search.search(store.retrievers, Query(text, store.embedder), scope, mode=mode, limit=limit)
                old = one_search.search(previous, Query(text, store.embedder), scope, mode=mode, limit=limit)
                assert _hits(new) == _hits(old), (text, scope, mode, limit)
                compared += bool(old)
    assert compared > 300
    # every way the keyword side could go was taken
    assert previous.branches == {"scoped: rare rows only", "scoped: every match", "rare terms' rows",
                                 "with the least common other term", "every match"}


def test_the_keyword_statement_runs_while_the_query_is_embedded(corpus) -> None:
    """A hybrid search sends the keyword statement, embeds the query while the server ranks, sends
    the vector statement, then fetches the page: three statements, the first sent before embedding,
    the second before the first's rows are read."""
    store, _, _ = corpus
    text = "What did Alice say about topic3 and topic250?"
    store.search(text, namespace="team/a")  # statistics and the words' lexemes read, index known
    seen: list[str] = []
    runner, embedder = store.runner, store.embedder
    query, send, embed = runner.query, runner.send, embedder.embed

    def counting(sql, params=()):
        seen.append("query " + str(sql)[:30])
        return query(sql, params)

    def sending(sql, params=()):
        seen.append("send " + str(sql)[:30])
        return send(sql, params)

    def embedding(texts):
        seen.append("embed")
        return embed(texts)

    runner.query, runner.send, embedder.embed = counting, sending, embedding
    try:
        for scope in ({"namespace": "team/a"}, {}, {"prefix": "team"}):
            seen.clear()
            assert store.search(text, limit=10, **scope)
            assert [s.split()[0] for s in seen] == ["send", "embed", "send", "query"], seen
            assert seen[0].startswith("send WITH words") and seen[2].startswith("send SELECT 0 AS side"), seen
    finally:
        runner.query, runner.send, embedder.embed = query, send, embed


def test_without_reranking_and_with_neighbours_only(corpus) -> None:
    """The other ways after fusion read the same candidates."""
    store, _, _ = corpus
    previous = Previous(store)
    for scope in (Scope(namespace="team/c"), Scope()):
        for kwargs in ({"rerank_hits": False}, {"neighbor_weight": 0.5}):
            new = one_search.search(store.retrievers, Query("Dana topic9 topic120", store.embedder), scope, **kwargs)
            old = one_search.search(previous, Query("Dana topic9 topic120", store.embedder), scope, **kwargs)
            assert new and _hits(new) == _hits(old)


def test_the_tiers_of_a_global_keyword_search() -> None:
    """Rare terms first; then with the least common other term; then every term. A stop word (no
    lexemes) selects nothing; a tier equal to the next is not listed."""
    from langmem_cli.store.postgres.retrievers import COMMON_ROWS, tiers

    rare, common, commoner = COMMON_ROWS / 10, COMMON_ROWS * 2, COMMON_ROWS * 3
    assert tiers([None, rare, commoner, common]) == [[1], [1, 3], None]
    assert tiers([commoner, common]) == [[1], None]
    assert tiers([rare, rare]) == [None]
    assert tiers([rare, common]) == [[0], None]
    assert tiers([common]) == [None]
    assert tiers([None]) == [None]
