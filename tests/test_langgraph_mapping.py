"""The namespace mapping is lossless (any labels LangGraph allows), its paths are valid project
namespaces, and filters follow the stated rules on any JSON values."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from langmem_cli.core.namespaces import validate
from langmem_cli.langgraph import mapping

labels = st.text(min_size=1, max_size=12).filter(lambda t: "." not in t and "\x00" not in t)


@given(st.lists(labels, min_size=1, max_size=4))
def test_namespace_paths_round_trip_and_are_valid(namespace) -> None:
    path = mapping.to_path(namespace)
    if len(path) <= 255:
        assert validate(path) == path
    assert mapping.to_tuple(path) == tuple(namespace)


@given(st.lists(labels, min_size=1, max_size=3), st.lists(labels, min_size=1, max_size=3))
def test_different_namespaces_never_share_a_path(a, b) -> None:
    assert (mapping.to_path(a) == mapping.to_path(b)) == (a == b)


json_scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-5, 5, allow_nan=False) | st.text(max_size=3)


@given(st.dictionaries(st.sampled_from(["a", "b"]), json_scalars), json_scalars)
def test_ne_is_the_complement_of_eq_among_items_that_have_the_field(value, operand) -> None:
    eq = mapping.matches(value, {"a": {"$eq": operand}})
    ne = mapping.matches(value, {"a": {"$ne": operand}})
    if "a" in value:
        assert eq != ne
    else:
        assert not eq and not ne


@given(st.dictionaries(st.sampled_from(["a"]), json_scalars), st.integers(-5, 5) | st.text(max_size=3))
def test_a_comparison_matches_only_values_of_the_operands_kind(value, operand) -> None:
    hit = mapping.matches(value, {"a": {"$gte": operand}}) or mapping.matches(value, {"a": {"$lt": operand}})
    actual = value.get("a")
    same_kind = isinstance(actual, str) if isinstance(operand, str) else (
        isinstance(actual, (int, float)) and not isinstance(actual, bool))
    assert hit == same_kind


# -- LangmemStore against LangGraph's InMemoryStore, on what both define the same way ---------
ops = st.lists(st.tuples(
    st.sampled_from(["put", "put", "put", "delete"]),
    st.sampled_from([("a",), ("a", "b"), ("a", "b c"), ("z",)]),
    st.sampled_from(["k1", "k2", "k 3"]),
    st.integers(0, 3)), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops)
def test_same_answers_as_langgraphs_in_memory_store(tmp_path, sequence) -> None:
    import uuid

    from langgraph.store.memory import InMemoryStore

    from langmem_cli.langgraph import LangmemStore

    reference = InMemoryStore()
    with LangmemStore(tmp_path / f"{uuid.uuid4()}.db") as ours:
        for action, ns, key, n in sequence:
            for store in (reference, ours):
                if action == "put":
                    store.put(ns, key, {"content": f"note {n} {key}", "n": n})
                else:
                    store.delete(ns, key)
        for ns in [("a",), ("a", "b"), ("a", "b c"), ("z",)]:
            for key in ["k1", "k2", "k 3"]:
                a, b = reference.get(ns, key), ours.get(ns, key)
                assert (a and a.value) == (b and b.value)
        for prefix in [(), ("a",), ("a", "b")]:
            for flt in [None, {"n": 1}, {"n": {"$gte": 2}}]:
                want = {(i.namespace, i.key) for i in reference.search(prefix, filter=flt, limit=100)}
                got = {(i.namespace, i.key) for i in ours.search(prefix, filter=flt, limit=100)}
                assert got == want, (prefix, flt)
        # InMemoryStore keeps listing a namespace once emptied (or only read): here only those with items
        holding = sorted({i.namespace for i in reference.search((), limit=100)})
        assert ours.list_namespaces(limit=100) == holding
        assert ours.list_namespaces(max_depth=1) == sorted({ns[:1] for ns in holding})
