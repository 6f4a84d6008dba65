"""LangmemStore, the LangGraph BaseStore on this project's store: every test on a SQLite file and
on both real PostgreSQL servers (``backend_db``). Where LangGraph's own stores have open bugs
(issue 25), this project's semantics are stated in the test names and checked."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from datetime import datetime

import numpy as np
import pytest

pytest.importorskip("langgraph.store.base")

from conftest import Cli  # noqa: E402
from langgraph.store.base import (  # noqa: E402
    GetOp,
    InvalidNamespaceError,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchOp,
)

from langmem_cli.langgraph import LangmemStore  # noqa: E402
from langmem_cli.langgraph.embedding import EmbeddingError  # noqa: E402

DIMS = 32


def word_vectors(texts: list[str]) -> list[list[float]]:
    """A caller's embed function: bag of hashed words (deterministic, no model)."""
    out = []
    for text in texts:
        v = np.zeros(DIMS)
        for word in text.lower().replace(",", " ").split():
            v[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIMS] += 1.0
        out.append(v.tolist())
    return out


class Recorder:
    def __init__(self):
        self.texts: list[str] = []

    def __call__(self, texts):
        self.texts.extend(texts)
        return word_vectors(texts)


@pytest.fixture
def lg(backend_db: str):
    with LangmemStore.from_conn_string(backend_db) as store:
        yield store


def test_put_get_update_delete_round_trip(lg: LangmemStore) -> None:
    ns = ("users", "alice")
    assert lg.get(ns, "k") is None
    lg.put(ns, "k", {"content": "Alice likes green tea", "n": 1})
    item = lg.get(ns, "k")
    assert item.value == {"content": "Alice likes green tea", "n": 1}
    assert item.key == "k" and item.namespace == ns
    assert isinstance(item.created_at, datetime) and item.created_at.tzinfo is not None
    time.sleep(0.01)
    lg.put(ns, "k", {"content": "Alice likes black tea"})
    again = lg.get(ns, "k")
    assert again.value == {"content": "Alice likes black tea"}
    assert again.created_at == item.created_at and again.updated_at > item.updated_at
    lg.delete(ns, "k")
    assert lg.get(ns, "k") is None
    assert lg.search(ns) == []
    assert lg.list_namespaces() == []
    lg.put(ns, "k", {"content": "back again"})  # a deleted key can be written again
    assert lg.get(ns, "k").value == {"content": "back again"}


def test_delete_invalidates_and_the_cli_still_shows_it_as_expired(lg: LangmemStore, backend_db: str) -> None:
    lg.put(("a",), "k", {"content": "a fact the agent dropped"})
    lg.delete(("a",), "k")
    cli = Cli(backend_db)
    assert cli.json("list") == []
    [kept] = cli.json("list", "--include-expired")
    assert kept["content"] == {"content": "a fact the agent dropped"} and kept["valid_until"]


def test_namespaces_map_losslessly_and_keys_are_any_string(lg: LangmemStore) -> None:
    odd = [("users", "Ünïcode name", "a/b", "x=y", "50%_off"), ("ns with spaces",), ("é",), ("a:b", "c+d", "-")]
    keys = ["plain", "with / slash", "ключ", "", " ", "a" * 300, "3fa85f64-5717-4562-b3fc-2c963f66afa6"]
    for ns in odd:
        for key in keys[:3] + keys[4:]:
            lg.put(ns, key, {"content": f"{ns} {key}"})
    assert sorted(lg.list_namespaces(limit=100)) == sorted(odd)
    for ns in odd:
        for key in keys[:3] + keys[4:]:
            assert lg.get(ns, key).value == {"content": f"{ns} {key}"}
        assert {i.key for i in lg.search(ns, limit=100)} == set(keys[:3] + keys[4:])
    # the same key in two namespaces is two items; a namespace that only starts like another is apart
    lg.put(("team",), "k", {"content": "one"})
    lg.put(("team_x",), "k", {"content": "two"})
    assert [i.value["content"] for i in lg.search(("team",))] == ["one"]


@pytest.mark.parametrize("namespace", [(), ("",), ("a.b",), ("langgraph", "x"), ("a", 1), ("nul\x00",)])
def test_invalid_namespaces_raise_langgraphs_error(lg: LangmemStore, namespace) -> None:
    with pytest.raises(InvalidNamespaceError):
        lg.put(namespace, "k", {"content": "x"})
    if namespace and namespace[0] != "langgraph":
        with pytest.raises(InvalidNamespaceError):  # batch() checks too, not only BaseStore.put
            lg.batch([PutOp(namespace, "k", {"content": "x"})])


def test_too_long_namespace_and_bad_keys_are_refused(lg: LangmemStore) -> None:
    with pytest.raises(InvalidNamespaceError, match="too long"):
        lg.put(("é" * 100,), "k", {"content": "x"})
    with pytest.raises(ValueError, match="key"):
        lg.batch([PutOp(("a",), "", {"content": "x"})])
    with pytest.raises(ValueError, match="key"):
        lg.batch([GetOp(("a",), 3)])


@pytest.mark.parametrize("value, message", [
    ({"when": datetime(2026, 1, 1)}, "not JSON-serialisable"),
    ({"s": {1, 2}}, "not JSON-serialisable"),
    ({"x": float("nan")}, "not JSON-serialisable"),
    ({}, "cannot be stored"),
    ({"a": ""}, "cannot be stored"),
    (["a", "list"], "must be a dict"),
])
def test_values_that_cannot_be_stored_are_refused_and_nothing_is_written(lg: LangmemStore, value, message) -> None:
    with pytest.raises(ValueError, match=message):
        lg.batch([PutOp(("a",), "ok", {"content": "fine"}), PutOp(("a",), "bad", value)])
    assert lg.get(("a",), "ok") is None and lg.get(("a",), "bad") is None


ITEMS = [
    ("p1", {"content": "Alice likes tea", "age": 30, "profile": {"city": "Lisbon", "score": 9}}),
    ("p2", {"content": "Bob plays cello", "age": 10, "profile": {"city": "Porto", "score": 10}}),
    ("p3", {"content": "Carol likes coffee", "age": "31", "profile": {"city": "Lisbon"}}),  # age as text
    ("p4", {"content": "Dan has no age", "profile": {"score": 2.5}}),
    ("p5", {"content": "Eve is flagged", "age": 45, "flag": True}),
]


def keys(items) -> list[str]:
    return sorted(i.key for i in items)


@pytest.fixture
def people(lg: LangmemStore) -> LangmemStore:
    for key, value in ITEMS:
        lg.put(("people",), key, value)
    return lg


def test_filter_operators_on_top_level_and_nested_fields(people: LangmemStore) -> None:
    s = people.search
    assert keys(s(("people",), filter={"age": 30})) == ["p1"]
    assert keys(s(("people",), filter={"age": {"$eq": 30}})) == ["p1"]
    assert keys(s(("people",), filter={"profile.city": "Lisbon"})) == ["p1", "p3"]
    assert keys(s(("people",), filter={"profile": {"city": "Lisbon"}})) == ["p1", "p3"]
    assert keys(s(("people",), filter={"profile.score": {"$gte": 9}})) == ["p1", "p2"]
    assert keys(s(("people",), filter={"profile.score": {"$lt": 9}})) == ["p4"]
    assert keys(s(("people",), filter={"age": {"$gt": 10, "$lte": 45}})) == ["p1", "p5"]
    assert keys(s(("people",), filter={"flag": True})) == ["p5"]
    assert keys(s(("people",), filter={"age": {"$gte": 10}, "profile.city": "Porto"})) == ["p2"]


def test_a_missing_field_matches_no_operator_not_even_ne(people: LangmemStore) -> None:
    # LangGraph issue 8366: $ne includes items lacking the field. Here it does not.
    assert keys(people.search(("people",), filter={"age": {"$ne": 30}})) == ["p2", "p3", "p5"]
    # LangGraph issue 8365: $gt/$lt fail on a missing field. Here such items simply do not match.
    assert keys(people.search(("people",), filter={"age": {"$lt": 100}})) == ["p1", "p2", "p5"]
    assert keys(people.search(("people",), filter={"nothing.here": {"$ne": 1}})) == []


def test_numbers_compare_as_numbers_and_other_types_never_compare(people: LangmemStore) -> None:
    # LangGraph issue 7684: PostgreSQL compared numbers as text ("10" < "9"). 10 > 9 here.
    assert keys(people.search(("people",), filter={"age": {"$gt": 9}})) == ["p1", "p2", "p5"]
    # a field of mixed types: the text "31" is not a number, so no numeric comparison matches it
    assert "p3" not in keys(people.search(("people",), filter={"age": {"$gt": 0}}))
    assert keys(people.search(("people",), filter={"age": {"$gt": "3"}})) == ["p3"]  # text with text
    assert keys(people.search(("people",), filter={"age": "31"})) == ["p3"]  # "31" is not 31
    assert keys(people.search(("people",), filter={"age": 31})) == []


@pytest.mark.parametrize("bad", [{"age": {"$regex": "x"}}, {"age": {"$gt": None}}, {"age": {"$lt": [1]}},
                                 {"": 1}, {"a..b": 1}])
def test_filters_this_store_cannot_evaluate_are_refused(people: LangmemStore, bad) -> None:
    with pytest.raises(ValueError):
        people.search(("people",), filter=bad)


def test_limit_and_offset_are_exact_at_any_depth(lg: LangmemStore) -> None:
    for i in range(40):
        lg.put(("deep", f"g{i % 3}"), f"k{i:02d}", {"content": f"note number {i} about tea", "i": i})
        if i % 4 == 0:
            lg.put(("other",), f"k{i}", {"content": f"outside note {i} about tea"})
    full = lg.search(("deep",), limit=100)
    assert len(full) == 40
    assert [i.value["i"] for i in full] == list(range(39, -1, -1))  # newest first
    for limit, offset in [(5, 0), (5, 10), (5, 35), (7, 33), (10, 39), (5, 40), (3, 100)]:
        page = lg.search(("deep",), limit=limit, offset=offset)
        assert [i.key for i in page] == [i.key for i in full[offset:offset + limit]], (limit, offset)
    # LangGraph issue 8977: limit 5 offset 10 gave 0 rows with a query too
    ranked = lg.search(("deep",), query="tea note", limit=100)
    assert len(ranked) == 40 and all(isinstance(i.score, float) for i in ranked)
    for limit, offset in [(5, 10), (5, 30), (10, 35)]:
        page = lg.search(("deep",), query="tea note", limit=limit, offset=offset)
        assert len(page) == min(limit, 40 - offset)
        assert {i.key for i in page} <= {i.key for i in ranked}
    # with a filter evaluated here, deep pages stay exact
    even = lg.search(("deep",), filter={"i": {"$gte": 20}}, limit=100)
    assert [i.value["i"] for i in even] == list(range(39, 19, -1))
    assert [i.value["i"] for i in lg.search(("deep",), filter={"i": {"$gte": 20}}, limit=5, offset=15)] == [
        24, 23, 22, 21, 20]


@pytest.mark.parametrize("limit, offset", [(-1, 0), (5, -1), (1.5, 0), (True, 0)])
def test_negative_or_non_integer_limit_and_offset_are_refused(lg: LangmemStore, limit, offset) -> None:
    # LangGraph issue 8696: negative limits/offsets were not refused.
    with pytest.raises(ValueError, match="limit|offset"):
        lg.search(("a",), limit=limit, offset=offset)
    with pytest.raises(ValueError, match="limit|offset"):
        lg.list_namespaces(limit=limit, offset=offset)


def test_query_is_the_hybrid_search_scoped_to_the_prefix(lg: LangmemStore) -> None:
    lg.put(("u", "a"), "tea", {"content": "Alice drinks green tea every morning"})
    lg.put(("u", "a"), "cello", {"content": "Alice plays the cello"})
    lg.put(("u", "b"), "tea", {"content": "Bob hates tea"})
    lg.put(("v",), "tea", {"content": "tea tea tea in another namespace"})
    hits = lg.search(("u",), query="green tea morning")
    assert hits[0].namespace == ("u", "a") and hits[0].key == "tea"
    assert {h.namespace[0] for h in hits} == {"u"}
    assert hits[0].score >= hits[-1].score
    assert [h.key for h in lg.search(("u", "b"), query="tea")] == ["tea"]


def test_index_false_and_field_paths(backend_db: str) -> None:
    recorder = Recorder()
    with LangmemStore(backend_db, index={"dims": DIMS, "embed": recorder, "fields": ["title"]}) as lg:
        lg.put(("d",), "conv", {"title": "weekend plans",
                                "messages": [{"role": "user", "content": "hiking in Sintra"},
                                             {"role": "ai", "content": "pack water"}]},
               index=["messages[*].content"])
        lg.put(("d",), "titled", {"title": "grocery list", "body": "apples and pears"})
        lg.put(("d",), "hidden", {"title": "hiking boots receipt"}, index=False)
        assert "hiking in Sintra\npack water" in recorder.texts  # the field path, each message's content
        assert "grocery list" in recorder.texts and not any("apples" in t for t in recorder.texts)
        assert not any("receipt" in t for t in recorder.texts)  # index=False: never embedded
        found = lg.search(("d",), query="hiking")
        assert "conv" in [h.key for h in found] and "hidden" not in [h.key for h in found]
        assert {i.key for i in lg.search(("d",))} == {"conv", "titled", "hidden"}  # listed, not searched
        assert lg.get(("d",), "hidden").value == {"title": "hiking boots receipt"}


def test_a_callers_vectors_are_kept_apart_from_the_on_device_models(backend_db: str) -> None:
    with LangmemStore(backend_db) as plain:  # on-device model (hash:64 in the tests)
        plain.put(("m",), "default", {"content": "the blue whale is large"})
    with LangmemStore(backend_db, index={"dims": DIMS, "embed": word_vectors}) as own:
        own.put(("m",), "own", {"content": "the blue whale is large too"})
        models = {m.id: m.embedding_model for m in own.store.list(namespace="m")}
        assert sorted(models.values()) == sorted(["hash:64", f"langgraph:{__name__}.word_vectors:{DIMS}"])
        hits = own.store.search("blue whale", namespace="m", mode="vector")
        assert [h.memory.metadata["langgraph"]["key"] for h in hits] == ["own"]
    with LangmemStore(backend_db) as plain:
        hits = plain.store.search("blue whale", namespace="m", mode="vector")
        assert [h.memory.metadata["langgraph"]["key"] for h in hits] == ["default"]


def test_embed_as_langchain_embeddings_and_as_async_function(backend_db: str) -> None:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    with LangmemStore(backend_db, index={"dims": 16, "embed": DeterministicFakeEmbedding(size=16)}) as lg:
        lg.put(("e",), "k", {"content": "hello"})
        assert lg.search(("e",), query="hello")[0].key == "k"

    async def aembed(texts):
        await asyncio.sleep(0)
        return word_vectors(texts)

    with LangmemStore(backend_db, index={"dims": DIMS, "embed": aembed}) as lg:
        async def main():
            await lg.aput(("e",), "k2", {"content": "hello async"})
            lg.put(("e",), "k3", {"content": "sync put inside a running loop"})
            return await lg.asearch(("e",), query="hello async")
        assert asyncio.run(main())[0].key == "k2"


def test_an_embed_that_raises_or_returns_the_wrong_dimension_writes_nothing(backend_db: str) -> None:
    def broken(texts):
        raise ConnectionError("provider down")

    with LangmemStore(backend_db, index={"dims": DIMS, "embed": broken}) as lg:
        with pytest.raises(EmbeddingError, match="provider down"):
            lg.put(("x",), "k", {"content": "nothing"})
        assert lg.store.count() == 0
    with LangmemStore(backend_db, index={"dims": 8, "embed": word_vectors}) as lg:
        with pytest.raises(EmbeddingError, match="32 dimensions.*dims=8"):
            lg.put(("x",), "k", {"content": "nothing"})
        assert lg.store.count() == 0
    with pytest.raises(ValueError, match="dims"):
        LangmemStore(backend_db, index={"dims": 999})  # the on-device model has other dims
    with pytest.raises(ValueError, match="dims"):
        LangmemStore(backend_db, index={"embed": word_vectors})


def test_ttl_expired_items_are_never_returned_and_sweep_erases_them(backend_db: str) -> None:
    with LangmemStore(backend_db, ttl={"default_ttl": 0.002, "refresh_on_read": False}) as lg:
        assert lg.supports_ttl
        lg.put(("t",), "short", {"content": "short lived note"})  # default_ttl: 0.12 s
        lg.put(("t",), "forever", {"content": "kept note"}, ttl=None)
        assert lg.get(("t",), "short") is not None
        time.sleep(0.2)
        assert lg.get(("t",), "short") is None
        assert [i.key for i in lg.search(("t",))] == ["forever"]
        assert [i.key for i in lg.search(("t",), query="short lived note")] == ["forever"]
        assert lg.store.count(namespace="t") == 2  # not swept yet
        assert lg.sweep_ttl() == 1
        assert lg.store.count(namespace="t", include_expired=True) == 1
        assert lg.sweep_ttl() == 0


def test_ttl_refresh_on_read_extends_the_life_of_what_is_read(backend_db: str) -> None:
    with LangmemStore(backend_db, ttl={"default_ttl": 0.01, "refresh_on_read": True}) as lg:
        lg.put(("t",), "read", {"content": "read often"})
        lg.put(("t",), "unread", {"content": "never read"})
        for _ in range(4):
            time.sleep(0.25)
            assert lg.get(("t",), "read") is not None  # each read gives it 0.6 s more
        assert lg.get(("t",), "unread") is None
        assert lg.get(("t",), "read", refresh_ttl=False) is not None


def test_ttl_without_a_ttl_config_is_honoured(lg: LangmemStore) -> None:
    lg.put(("t",), "k", {"content": "expires"}, ttl=0.001)
    time.sleep(0.1)
    assert lg.get(("t",), "k") is None and lg.sweep_ttl() == 1
    with pytest.raises(ValueError, match="ttl"):
        lg.put(("t",), "k", {"content": "x"}, ttl=-1)


def test_the_sweeper_starts_and_stops(backend_db: str) -> None:
    with LangmemStore(backend_db, ttl={"default_ttl": 0.001, "sweep_interval_minutes": 0.002}) as lg:
        future = lg.start_ttl_sweeper()
        lg.put(("t",), "k", {"content": "swept by the thread"})
        deadline = time.time() + 10
        while lg.store.count(namespace="t", include_expired=True) and time.time() < deadline:
            time.sleep(0.05)
        assert lg.store.count(namespace="t", include_expired=True) == 0
        assert lg.stop_ttl_sweeper(timeout=5)
        assert future.result(timeout=5) is None


def test_list_namespaces_prefix_suffix_wildcards_depth_and_pages(lg: LangmemStore) -> None:
    for ns in [("a", "b", "c"), ("a", "b", "d"), ("a", "e"), ("x", "b", "c"), ("x", "y", "z", "w")]:
        lg.put(ns, "k", {"content": "/".join(ns)})
    assert lg.list_namespaces(prefix=("a",)) == [("a", "b", "c"), ("a", "b", "d"), ("a", "e")]
    assert lg.list_namespaces(suffix=("c",)) == [("a", "b", "c"), ("x", "b", "c")]
    assert lg.list_namespaces(prefix=("*", "b")) == [("a", "b", "c"), ("a", "b", "d"), ("x", "b", "c")]
    assert lg.list_namespaces(prefix=("a", "*"), suffix=("d",)) == [("a", "b", "d")]
    assert lg.list_namespaces(max_depth=2) == [("a", "b"), ("a", "e"), ("x", "b"), ("x", "y")]
    assert lg.list_namespaces(limit=2, offset=1) == [("a", "b", "d"), ("a", "e")]
    assert lg.batch([ListNamespacesOp(match_conditions=(MatchCondition("suffix", ("*", "w")),),
                                      max_depth=None, limit=10, offset=0)]) == [[("x", "y", "z", "w")]]


def test_items_are_ordinary_memories_the_cli_shows(lg: LangmemStore, backend_db: str) -> None:
    lg.put(("org", "user 1"), "tea", {"content": "Prefers green tea"})
    cli = Cli(backend_db)
    [row] = cli.json("list", "--namespace", "org/user=201")
    assert row["content"] == {"content": "Prefers green tea"} and row["source"] == "langgraph"
    assert row["metadata"] == {"langgraph": {"key": "tea"}}
    assert cli.json("search", "green tea", "--namespace", "org/user=201")[0]["id"] == row["id"]
    assert "Prefers green tea" in cli("export").stdout
    # and a memory the CLI made is an item too, its id as its key
    made = cli.put("Likes long walks", "-n", "org/user=201", "-m", "topic=hobbies")
    item = lg.get(("org", "user 1"), made["id"])
    assert item.value == {"content": "Likes long walks"}
    assert made["id"] in {i.key for i in lg.search(("org",))}
    lg.put(("org", "user 1"), made["id"], {"content": "Likes long walks by the sea"})  # an agent's update
    updated = cli.json("get", made["id"])
    assert updated["content"] == {"content": "Likes long walks by the sea"}
    assert updated["metadata"]["topic"] == "hobbies"  # what the memory had stays


def test_a_batch_of_mixed_operations_runs_in_order(lg: LangmemStore) -> None:
    out = lg.batch([
        PutOp(("b",), "1", {"content": "one"}),
        PutOp(("b",), "1", {"content": "one, rewritten"}),  # the last put to a key in a run wins
        PutOp(("b",), "2", {"content": "two"}),
        GetOp(("b",), "1"),
        SearchOp(("b",), filter=None, limit=10, offset=0),
        PutOp(("b",), "2", None),
        GetOp(("b",), "2"),
        ListNamespacesOp(match_conditions=None, max_depth=None, limit=10, offset=0),
    ])
    assert out[0] is None and out[3].value == {"content": "one, rewritten"}
    assert {i.key for i in out[4]} == {"1", "2"} and out[6] is None and out[7] == [("b",)]


def test_many_threads_and_two_stores_on_one_database(lg: LangmemStore, backend_db: str) -> None:
    errors: list[BaseException] = []
    with LangmemStore(backend_db) as other:
        def work(store: LangmemStore, n: int) -> None:
            try:
                for i in range(10):
                    store.put(("c",), "same", {"content": f"writer {n} write {i}", "n": n})
                    store.put(("c", str(n)), f"own{i}", {"content": f"item {i} of writer {n}"})
                    store.get(("c",), "same")
                    store.search(("c",), query="writer", limit=3)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(lg if n % 2 else other, n)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors
    assert lg.get(("c",), "same").value["content"].startswith("writer ")
    assert lg.store.count(namespace="c", include_expired=True) == 1  # one memory for the key
    assert all(len(lg.search(("c", str(n)), limit=100)) == 10 for n in range(6))


def test_asyncio_callers_share_the_store(lg: LangmemStore) -> None:
    async def main():
        await asyncio.gather(*(lg.aput(("as",), f"k{i}", {"content": f"async note {i}"}) for i in range(20)))
        got = await asyncio.gather(*(lg.aget(("as",), f"k{i}") for i in range(20)))
        found = await lg.asearch(("as",), query="async note", limit=50)
        spaces = await lg.alist_namespaces()
        return got, found, spaces

    got, found, spaces = asyncio.run(main())
    assert [g.value["content"] for g in got] == [f"async note {i}" for i in range(20)]
    assert len(found) == 20 and spaces == [("as",)]


def test_an_unknown_embedding_provider_string_is_refused_clearly(tmp_path) -> None:
    with pytest.raises(ValueError, match="nosuchprovider"):
        LangmemStore(tmp_path / "m.db", index={"dims": 8, "embed": "nosuchprovider:model"})


def test_a_failed_value_in_a_batch_leaves_earlier_updates_unwritten(lg: LangmemStore) -> None:
    lg.put(("a",), "old", {"content": "before"})
    with pytest.raises(ValueError):
        lg.batch([PutOp(("a",), "old", {"content": "after"}), PutOp(("a",), "bad", {"x": object()})])
    assert lg.get(("a",), "old").value == {"content": "before"}


def test_search_mode_vector_ranks_by_cosine_alone(backend_db: str) -> None:
    with LangmemStore(backend_db, index={"dims": DIMS, "embed": word_vectors}, search_mode="vector") as lg:
        lg.put(("s",), "a", {"content": "red apples"})
        lg.put(("s",), "b", {"content": "green pears"})
        hits = lg.search(("s",), query="red apples")
        assert hits[0].key == "a" and hits[0].score == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="search_mode"):
        LangmemStore(backend_db, search_mode="fuzzy")


def test_a_query_with_a_filter_still_fills_the_page_when_the_filter_drops_the_best_hits(lg: LangmemStore) -> None:
    for i in range(40):
        text = f"green tea note {i}" if i < 30 else f"black coffee note {i}"
        lg.put(("q",), f"k{i:02d}", {"content": text, "i": i})
    hits = lg.search(("q",), query="green tea", filter={"i": {"$gte": 30}}, limit=10)
    assert sorted(h.value["i"] for h in hits) == list(range(30, 40))
    assert len(lg.search(("q",), query="green tea", filter={"i": {"$gte": 30}}, limit=4, offset=8)) == 2


def test_keys_map_to_the_same_id_in_every_process(lg: LangmemStore, backend_db: str) -> None:
    from langmem_cli.langgraph import mapping

    lg.put(("users", "a b"), "favourite colour", {"content": "blue"})
    expected = mapping.key_id("users/a=20b", "favourite colour")
    assert Cli(backend_db).json("get", expected)["content"] == {"content": "blue"}
    code = ("import sys; from langmem_cli.langgraph import LangmemStore; "
            "s = LangmemStore(sys.argv[1]); print(s.get(('users', 'a b'), 'favourite colour').value['content'])")
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code, backend_db], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": root}, check=True)
    assert out.stdout.strip() == "blue"


def test_abatch_and_search_refresh_ttl(backend_db: str) -> None:
    with LangmemStore(backend_db, ttl={"default_ttl": 0.01}) as lg:
        async def main():
            return await lg.abatch([PutOp(("r",), "k", {"content": "searched often"}, ttl=0.01),
                                    SearchOp(("r",), None, 10, 0, None, None)])
        assert asyncio.run(main())[1][0].key == "k"
        for _ in range(4):
            time.sleep(0.25)
            assert [i.key for i in lg.search(("r",))] == ["k"]  # each search gives it 0.6 s more
        time.sleep(0.25)
        assert [i.key for i in lg.search(("r",), refresh_ttl=False)] == ["k"]
        time.sleep(0.7)
        assert lg.search(("r",)) == []
