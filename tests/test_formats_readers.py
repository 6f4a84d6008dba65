"""Transcript readers as people really have them (issue 17): machine-made turns are never the user,
rewound branches, sub-agent files, attachments and canvas, Claude.ai / Codex / ShareGPT, pretty-printed
JSON, timestamps, and the skip report. The fixtures are written for these tests (fixtures/transcripts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.transcript_fixtures import ALL_FIXTURES, FIXTURES

from langmem_cli.core.conversation import Conversation
from langmem_cli.errors import InvalidInputError
from langmem_cli.formats import FORMATS, ReadReport, detect_format, read_conversations


def read(name: str, fmt: str | None = None) -> tuple[list[Conversation], ReadReport]:
    report = ReadReport()
    return list(read_conversations(str(FIXTURES / name), fmt, report=report)), report


def write(tmp_path: Path, data: str, name: str = "t.json") -> str:
    path = tmp_path / name
    path.write_text(data, encoding="utf-8")
    return str(path)


def texts(conversation: Conversation, evidence_only: bool = False) -> list[str]:
    return [m.content for m in conversation.messages if m.may_be_evidence or not evidence_only]


def reasons(report: ReadReport) -> dict[str, int]:
    return report.skipped_by_reason()


# --- every format: detection, evidence, lines, timestamps -------------------------------------------------


@pytest.mark.parametrize("name, fmt", sorted(ALL_FIXTURES.items()))
def test_every_fixture_is_detected_from_its_content(name: str, fmt: str) -> None:
    conversations, report = read(name)
    assert conversations and report.format == fmt and report.detected
    assert detect_format((FIXTURES / name).read_text(encoding="utf-8")) == fmt
    assert [c.to_dict() for c in conversations] == [c.to_dict() for c in read(name, fmt)[0]]


@pytest.mark.parametrize("name", sorted(ALL_FIXTURES))
def test_no_tool_or_system_text_is_ever_evidence(name: str) -> None:
    """Issue 11 item 3, on every format: tool calls/results, system prompts, thinking are never user or
    assistant evidence."""
    conversations, _ = read(name)
    for conversation in conversations:
        for m in conversation.messages:
            machine = m.content.startswith(("[tool call", "[tool result")) or m.role in ("tool", "system")
            if machine:
                assert not m.may_be_evidence, (name, m)
            for marker in ("<command-", "<local-command", "<bash-", "<ide_", "<system-reminder>", "<task-notification>",
                           "[Request interrupted", "<environment_context>", "<user_instructions>", "Caveat:",
                           "This session is being continued"):
                assert not (m.may_be_evidence and marker in m.content), (name, m)


@pytest.mark.parametrize("name", sorted(ALL_FIXTURES))
def test_messages_carry_lines_where_the_format_has_lines(name: str) -> None:
    conversations, _ = read(name)
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    one_value_per_line = ALL_FIXTURES[name] in ("messages", "conversations", "langchain", "claude-code", "codex")
    for conversation in conversations:
        for m in conversation.messages:
            if one_value_per_line:
                assert m.line is not None and 1 <= m.line <= len(lines)
                raw = lines[m.line - 1]
                assert m.content.split("\n")[0][:20] in raw or m.content.startswith(("[tool", "[image")), (name, m)
            else:
                assert m.line is None  # a value spread over many lines: no line per message


@pytest.mark.parametrize(
    "name, started",
    [
        ("messages.jsonl", "2025-03-02T09:14:00Z"),
        ("claude-code.jsonl", "2025-06-02T18:46:59.937Z"),
        ("chatgpt-conversations.json", "2024-06-01T10:00:00.123Z"),
        ("claude-ai-conversations.json", "2025-02-10T19:30:00.000000Z"),
        ("codex-rollout.jsonl", "2025-10-05T14:00:00.090Z"),
        ("sharegpt.json", None),  # the first ShareGPT conversation has no time
    ],
)
def test_started_at_comes_from_the_transcript(name: str, started: str | None) -> None:
    conversations, _ = read(name)
    assert conversations[0].started_at == started


def test_timestamps_from_lines_and_metadata(tmp_path: Path) -> None:
    data = "\n".join(json.dumps(o) for o in [
        {"role": "user", "content": "I adopted a cat.", "created_at": "2024-05-01 10:00:00"},
        {"role": "assistant", "content": "Lovely.", "timestamp": 1714557601},
    ])
    [conversation] = read_conversations(write(tmp_path, data, "m.jsonl"))
    assert [m.timestamp for m in conversation.messages] == ["2024-05-01T10:00:00", "2024-05-01T10:00:01.000Z"]
    lines = "\n".join(json.dumps(o) for o in [
        {"messages": [{"role": "user", "content": "hi"}], "metadata": {"date": "2024-02-03"}},
        {"messages": [{"role": "user", "content": "hi"}], "date": "2024-02-04"},
        {"messages": [{"role": "user", "content": "hi"}], "created_at": 1706918400},
        [{"type": "human", "content": "hi", "additional_kwargs": {"timestamp": "2024-02-06T00:00:00Z"}}],
    ])
    starts = [c.started_at for c in read_conversations(write(tmp_path, lines, "c.jsonl"))]
    assert starts == ["2024-02-03", "2024-02-04", "2024-02-03T00:00:00.000Z", "2024-02-06T00:00:00Z"]


# --- Claude Code -------------------------------------------------------------------------------------------


def test_claude_code_only_what_a_person_typed_is_the_user() -> None:
    [conversation], report = read("claude-code-machine-made.jsonl")
    users = [m.content for m in conversation.messages if m.role == "user"]
    assert users == [
        "I keep my basil on the kitchen windowsill; it needs water every second day. Make the schedule use that.",
        "only the schedule module, I deploy on Fridays",  # the typed argument of /review
        "We moved to Lisbon last month, so use the Europe/Lisbon timezone for reminders.",
    ]
    counts = reasons(report)
    for reason in ("meta (machine-made)", "slash command /model", "command output", "IDE context", "interrupt marker",
                   "shell command (! mode)", "shell output", "compaction summary", "system reminder",
                   "sidechain (sub-agent)", "thinking"):
        assert counts.get(reason), reason
    assert counts["machine-made turn (origin task-notification)"] == 1
    assert "Search the repo" not in conversation.to_text()  # the sidechain line


def test_claude_code_follows_the_parent_chain_past_a_rewind_and_a_compaction() -> None:
    [conversation], report = read("claude-code-machine-made.jsonl")
    text = conversation.to_text()
    assert "every day for all plants" not in text and "daily watering" not in text
    assert reasons(report)["abandoned branch (rewound)"] == 2
    assert "Europe/Lisbon" in text and "basil" in text  # before and after the compaction
    assert conversation.metadata["title"] == "Basil watering schedule"
    assert conversation.metadata["cwd"] == "/home/priya/src/garden-app"
    assert conversation.metadata["cwds"] == ["/home/priya/src/garden-app", "/home/priya/src/garden-app/web"]
    assert conversation.metadata["git_branch"] == "main"
    call = next(m for m in conversation.messages if m.content.startswith("[tool call Edit"))
    assert call.role == "assistant" and call.context and not call.may_be_evidence


def test_claude_code_summary_line_gives_the_title(tmp_path: Path) -> None:
    lines = [
        {"type": "summary", "summary": "Refunds API", "leafUuid": "u2"},
        {"type": "user", "sessionId": "s", "uuid": "u1", "parentUuid": None, "message": {"role": "user", "content": "I own the refunds service."}},
        {"type": "assistant", "sessionId": "s", "uuid": "u2", "parentUuid": "u1", "message": {"role": "assistant", "content": "Noted."}},
    ]
    [conversation] = read_conversations(write(tmp_path, "\n".join(map(json.dumps, lines)), "s.jsonl"))
    assert conversation.metadata["title"] == "Refunds API"


def test_claude_code_sub_agent_file_is_reported() -> None:
    conversations, report = read("claude-code-subagent.jsonl")
    assert conversations == [] and report.format == "claude-code"
    assert report.notes and report.notes[0].startswith("sub-agent file")


@pytest.mark.parametrize(
    "text, kept",
    [
        ("<command-name>/clear</command-name>\n<command-message>clear</command-message>\n<command-args></command-args>", None),
        ("<command-message>init is analyzing</command-message>\n<command-name>/init</command-name>", None),
        ("<local-command-stderr>error</local-command-stderr>", None),
        ("[Request interrupted by user]", None),
        ("<ide_opened_file>The user opened x.py</ide_opened_file>", None),
        ("<ide_opened_file>The user opened x.py</ide_opened_file> I prefer tabs.", "I prefer tabs."),
        ("I prefer tabs over spaces.", "I prefer tabs over spaces."),
    ],
)
def test_claude_code_wrappers(tmp_path: Path, text: str, kept: str | None) -> None:
    lines = [{"type": "user", "sessionId": "s", "message": {"role": "user", "content": text}},
             {"type": "assistant", "sessionId": "s", "message": {"role": "assistant", "content": "ok"}}]
    [conversation] = read_conversations(write(tmp_path, "\n".join(map(json.dumps, lines)), "s.jsonl"))
    users = [m.content for m in conversation.messages if m.role == "user"]
    assert users == ([kept] if kept else [])


# --- ChatGPT -----------------------------------------------------------------------------------------------


def test_chatgpt_attachments_voice_and_canvas() -> None:
    [conversation], _ = read("chatgpt-attachments.json")
    messages = conversation.messages
    assert (messages[0].role, messages[0].content) == ("user", "[image: allotment-map.jpg]")  # upload-only turn kept
    assert messages[2].content.startswith("I rent plot 14 at the Hackney allotments") and messages[2].content.endswith("[audio]")
    canvas = messages[3]
    assert canvas.role == "assistant" and canvas.may_be_evidence
    assert canvas.content.startswith("[canvas: allotment_plan]\n# Allotment plan 2025")
    assert "Bed 30: garlic, sow in October" in canvas.content and len(canvas.content) > 900  # whole, not cut at 500
    assert (messages[5].role, messages[5].content) == ("user", "[file: soil-test-2024.pdf]")  # attachment only
    code = messages[6]
    assert code.content.startswith("[tool call python:") and code.context and not code.may_be_evidence
    assert (messages[7].role, messages[7].name) == ("tool", "python")


def test_chatgpt_canvas_is_cut_at_the_limit_and_says_so(tmp_path: Path) -> None:
    from langmem_cli.formats.chatgpt import CANVAS_LIMIT

    doc = json.dumps({"name": "notes", "type": "document", "content": "x" * (CANVAS_LIMIT + 50)})
    mapping = {"a": {"message": {"author": {"role": "assistant"}, "recipient": "canmore.create_textdoc",
                                 "content": {"content_type": "code", "text": doc}}, "parent": None}}
    [conversation] = read_conversations(write(tmp_path, json.dumps([{"mapping": mapping, "current_node": "a"}])))
    assert conversation.messages[0].content.endswith(f"[canvas cut at {CANVAS_LIMIT} characters]")


# --- new readers -------------------------------------------------------------------------------------------


def test_claude_ai_export() -> None:
    [conversation], report = read("claude-ai-conversations.json")
    assert conversation.source.endswith("claude-ai-conversations.json:#1")
    assert conversation.metadata == {"title": "Moving house checklist", "conversation_id": "c1a2b3c4-0000-4000-8000-000000000001",
                                     "started_at": "2025-02-10T19:30:00.000000Z"}
    assert [m.role for m in conversation.messages] == ["user", "assistant", "assistant", "tool", "user", "assistant"]
    assert conversation.messages[0].timestamp == "2025-02-10T19:30:01.000000Z"
    assert conversation.messages[4].content == "[file: tenancy-agreement.txt]"  # attachment-only turn, named once
    assert "TENANCY AGREEMENT" not in conversation.to_text()
    assert "just me" not in conversation.to_text()  # the edited-away branch
    assert {"thinking", "another branch (not the one shown)", "no messages left"} <= set(reasons(report))


def test_codex_rollout() -> None:
    [conversation], report = read("codex-rollout.jsonl")
    assert [m.content for m in conversation.messages if m.may_be_evidence] == [
        "Add a command that totals my rides per month. I ride a Brompton to work, about 9 km each way.",
        "Added `bike-log monthly`, which sums distances per calendar month.",
        "Thanks. I'm switching to kilometres only, never miles.",
    ]
    assert conversation.metadata == {"session_id": "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "started_at": "2025-10-05T14:00:00.090Z",
                                     "cwd": "/home/sam/code/bike-log", "git_branch": "main"}
    counts = reasons(report)
    assert counts["environment context"] == 1 and counts["AGENTS.md instructions"] == 1
    assert counts["developer instructions"] == 1 and counts["event (repeats a message line)"] == 2
    assert counts["compaction summary"] == 1


def test_codex_rollout_with_events_only(tmp_path: Path) -> None:
    lines = [{"timestamp": "2025-01-01T00:00:00Z", "type": "session_meta", "payload": {"id": "x"}},
             {"timestamp": "2025-01-01T00:00:01Z", "type": "event_msg", "payload": {"type": "user_message", "message": "I use fish shell."}},
             {"timestamp": "2025-01-01T00:00:02Z", "type": "event_msg", "payload": {"type": "agent_message", "message": "Noted."}}]
    [conversation] = read_conversations(write(tmp_path, "\n".join(map(json.dumps, lines)), "r.jsonl"))
    assert conversation.to_text() == "user: I use fish shell.\nassistant: Noted."


def test_codex_rollout_of_the_older_shape(tmp_path: Path) -> None:
    lines = [{"id": "s-old", "timestamp": "2025-04-20T09:00:00.000Z", "instructions": "Be terse."},
             {"record_type": "state"},
             {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "I deploy with fly.io."}]},
             {"type": "function_call", "name": "shell", "arguments": "{\"command\": [\"ls\"]}", "call_id": "c"},
             {"type": "function_call_output", "call_id": "c", "output": "fly.toml"},
             {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Found fly.toml."}]}]
    report = ReadReport()
    [conversation] = read_conversations(write(tmp_path, "\n".join(map(json.dumps, lines)), "r.jsonl"), report=report)
    assert report.format == "codex"
    assert [m.role for m in conversation.messages] == ["user", "assistant", "tool", "assistant"]
    assert conversation.metadata == {"session_id": "s-old", "started_at": "2025-04-20T09:00:00.000Z"}


def test_sharegpt() -> None:
    first, second = read("sharegpt.json")[0]
    assert [m.role for m in first.messages] == ["system", "user", "assistant", "user", "assistant", "tool", "assistant"]
    assert first.messages[4].context and first.messages[4].content.startswith("[tool call:")
    assert first.metadata == {"id": "sg-1"}
    assert second.started_at == "2024-11-02T10:00:00Z"
    assert texts(second) == ["My cat Tofu is allergic to chicken.", "Then pick a fish-based food for Tofu."]


def test_sharegpt_as_json_lines_and_unknown_speaker(tmp_path: Path) -> None:
    line = {"conversations": [{"from": "human", "value": "I'm vegan."}, {"from": "gpt", "value": "Noted."}]}
    first, second = read_conversations(write(tmp_path, json.dumps(line) + "\n" + json.dumps(line) + "\n", "s.jsonl"))
    assert first.source.endswith("s.jsonl:1") and second.source.endswith("s.jsonl:2")
    bad = {"conversations": [{"from": "narrator", "value": "x"}]}
    with pytest.raises(InvalidInputError) as info:
        list(read_conversations(write(tmp_path, json.dumps(line) + "\n" + json.dumps(bad) + "\n", "s.jsonl")))
    assert info.value.location.endswith("s.jsonl:2") and "unknown speaker 'narrator'" in str(info.value)


# --- decoding: pretty-printed JSON, streams of values ---------------------------------------------------------


MESSAGES = [{"role": "user", "content": "I live in Ghent."}, {"role": "assistant", "content": "Nice city."}]


@pytest.mark.parametrize(
    "data, fmt, count",
    [
        (json.dumps(MESSAGES, indent=2), "messages", 1),  # an indented message list
        (json.dumps({"messages": MESSAGES}, indent=2), "conversations", 1),  # one indented conversation
        ("\n".join(json.dumps({"messages": MESSAGES, "n": i}, indent=2) for i in range(3)), "conversations", 3),  # jq . output
        ("\n".join(json.dumps(m, indent=4) for m in MESSAGES), "messages", 1),  # indented JSON lines
        (json.dumps([{"conversations": [{"from": "human", "value": "hi"}]}], indent=1), "sharegpt", 1),
    ],
)
def test_pretty_printed_json_is_decoded_as_such(tmp_path: Path, data: str, fmt: str, count: int) -> None:
    report = ReadReport()
    conversations = list(read_conversations(write(tmp_path, data), report=report))
    assert report.format == fmt and len(conversations) == count


def test_a_pretty_printed_stream_reports_the_line_of_the_bad_value(tmp_path: Path) -> None:
    data = json.dumps(MESSAGES[0], indent=2) + "\n" + json.dumps({"role": 5, "content": "x"}, indent=2) + "\n"
    with pytest.raises(InvalidInputError) as info:
        list(read_conversations(write(tmp_path, data)))
    assert info.value.location.endswith("t.json:5") and "string 'role'" in str(info.value)
    with pytest.raises(InvalidInputError) as info:
        list(read_conversations(write(tmp_path, '{\n  "role": "user",\n  "content": "hi"\n')))
    assert info.value.location.endswith("t.json:1") and "never closed" in str(info.value)


@pytest.mark.parametrize(
    "value, hint",
    [
        ({"foo": 1}, None),
        ([{"conversations_memory": "x", "account_uuid": "a"}], "memories.json"),  # beside Claude.ai's conversations.json
        ({"type": "thread.started", "thread_id": "t"}, "codex exec --json"),  # events, not a rollout
    ],
)
def test_an_unknown_shape_lists_the_formats(tmp_path: Path, value: Any, hint: str | None) -> None:
    with pytest.raises(InvalidInputError) as info:
        list(read_conversations(write(tmp_path, json.dumps(value))))
    message = str(info.value)
    assert "cannot tell the transcript format" in message
    for fmt in FORMATS:
        assert fmt in message
    if hint:
        assert hint in message


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_wrong_format_is_reported(tmp_path: Path, fmt: str) -> None:
    """Forcing another reader on a fixture either fails at a line or reads nothing or something else."""
    path = str(FIXTURES / "codex-rollout.jsonl")
    report = ReadReport()
    try:
        conversations = list(read_conversations(path, fmt, report=report))
    except InvalidInputError as error:
        assert error.location and error.location.startswith(path + ":")
        return
    if not conversations:
        assert report.notes and "formats read:" in report.notes[0]
    else:
        assert fmt == "codex"


def test_a_large_one_line_export_reads_the_same_element_by_element(tmp_path: Path) -> None:
    export = json.loads((FIXTURES / "chatgpt-conversations.json").read_text())
    big = export * 400  # over 1 MB on one line: decoded one conversation at a time
    data = json.dumps(big)
    assert len(data) > 1 << 20
    conversations = list(read_conversations(write(tmp_path, data, "big.json")))
    small = list(read_conversations(write(tmp_path, json.dumps(export), "small.json")))
    assert len(conversations) == 800 and conversations[799].source.endswith("big.json:#800")
    assert [c.content_hash for c in conversations[:2]] == [c.content_hash for c in small]
    # Followed by another line, the same array is one JSON line among others (a list of records).
    with pytest.raises(InvalidInputError) as info:
        list(read_conversations(write(tmp_path, data + "\n" + json.dumps(export) + "\n", "two.json")))
    assert info.value.location.endswith("two.json:1")
