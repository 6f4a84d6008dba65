"""The ANN retriever of the SQLite backend (issue 28): a usearch HNSW file beside the database,
used for global vector searches only, fresh through the history delta, exact whenever it cannot
answer (missing, stale, corrupt), rebuilt by `reindex`."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from langmem_cli.core.records import NewMemory
from langmem_cli.store.retrievers import Query, Scope
from langmem_cli.store.sqlite import SQLiteStore
from langmem_cli.store.sqlite import ann as _ann_module

if not _ann_module.available():  # loads usearch the way the store does (onnxruntime first)
    pytest.skip("usearch (the `ann` extra) is not installed", allow_module_level=True)

WORDS = ("tea coffee running runner marathon Berlin Prague cat dog Pixel Rust Go Python sourdough bakery cello "
         "Japan April school daughter partner job quickly garden piano violin river mountain").split()


def open_store(db_path: Path, embedder, notes: list[str] | None = None, **kwargs) -> SQLiteStore:
    notes = notes if notes is not None else []
    kwargs.setdefault("ann_min_rows", 50)
    kwargs.setdefault("ann_background", False)
    kwargs.setdefault("run_id", None)
    store = SQLiteStore(db_path, embedder=embedder, **kwargs)
    store.ann.notice = notes.append
    return store


@pytest.fixture
def filled(db_path, embedder):
    notes: list[str] = []
    store = open_store(db_path, embedder, notes)
    rng = random.Random(4)
    store.put_many([NewMemory(f"ns/{i % 4}", " ".join(rng.choices(WORDS, k=rng.randint(3, 10))), source=f"f:{i}")
                    for i in range(400)])
    assert store.reindex() == 0  # nothing to re-embed, but the index file is built
    store.notes = notes
    yield store
    store.close()


def exact_and_indexed(store, text, k=10, moment=None):
    query = Query(text, store.embedder)
    scope = Scope(moment=moment)
    return store.retrievers.vector_exact(scope, query, k), store.retrievers.vector_indexed(scope, query, k)


def test_reindex_writes_the_index_beside_the_database(filled, db_path):
    meta = json.loads(Path(f"{db_path}.ann.json").read_text())
    assert meta["count"] == 400 and meta["model"] == filled.embedding_model
    assert Path(f"{db_path}.ann").stat().st_size == meta["size"]
    assert Path(f"{db_path}.ann").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("text", ["tea in Berlin", "cello and piano", "a dog running by the river"])
def test_global_search_through_the_index_matches_exact(filled, text):
    exact, indexed = exact_and_indexed(filled, text)
    assert indexed is not None
    # Ties are common among these short texts: a hit counts when it scores as high as the exact 10th.
    floor = exact[-1][1] - 1e-6
    assert sum(1 for _, score in indexed if score >= floor) >= 9
    same = dict(exact)
    assert all(score == pytest.approx(same[i], abs=1e-5) for i, score in indexed if i in same)  # exact scores


def test_a_write_is_searchable_at_once_and_a_deleted_memory_gone(filled):
    new = filled.put("ns/9", "zebra zebra zebra unicorn")
    gone = exact_and_indexed(filled, "tea in Berlin", k=1)[0][0][0]
    filled.delete(gone)
    _, indexed = exact_and_indexed(filled, "zebra zebra zebra unicorn", k=3)
    assert indexed[0][0] == new.id and indexed[0][1] == pytest.approx(1.0, abs=1e-5)
    _, indexed = exact_and_indexed(filled, "tea in Berlin", k=20)
    assert gone not in {i for i, _ in indexed}


def test_writes_from_another_process_are_seen(filled, db_path, embedder):
    with open_store(db_path, embedder) as other:
        new = other.put("ns/1", "zebra zebra zebra unicorn")
    _, indexed = exact_and_indexed(filled, "zebra zebra zebra unicorn", k=1)
    assert indexed[0][0] == new.id


def test_validity_is_applied(filled):
    exact, _ = exact_and_indexed(filled, "tea in Berlin", k=5)
    first = exact[0][0]
    memory = filled.get(first)
    filled.apply_operations(memory.namespace, [type("Op", (), {"action": "delete", "id": first, "kind": None,
                                                               "content": None, "metadata": None,
                                                               "valid_from": None})()], "test")
    from langmem_cli.core.timestamps import now

    filled.reindex()  # the closed memory is in the index file now, not in the delta
    exact, indexed = exact_and_indexed(filled, "tea in Berlin", k=5, moment=now())
    assert first not in {i for i, _ in indexed} and [i for i, _ in indexed][:3] == [i for i, _ in exact][:3]


def test_scoped_searches_never_use_the_index(filled, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("the index was asked for a scoped search")

    monkeypatch.setattr(filled.ann, "top_k", boom)
    assert filled.search("tea", namespace="ns/1", mode="vector")
    assert filled.search("tea", kinds=["memory"], mode="hybrid")
    with pytest.raises(AssertionError):
        filled.search("tea", mode="vector")


def test_store_search_uses_the_index_for_global_searches(filled, monkeypatch):
    asked = []
    real = filled.ann.top_k
    monkeypatch.setattr(filled.ann, "top_k", lambda *a: asked.append(a) or real(*a))
    hits = filled.search("tea in Berlin", mode="vector", limit=5)
    assert asked and len(hits) == 5


@pytest.mark.parametrize("damage", ["missing", "corrupt", "truncated", "description"])
def test_a_damaged_index_is_said_once_searched_exactly_and_rebuilt(db_path, embedder, filled, damage):
    filled.close()
    index, meta = Path(f"{db_path}.ann"), Path(f"{db_path}.ann.json")
    if damage == "missing":
        index.unlink()
    elif damage == "corrupt":
        index.write_bytes(b"not an index" * 100)
    elif damage == "truncated":
        index.write_bytes(index.read_bytes()[: index.stat().st_size // 2])
    else:
        meta.write_text("{")
    notes: list[str] = []
    store = open_store(db_path, embedder, notes, ann_background=True)
    try:
        exact, indexed = exact_and_indexed(store, "tea in Berlin")
        assert indexed is None  # exact meanwhile
        assert [h.memory.id for h in store.search("tea in Berlin", mode="vector")] == [i for i, _ in exact]
        assert not store.ann.build_started  # one search (a cold CLI): no build it would kill
        store.search("cello", mode="vector")  # a second search: a warm process rebuilds
        assert len(notes) == 1 and "exact" in notes[0]  # said once
        store.ann.wait()
        _, indexed = exact_and_indexed(store, "tea in Berlin")
        assert indexed is not None and {i for i, _ in indexed} & {i for i, _ in exact}
        assert json.loads(meta.read_text())["count"] == 400
    finally:
        store.close()


def test_a_stale_index_falls_back_and_is_rebuilt(filled, monkeypatch):
    from langmem_cli.store.sqlite import ann

    monkeypatch.setattr(ann, "REBUILD_AT", 0)
    monkeypatch.setattr(ann, "REBUILD_SHARE", 0.0)
    filled.put_many([NewMemory("ns/1", f"fresh note {i} about tea") for i in range(1100)])
    assert exact_and_indexed(filled, "tea")[1] is None
    assert filled.notes and "behind" in filled.notes[-1]
    filled.reindex()
    assert exact_and_indexed(filled, "tea")[1] is not None


def test_an_interrupted_build_leaves_the_old_index(filled, db_path, monkeypatch):
    from langmem_cli.store.sqlite import ann

    before = Path(f"{db_path}.ann.json").read_text()
    filled.put("ns/1", "zebra zebra zebra unicorn")

    class Interrupted(Exception):
        pass

    def crash(*args, **kwargs):
        raise Interrupted

    real = ann._usearch()

    class Crashing(real):
        def save(self, *args, **kwargs):
            raise Interrupted

    monkeypatch.setattr(ann, "_usearch", lambda: Crashing)
    with pytest.raises(Interrupted):
        filled.reindex()
    assert Path(f"{db_path}.ann.json").read_text() == before
    assert not list(Path(db_path).parent.glob("*.tmp-*"))
    monkeypatch.undo()
    _, indexed = exact_and_indexed(filled, "zebra zebra zebra unicorn", k=1)
    assert indexed is not None and filled.get(indexed[0][0]).text == "zebra zebra zebra unicorn"


def test_one_builder_at_a_time(filled, db_path):
    from langmem_cli.store.sqlite import ann

    with ann._exclusive(Path(f"{db_path}.ann.lock")) as mine:
        assert mine
        assert filled.ann.rebuild() is None  # another holds the lock: nothing written, no wait


def test_small_stores_have_no_index_file(db_path, embedder):
    with open_store(db_path, embedder, ann_min_rows=1000) as store:
        store.put_many([NewMemory("ns", f"note {i}") for i in range(20)])
        store.reindex()
        assert not Path(f"{db_path}.ann").exists()
        assert store.search("note", mode="vector", limit=3)


def test_a_purge_removes_the_index_file(filled, db_path):
    victim = filled.search("tea", mode="vector", limit=1)[0].memory
    filled.purge([victim.id], reclaim=False)
    assert not Path(f"{db_path}.ann").exists()


def test_the_embedder_loads_after_the_index_library(tmp_path):
    """usearch's native library loaded before onnxruntime's crashed the process on import: a search
    that opens the index and then embeds its query must not (a process of its own: a crash here
    would take the test run with it)."""
    import subprocess
    import sys

    code = "from langmem_cli.store.sqlite import ann; assert ann.available(); import onnxruntime; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-500:]
