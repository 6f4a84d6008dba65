"""Issue 14: time-aware memories. When each fact held, superseded instead of overwritten, and
reads that return what is valid now unless --as-of or --include-expired."""

from __future__ import annotations

import json

import pytest
from conftest import FAKE

from langmem_cli.core.extraction import Operation
from langmem_cli.core.records import NewMemory
from langmem_cli.errors import NotFoundError, UsageError


def texts(rows) -> list[str]:
    return [r["text"] if isinstance(r, dict) else r.text for r in rows]


@pytest.fixture
def moved(store):
    """Alice lived in Prague from 2020, moved to Berlin on 2024-03-01 (an update by a model)."""
    prague = store.put("u/a", "Alice lives in Prague", valid_from="2020-01-01")
    result = store.apply_operations("u/a", [Operation("update", "memory", "Alice lives in Berlin", prague.id,
                                                      valid_from="2024-03-01")], "chat.jsonl:3")
    return prague, result["updated"][0]


# -- supersede, don't destroy --------------------------------------------------------------------

def test_a_model_update_supersedes(store, moved):
    prague, berlin = moved
    old = store.get(prague.id)
    assert old.text == "Alice lives in Prague"  # kept as it was
    assert old.valid_until == "2024-03-01" and old.superseded_by == berlin.id
    assert berlin.valid_from == "2024-03-01" and berlin.valid_until is None and berlin.id != prague.id
    assert [h.action for h in store.history(prague.id)] == ["insert", "supersede"]
    assert [m.id for m in store.lineage(berlin.id)] == [prague.id, berlin.id]
    assert [e.action for e in store.chain_history(prague.id)] == ["insert", "supersede", "insert"]


def test_a_model_delete_invalidates_and_a_user_delete_erases(store):
    plan = store.put("u/a", "Alice plans a trip to Japan", valid_from="2024-01-10")
    result = store.apply_operations("u/a", [Operation("delete", "memory", id=plan.id, valid_from="2024-02-01")], "x")
    assert [m.id for m in result["deleted"]] == [plan.id]
    kept = store.get(plan.id)
    assert kept.valid_until == "2024-02-01" and kept.superseded_by is None
    assert store.list(namespace="u/a") == [] and texts(store.list(namespace="u/a", include_expired=True)) == [kept.text]
    assert texts(store.list(namespace="u/a", as_of="2024-01-20")) == [kept.text]
    store.delete(plan.id)  # the user's command: gone for good
    with pytest.raises(NotFoundError):
        store.get(plan.id)


def test_an_update_without_a_time_closes_at_the_time_it_is_applied(store):
    old = store.put("u/a", "Bob drinks coffee")
    new = store.apply_operations("u/a", [Operation("update", "memory", "Bob drinks tea", old.id)], "x")["updated"][0]
    closed = store.get(old.id)
    assert closed.valid_until and closed.valid_until >= closed.created_at and new.valid_from is None
    assert texts(store.list(namespace="u/a")) == ["Bob drinks tea"]


def test_an_older_fact_learnt_late_does_not_replace_the_current_one(store):
    berlin = store.put("u/a", "Alice lives in Berlin", valid_from="2024-03-01")
    result = store.apply_operations("u/a", [Operation("update", "memory", "Alice lives in Prague", berlin.id,
                                                      valid_from="2021-05-01")], "old-chat")
    prague = result["updated"][0]
    assert prague.valid_until == "2024-03-01" and prague.superseded_by == berlin.id
    assert store.get(berlin.id).valid_until is None
    assert texts(store.list(namespace="u/a")) == ["Alice lives in Berlin"]
    assert texts(store.list(namespace="u/a", as_of="2022-01-01")) == ["Alice lives in Prague"]


def test_a_failed_batch_changes_nothing(store, moved):
    prague, berlin = moved
    with pytest.raises(NotFoundError, match="no memory with id no-such-id"):
        store.apply_operations("u/a", [Operation("update", "memory", "Alice lives in Rome", berlin.id),
                                       Operation("delete", "memory", id="no-such-id")], "x")
    assert store.get(berlin.id).valid_until is None and store.count(namespace="u/a", include_expired=True) == 2


# -- reads: current by default ---------------------------------------------------------------------

def test_list_count_and_search_are_current_unless_asked(store, moved):
    prague, berlin = moved
    assert texts(store.list(namespace="u/a")) == ["Alice lives in Berlin"]
    assert store.count(namespace="u/a") == 1 and store.count(namespace="u/a", include_expired=True) == 2
    assert texts(store.list(namespace="u/a", as_of="2023-06-01")) == ["Alice lives in Prague"]
    assert texts(store.list(namespace="u/a", as_of="2024-03-01")) == ["Alice lives in Berlin"]  # that whole day
    assert store.list(namespace="u/a", as_of="2019-01-01") == []
    for round_ in range(3):  # cold (FTS5 + vector load) and warm (in-memory indexes)
        for mode in ("hybrid", "vector", "keyword"):
            assert [h.memory.id for h in store.search("Alice lives", mode=mode)] == [berlin.id], (mode, round_)
            assert [h.memory.id for h in store.search("Alice lives", mode=mode, as_of="2022-02-02")] == [prague.id]
            assert {h.memory.id for h in store.search("Alice lives", mode=mode, include_expired=True)} == {
                prague.id, berlin.id}
            assert [h.memory.id for h in store.search("Alice", mode=mode, namespace="u/a")] == [berlin.id]


def test_warm_indexes_see_a_supersede_from_another_connection(store, db_path, embedder):
    from langmem_cli import Store

    first = store.put("u/a", "Carol works at Acme", valid_from="2022-01-01")
    for _ in range(2):
        assert [h.memory.id for h in store.search("Carol works", mode="keyword")] == [first.id]
    with Store.open(db_path, embedder=embedder) as other:
        other.apply_operations("u/a", [Operation("update", "memory", "Carol works at Globex", first.id,
                                                  valid_from="2024-05-01")], "x")
    assert texts(h.memory for h in store.search("Carol works", mode="keyword")) == ["Carol works at Globex"]
    assert texts(h.memory for h in store.search("Carol works", mode="vector")) == ["Carol works at Globex"]


def test_a_fact_valid_from_a_later_date_is_not_current_yet(store):
    store.put("u/a", "Dan starts at the bakery", valid_from="2999-01-01")
    assert store.list(namespace="u/a") == [] and store.search("bakery") == []
    assert texts(store.list(namespace="u/a", as_of="2999-06-01")) == ["Dan starts at the bakery"]
    for _ in range(2):  # the cached set of memories not valid is redone past the next boundary
        assert store.search("bakery", as_of="2998-12-31") == []
        assert texts(h.memory for h in store.search("bakery", as_of="2999-01-01")) == ["Dan starts at the bakery"]
        assert store.search("bakery") == []


def test_bad_dates_are_usage_errors(store):
    with pytest.raises(UsageError, match="valid_from"):
        store.put("u/a", "x", valid_from="last tuesday")
    with pytest.raises(UsageError, match="before"):
        store.put("u/a", "x", valid_from="2024-02-02", valid_until="2024-01-01")
    with pytest.raises(UsageError, match="as-of"):
        store.search("x", as_of="soon")


def test_dates_are_normalised_to_utc(store):
    m = store.put("u/a", "Eve lives in Lisbon", valid_from="2024-03-05T10:00:00+02:00", valid_until="2025-01-01T00:00")
    assert (m.valid_from, m.valid_until) == ("2024-03-05T08:00:00+00:00", "2025-01-01T00:00:00+00:00")


# -- the CLI, import/export, MCP --------------------------------------------------------------------

def test_put_get_list_and_search_from_the_cli(cli):
    old = cli.put("Alice lives in Prague", "-n", "u/a", "--valid-from", "2020-01-01", "--valid-until", "2024-03-01")
    new = cli.put("Alice lives in Berlin", "-n", "u/a", "--valid-from", "2024-03-01")
    assert (old["valid_from"], old["valid_until"]) == ("2020-01-01", "2024-03-01")
    shown = cli("get", old["id"], "--no-json").stdout
    assert "valid_from" in shown and "2024-03-01" in shown
    assert [m["id"] for m in cli.json("list", "-n", "u/a")] == [new["id"]]
    assert [m["id"] for m in cli.json("list", "-n", "u/a", "--as-of", "2022-01-01")] == [old["id"]]
    assert len(cli.json("list", "-n", "u/a", "--include-expired")) == 2
    table = cli("list", "-n", "u/a", "--include-expired", "--no-json").stdout
    assert "valid" in table and "2020-01-01 → 2024-03-01" in table
    assert [h["id"] for h in cli.json("search", "Alice lives")] == [new["id"]]
    assert [h["id"] for h in cli.json("search", "Alice lives", "--as-of", "2021-07-01")] == [old["id"]]
    result = cli("put", "x", "--valid-from", "someday", code=2)
    assert "valid_from" in result.stderr and "Traceback" not in result.output
    assert "as-of" in cli("search", "x", "--as-of", "2024-13-45", code=2).stderr


def test_batch_queries_take_as_of(cli, tmp_path):
    old = cli.put("Alice lives in Prague", "-n", "u/a", "--valid-from", "2020-01-01", "--valid-until", "2024-03-01")
    new = cli.put("Alice lives in Berlin", "-n", "u/a", "--valid-from", "2024-03-01")
    queries = tmp_path / "q.jsonl"
    queries.write_text("\n".join(json.dumps(q) for q in [
        {"id": 1, "query": "Alice lives"}, {"id": 2, "query": "Alice lives", "as_of": "2021-01-01"},
        {"id": 3, "query": "Alice lives", "include_expired": True}]) + "\n")
    lines = cli.jsonl("search", "--queries", queries)
    assert [[h["id"] for h in line["results"]] for line in lines[:2]] == [[new["id"]], [old["id"]]]
    assert len(lines[2]["results"]) == 2
    queries.write_text(json.dumps({"query": "x"}) + "\n" + json.dumps({"query": "x", "as_of": "Monday"}) + "\n")
    result = cli("search", "--queries", queries, code=4)
    assert f"{queries}:2" in result.stderr and result.stdout == ""


def test_export_import_keep_validity_and_reject_bad_dates(cli, cli_for, tmp_path, store, moved):
    prague, berlin = moved
    exported = tmp_path / "all.jsonl"
    exported.write_text("".join(line + "\n" for line in __import__("langmem_cli.store.transfer", fromlist=["x"])
                                .export_lines(store, history=True)))
    other = cli_for(tmp_path / "b.db")
    other("import", exported)
    copy = other.json("get", prague.id)
    assert (copy["valid_until"], copy["superseded_by"]) == ("2024-03-01", berlin.id)
    assert [m["id"] for m in other.json("list", "-n", "u/a")] == [berlin.id]
    assert [h["action"] for h in other.json("history", prague.id)] == ["insert", "supersede", "insert"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"namespace": "u/b", "content": "ok", "valid_from": "2024-01-01"}) + "\n"
                   + json.dumps({"namespace": "u/b", "content": "bad", "valid_until": "31/12/2024"}) + "\n")
    result = other("import", bad, code=4)
    assert f"{bad}:2" in result.stderr and "valid_until" in result.stderr
    assert other.json("list", "-n", "u/b") == []  # nothing half-written


def test_mcp_search_is_current_unless_as_of(store, moved):
    from langmem_cli.core.schemas import BUILTIN
    from langmem_cli.jobs.memory_tools import MemoryTools, ToolInputError

    prague, berlin = moved
    tools = MemoryTools(store, "u/a", BUILTIN["memory"])
    assert [h["id"] for h in tools.search("Alice lives")] == [berlin.id]
    assert [h["id"] for h in tools.search("Alice lives", as_of="2021-01-01")] == [prague.id]
    with pytest.raises(ToolInputError):
        tools.search("Alice", as_of="yesterday")


def test_show_profile_is_current_unless_as_of(cli, store):
    first = store.put("u/p", {"city": "Prague"}, kind="profile", metadata={"profile": True}, valid_from="2020-01-01")
    store.apply_operations("u/p", [Operation("update", "profile", {"city": "Berlin"}, first.id,
                                             metadata={"profile": True}, valid_from="2024-03-01")], "x")
    assert [d["content"] for d in cli.json("show-profile", "-n", "u/p")] == [{"city": "Berlin"}]
    assert [d["content"] for d in cli.json("show-profile", "-n", "u/p", "--as-of", "2022-01-01")] == [{"city": "Prague"}]
    history = cli.json("show-profile", "-n", "u/p", "--history")
    assert [r["action"] for r in history] == ["insert", "supersede", "insert"]


# -- extraction: the conversation's time, never the job's clock ----------------------------------------

def test_extraction_dates_facts_from_the_conversation(cli, fake, tmp_path):
    path = tmp_path / "march.jsonl"
    path.write_text(json.dumps({"role": "user", "content": "I live in Prague now.",
                                "timestamp": "2023-03-14T09:30:00Z"}) + "\n")
    fake.replies.extend([json.dumps({"operations": [{"action": "insert", "content": "The user lives in Prague",
                                                                    "quotes": ["I live in Prague now"]}]})])
    cli("extract", path, "-n", "u/a", *FAKE)
    [memory] = cli.json("list", "-n", "u/a")
    assert memory["valid_from"] == "2023-03-14T09:30:00+00:00"
    path2 = tmp_path / "june.jsonl"
    path2.write_text(json.dumps({"role": "user", "content": "I moved to Berlin.",
                                 "timestamp": "2024-06-01T12:00:00Z"}) + "\n")
    fake.replies.extend([json.dumps({"operations": [{"action": "update", "id": "m1", "content": "The user lives in Berlin",
                                                                    "quotes": ["I moved to Berlin"]}]})])
    cli("extract", path2, "-n", "u/a", *FAKE)
    old = cli.json("get", memory["id"])
    assert old["valid_until"] == "2024-06-01T12:00:00+00:00" and old["text"] == "The user lives in Prague"
    assert texts(cli.json("list", "-n", "u/a")) == ["The user lives in Berlin"]
    assert texts(cli.json("search", "where does the user live", "--as-of", "2023-12-31")) == ["The user lives in Prague"]


def test_import_of_a_time_blind_export_stays_time_blind(store):
    store.put_many([NewMemory("u/c", "Frank likes jazz")])
    from langmem_cli.store.transfer import export_lines

    [line] = list(export_lines(store))
    assert "valid_from" not in json.loads(line)
