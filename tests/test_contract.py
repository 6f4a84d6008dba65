"""The store contract, one suite for every backend: each test runs on SQLite and on two real
PostgreSQL servers (``backend_db``: a SQLite file, pgserver's PG 16 + pgvector 0.6, embedded-
postgres' PG 18 + pgvector 0.8). Through the CLI where the CLI is the product; results are
compared with a SQLite reference built the same way in the same test."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from conftest import FAKE, Cli
from support.fake_llm import SCRIPT

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NOTES = [
    ("team/alice", "Alice is vegetarian and cooks lentil curry", ("topic=food", "level=3")),
    ("team/alice", "Alice has a dog called Max", ("topic=pets", "level=1")),
    ("team/alice/work", "Alice works as a nurse in Lisbon", ("topic=work", "level=2")),
    ("team/bob", "Bob plays the cello every Sunday", ("topic=music", "level=1")),
    ("team/bob", "Bob has a cat and a dog", ("topic=pets", "level=2")),
    ("team_x/bob", "Bob from another team likes dogs", ("topic=pets", "level=1")),
    ("teamb", "A namespace that only starts like team, with a dog", ("topic=pets", "level=1")),
]


@pytest.fixture
def b(backend_db: str) -> Cli:
    """The CLI on the backend under test."""
    return Cli(backend_db)


@pytest.fixture
def ref(tmp_path: Path) -> Cli:
    """The CLI on a SQLite reference database."""
    return Cli(tmp_path / "reference.db")


def fill(cli: Cli) -> dict[str, str]:
    ids = {}
    for namespace, text, meta in NOTES:
        ids[text] = cli.put(text, "-n", namespace, "-m", meta[0], "-m", meta[1])["id"]
    return ids


def ids_of(rows) -> list[str]:
    return [r["id"] for r in rows]


def test_put_get_list_delete_namespaces_history(b: Cli) -> None:
    ids = fill(b)
    one = b.json("get", ids["Alice has a dog called Max"])
    assert one["namespace"] == "team/alice" and one["content"] == {"content": "Alice has a dog called Max"}
    assert one["metadata"] == {"topic": "pets", "level": "1"}
    listed = b.json("list", "--prefix", "team", "--limit", "100")
    assert [r["namespace"] for r in listed] == ["team/alice", "team/alice", "team/alice/work", "team/bob", "team/bob"]
    assert ids_of(b.json("list", "--prefix", "team", "--limit", "2", "--offset", "1")) == ids_of(listed)[1:3]
    assert b.json("namespaces") == [{"namespace": n, "count": c} for n, c in
                                    [("team/alice", 2), ("team/alice/work", 1), ("team/bob", 2), ("team_x/bob", 1), ("teamb", 1)]]
    assert [r["namespace"] for r in b.json("namespaces", "--prefix", "team/alice")] == ["team/alice", "team/alice/work"]
    edited = b.json("put", "Alice is vegan now", "-n", "team/alice", "--id", "fixed-id")
    assert b.json("get", "fixed-id")["text"] == edited["text"]
    assert "already exists" in b("put", "again", "-n", "team/alice", "--id", "fixed-id", code=2).stderr
    b("delete", ids["Bob has a cat and a dog"])
    assert [h["action"] for h in b.json("history", ids["Bob has a cat and a dog"])] == ["insert", "delete"]
    assert "no memory" in b("get", ids["Bob has a cat and a dog"], code=3).stderr
    b("delete", "--prefix", "team/alice", "--yes")
    assert [r["namespace"] for r in b.json("namespaces")] == ["team/bob", "team_x/bob", "teamb"]


@pytest.mark.parametrize("args", [
    ("dog", "--mode", "vector"),
    ("dog", "--mode", "vector", "--prefix", "team"),
    ("dog", "--mode", "vector", "-n", "team/bob"),
    ("dog pets", "--mode", "vector", "--filter", "topic=pets", "--limit", "2", "--offset", "1"),
    ("dog", "--mode", "keyword", "--prefix", "team"),
    ("cello Sunday", "--mode", "keyword"),
    ("dog", "--filter", "level=1"),
    ("nurse Lisbon", "--prefix", "team/alice"),
])
def test_search_matches_the_sqlite_reference(b: Cli, ref: Cli, args) -> None:
    fill(b), fill(ref)
    got, want = b.json("search", *args, "--limit", "10") if "--limit" not in args else b.json("search", *args), \
        ref.json("search", *args, "--limit", "10") if "--limit" not in args else ref.json("search", *args)
    texts = lambda rows: [r["text"] for r in rows]  # noqa: E731
    if "vector" in args:  # the same ranking; memories with equal scores may come in either order
        ranked = lambda rows: sorted((-round(r["score"], 4), r["text"]) for r in rows)  # noqa: E731
        assert ranked(got) == ranked(want)
    else:  # keyword ranking differs (ts_rank vs BM25): the same memories match
        assert sorted(texts(got)) == sorted(texts(want))
    assert all(r["namespace"] == "team/bob" for r in got) if "team/bob" in args else True
    assert all(r["namespace"].startswith("team/") for r in got) if "team" in args else True


def test_a_term_in_most_of_the_scope_does_not_make_every_memory_a_keyword_hit(b: Cli) -> None:
    """A person's name in their own namespace tells nothing apart: in a scoped search the keyword
    side keeps the terms that do ("live"), on every backend; alone, the name still finds them all."""
    for text in ("Carol lives in Porto", "Carol works as a chef at Casa Nova", "Carol has two cats",
                 "Carol likes jazz and Carol plays the piano", "Carol was born in 1990", "Carol speaks Portuguese",
                 "Carol runs on Sundays", "Carol drinks green tea", "Carol's sister is called Ana",
                 "Carol is allergic to nuts"):
        b.put(text, "-n", "team/carol")
    b.put("Dan lives in Oslo and Dan knows Carol", "-n", "team/dan")
    hits = b.json("search", "Where does Carol live?", "--mode", "keyword", "-n", "team/carol")
    assert [r["text"] for r in hits] == ["Carol lives in Porto"]
    prefixed = b.json("search", "Where does Carol live?", "--mode", "keyword", "--prefix", "team")
    assert sorted(r["text"] for r in prefixed) == ["Carol lives in Porto", "Dan lives in Oslo and Dan knows Carol"]
    assert len(b.json("search", "Carol", "--mode", "keyword", "-n", "team/carol")) == 10
    assert b.json("search", "Where does Carol live?", "-n", "team/carol")[0]["text"] == "Carol lives in Porto"


def test_batch_search(b: Cli, tmp_path: Path) -> None:
    fill(b)
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"query": "dog", "namespace": "team/bob"}\n{"query": "cello", "mode": "keyword"}\n')
    lines = [json.loads(x) for x in b("search", "--queries", queries, "--jsonl").stdout.splitlines()]
    assert len(lines) == 2 and "cello" in json.dumps(lines[1])


def test_export_import_round_trip_sqlite_to_backend_to_sqlite(b: Cli, ref: Cli, cli_for, tmp_path: Path) -> None:
    ids = fill(ref)
    ref("put", "Alice is vegan now", "-n", "team/alice")
    ref("delete", ids["Bob has a cat and a dog"])
    exported = ref("export", "--history").stdout
    b("import", "-", input=exported)
    moved = b("export", "--history").stdout
    assert moved == exported
    back = cli_for(tmp_path / "back.db")
    back("import", "-", input=moved)
    assert back("export", "--history").stdout == exported
    assert b("import", "-", input=exported).stdout  # idempotent: a second import adds nothing
    assert b("export", "--history").stdout == exported


def test_stats_reindex_runs(b: Cli) -> None:
    fill(b)
    stats = b.json("stats")
    assert stats["memories"] == len(NOTES) and stats["namespaces"] == 5 and stats["needs_reindex"] == 0
    assert b.json("reindex", "--force")["reindexed"] == len(NOTES)
    assert b.json("search", "dog", "--mode", "vector", "--prefix", "team/bob")
    runs = b.json("runs")
    assert runs and runs[0]["status"] == "ok"


def test_extract_twice_then_consolidate(b: Cli) -> None:
    SCRIPT.reset()
    try:
        report = b.json("extract", FIXTURES / "transcripts" / "conversations.jsonl", "-n", "mem/{user_id}", *FAKE, "--json")
        assert report["summary"]["failed"] == 0 and report["summary"]["inserted"] > 0
        again = b.json("extract", FIXTURES / "transcripts" / "conversations.jsonl", "-n", "mem/{user_id}", *FAKE, "--json")
        assert again["summary"]["skipped"] == again["summary"]["conversations"]
        memory = b.json("list", "-n", "mem/alice")[0]
        assert b.json("history", memory["id"])[0]["run_id"]
        for text in ("Alice likes green tea", "Alice likes green tea a lot", "Alice drinks green tea daily"):
            b("put", text, "-n", "u/a")
        result = b.json("consolidate", "-n", "u/a", *FAKE, "--threshold", "0.5", "--json")
        assert result["summary"]["failed"] == 0
        assert b.json("consolidate", "-n", "u/a", *FAKE, "--threshold", "0.5", "--json")["summary"]["calls"] == 0
        assert {r["command"] for r in b.json("runs")} >= {"extract", "consolidate"}
    finally:
        SCRIPT.reset()


def test_profiles_show_and_edit(b: Cli) -> None:
    doc = b.put('{"name": "Alice"}', "--kind", "profile", "-n", "u/a")
    b("edit-profile", "-n", "u/a", "--set", "location=Brno")
    assert b.json("get", doc["id"])["content"] == {"name": "Alice", "location": "Brno"}
    [shown] = b.json("show-profile", "-n", "u/a")
    assert shown["content"]["location"] == "Brno"
    assert [h["action"] for h in b.json("show-profile", "-n", "u/a", "--history")] == ["insert", "update"]


def test_prompt_history(b: Cli, tmp_path: Path) -> None:
    SCRIPT.reset(auto=False)
    try:
        path = tmp_path / "p.json"
        path.write_text(json.dumps([{"name": "greeter", "prompt": "Say hello to {name}."}]))
        SCRIPT.replies.append(json.dumps({"update": True, "new_prompt": "Greet {name} warmly.", "rationale": "warmer"}))
        b("optimize-prompt", path, "-t", FIXTURES / "trajectories" / "support.jsonl", *FAKE, "--kind", "prompt_memory",
          "--in-place")
        assert [v["kind"] for v in b.json("prompt-history", "greeter")] == ["original", "prompt_memory"]
        assert b("prompt-history", "greeter", "--show", "1").stdout == "Say hello to {name}.\n"
    finally:
        SCRIPT.reset()


def test_mcp_server_on_the_backend(b: Cli, backend_db: str) -> None:
    pytest.importorskip("mcp")
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "langmem_cli", "--db", backend_db, "mcp", "-n", "agents/a"],
        env={k: v for k, v in os.environ.items() if k.startswith(("LANGMEM", "HF_", "PATH", "HOME", "PYTHON"))},
    )

    async def session():
        async with Client(params) as client:
            created = await client.call_tool("manage_memory", {"content": "The agent prefers short answers"})
            hits = await client.call_tool("search_memory", {"query": "short answers", "limit": 3})
            return created, hits

    created, hits = asyncio.run(asyncio.wait_for(session(), timeout=120))
    assert not created.is_error and not hits.is_error
    assert b.json("list", "-n", "agents/a")[0]["text"] == "The agent prefers short answers"


def test_validity_as_of_and_expired(backend_db: str) -> None:
    from langmem_cli.core.extraction import Operation
    from langmem_cli.embed.hash_embedder import HashEmbedder
    from langmem_cli.store import open_store

    with open_store(backend_db, embedder=HashEmbedder(64)) as store:
        old = store.put("v/a", "Alice lives in Paris", valid_from="2020-01-01")
        store.apply_operations("v/a", [Operation("update", "memory", {"content": "Alice lives in Oslo"}, old.id,
                                                 valid_from="2024-05-01")], source="t")
        assert [m.text for m in store.list(namespace="v/a")] == ["Alice lives in Oslo"]
        assert [m.text for m in store.list(namespace="v/a", as_of="2022-06-01")] == ["Alice lives in Paris"]
        assert store.count(namespace="v/a", include_expired=True) == 2
        assert [h.memory.text for h in store.search("Alice lives", namespace="v/a", as_of="2022-06-01")] == ["Alice lives in Paris"]
        ended = store.get(old.id)
        assert ended.valid_until == "2024-05-01" and ended.superseded_by
        assert [m.text for m in store.lineage(old.id)] == ["Alice lives in Paris", "Alice lives in Oslo"]


def test_grounding_marks_run_counts_and_nearest(backend_db: str) -> None:
    from langmem_cli.embed.hash_embedder import HashEmbedder
    from langmem_cli.store import open_store

    embedder = HashEmbedder(64)
    with open_store(backend_db, embedder=embedder) as store:
        assert store.cluster_failures("k") is None
        assert not store.record_cluster_failure("k", "g/a", "bad id", park_after=2)
        assert store.record_cluster_failure("k", "g/a", "bad id again", park_after=2)
        mark = store.cluster_failures("k")
        assert mark["failures"] == 2 and mark["parked"] and mark["last_error"] == "bad id again"
        store.clear_cluster_failures("k")
        assert store.cluster_failures("k") is None
        run = store.start_run("extract")
        store.record_run_counts(run, {"inserted": 2, "rejected": 3, "note": "not a count"})
        assert store.get_run(run)["rejected"] == 3 and json.loads(store.get_run(run)["counts"])["inserted"] == 2
        assert store.nearest("g/a", embedder.embed(["Alice likes tea"])) == [(None, 0.0)]
        tea = store.put("g/a", "Alice likes tea")
        store.put("g/a", "Bob rides a red bicycle to work")
        store.put("g/b", "Alice likes tea")  # another namespace: never the answer
        [(found, cosine)] = store.nearest("g/a", embedder.embed(["Alice likes tea"]))
        assert found == tea.id and cosine > 0.99


def test_purge_erases_the_content_and_keeps_a_tombstone(b: Cli) -> None:
    keep = b.put("Alice keeps this one", "-n", "p/a")["id"]
    secret = b.put("Alice's door code is 4711 zanzibar", "-n", "p/a")["id"]
    gone = b.put("Bob's old secret quokka", "-n", "p/b")["id"]
    b("delete", gone)  # deleted earlier: its text is still in history until purged
    result = b.json("delete", "--purge", secret, gone)
    assert result["tombstones"] == 2 and result["size_after"] > 0
    dump = b("export", "--history").stdout
    assert "zanzibar" not in dump and "quokka" not in dump and "Alice keeps this one" in dump
    assert [e["action"] for e in b.json("history", secret)][-1] == "purge"
    assert b.json("get", keep)["text"] == "Alice keeps this one"
    b.put("Carol's diary entry", "-n", "p/c/x")
    assert b.json("delete", "--purge", "--prefix", "p/c", "--yes")["tombstones"] == 1
    assert not b.json("list", "--prefix", "p/c")


def test_validity_through_the_cli(b: Cli, ref: Cli) -> None:
    for cli in (b, ref):
        cli.put("Alice lives in Prague", "-n", "u/a", "--valid-from", "2020-01-01", "--valid-until", "2024-03-01")
        cli.put("Alice lives in Berlin", "-n", "u/a", "--valid-from", "2024-03-01")
    for args in (("list", "-n", "u/a"), ("list", "-n", "u/a", "--as-of", "2022-01-01"),
                 ("list", "-n", "u/a", "--include-expired"), ("search", "Alice lives", "--as-of", "2021-07-01"),
                 ("search", "Alice lives", "--mode", "vector"), ("search", "Berlin", "--include-expired", "--mode", "keyword")):
        got, want = b.json(*args), ref.json(*args)
        assert [(m["text"], m["valid_from"], m["valid_until"]) for m in got] == \
            [(m["text"], m["valid_from"], m["valid_until"]) for m in want], args
