"""The in-memory BM25 index used by warm processes ranks like SQLite FTS5's bm25()."""

from __future__ import annotations

import random

import pytest

from langmem_cli.core.records import NewMemory
from langmem_cli.store.sqlite.search import Scope, keyword_ranking

WORDS = ("tea coffee running runner runs marathon Berlin Prague cat cats dog Pixel café naïve Rust Go "
         "Python sourdough bakery cello Japan April school daughter partner job quickly").split()


@pytest.fixture
def filled(store):
    rng = random.Random(3)
    store.put_many([NewMemory(f"ns/{i % 3}", " ".join(rng.choices(WORDS, k=rng.randint(2, 15))))
                    for i in range(300)])
    return store


def both(store, query, namespace=None, k=20, moment=None):
    store.searches = 0
    fts = keyword_ranking(store, query, k, Scope(store, namespace, None, None, None, moment))
    store.searches = 2
    memory = keyword_ranking(store, query, k, Scope(store, namespace, None, None, None, moment))
    return fts, memory


@pytest.mark.parametrize("query", ["tea", "running cats in Berlin", "Café naive quickly", "dog OR cat", "zzz"])
@pytest.mark.parametrize("namespace", [None, "ns/1"])
def test_same_scores_as_fts5(filled, query, namespace):
    fts, memory = both(filled, query, namespace)
    assert [s for _, s in memory] == pytest.approx([s for _, s in fts], rel=1e-6)
    assert {i for i, _ in fts} == {i for i, _ in memory} or len(fts) == 20


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
    assert filled._keywords is None
    hits = filled.search("tea", mode="keyword", limit=5)
    assert filled._keywords is not None and hits
