"""``langmem_cli.extract`` and ``langmem_cli.search``: the CLI's jobs from Python, on SQLite and
both PostgreSQL servers; and ``import langmem_cli`` stays light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli

import langmem_cli
from langmem_cli.errors import UsageError

CONVERSATION = [
    {"role": "user", "content": "I live in Lisbon and I work as a nurse.", "timestamp": "2024-03-01T10:00:00Z"},
    {"role": "assistant", "content": "Good to know!"},
]


def test_extract_messages_writes_grounded_memories_and_returns_the_operations(backend_db: str) -> None:
    result = langmem_cli.extract(CONVERSATION, namespace="org/{user}", variables={"user": "alice"}, db=backend_db)
    assert [op["action"] for op in result] == ["insert"]
    [op] = result.operations
    assert op["namespace"] == "org/alice" and "Lisbon" in op["content"] and op["id"]
    assert result.summary["inserted"] == 1 and result.summary["calls"] == 0  # the offline extractor
    cli = Cli(backend_db)
    [stored] = cli.json("list", "--namespace", "org/alice")
    assert stored["id"] == op["id"]
    assert stored["metadata"]["evidence"][0]["quote"] == "I live in Lisbon and I work as a nurse."
    assert stored["valid_from"].startswith("2024-03-01")  # the conversation's time, not the run's
    assert cli.json("runs")[0]["command"] == "extract"
    # the same conversation again: already processed, nothing new
    again = langmem_cli.extract(CONVERSATION, namespace="org/alice", db=backend_db)
    assert again.operations == [] and again.summary["skipped"] == 1
    hits = langmem_cli.search("where does she live?", namespace="org/alice", db=backend_db)
    assert [h.memory.id for h in hits] == [op["id"]]


def test_extract_reads_paths_langchain_messages_and_several_conversations(tmp_path: Path) -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    db = tmp_path / "m.db"
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(json.dumps(m) for m in CONVERSATION) + "\n", encoding="utf-8")
    assert len(langmem_cli.extract(path, namespace="a", db=db)) == 1
    lc = [HumanMessage("My sister Ana plays the violin."), AIMessage("Lovely.")]
    assert "violin" in langmem_cli.extract(lc, namespace="b", db=db).operations[0]["content"]
    both = langmem_cli.extract([[{"role": "user", "content": "I drive a red bike to work."}],
                                [{"role": "user", "content": "My favourite food is ramen."}]], namespace="c", db=db)
    assert len(both.conversations) == 2 and len(both) == 2


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    result = langmem_cli.extract(CONVERSATION, namespace="a", db=db, dry_run=True)
    assert result.operations and result.conversations[0]["status"] == "dry-run"
    assert Cli(db).json("list") == []


@pytest.mark.parametrize("messages", [[], "", [{"role": "wizard", "content": "x"}], [42]])
def test_bad_messages_raise_one_clear_error(tmp_path: Path, messages) -> None:
    with pytest.raises((UsageError, langmem_cli.ExtractionError, Exception)) as info:
        langmem_cli.extract(messages, namespace="a", db=tmp_path / "m.db")
    assert "\n" not in str(info.value) and str(info.value)
    assert not isinstance(info.value, (AttributeError, TypeError, KeyError))


def test_a_missing_namespace_variable_stops_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="user"):
        langmem_cli.extract(CONVERSATION, namespace="org/{user}", db=tmp_path / "m.db")
    assert not (tmp_path / "m.db").exists()


def test_importing_the_package_and_the_api_stays_light() -> None:
    code = ("import sys, langmem_cli; langmem_cli.extract; langmem_cli.search; "
            "print(sorted(m for m in ('langgraph', 'langchain_core', 'litellm', 'torch', 'numpy', 'langmem') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(Path(__file__).resolve().parent.parent), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]"


def test_extract_with_a_model_over_http_supersedes_on_update(tmp_path: Path, openai_server) -> None:
    db = tmp_path / "m.db"
    openai_server.reset([{"json": {"operations": [{"action": "insert", "id": None, "content": "The user lives in Lisbon",
                                                   "quotes": ["I live in Lisbon"]}]}}])
    first = langmem_cli.extract([{"role": "user", "content": "I live in Lisbon.", "timestamp": "2024-01-05T09:00:00Z"}],
                                namespace="org/alice", db=db, model="openai/scripted", api_base=openai_server.base)
    [insert] = first.operations
    # the model sees the stored memory as "m1" (short ids in the prompt)
    openai_server.reset([{"json": {"operations": [{"action": "update", "id": "m1",
                                                   "content": "The user moved to Porto",
                                                   "quotes": ["I moved to Porto"]}]}}])
    second = langmem_cli.extract([{"role": "user", "content": "I moved to Porto.", "timestamp": "2024-06-01T09:00:00Z"}],
                                 namespace="org/alice", db=db, model="openai/scripted", api_base=openai_server.base)
    assert [(op["action"], str(op["content"])) for op in second] == [("update", "{'content': 'The user moved to Porto'}")]
    assert second.summary["calls"] >= 1
    assert [h.memory.text for h in langmem_cli.search("where does Alice live", namespace="org/alice", db=db)] == [
        "The user moved to Porto"]
    old = Cli(db).json("get", insert["id"])
    assert old["valid_until"].startswith("2024-06-01") and old["superseded_by"]  # time decides, nothing lost
