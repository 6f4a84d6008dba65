"""`extract --parse-only` (issue 16 item 1, issue 17 item 6) and the warning for a file that yields no
conversation (issue 17 item 5): what extract reads, with no model and no database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.fake_llm import SCRIPT

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "transcripts"
FAKE = ("--model", "fake/test")


@pytest.fixture(autouse=True)
def fake():
    SCRIPT.reset()
    yield SCRIPT
    SCRIPT.reset()


def test_parse_only_json_lists_messages_and_skips(cli_for, tmp_path: Path) -> None:
    db_path = tmp_path / "never-created.db"
    cli = cli_for(db_path)
    path = FIXTURES / "claude-code-machine-made.jsonl"
    data = cli.json("extract", "--parse-only", "--json", path)
    [entry] = data["files"]
    assert (entry["file"], entry["format"], entry["detected"]) == (str(path), "claude-code", True)
    [conversation] = entry["conversations"]
    assert conversation["source"] == f"{path}:5" and conversation["format"] == "claude-code"
    assert conversation["started_at"] == "2025-09-01T07:01:00.000Z"
    assert conversation["metadata"]["title"] == "Basil watering schedule"
    first = conversation["messages"][0]
    assert first == {
        "index": 0, "role": "user", "name": None,
        "text": "I keep my basil on the kitchen windowsill; it needs water every second day. Make the schedule use that.",
        "timestamp": "2025-09-01T07:01:00.000Z", "line": 5, "context": False, "evidence": True,
    }
    call = next(m for m in conversation["messages"] if m["text"].startswith("[tool call"))
    assert call["context"] and not call["evidence"]
    skipped = {(s["line"], s["reason"]) for s in conversation["skipped"]}
    assert (19, "machine-made turn (origin task-notification)") in skipped
    assert (11, "abandoned branch (rewound)") in skipped and (5, "IDE context") in skipped
    assert {s["reason"] for s in entry["skipped"]} == {"'summary' line", "'custom-title' line"}  # lines of no conversation
    assert entry["skipped_by_reason"]["abandoned branch (rewound)"] == 2
    assert not db_path.exists() and SCRIPT.prompts == []


def test_parse_only_human_listing(cli) -> None:
    result = cli("extract", "--parse-only", "--no-json", FIXTURES / "codex-rollout.jsonl")
    out = result.stdout
    assert "codex (detected), 1 conversations, 5 messages" in out
    assert "L5 user: Add a command that totals my rides per month." in out
    assert "L10 assistant (context): [tool call shell:" in out
    assert "L4 skipped (environment context):" in out


def test_parse_only_many_files_and_stdin(cli) -> None:
    data = (FIXTURES / "sharegpt.json").read_bytes()
    result = cli.json("extract", "--parse-only", "--json", FIXTURES / "messages.jsonl", "-", input=data)
    assert [f["format"] for f in result["files"]] == ["messages", "sharegpt"]
    assert result["files"][1]["file"] == "<stdin>" and len(result["files"][1]["conversations"]) == 2


def test_parse_only_with_a_forced_format(cli) -> None:
    entry = cli.json("extract", "--parse-only", "--json", "--format", "messages", FIXTURES / "messages.jsonl")["files"][0]
    assert (entry["format"], entry["detected"]) == ("messages", False)


def test_parse_only_bad_file_is_exit_4_with_file_line(cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"role": "user", "content": "hi"}\n{"role": \n')
    result = cli("extract", "--parse-only", path, code=4)
    assert result.stderr.startswith(f"langmem: error: {path}:2: invalid JSON")


def test_unknown_shape_names_the_formats(cli, tmp_path: Path) -> None:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps([{"question": "q", "answer": "a"}], indent=2))
    result = cli("extract", path, *FAKE, code=4)
    assert f"{path}:2: cannot tell the transcript format" in result.stderr
    assert "claude-ai, codex, sharegpt" in result.stderr and SCRIPT.prompts == []


def test_a_sub_agent_file_gives_a_warning_and_exit_0(cli, db_path: Path) -> None:
    path = FIXTURES / "claude-code-subagent.jsonl"
    result = cli("--no-json", "extract", path, *FAKE, "-n", "x", code=0)
    [warning] = [" ".join(result.stderr.split())]
    assert warning.startswith("warning: ")
    assert str(path) in warning and "0 conversations" in warning and "sub-agent file" in warning
    assert SCRIPT.prompts == []


def test_a_wrong_format_gives_a_warning_that_says_why(cli, db_path: Path) -> None:
    path = FIXTURES / "codex-rollout.jsonl"
    good = FIXTURES / "messages.jsonl"
    result = cli("--no-json", "extract", path, "--format", "claude-code", "--parse-only", code=0)
    message = " ".join(result.stderr.split())
    assert ("0 conversations: no messages of a known shape for the 'claude-code' reader (named with --format; "
            "the content looks like 'codex'), it skipped: 'response_item' line ×9") in message
    assert "formats read: messages, conversations" in message
    # Only the file that yields nothing is named.
    result = cli("--no-json", "extract", good, FIXTURES / "claude-code-subagent.jsonl", "--parse-only", code=0)
    assert str(good) + ":" not in result.stderr and "claude-code-subagent.jsonl" in result.stderr


def test_parse_only_imports_no_model_code(tmp_path: Path) -> None:
    """Fast path: reading transcripts never imports litellm, torch, onnxruntime, numpy, the LLM or
    embedder modules, the jobs, or the store (beyond the light modules every command loads)."""
    script = (
        "import sys, json\n"
        "from langmem_cli.cli.app import main\n"
        f"sys.argv = ['langmem', 'extract', '--parse-only', '--json', {str(FIXTURES / 'chatgpt-attachments.json')!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('litellm', 'torch', 'onnxruntime', 'transformers',"
        " 'sentence_transformers', 'llama_cpp', 'sqlite_utils', 'numpy') or m.startswith(('langmem_cli.llm',"
        " 'langmem_cli.embed', 'langmem_cli.store.sqlite.store', 'langmem_cli.jobs')))\n"
        "print(json.dumps(heavy), file=sys.stderr)\n"
    )
    env = {**os.environ, "LANGMEM_DB": str(tmp_path / "x.db")}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stderr.strip().splitlines()[-1]) == []
    assert json.loads(result.stdout)["files"][0]["format"] == "chatgpt"
    assert not (tmp_path / "x.db").exists()
