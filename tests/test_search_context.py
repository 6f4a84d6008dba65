"""`search --context N`: hits bring the quoted turn(s) read back from the transcript, in the table,
in JSON, in batch lines and over MCP; a moved or changed file is said, and the stored quote kept."""

from __future__ import annotations

import json
import shutil

import pytest

TURNS = [
    ("Maria", "Hi Tom! How was your week?"),
    ("Tom", "Busy. I started pottery classes on Tuesday and I love them."),
    ("Maria", "Pottery, nice! What did you make?"),
    ("Tom", "A blue bowl for my sister Ana."),
    ("Maria", "I adopted a grey cat called Pixel last month."),
    ("Tom", "Pixel is a great name for a cat."),
]


@pytest.fixture
def chat(tmp_path):
    path = tmp_path / "chat.jsonl"
    record = {"messages": [{"role": "user", "name": who, "content": text} for who, text in TURNS],
              "date": "2023-05-08T13:56:00"}
    path.write_text(json.dumps(record) + "\n")
    return path


@pytest.fixture
def extracted(cli, chat):
    cli("extract", chat, "-n", "c")
    memories = cli.json("list", "-n", "c")
    assert any(m["metadata"].get("evidence") for m in memories)
    return chat


def quoted_hit(hits, word):
    return next(h for h in hits if word in h["text"].lower() and h["metadata"].get("evidence"))


def test_context_brings_the_quoted_turn_and_its_neighbours(cli, extracted):
    hits = cli.json("search", "What does Tom make in pottery?", "-n", "c", "--context", "1")
    hit = quoted_hit(hits, "bowl")
    [entry] = hit["context"]
    assert entry["status"] == "ok" and entry["file"] == str(extracted)
    quoted = [t for t in entry["turns"] if t["quoted"]]
    assert [t["text"] for t in quoted] == [TURNS[3][1]]
    assert [t["message"] for t in entry["turns"]] == [2, 3, 4]
    assert [t["speaker"] for t in entry["turns"]] == ["Maria", "Tom", "Maria"]
    # 0: only the quoted turn; more than the conversation holds: all of it, no error
    assert [t["message"] for t in quoted_hit(cli.json("search", "blue bowl", "-n", "c", "--context", "0"),
                                             "bowl")["context"][0]["turns"]] == [3]
    assert [t["message"] for t in quoted_hit(cli.json("search", "blue bowl", "-n", "c", "--context", "500"),
                                             "bowl")["context"][0]["turns"]] == list(range(len(TURNS)))
    # without --context, hits are as before
    assert "context" not in cli.json("search", "blue bowl", "-n", "c")[0]
    cli("search", "blue bowl", "-n", "c", "--context", "-1", code=2)


def test_context_in_the_table_and_in_batch_lines(cli, extracted, tmp_path):
    out = cli("search", "blue bowl", "-n", "c", "--context", "1", "--no-json").stdout
    assert "> [3] Tom: A blue bowl for my sister Ana." in out
    assert "[2] Maria: Pottery, nice! What did you make?" in out
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"id": 1, "query": "blue bowl", "namespace": "c"}) + "\n")
    [line] = cli.jsonl("search", "--queries", queries, "--context", "1")
    assert quoted_hit(line["results"], "bowl")["context"][0]["status"] == "ok"


def test_a_moved_or_changed_file_is_said_and_the_stored_quote_kept(cli, extracted, tmp_path):
    changed = extracted.read_text().replace("A blue bowl for my sister Ana.", "A red vase.")
    extracted.write_text(changed)
    entry = quoted_hit(cli.json("search", "blue bowl", "-n", "c", "--context", "1"), "bowl")["context"][0]
    assert entry["status"] == "changed" and "no longer holds the quote" in entry["note"]
    assert entry["turns"] == [] and "blue bowl" in entry["quotes"][0]["quote"].lower()
    shutil.move(extracted, tmp_path / "elsewhere.jsonl")
    entry = quoted_hit(cli.json("search", "blue bowl", "-n", "c", "--context", "1"), "bowl")["context"][0]
    assert entry["status"] == "missing" and "not found" in entry["note"] and "blue bowl" in entry["quotes"][0]["quote"].lower()
    out = cli("search", "blue bowl", "-n", "c", "--context", "1", "--no-json").stdout
    assert "evidence file not found" in out and "blue bowl" in out.lower()


def test_memories_without_evidence_no_common_words_and_empty_namespaces(cli, extracted):
    typed = cli.put("Tom prefers tea", "-n", "c")
    hits = cli.json("search", "tea", "-n", "c", "--context", "2")
    assert next(h for h in hits if h["id"] == typed["id"])["context"] == []
    assert "no evidence recorded" in cli("search", "Tom prefers tea", "-n", "c", "--context", "2", "--no-json").stdout
    # no word in common with any memory: still an answer (the vector side), no error
    assert isinstance(cli.json("search", "xylophone zeppelin", "-n", "c", "--context", "1"), list)
    assert cli.json("search", "blue bowl", "-n", "nobody", "--context", "1") == []
    assert "no results" in cli("search", "blue bowl", "-n", "nobody", "--context", "1", "--no-json").stdout


def test_mcp_search_tool_brings_context(db_path, cli, extracted):
    pytest.importorskip("mcp")
    from tests.test_mcp import Client, error_text, payload, run, server_params

    async def session():
        async with Client(server_params(db_path, "-n", "c")) as client:
            with_context = payload(await client.call_tool("search_memory", {"query": "blue bowl", "context": 1}))
            without = payload(await client.call_tool("search_memory", {"query": "blue bowl"}))
            bad = await client.call_tool("search_memory", {"query": "blue bowl", "context": -2})
            return with_context, without, bad

    with_context, without, bad = run(session())
    entry = next(h for h in with_context if "bowl" in h["text"].lower() and h["context"])["context"][0]
    assert [t["message"] for t in entry["turns"]] == [2, 3, 4] and entry["status"] == "ok"
    assert all("context" not in h for h in without)
    assert "context" in error_text(bad)


def test_a_file_named_relative_to_where_extract_ran_is_read_from_anywhere(cli, tmp_path, monkeypatch):
    """`extract chats/chat.jsonl` in one directory, `search --context` (or an MCP server) started in
    another: the evidence keeps the file as given and its absolute path, and the context is read."""
    work, other = tmp_path / "work", tmp_path / "other"
    (work / "chats").mkdir(parents=True)
    other.mkdir()
    record = {"messages": [{"role": "user", "name": who, "content": text} for who, text in TURNS],
              "date": "2023-05-08T13:56:00"}
    (work / "chats" / "chat.jsonl").write_text(json.dumps(record) + "\n")
    monkeypatch.chdir(work)
    cli("extract", "chats/chat.jsonl", "-n", "c")
    monkeypatch.chdir(other)
    hit = quoted_hit(cli.json("search", "blue bowl", "-n", "c", "--context", "1"), "bowl")
    [item] = [e for e in hit["metadata"]["evidence"] if e["message"] == 3]
    assert item["file"] == "chats/chat.jsonl" and item["path"] == str(work / "chats" / "chat.jsonl")
    [entry] = hit["context"]
    assert entry["status"] == "ok" and entry["file"] == "chats/chat.jsonl"
    assert [t["message"] for t in entry["turns"]] == [2, 3, 4]
    # gone from both places: said, the stored quote kept
    shutil.move(work / "chats" / "chat.jsonl", tmp_path / "gone.jsonl")
    entry = quoted_hit(cli.json("search", "blue bowl", "-n", "c", "--context", "1"), "bowl")["context"][0]
    assert entry["status"] == "missing" and "blue bowl" in entry["quotes"][0]["quote"].lower()
