"""`extract --episodes` (issue 24, item 5): the turns a person typed, kept word for word as kind
`turn` beside the memories, searchable with them, linked from the memories that quote them; never
merged, closed or renamed; read again, they add nothing."""

from __future__ import annotations

import json

import pytest

from langmem_cli.core import episodes
from langmem_cli.core.conversation import Conversation, Message

TURNS = [
    ("user", "Maria", "Hi Tom! How was your week?"),
    ("user", "Tom", "Busy. I started pottery classes on Tuesday and I love them."),
    ("user", "Maria", "Pottery, nice! What did you make?"),
    ("user", "Tom", "A blue bowl for my sister Ana."),
    ("assistant", None, "Shall I note that down?"),
    ("tool", None, "calendar: pottery every Tuesday"),
    ("user", "Maria", "I adopted a grey cat called Pixel last month."),
]


def record(turns=TURNS, date="2023-05-08T13:56:00"):
    return {"messages": [{"role": role, **({"name": who} if who else {}), "content": text} for role, who, text in turns],
            "date": date}


@pytest.fixture
def chat(tmp_path):
    path = tmp_path / "chat.jsonl"
    path.write_text(json.dumps(record()) + "\n")
    return path


def test_the_persons_turns_are_kept_word_for_word_and_linked(cli, chat):
    out = cli.json("--json", "extract", chat, "-n", "c", "--episodes")
    assert out["summary"]["turns"] == 5 and out["summary"]["inserted"] >= 1
    turns = cli.json("list", "-n", "c", "--kind", "turn")
    # the assistant's reply and the tool's output are not episodes of what people said
    assert sorted(t["text"] for t in turns) == sorted(f"{who}: {text}" for role, who, text in TURNS if role == "user")
    for t in turns:
        [evidence] = t["metadata"]["evidence"]
        assert f"{evidence['speaker']}: {evidence['quote']}" == t["text"] and evidence["file"] == str(chat)
        assert t["valid_from"].startswith("2023-05-08")
    by_message = {t["metadata"]["evidence"][0]["message"]: t["id"] for t in turns}
    memories = cli.json("list", "-n", "c", "--kind", "memory")
    assert memories and all(m["metadata"]["episodes"] == [by_message[e["message"]] for e in m["metadata"]["evidence"]]
                            for m in memories)
    # searchable with the memories, or alone
    hits = cli.json("search", "blue bowl for Ana", "-n", "c")
    assert {"turn", "memory"} <= {h["kind"] for h in hits}
    assert all(h["kind"] == "turn" for h in cli.json("search", "blue bowl", "-n", "c", "--kind", "turn"))
    # the same conversation read again (forced) adds no turn and no memory
    again = cli.json("--json", "extract", chat, "-n", "c", "--episodes", "--force")
    assert again["summary"]["turns"] == 0 and again["summary"]["inserted"] == 0
    assert len(cli.json("list", "-n", "c", "--kind", "turn")) == len(turns)


def test_without_the_option_nothing_but_memories(cli, chat):
    out = cli.json("--json", "extract", chat, "-n", "c")
    assert out["summary"]["turns"] == 0
    memories = cli.json("list", "-n", "c")
    assert memories and {m["kind"] for m in memories} == {"memory"}
    assert not any("episodes" in m["metadata"] for m in memories)


def test_turns_are_never_consolidated_closed_or_shown_in_the_timeline(cli, tmp_path):
    first = tmp_path / "a.jsonl"
    first.write_text(json.dumps(record([("user", None, "I live in Berlin."), ("user", None, "I live in Berlin.")],
                                       "2024-01-10T10:00:00Z")) + "\n")
    second = tmp_path / "b.jsonl"
    second.write_text(json.dumps(record([("user", None, "I moved to Lisbon last month, I live in Lisbon now.")],
                                        "2024-06-10T10:00:00Z")) + "\n")
    cli("extract", first, second, "-n", "p", "--episodes", "--var", "user_name=Priya")
    turns = cli.json("list", "-n", "p", "--kind", "turn", "--include-expired")
    assert len(turns) == 3 and all(t["valid_until"] is None for t in turns)
    assert all(t["text"].startswith("Priya: ") for t in turns)  # the person's name, as in their memories
    memories = cli.json("list", "-n", "p", "--kind", "memory", "--include-expired")
    assert any(m["valid_until"] for m in memories)  # the fact about Berlin was closed, its turn was not
    cli("consolidate", "-n", "p", "--threshold", "0.3")
    assert [t["id"] for t in cli.json("list", "-n", "p", "--kind", "turn")] == [t["id"] for t in turns]
    timeline = cli.json("timeline", "-n", "p")
    shown = json.dumps(timeline)
    assert "Priya: I live in Berlin." not in shown and "Berlin" in shown
    assert "Priya: I live in Berlin." in json.dumps(cli.json("timeline", "-n", "p", "--kind", "turn"))


def test_turn_ids_follow_the_conversation_not_the_reading():
    conversation = Conversation([Message("user", "I bake bread."), Message("assistant", "Nice."), Message("user", "")],
                                {"date": "2024-01-01"}, "x.jsonl:1")
    [turn] = episodes.turns(conversation, "ns")
    assert turn["id"] == episodes.turn_id("ns", conversation.content_hash, 0)
    assert turn["id"] != episodes.turn_id("other", conversation.content_hash, 0)
    assert episodes.turns(Conversation(list(conversation.messages), {}, "y.jsonl:9"), "ns")[0]["id"] == turn["id"]
    assert turn["text"] == "user: I bake bread." and episodes.turns(conversation, "ns", "Ana")[0]["text"] == "Ana: I bake bread."
    evidence = [{"conversation": "x.jsonl:1", "message": 0}, {"conversation": "elsewhere", "message": 0},
                {"conversation": "x.jsonl:1", "message": 1}]
    assert episodes.linked(evidence, "ns", conversation, {turn["id"]}) == [turn["id"]]


def test_episodes_on_every_backend(backend_db, chat):
    """The same turns, links and re-reading on SQLite and both PostgreSQL servers."""
    from conftest import Cli

    b = Cli(backend_db)
    assert b.json("--json", "extract", chat, "-n", "c", "--episodes")["summary"]["turns"] == 5
    turns = b.json("list", "-n", "c", "--kind", "turn")
    memories = b.json("list", "-n", "c", "--kind", "memory")
    assert len(turns) == 5 and {i for m in memories for i in m["metadata"]["episodes"]} <= {t["id"] for t in turns}
    assert b.json("--json", "extract", chat, "-n", "c", "--episodes", "--force")["summary"]["turns"] == 0
    assert "turn" in {h["kind"] for h in b.json("search", "blue bowl for Ana", "-n", "c")}
