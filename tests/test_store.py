"""The Python Store API on real SQLite files."""

from __future__ import annotations

import sqlite3
import stat
import time

import numpy as np
import pytest

from langmem_cli import Memory, SearchHit, Store
from langmem_cli.core.records import NewMemory
from langmem_cli.embed.hash_embedder import HashEmbedder
from langmem_cli.errors import NotFoundError, UsageError
from langmem_cli.store.sqlite import migrations

# -- writes and reads ---------------------------------------------------------------------------


def test_put_and_get(store):
    m = store.put("org/u1", "Prefers tea over coffee", metadata={"app": "chat"}, source="unit")
    assert isinstance(m, Memory)
    assert m.content == {"content": "Prefers tea over coffee"}
    assert m.text == "Prefers tea over coffee"
    assert m.metadata == {"app": "chat"} and m.source == "unit"
    assert m.embedding_model == "hash:64"
    assert store.get(m.id) == m


def test_put_structured_kind(store):
    m = store.put("org/u1", {"name": "Rex", "nested": {"age": 3, "ok": True}, "tags": []}, kind="pet")
    assert m.kind == "pet"
    assert m.text == "name: Rex\nnested.age: 3\nnested.ok: yes"
    assert store.get(m.id).content == {"name": "Rex", "nested": {"age": 3, "ok": True}, "tags": []}


def test_put_many_one_transaction(store):
    items = [NewMemory("a", f"memory number {i}") for i in range(5)] + [NewMemory("b", {"x": 1}, kind="thing", id="fixed")]
    written = store.put_many(items)
    assert [m.namespace for m in written] == ["a"] * 5 + ["b"]
    assert written[-1].id == "fixed"
    assert store.count() == 6
    assert len(store.history("fixed")) == 1


def test_put_many_is_all_or_nothing(store):
    store.put("a", "already here", id="taken")
    with pytest.raises(UsageError):
        store.put_many([NewMemory("a", "new one", id="new"), NewMemory("a", "clash", id="taken")])
    assert store.count() == 1
    with pytest.raises(NotFoundError):
        store.get("new")


def test_put_many_empty(store):
    assert store.put_many([]) == []


@pytest.mark.parametrize("content", ["", "   ", {}, [], None, {"content": ""}])
def test_empty_content_is_refused(store, content):
    with pytest.raises(UsageError):
        store.put("a", content, kind="memory" if isinstance(content, str) or content is None else "thing")
    assert store.count() == 0


@pytest.mark.parametrize("namespace", ["", "a//b", "/a", "a/", "a/../b", "a b", "ä"])
def test_invalid_namespace_is_refused(store, namespace):
    with pytest.raises(UsageError):
        store.put(namespace, "text")


def test_update_changes_content_and_keeps_identity(store):
    m = store.put("a", "old words here", metadata={"k": "v"})
    time.sleep(0.002)
    new = store.update(m.id, "brand new words")
    assert new.id == m.id and new.namespace == "a"
    assert new.created_at == m.created_at
    assert new.updated_at > m.updated_at
    assert new.content_hash != m.content_hash
    assert new.metadata == {"k": "v"}  # kept when not given
    got = store.get(m.id)
    assert got.text == "brand new words" and got.updated_at == new.updated_at
    assert not np.allclose(store.embedding(m.id), HashEmbedder(64).embed(["old words here"])[0])
    assert np.allclose(store.embedding(m.id), HashEmbedder(64).embed(["brand new words"])[0])
    assert store.update(m.id, "brand new words", metadata={}).metadata == {}


def test_update_unknown(store):
    with pytest.raises(NotFoundError):
        store.update("nope", "x")


def test_delete(store):
    m = store.put("a", "to be deleted")
    keep = store.put("a", "to be kept")
    assert store.delete(m.id) == m
    with pytest.raises(NotFoundError):
        store.get(m.id)
    with pytest.raises(NotFoundError):
        store.delete(m.id)
    assert [x.id for x in store.list()] == [keep.id]


def test_delete_where(store):
    store.put("org/u1", "one")
    store.put("org/u1", {"a": 1}, kind="thing")
    store.put("org/u2", "two")
    store.put("organic", "three")
    assert store.delete_where(namespace="org/u1", kinds=["thing"]) == 1
    assert store.delete_where(prefix="org") == 2
    assert [m.namespace for m in store.list()] == ["organic"]
    with pytest.raises(UsageError):
        store.delete_where()
    assert store.count() == 1
    assert [e.action for e in store.history(store.list()[0].id)] == ["insert"]


def test_get_many_and_missing(store):
    a = store.put("a", "alpha")
    b = store.put("a", "beta")
    got = store.get_many([a.id, "missing", b.id])
    assert set(got) == {a.id, b.id} and got[b.id].text == "beta"
    assert store.get_many([]) == {}


def test_list_count_filters_and_order(store):
    ms = [
        store.put("org/u1", "first", metadata={"n": 1}),
        store.put("org/u1", {"name": "Rex", "age": 3}, kind="pet"),
        store.put("org/u2", "third", metadata={"n": 2}),
        store.put("org", "fourth"),
        store.put("organic", "fifth"),
    ]
    assert [m.id for m in store.list()] == [m.id for m in ms]
    assert [m.id for m in store.list(limit=2, offset=1)] == [ms[1].id, ms[2].id]
    assert [m.id for m in store.list(limit=None)] == [m.id for m in ms]
    assert [m.id for m in store.list(namespace="org/u1")] == [ms[0].id, ms[1].id]
    assert [m.id for m in store.list(prefix="org")] == [ms[i].id for i in (0, 1, 2, 3)]
    assert [m.id for m in store.list(kinds=["pet"])] == [ms[1].id]
    assert [m.id for m in store.list(filters=[("name", "Rex")])] == [ms[1].id]
    assert [m.id for m in store.list(filters=[("n", 2)])] == [ms[2].id]
    assert [m.id for m in store.list(filters=[("n", "2")])] == [ms[2].id]  # text form of a number
    assert store.count() == 5
    assert store.count(prefix="org") == 4
    assert store.count(namespace="org/u1", kinds=["memory"]) == 1
    assert store.count(filters=[("age", 3)]) == 1
    time.sleep(0.002)
    store.update(ms[0].id, "first, changed")
    assert [m.id for m in store.list(order="updated_at")][-1] == ms[0].id


def test_namespaces(store):
    for ns in ["b", "a/x", "a/x", "a", "ab"]:
        store.put(ns, f"in {ns} {time.monotonic_ns()}")
    assert store.namespaces() == [("a", 1), ("a/x", 2), ("ab", 1), ("b", 1)]
    assert store.namespaces(prefix="a") == [("a", 1), ("a/x", 2)]
    assert store.namespaces(prefix="a/x") == [("a/x", 2)]
    assert store.namespaces(prefix="zzz") == []


def test_history_entries(store):
    m = store.put("h", "v1", source="s1")
    store.update(m.id, "v2", source="s2")
    store.delete(m.id, source="s3")
    entries = store.history(m.id)
    assert [(e.action, e.source) for e in entries] == [("insert", "s1"), ("update", "s2"), ("delete", "s3")]
    assert entries[0].before is None and entries[0].after["text"] == "v1"
    assert entries[1].before["text"] == "v1" and entries[1].after["text"] == "v2"
    assert entries[2].before["text"] == "v2" and entries[2].after is None
    with pytest.raises(NotFoundError):
        store.history("never-existed")


def test_runs(store):
    run_id = store.start_run("unit", {"x": 1}, model="m")
    m = store.put("a", "during the run")
    store.finish_run(run_id, "ok", prompt_tokens=3, completion_tokens=4, cost=0.5)
    run = store.get_run(run_id)
    assert (run["command"], run["status"], run["prompt_tokens"], run["completion_tokens"], run["cost"]) == ("unit", "ok", 3, 4, 0.5)
    assert store.history(m.id)[0].run_id == run_id
    assert [r["id"] for r in store.runs()] == [run_id]
    with pytest.raises(NotFoundError):
        store.get_run("nope")


def test_stats(store):
    store.put("a", "one")
    store.put("b", {"k": "v"}, kind="thing")
    info = store.stats()
    assert info["memories"] == 2 and info["namespaces"] == 2
    assert info["kinds"] == {"memory": 1, "thing": 1}
    assert info["history_entries"] == 2
    assert info["embedding_models"] == {"hash:64": 2}
    assert info["needs_reindex"] == 0
    assert info["migrations"] == [name for name, _ in migrations.MIGRATIONS]


def test_embedding_is_normalised(store):
    m = store.put("a", "some words to embed")
    v = store.embedding(m.id)
    assert v.shape == (64,) and v.dtype == np.float32
    assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-5
    with pytest.raises(NotFoundError):
        store.embedding("nope")


# -- embeddings: the content-hash skip ----------------------------------------------------------


def test_identical_content_is_not_embedded_twice(store, embedder):
    a = store.put("one", "the very same words")
    assert embedder.texts_embedded == 1
    b = store.put("two", "the very same words")
    assert embedder.texts_embedded == 1
    assert np.array_equal(store.embedding(a.id), store.embedding(b.id))
    store.put("three", "different words")
    assert embedder.texts_embedded == 2


def test_put_many_embeds_each_new_text_once(store, embedder):
    store.put("a", "known text")
    before = embedder.texts_embedded
    store.put_many([NewMemory("b", "known text"), NewMemory("c", "fresh text"), NewMemory("d", "fresh text")])
    assert embedder.texts_embedded - before == 1
    assert embedder.calls == 2


def test_kind_is_part_of_the_content_hash(store, embedder):
    store.put("a", {"x": "same"}, kind="k1")
    store.put("a", {"x": "same"}, kind="k2")
    assert embedder.texts_embedded == 2


def test_update_to_known_content_is_not_embedded(store, embedder):
    store.put("a", "shared content")
    m = store.put("a", "other content")
    n = embedder.texts_embedded
    store.update(m.id, "shared content")
    assert embedder.texts_embedded == n


def test_hash_skip_is_per_embedding_model(db_path):
    with Store.open(db_path, embedder=HashEmbedder(64)) as s64:
        s64.put("a", "shared across models")
    e32 = HashEmbedder(32)
    with Store.open(db_path, embedder=e32) as s32:
        m = s32.put("a", "shared across models")
        assert e32.texts_embedded == 1
        assert s32.embedding(m.id).shape == (32,)


def test_embedding_model_from_env(db_path, monkeypatch):
    monkeypatch.setenv("LANGMEM_EMBEDDING_MODEL", "hash:16")
    with Store.open(db_path) as s:
        m = s.put("a", "env chooses the model")
        assert m.embedding_model == "hash:16" and s.embedding(m.id).shape == (16,)
    with Store.open(db_path, embedding_model="hash:24") as s:
        assert s.embedding_model == "hash:24"
        assert s.stats()["needs_reindex"] == 1


# -- search -------------------------------------------------------------------------------------


@pytest.fixture
def searchable(store):
    return {
        "tea": store.put("org/u1", "I drink green tea every morning"),
        "coffee": store.put("org/u1", "Coffee keeps me awake"),
        "dog": store.put("org/u2", {"name": "Rex", "species": "dog"}, kind="pet"),
        "tea2": store.put("organic", "Tea with lemon, more tea"),
        "x1": store.put("org/u2", "Learning to play the violin"),
        "x2": store.put("org/u2", "Has two children"),
    }


@pytest.mark.parametrize("mode", ["hybrid", "vector", "keyword"])
def test_search_modes(store, searchable, mode):
    hits = store.search("violin lessons", mode=mode)
    assert isinstance(hits[0], SearchHit)
    assert hits[0].memory.id == searchable["x1"].id
    assert hits[0].score > 0


def test_search_filters(store, searchable):
    assert [h.memory.id for h in store.search("tea", namespace="organic")] == [searchable["tea2"].id]
    assert searchable["tea2"].id not in [h.memory.id for h in store.search("tea", prefix="org")]
    assert [h.memory.id for h in store.search("Rex", kinds=["pet"])] == [searchable["dog"].id]
    assert [h.memory.id for h in store.search("name", filters=[("species", "dog")], mode="vector")] == [searchable["dog"].id]


def test_search_paging(store, searchable):
    full = [h.memory.id for h in store.search("tea coffee", limit=6)]
    assert len(full) == 6
    assert [h.memory.id for h in store.search("tea coffee", limit=2, offset=3)] == full[3:5]


@pytest.mark.parametrize(
    "kwargs", [{"mode": "semantic"}, {"limit": 0}, {"offset": -1}, {"namespace": "bad//ns"}, {"prefix": "/x"}]
)
def test_search_argument_errors(store, searchable, kwargs):
    with pytest.raises(UsageError):
        store.search("tea", **kwargs)


@pytest.mark.parametrize("query", ["", "   "])
def test_search_empty_query(store, query):
    with pytest.raises(UsageError):
        store.search(query)


def test_search_punctuation_only_query(store, searchable):
    assert store.search("?!", mode="keyword") == []
    assert len(store.search("?!", mode="vector", limit=3)) == 3


def test_search_sees_own_writes(store, searchable):
    assert store.search("zebra stripes", mode="keyword") == []
    z = store.put("org/u1", "zebra stripes everywhere")
    assert store.search("zebra stripes", mode="vector")[0].memory.id == z.id
    store.delete(z.id)
    assert z.id not in [h.memory.id for h in store.search("zebra stripes", mode="vector")]


def test_search_inside_a_write_transaction(store):
    with store.transaction():
        m = store.put("a", "written in the transaction")
        assert store.search("written transaction", mode="vector")[0].memory.id == m.id
        assert store.search("written transaction", mode="keyword")[0].memory.id == m.id
    assert store.count() == 1


def test_vector_index_sees_writes_from_another_connection(db_path):
    with Store.open(db_path, embedder=HashEmbedder(64)) as reader, Store.open(db_path, embedder=HashEmbedder(64)) as writer:
        base = writer.put("a", "plain old memory")
        assert [h.memory.id for h in reader.search("plain old memory", mode="vector")] == [base.id]  # index loaded

        new = writer.put("a", "zebra stripes are striking")
        hits = reader.search("zebra stripes striking", mode="vector")
        assert hits[0].memory.id == new.id and hits[0].score > 0.99

        writer.update(base.id, "giraffe necks are long")
        hits = reader.search("giraffe necks long", mode="vector")
        assert hits[0].memory.id == base.id and hits[0].score > 0.99

        writer.delete(new.id)
        assert new.id not in [h.memory.id for h in reader.search("zebra stripes striking", mode="vector")]

        writer.put_many([NewMemory("b", f"bulk memory {i}") for i in range(3)])
        assert reader.delete_where(namespace="a") == 1  # reader writes too
        assert writer.search("giraffe necks long", mode="vector", namespace="a") == []
        assert {h.memory.namespace for h in reader.search("bulk memory", mode="vector")} == {"b"}
        assert len(reader.search("bulk memory", mode="vector")) == 3


def test_vector_index_reloads_after_reindex_elsewhere(db_path):
    with Store.open(db_path, embedder=HashEmbedder(64)) as a:
        m = a.put("a", "stable words")
        assert a.search("stable words", mode="vector")[0].memory.id == m.id
        with sqlite3.connect(db_path) as raw:  # vectors replaced behind its back, as reindex does
            blob = HashEmbedder(64).embed(["totally unrelated"])[0].astype("<f4").tobytes()
            raw.execute("UPDATE memories SET embedding = ?", (blob,))
            raw.execute("INSERT INTO meta (key, value) VALUES ('reindexed_at', 'now')")
        hit = a.search("totally unrelated", mode="vector")[0]
        assert hit.memory.id == m.id and hit.score > 0.99


def test_reindex(db_path):
    with Store.open(db_path, embedder=HashEmbedder(64)) as s:
        ms = [s.put("a", t) for t in ("red apples", "green pears", "yellow bananas")]
    e32 = HashEmbedder(32)
    with Store.open(db_path, embedder=e32) as s:
        assert s.stats()["needs_reindex"] == 3
        assert s.search("green pears", mode="vector") == []  # no vectors of this model yet
        seen = []
        assert s.reindex(batch_size=2, progress=lambda done, total: seen.append((done, total))) == 3
        assert seen == [(2, 3), (3, 3)]
        assert e32.texts_embedded == 3
        assert s.stats()["needs_reindex"] == 0 and s.stats()["embedding_models"] == {"hash:32": 3}
        assert s.search("green pears", mode="vector")[0].memory.id == ms[1].id
        assert all(s.embedding(m.id).shape == (32,) for m in ms)
        assert s.reindex() == 0
        assert s.reindex(force=True) == 3


# -- the database file --------------------------------------------------------------------------


def test_migrations_recorded_once(db_path):
    with Store.open(db_path, embedder=HashEmbedder(64)) as s:
        first = s._query("SELECT name, applied_at FROM _migrations ORDER BY rowid")
        s.put("a", "content")
    assert [r[0] for r in first] == [name for name, _ in migrations.MIGRATIONS]
    with Store.open(db_path, embedder=HashEmbedder(64)) as s:
        assert migrations.pending(s.db) == []
        assert migrations.apply(s.db) == []
        assert s._query("SELECT name, applied_at FROM _migrations ORDER BY rowid") == first
        assert s.count() == 1


def test_new_migration_is_applied_on_open(db_path, monkeypatch):
    with Store.open(db_path, embedder=HashEmbedder(64)):
        pass

    def m999_extra(db):
        db["extra"].create({"id": int}, pk="id")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, ("m999_extra", m999_extra)])
    with Store.open(db_path, embedder=HashEmbedder(64)) as s:
        assert "extra" in s.db.table_names()
        assert s._query("SELECT name FROM _migrations ORDER BY rowid")[-1] == ("m999_extra",)


def test_database_file_is_private(db_path):
    with Store.open(db_path, embedder=HashEmbedder(64)) as s:
        s.put("a", "personal data")
        assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
        for suffix in ("-wal", "-shm"):
            side = db_path.with_name(db_path.name + suffix)
            if side.exists():
                assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0, suffix


def test_database_parent_directories_are_created(tmp_path):
    path = tmp_path / "deep" / "er" / "m.db"
    with Store.open(path, embedder=HashEmbedder(64)) as s:
        s.put("a", "x")
    assert path.exists()


def test_wal_mode(db_path):
    with Store.open(db_path, embedder=HashEmbedder(64)) as s:
        assert s._query("PRAGMA journal_mode")[0][0] == "wal"
    raw = sqlite3.connect(db_path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent in the file
    finally:
        raw.close()


def test_integrity_and_fts_in_sync(store, searchable):
    store.update(searchable["tea"].id, "now about mountains")
    store.delete(searchable["coffee"].id)
    assert store.integrity_check() == "ok"
    assert store._query("SELECT count(*) FROM memories_fts")[0][0] == store.count()
    assert [h.memory.id for h in store.search("mountains", mode="keyword")] == [searchable["tea"].id]
    assert store.search("coffee", mode="keyword") == []


def test_store_open_uses_env_db(tmp_path, monkeypatch):
    path = tmp_path / "from-env.db"
    monkeypatch.setenv("LANGMEM_DB", str(path))
    with Store.open(embedder=HashEmbedder(64)) as s:
        assert s.path == path
        s.put("a", "x")
    assert path.exists()


def test_offered_vectors_are_dropped_once_stored(tmp_path):
    """A long-lived store that is offered vectors (the grounding gate, the LangGraph store) holds each
    only until the write that stores it, and never more than a bound."""
    from langmem_cli.core.records import NewMemory
    from langmem_cli.embed.hash_embedder import HashEmbedder
    from langmem_cli.store.pending import PendingVectors
    from langmem_cli.store.sqlite import SQLiteStore

    embedder = HashEmbedder(64)
    with SQLiteStore(tmp_path / "m.db", embedder=embedder) as store:
        texts = [f"fact number {i} about bees" for i in range(50)]
        memories = [NewMemory("ns", t) for t in texts]
        for m, v in zip(memories, embedder.embed(texts)):
            store.offer_embeddings({store.prepare(m).content_hash: v})
        assert len(store._pending_vectors) == 50
        store.put_many(memories)
        assert len(store._pending_vectors) == 0
        assert store.count() == 50
    bounded = PendingVectors(limit=3)
    bounded.add((str(i), i) for i in range(5))
    assert len(bounded) == 3 and bounded.take(["0", "4"]) == {"4": 4} and len(bounded) == 2
