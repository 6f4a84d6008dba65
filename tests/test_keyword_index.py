"""The in-memory BM25 index used by warm processes ranks like SQLite FTS5's bm25()."""

from __future__ import annotations

import random

import pytest

from langmem_cli.core.records import NewMemory
from langmem_cli.store.retrievers import Query, Scope

WORDS = ("tea coffee running runner runs marathon Berlin Prague cat cats dog Pixel café naïve Rust Go "
         "Python sourdough bakery cello Japan April school daughter partner job quickly").split()


@pytest.fixture
def filled(store):
    rng = random.Random(3)
    store.put_many([NewMemory(f"ns/{i % 3}", " ".join(rng.choices(WORDS, k=rng.randint(2, 15))))
                    for i in range(300)])
    return store


def both(store, query, namespace=None, k=20, moment=None):
    retrievers = store.retrievers
    retrievers.reset()
    retrievers.searches = 0
    fts = retrievers.keyword_top_k(Scope(namespace, moment=moment), Query(query, None), k)
    assert store.keyword_index(wait=True) is not None
    memory = retrievers.keyword_top_k(Scope(namespace, moment=moment), Query(query, None), k)
    return fts, memory


@pytest.mark.parametrize("query", ["tea", "running cats in Berlin", "Café naive quickly", "dog OR cat", "zzz"])
@pytest.mark.parametrize("namespace", [None, "ns/1"])
def test_same_scores_as_fts5(filled, query, namespace):
    fts, memory = both(filled, query, namespace)
    assert [s for _, s in memory] == pytest.approx([s for _, s in fts], rel=1e-6)
    assert {i for i, _ in fts} == {i for i, _ in memory} or len(fts) == 20


@pytest.mark.parametrize("query", ["Where does Alice live?", "Alice", "Alice Prague", "alice zzz"])
def test_scope_common_terms_left_out_alike(store, query):
    """Both paths leave a term found in most of a scoped search's memories out of the keyword
    side (core.keywords.discriminating) and score the rest alike."""
    rng = random.Random(5)
    store.put_many([NewMemory("people/alice", "Alice " + " ".join(rng.choices(WORDS, k=rng.randint(2, 9))))
                    for _ in range(40)] + [NewMemory("people/alice", "Alice lives in Prague")]
                   + [NewMemory("people/bob", "Bob lives in Berlin, not with Alice")])
    fts, memory = both(store, query, "people/alice")
    assert [s for _, s in memory] == pytest.approx([s for _, s in fts], rel=1e-6)
    assert {i for i, _ in fts} == {i for i, _ in memory} or len(fts) == 20  # ties at the cut: either
    texts = {store.get(i).text for i, _ in fts}
    if query == "Where does Alice live?":
        assert texts == {"Alice lives in Prague"}
    elif query == "Alice":  # nothing else to go on: the name finds them all
        assert len(texts) == 20  # k
    elif query == "alice zzz":  # the name tells nothing apart, and nothing has "zzz"
        assert texts == set()
    else:
        assert all("Prague" in t for t in texts) and "Alice lives in Prague" in texts


def test_stays_fresh_after_writes_from_another_connection(filled, db_path, embedder):
    from langmem_cli import Store

    both(filled, "tea")  # builds the index
    with Store.open(db_path, embedder=embedder) as other:
        new = other.put("ns/1", "zebra zebra tea")
        gone = other.list(namespace="ns/1", limit=1)[0]
        other.delete(gone.id)
        other.update(other.list(namespace="ns/2", limit=1)[0].id, "zebra sourdough")
    fts, memory = both(filled, "zebra tea", "ns/1")
    assert memory[0][0] == new.id == fts[0][0]
    assert gone.id not in {i for i, _ in memory}
    assert [s for _, s in memory] == pytest.approx([s for _, s in fts], rel=1e-6)
    fts, memory = both(filled, "zebra")
    assert {i for i, _ in fts} == {i for i, _ in memory} and len(memory) == 2


def test_warm_search_uses_the_memory_index(filled):
    filled.search("tea", mode="keyword")
    assert filled.retrievers.warmer is None  # one search (a cold CLI): FTS5 only, nothing built
    hits = filled.search("tea", mode="keyword", limit=5)
    assert filled.retrievers.warmer is not None and hits  # the second starts the build
    assert filled.keyword_index(wait=True) is not None


def test_no_search_waits_for_the_index_build(filled, monkeypatch):
    """A warm process's first searches are as fast as a cold one's: the index is built in a
    background thread and FTS5 answers (same ranking) until it is ready."""
    import threading
    import time

    from langmem_cli.store.sqlite import keyword_index

    release = threading.Event()
    real_load = keyword_index.KeywordIndex.load

    def slow_load(conn):
        release.wait(20)
        return real_load(conn)

    monkeypatch.setattr(keyword_index.KeywordIndex, "load", staticmethod(slow_load))
    filled.prepare_search()  # what the MCP server does at start
    started = time.perf_counter()
    answers = [filled.search(q, mode="hybrid", limit=5) for q in ("tea", "running cats", "Berlin bakery", "tea")]
    assert time.perf_counter() - started < 5 and all(answers)
    assert filled.keyword_index() is None  # still building: FTS5 answered
    release.set()
    assert filled.keyword_index(wait=True) is not None
    again = filled.search("tea", mode="hybrid", limit=5)
    assert [h.memory.id for h in again] == [h.memory.id for h in answers[0]]
    assert [h.score for h in again] == pytest.approx([h.score for h in answers[0]], rel=1e-6)


def test_a_purge_drops_the_index_and_the_next_one_is_fresh(filled):
    victim = filled.search("tea", mode="keyword", limit=1)[0].memory
    filled.keyword_index(wait=True)
    filled.purge([victim.id], reclaim=False)
    assert filled.retrievers.warmer is None
    filled.search("tea", mode="keyword")
    filled.keyword_index(wait=True)
    assert victim.id not in [h.memory.id for h in filled.search("tea", mode="keyword", limit=300)]


def test_prepare_search_loads_the_vectors_in_the_background(filled):
    filled.prepare_search()
    warmer = filled.retrievers.warmer
    hits = filled.search("tea", limit=3)
    assert hits and warmer.vector_model is None  # the first search took the warmer's vectors
    assert filled.vector_index() is filled.retrievers.vectors and len(filled.retrievers.vectors.ids) == 300
