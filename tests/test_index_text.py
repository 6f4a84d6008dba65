"""The keyword index reads each memory with the words around what it quotes (issue 24;
core/index_text.py): a question worded like the message a statement answers finds the statement,
on every backend; the memory's text, its vector and update detection are unchanged; an erase
erases these words too; a store written before reads them after its migration."""

from __future__ import annotations

import json
import sqlite3

import pytest

from langmem_cli.core import index_text as it
from langmem_cli.core.conversation import Conversation, Message

TURNS = [
    ("user", "Maria", "Hi Tom! How was your weekend?"),
    ("user", "Tom", "Great! I took my kids to a pottery workshop on Saturday."),
    ("user", "Maria", "Fun! So what did you guys end up making at the workshop?"),
    ("user", "Tom", "We all made our own bowls, it was so relaxing and therapeutic."),
    ("tool", None, "calendar: ceramics studio booked"),
    ("user", "Maria", "I adopted a grey cat called Pixel last month."),
]


def conversation(turns=TURNS) -> Conversation:
    return Conversation([Message(role, text, name=who) for role, who, text in turns], {"id": "c1"}, "chat.jsonl:1")


def quoting(*messages: int, conversation_id: str = "c1") -> list[dict]:
    return [{"conversation": conversation_id, "message": m, "quote": "x"} for m in messages]


def test_the_message_before_then_the_quoted_message():
    words = it.index_text(conversation(), quoting(3))
    assert words == f"{TURNS[2][2]} {TURNS[3][2]}"
    # the first message has nothing before it
    assert it.index_text(conversation(), quoting(0)) == TURNS[0][2]
    # the day it was said, as a question would write it
    assert it.index_text(conversation(), quoting(0), "2023-05-08T13:56:00+00:00") == f"{TURNS[0][2]} 8 May 2023"
    assert it.index_text(conversation(), quoting(0), "not a date") == TURNS[0][2]


def test_never_tool_text_and_never_another_conversations_messages():
    # the message before the last one is a tool's output: the one before that is read instead
    assert it.index_text(conversation(), quoting(5)) == f"{TURNS[3][2]} {TURNS[5][2]}"
    assert it.index_text(conversation(), quoting(3, conversation_id="other")) is None
    assert it.index_text(conversation(), quoting(99)) is None
    assert it.index_text(conversation(), [{"conversation": "c1", "message": True}]) is None


def test_each_message_is_cut_to_its_first_words():
    long = " ".join(f"w{i}" for i in range(200))
    words = it.index_text(conversation([("user", "A", long), ("user", "B", long)]), quoting(1)).split()
    assert len(words) == 2 * it.MAX_WORDS and words[it.MAX_WORDS] == "w0"


@pytest.fixture
def chat(tmp_path):
    path = tmp_path / "chat.jsonl"
    path.write_text(json.dumps({"messages": [{"role": r, **({"name": w} if w else {}), "content": t}
                                             for r, w, t in TURNS], "date": "2023-05-08T13:56:00"}) + "\n")
    return path


def bowls(memories: list[dict]) -> dict:
    [memory] = [m for m in memories if "bowls" in m["text"]]
    return memory


def test_extract_stores_the_words_and_the_keyword_side_reads_them(cli, chat):
    cli("extract", chat, "-n", "c")
    memory = bowls(cli.json("list", "-n", "c"))
    assert "workshop" not in memory["text"]  # the statement itself does not say where
    assert memory["metadata"][it.KEY] == f"{TURNS[2][2]} {TURNS[3][2]} 8 May 2023"
    hits = cli.json("search", "what did they make at the workshop", "-n", "c", "--mode", "keyword")
    assert memory["id"] in [h["id"] for h in hits]
    assert memory["id"] in [h["id"] for h in cli.json("search", "on 8 May, 2023", "-n", "c", "--mode", "keyword")]
    assert all(it.KEY not in h["text"] for h in hits)  # what search returns is the memory's own text


def test_every_backend_reads_them(backend_db, chat):
    from conftest import Cli

    b = Cli(backend_db)
    b("extract", chat, "-n", "c")
    memory = bowls(b.json("list", "-n", "c"))
    hits = b.json("search", "workshop", "-n", "c", "--mode", "keyword")
    assert memory["id"] in [h["id"] for h in hits]
    # a memory put with index_text is found by it; its text alone would not be
    put = b.json("put", "Ana prefers window seats", "-n", "d", "-m", f"{it.KEY}=where do you like to sit on planes")
    assert [h["id"] for h in b.json("search", "planes", "-n", "d", "--mode", "keyword")] == [put["id"]]


def test_an_erase_erases_them(cli, db_path):
    secret = "zanzibarquokka"
    m = cli.json("put", "a memory", "-n", "p", "-m", f"{it.KEY}=the {secret} said")
    assert [h["id"] for h in cli.json("search", secret, "--mode", "keyword")] == [m["id"]]
    cli("delete", "--purge", m["id"])
    assert cli.json("search", secret, "--mode", "keyword") == []
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    assert secret.encode() not in raw


def test_a_store_written_before_reads_them_after_its_migration(tmp_path):
    import sqlite_utils

    from langmem_cli import Store
    from langmem_cli.embed.hash_embedder import HashEmbedder
    from langmem_cli.store.sqlite import migrations

    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    older = [(name, fn) for name, fn in migrations.MIGRATIONS if name < "m013"]
    db.conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, fn in older:
        fn(db)
        db.conn.execute("INSERT INTO _migrations VALUES (?, '2026-01-01')", (name,))
    db.conn.execute(
        "INSERT INTO memories (id, namespace, kind, content, text, content_hash, metadata, created_at, updated_at) "
        "VALUES ('m1', 'n', 'memory', '{\"content\": \"Tom made bowls\"}', 'Tom made bowls', 'h', ?, 't', 't')",
        (json.dumps({it.KEY: "what did you make at the pottery workshop"}),))
    db.conn.commit()
    db.close()
    with Store.open(path, embedder=HashEmbedder(64)) as store:
        assert [h.memory.id for h in store.search("pottery", mode="keyword")] == ["m1"]
        assert [h.memory.id for h in store.search("bowls", mode="keyword")] == ["m1"]
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO memories_fts (memories_fts) VALUES ('integrity-check')")


def test_a_warm_process_ranks_them_like_fts5(store, db_path, embedder):
    """The in-memory keyword index (warm processes) reads the same words as FTS5, also for rows
    written after it was built."""
    from test_keyword_index import both

    from langmem_cli import Store
    from langmem_cli.core.records import NewMemory

    store.put_many([NewMemory("n", f"note {i} about tea", metadata={it.KEY: "pottery workshop bowls" if i % 3 else "x"})
                    for i in range(30)])
    fts, memory = both(store, "pottery bowls")
    assert len(fts) == 20 and [s for _, s in memory] == pytest.approx([s for _, s in fts], rel=1e-6)
    with Store.open(db_path, embedder=embedder) as other:
        new = other.put("n", "a plain line", metadata={it.KEY: "zebra zebra pottery"})
    from langmem_cli.store.retrievers import Query, Scope

    refreshed = store.retrievers.keyword_top_k(Scope(None), Query("zebra pottery", None), 20)  # the built index, kept fresh
    fts, memory = both(store, "zebra pottery")
    assert refreshed[0][0] == memory[0][0] == fts[0][0] == new.id
    assert [s for _, s in refreshed] == pytest.approx([s for _, s in fts], rel=1e-6)


def test_a_postgres_database_written_before_reads_them_after_its_migration(pg_url, monkeypatch):
    """Migration 9: the rows already stored get the new tsvector, in memories and in the narrow
    keyword table the keyword side ranks over."""
    from langmem_cli.core.records import NewMemory
    from langmem_cli.embed.hash_embedder import HashEmbedder
    from langmem_cli.store.postgres import schema
    from langmem_cli.store.postgres.store import PostgresStore

    monkeypatch.setattr(schema, "MIGRATIONS", [m for m in schema.MIGRATIONS if m[0] < 9])
    with PostgresStore(pg_url, embedder=HashEmbedder(64)) as old:
        made = old.put_many([NewMemory("n", f"note {i}", metadata={it.KEY: "pottery workshop" if i % 2 else "tea"})
                             for i in range(10)])
        assert [h.memory.id for h in old.search("pottery", mode="keyword")] == []
    monkeypatch.undo()
    with PostgresStore(pg_url, embedder=HashEmbedder(64)) as store:
        assert "pg009_keyword_text" in store.stats()["migrations"]
        assert {h.memory.id for h in store.search("pottery", mode="keyword")} == {m.id for m in made[1::2]}
        columns = "id, tsv::text"
        assert store.runner.query(f"SELECT {columns} FROM memories EXCEPT SELECT {columns} FROM memory_keywords") == []


def load_with_words(cli, tmp_path, rows: list[tuple[str, str, str]]) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"namespace": "u/a", "content": text, "metadata": {
        "evidence": [{"file": "t.jsonl", "conversation": tag, "message": 0, "line": 1, "role": "user",
                      "speaker": "user", "quote": text}], it.KEY: words}}) + "\n" for text, tag, words in rows))
    cli("import", path)


def test_a_merge_keeps_the_words_of_what_it_folds_in(cli, tmp_path):
    load_with_words(cli, tmp_path, [("Alice likes green tea", "e1", "what do you drink in the morning"),
                                    ("Alice likes green tea every morning", "e2", "any favourite beverage")])
    cli("consolidate", "-n", "u/a", "--threshold", "0.3")
    [kept] = cli.json("list", "-n", "u/a")
    assert "beverage" in kept["metadata"][it.KEY] and "drink" in kept["metadata"][it.KEY]
    assert [h["id"] for h in cli.json("search", "beverage", "-n", "u/a", "--mode", "keyword")] == [kept["id"]]


@pytest.mark.usefixtures("fake")
def test_a_model_merge_keeps_them_too(cli, fake, tmp_path):
    from tests.test_extract import FAKE

    load_with_words(cli, tmp_path, [("Alice likes green tea", "e1", "what do you drink"),
                                    ("Alice likes green tea a lot", "e2", "any favourite beverage")])
    fake.reset([{"json": {"operations": [{"action": "update", "id": "c1", "content": "Alice loves green tea"},
                                         {"action": "delete", "id": "c2"}]}}])
    cli("consolidate", "-n", "u/a", *FAKE, "--threshold", "0.3")
    [kept] = cli.json("list", "-n", "u/a")
    assert kept["text"] == "Alice loves green tea"
    assert "beverage" in kept["metadata"][it.KEY] and "drink" in kept["metadata"][it.KEY]


def test_joined_keeps_each_text_once():
    assert it.joined("a b", "a b c", None, "", "d") == "a b c d"
    assert it.joined() is None


def test_an_update_is_found_by_the_words_of_both_versions():
    from langmem_cli.core.grounding import merged_metadata

    merged = merged_metadata({it.KEY: "where do you live", "evidence": [1]}, {it.KEY: "did you move", "evidence": [2]})
    assert merged == {it.KEY: "where do you live did you move", "evidence": [1, 2]}
