"""Transcript readers (langmem extract input): every format, detection, stdin, errors at file:line."""

from __future__ import annotations

import gzip
import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from support.transcript_fixtures import ALL_FIXTURES as FIXTURE_FORMATS
from support.transcript_fixtures import FIXTURES

from langmem_cli.core.conversation import Conversation, Message, normalize_role
from langmem_cli.errors import ExitCode, InvalidInputError, UsageError
from langmem_cli.formats import FORMATS, ReadReport, detect_format, flatten_content, read_conversations


def write(tmp_path: Path, data: str | bytes, name: str = "t.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def jsonl(*objs: Any) -> str:
    return "".join(json.dumps(o) + "\n" for o in objs)


def read(tmp_path: Path, data: str | bytes, fmt: str | None = None, name: str = "t.jsonl") -> list[Conversation]:
    return list(read_conversations(str(write(tmp_path, data, name)), fmt))


def read_error(tmp_path: Path, data: str | bytes, fmt: str | None = None, name: str = "t.jsonl") -> InvalidInputError:
    path = write(tmp_path, data, name)
    with pytest.raises(InvalidInputError) as info:
        list(read_conversations(str(path), fmt))
    assert info.value.exit_code == ExitCode.INVALID_INPUT
    assert "\n" not in str(info.value)
    return info.value


def roles(conversation: Conversation) -> list[str]:
    return [m.role for m in conversation.messages]


def fixture(name: str) -> list[Conversation]:
    return list(read_conversations(str(FIXTURES / name)))


# --- core records ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, expected",
    [("user", "user"), ("Human", "user"), ("ai", "assistant"), ("model", "assistant"), ("developer", "system"),
     ("function", "tool"), (" TOOL ", "tool")],
)
def test_roles_are_normalised(given: str, expected: str) -> None:
    assert normalize_role(given) == expected
    assert Message(given, "x").role == expected


def test_unknown_role_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown role 'narrator'"):
        Message("narrator", "x")


def test_to_text_uses_the_name_when_present() -> None:
    conversation = Conversation([Message("user", "I have a cat.", name="alice"), Message("ai", "Nice!")], {}, "f:1")
    assert conversation.to_text() == "alice: I have a cat.\nassistant: Nice!"


def test_content_hash_is_stable_and_covers_roles_names_and_contents() -> None:
    base = Conversation([Message("user", "I have a cat."), Message("assistant", "Nice!")], {}, "a:1")
    pinned = base.content_hash
    same = Conversation(
        [Message("human", "I have a cat.", timestamp="2025-01-01T00:00:00Z"), Message("ai", "Nice!")],
        {"user_id": "alice"},
        "b:7",
    )
    assert same.content_hash == pinned
    assert Conversation([Message("user", "I have a dog."), Message("assistant", "Nice!")]).content_hash != pinned
    assert Conversation([Message("system", "I have a cat."), Message("assistant", "Nice!")]).content_hash != pinned
    assert Conversation([Message("user", "I have a cat.", name="bob"), Message("assistant", "Nice!")]).content_hash != pinned
    assert Conversation([Message("assistant", "Nice!"), Message("user", "I have a cat.")]).content_hash != pinned


def test_content_hash_value_is_pinned() -> None:
    # The hash is stored with extracted memories, so its canonical form must not drift between versions.
    conversation = Conversation([Message("user", "I have a cat."), Message("assistant", "Nice!")])
    assert conversation.content_hash == "86214def6cdbae2b1597e3ee217fb763336c7020a4398f5c9989f11aa9011f61"


# --- fixtures, one per format ------------------------------------------------------------------------


def test_messages_fixture_is_one_conversation() -> None:
    [conversation] = fixture("messages.jsonl")
    assert conversation.source == f"{FIXTURES / 'messages.jsonl'}:1"
    assert conversation.metadata == {}
    assert len(conversation.messages) == 9  # ten lines, one with empty content
    first, second = conversation.messages[:2]
    assert (first.role, first.name) == ("system", None)
    assert (second.role, second.name, second.timestamp) == ("user", "alice", "2025-03-02T09:14:21Z")
    assert "vegetarian" in second.content
    assert conversation.messages[4].content.startswith("Got it: two people")
    assert conversation.messages[4].content.endswith("Wednesday: lentil bolognese.")
    assert "\nMonday:" in conversation.messages[4].content  # two text parts joined
    assert "alice: Sam hates coriander" in conversation.to_text()


def test_conversations_fixture_keeps_line_fields_as_metadata() -> None:
    conversations = fixture("conversations.jsonl")
    assert [c.metadata.get("user_id") for c in conversations] == ["alice", "bob", "alice", "bob"]
    assert [c.metadata["conversation_id"] for c in conversations] == ["c-101", "c-102", "c-103", "c-104"]
    assert all("messages" not in c.metadata for c in conversations)
    assert [c.source.rsplit(":", 1)[1] for c in conversations] == ["1", "2", "3", "4"]
    assert roles(conversations[0]) == ["system", "user", "assistant"]
    assert "Pixel" in conversations[0].messages[1].content
    assert conversations[1].messages[2].content == "Yes please, but keep it short. I prefer bullet points over long paragraphs."
    weather = conversations[3]
    assert roles(weather) == ["user", "assistant", "tool", "assistant", "user"]
    assert weather.messages[1].content == '[tool call get_weather: {"city":"Denver"}]'
    assert (weather.messages[2].name, weather.messages[2].content) == ("get_weather", "Sunny, 24°C")


def test_langchain_fixture_reads_serialised_and_flat_messages() -> None:
    [conversation] = fixture("langchain.jsonl")
    assert conversation.source.endswith("langchain.jsonl:1")
    assert roles(conversation) == ["system", "user", "assistant", "user", "assistant", "tool", "assistant", "user", "assistant"]
    assert conversation.messages[4].content == '[tool call search_workshops: {"city":"Kyoto","craft":"ceramics"}]'
    assert conversation.messages[5].name == "search_workshops"
    assert conversation.messages[6].content.startswith("There's a 2-hour wheel class")  # flat form, list content
    assert "allergic to shellfish" in conversation.messages[7].content


def test_claude_code_fixture_groups_by_session() -> None:
    first, second = fixture("claude-code.jsonl")
    assert first.metadata == {
        "session_id": "5d0c7c2e-7a1e-4c8e-9a57-3c1f4b8e2a01",
        "cwd": "/home/dana/src/shop-api",
        "git_branch": "main",
    }
    assert second.metadata["session_id"] == "9b8a7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
    assert second.metadata["git_branch"] == "feature/refunds"
    # The summary, the file snapshot and the isMeta caveat (lines 1-3) are skipped.
    assert first.source.endswith("claude-code.jsonl:4") and second.source.endswith("claude-code.jsonl:13")
    assert roles(first) == ["user", "assistant", "assistant", "tool", "assistant", "user", "assistant"]
    # Three lines of one API message (thinking, text, tool_use): thinking is dropped, the text is the
    # assistant's, the tool call is context (never evidence).
    assert first.messages[1].content == "I'll read the checkout test to see what depends on timing."
    assert first.messages[1].may_be_evidence
    call = first.messages[2]
    assert call.content == '[tool call Read: {"file_path":"/home/dana/src/shop-api/tests/test_checkout.py"}]'
    assert call.context and not call.may_be_evidence
    assert "Let me look" not in first.to_text()
    assert first.messages[3].content.startswith("[tool result: 1 import time 2 def test_checkout_expires")
    assert [m.line for m in first.messages] == [4, 6, 7, 8, 9, 10, 12]
    assert first.messages[0].timestamp == "2025-06-02T18:46:59.937Z"
    assert "Caveat" not in first.to_text() and "Auto-compact" not in first.to_text()
    assert "holiday from July 14" in second.messages[0].content


def test_chatgpt_fixture_follows_the_visible_branch() -> None:
    first, second = fixture("chatgpt-conversations.json")
    assert first.source.endswith("chatgpt-conversations.json:#1") and second.source.endswith(":#2")
    assert first.metadata == {
        "title": "Half marathon training plan",
        "conversation_id": "6659a1b2-0c3d-8000-a1b2-c3d4e5f60718",
        "create_time": "2024-06-01T10:00:00.123Z",
    }
    assert roles(first) == ["user", "assistant", "user", "assistant", "user"]  # hidden empty system message skipped
    text = first.to_text()
    assert "Chicago Half in October" in text and "knee" in text
    assert "Three days a week" not in text and "16-week" not in text  # the abandoned branch
    assert first.messages[0].timestamp == "2024-06-01T10:00:01.000Z"
    assert second.metadata["conversation_id"] == "666a7b8c-9d0e-8000-b1c2-d3e4f5a6b7c8"
    assert second.messages[0].content == "[image]\nWhat is this plant? It's on my balcony in Rotterdam and gets full sun."
    assert second.messages[1].content == '[tool call browser: search("succulent rosette red tips")]'
    assert roles(second) == ["user", "assistant", "assistant"]  # the empty browsing display is skipped


# --- detection and fmt --------------------------------------------------------------------------------


@pytest.mark.parametrize("name, fmt", sorted(FIXTURE_FORMATS.items()))
def test_auto_detection_matches_the_named_format(name: str, fmt: str) -> None:
    path = str(FIXTURES / name)
    auto = [c.to_dict() for c in read_conversations(path)]
    assert auto and auto == [c.to_dict() for c in read_conversations(path, fmt)]
    for other in FORMATS:
        if other != fmt:  # no other reader accepts the fixture and reads the same thing
            try:
                assert [c.to_dict() for c in read_conversations(path, other)] != auto
            except InvalidInputError:
                pass


@pytest.mark.parametrize(
    "line, fmt",
    [
        ('{"role": "user", "content": "hi"}', "messages"),
        ('{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}', "messages"),
        ('{"messages": [{"role": "user", "content": "hi"}], "user_id": "alice"}', "conversations"),
        ('[{"role": "user", "content": "hi"}]', "messages"),  # one array: its elements are the records
        ('[{"role": "user", "content": "hi"}]\n[{"role": "user", "content": "yo"}]', "conversations"),
        ('{"type": "human", "data": {"content": "hi"}}', "langchain"),
        ('{"type": "ai", "content": "hi"}', "langchain"),
        ('{"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", "HumanMessage"], "kwargs": {"content": "hi"}}', "langchain"),
        ('[{"type": "human", "content": "hi"}, {"type": "ai", "content": "hello"}]', "langchain"),
        ('{"type": "summary", "summary": "Fix tests", "leafUuid": "u1"}', "claude-code"),
        ('{"type": "user", "message": {"role": "user", "content": "hi"}, "sessionId": "s1"}', "claude-code"),
        ('{"type": "file-history-snapshot", "messageId": "m", "snapshot": {}}', "claude-code"),
        ('[{"title": "t", "mapping": {}, "current_node": null}]', "chatgpt"),
        ('{"title": "t", "mapping": {}}', "chatgpt"),
    ],
)
def test_detect_format(line: str, fmt: str) -> None:
    assert detect_format(line) == fmt


@pytest.mark.parametrize("line", ['{"content": "hi"}', '"just a string"', "42", '[{"foo": 1}]', '{"type": "user"}'])
def test_undetectable_first_line_names_the_formats(tmp_path: Path, line: str) -> None:
    error = read_error(tmp_path, line + "\n")
    assert error.location == f"{tmp_path / 't.jsonl'}:1"
    assert "cannot tell the transcript format" in str(error) and "claude-code" in str(error)


def test_detection_looks_past_lines_it_does_not_know(tmp_path: Path) -> None:
    data = jsonl(
        {"type": "queue-operation", "operation": "enqueue"},  # a line type newer than the detector
        {"type": "user", "message": {"role": "user", "content": "I moved to Oslo."}, "sessionId": "s1"},
    )
    assert detect_format(data) == "claude-code"
    [conversation] = read(tmp_path, data)
    assert conversation.to_text() == "user: I moved to Oslo."
    unknown = jsonl(*({"type": "queue-operation", "n": i} for i in range(25))) + data
    with pytest.raises(InvalidInputError, match="cannot tell"):
        read(tmp_path, unknown)
    [conversation] = read(tmp_path, unknown, fmt="claude-code")
    assert conversation.to_text() == "user: I moved to Oslo."
    assert conversation.source.endswith("t.jsonl:27")


def test_fmt_override_takes_precedence_over_detection(tmp_path: Path) -> None:
    path = str(FIXTURES / "conversations.jsonl")
    with pytest.raises(InvalidInputError) as info:
        list(read_conversations(path, "messages"))
    assert info.value.location == f"{path}:1"
    assert "'conversations' format" in str(info.value)
    with pytest.raises(InvalidInputError) as info:
        list(read_conversations(str(FIXTURES / "messages.jsonl"), "langchain"))
    assert "not a LangChain message" in str(info.value)


def test_unknown_fmt_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown transcript format 'csv'"):
        read_conversations("whatever.jsonl", "csv")


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        list(read_conversations(str(tmp_path / "nope.jsonl")))


# --- stdin and streams --------------------------------------------------------------------------------


def test_dash_reads_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (FIXTURES / "conversations.jsonl").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    conversations = list(read_conversations("-"))
    assert [c.source for c in conversations] == ["<stdin>:1", "<stdin>:2", "<stdin>:3", "<stdin>:4"]
    assert conversations[1].metadata["user_id"] == "bob"


def test_dash_with_a_binary_stream(tmp_path: Path) -> None:
    data = (FIXTURES / "chatgpt-conversations.json").read_bytes()
    conversations = list(read_conversations("-", stream=io.BytesIO(data)))
    assert [c.source for c in conversations] == ["<stdin>:#1", "<stdin>:#2"]
    error_stream = io.BytesIO(b'{"role": "user", "content": "hi"}\nnot json\n')
    with pytest.raises(InvalidInputError) as info:
        list(read_conversations("-", stream=error_stream))
    assert info.value.location == "<stdin>:2"


def test_stream_with_a_name(tmp_path: Path) -> None:
    [conversation] = read_conversations("upload.jsonl", stream=io.BytesIO(b'{"role": "user", "content": "hi"}\n'))
    assert conversation.source == "upload.jsonl:1"


class OneWayStream(io.RawIOBase):
    """A pipe-like stream: not seekable, counts the bytes handed out."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        chunk = self._inner.read(len(buffer))
        buffer[: len(chunk)] = chunk
        self.bytes_read += len(chunk)
        return len(chunk)


def test_lines_are_read_lazily_and_once() -> None:
    lines = [json.dumps({"user_id": f"u{i}", "messages": [{"role": "user", "content": "x" * 2000}]}) for i in range(200)]
    data = ("\n".join(lines) + "\nnot json\n").encode()
    raw = OneWayStream(data)
    conversations = read_conversations("-", stream=io.BufferedReader(raw, buffer_size=4096))
    first = next(conversations)
    assert first.metadata == {"user_id": "u0"}
    assert raw.bytes_read < len(data) // 4  # the rest of the file is still unread
    assert sum(1 for _ in zip(range(199), conversations)) == 199
    with pytest.raises(InvalidInputError) as info:
        next(conversations)
    assert info.value.location == "<stdin>:201"
    assert raw.bytes_read == len(data)


def test_one_line_chatgpt_export_is_read_once() -> None:
    export = json.loads((FIXTURES / "chatgpt-conversations.json").read_text())
    data = json.dumps(export * 50).encode()  # minified, as ChatGPT writes it
    raw = OneWayStream(data)
    conversations = list(read_conversations("-", stream=io.BufferedReader(raw)))
    assert len(conversations) == 100 and conversations[99].source == "<stdin>:#100"
    assert raw.bytes_read == len(data)


# --- errors at file:line -----------------------------------------------------------------------------


def test_invalid_json_line(tmp_path: Path) -> None:
    data = jsonl({"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}) + '{"role": "user", "content": \n'
    error = read_error(tmp_path, data)
    assert error.location == f"{tmp_path / 't.jsonl'}:3"
    assert "invalid JSON" in str(error)


def test_invalid_json_first_line(tmp_path: Path) -> None:
    error = read_error(tmp_path, '{"role": "user", "content": "a",}\n')
    assert error.location.endswith("t.jsonl:1") and "invalid JSON" in str(error)


@pytest.mark.parametrize("fmt", ["messages", "conversations", "langchain", "claude-code"])
def test_invalid_utf8_line(tmp_path: Path, fmt: str) -> None:
    first = {
        "messages": {"role": "user", "content": "ok"},
        "conversations": {"messages": [{"role": "user", "content": "ok"}]},
        "langchain": {"type": "human", "content": "ok"},
        "claude-code": {"type": "user", "message": {"role": "user", "content": "ok"}, "sessionId": "s"},
    }[fmt]
    data = jsonl(first).encode() + b"\n" + b'{"role": "user", "content": "caf\xe9"}\n'
    error = read_error(tmp_path, data)
    assert error.location.endswith("t.jsonl:3")
    assert "invalid UTF-8" in str(error) and "0xe9" in str(error)


def test_invalid_utf8_in_first_line(tmp_path: Path) -> None:
    error = read_error(tmp_path, b'{"role": "user", "content": "\xff"}\n')
    assert error.location.endswith("t.jsonl:1") and "invalid UTF-8" in str(error)


def test_invalid_utf8_in_chatgpt_export(tmp_path: Path) -> None:
    data = (FIXTURES / "chatgpt-conversations.json").read_bytes().replace(b"Erin", b"Er\xffn")
    error = read_error(tmp_path, data, name="conversations.json")
    assert error.location.endswith("conversations.json:4")
    assert "invalid UTF-8" in str(error)


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    error = read_error(tmp_path, data)
    assert error.location.endswith("t.jsonl:1") and "empty file" in str(error)


def test_binary_file(tmp_path: Path) -> None:
    error = read_error(tmp_path, b"SQLite format 3\x00\x10\x00\x01\x01")
    assert error.location.endswith("t.jsonl:1") and "binary file" in str(error)
    error = read_error(tmp_path, b'{"role": "user", "content": "a"}\n\x00\x01\x02')
    assert error.location.endswith("t.jsonl:2")


def test_archives_and_utf16_get_a_hint(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("conversations.json", "[]")
    assert "unzip it and pass conversations.json" in str(read_error(tmp_path, buffer.getvalue(), name="export.zip"))
    assert "gzip" in str(read_error(tmp_path, gzip.compress(b'{"role": "user", "content": "a"}\n')))
    assert "UTF-16" in str(read_error(tmp_path, '{"role": "user", "content": "a"}\n'.encode("utf-16")))


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    [conversation] = read(tmp_path, b"\xef\xbb\xbf" + jsonl({"role": "user", "content": "I like tea."}).encode())
    assert conversation.to_text() == "user: I like tea."


def test_deeply_nested_json(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    error = read_error(tmp_path, jsonl({"role": "user", "content": "a"}) + f'{{"role": "user", "content": {deep}}}\n')
    assert error.location.endswith("t.jsonl:2") and "nested too deeply" in str(error)
    error = read_error(tmp_path, "[\n" + deep + "\n]\n", name="c.json")
    assert error.location.endswith("c.json:2") and "nested too deeply" in str(error)


@pytest.mark.parametrize(
    "fmt, lines, line, message",
    [
        ("messages", [{"role": "user", "content": "a"}, {"role": "user"}], 2, "needs a 'content'"),
        ("messages", [{"role": "user", "content": "a"}, {"role": 3, "content": "b"}], 2, "string 'role'"),
        ("messages", [{"role": "user", "content": "a"}, {"role": "narrator", "content": "b"}], 2, "unknown role"),
        ("messages", [{"role": "user", "content": "a"}, ["x"]], 2, "expected a message object"),
        ("messages", [{"role": "user", "content": 42}], 1, "content must be a string or a list of parts"),
        ("messages", [{"role": "user", "content": "a", "timestamp": [1]}], 1, "timestamp must be"),
        ("conversations", [{"messages": []}, {"messages": "hi"}], 2, "'messages' list"),
        ("conversations", [{"messages": [{"role": "user", "content": "a"}, "b"]}], 1, "messages[1]: expected a message"),
        ("langchain", [{"type": "human", "content": "a"}, {"type": "robot", "content": "b"}], 2, "not a LangChain message"),
        ("langchain", [{"type": "human", "data": {"text": "a"}}], 1, "needs a 'content'"),
        ("langchain", [[{"type": "human", "content": "a"}, {"type": "ai"}]], 1, "a LangChain message needs"),
        ("claude-code", [{"type": "summary", "summary": "s", "leafUuid": "u"}, {"type": "user", "sessionId": "s"}], 2, "needs a 'message'"),
        ("claude-code", [{"type": "summary", "summary": "s", "leafUuid": "u"}, ["x"]], 2, "a Claude Code session line"),
    ],
)
def test_wrong_shape_for_the_format(tmp_path: Path, fmt: str, lines: list[Any], line: int, message: str) -> None:
    data = jsonl(*lines)
    assert detect_format(data.splitlines()[0]) == fmt
    error = read_error(tmp_path, data)
    assert error.location == f"{tmp_path / 't.jsonl'}:{line}"
    assert message in str(error)


CHATGPT_MESSAGE = {"author": {"role": "user"}, "content": {"content_type": "text", "parts": ["hi"]}}


def chatgpt_conversation(**fields: Any) -> dict[str, Any]:
    mapping = {
        "r": {"id": "r", "message": None, "parent": None, "children": ["a"]},
        "a": {"id": "a", "message": CHATGPT_MESSAGE, "parent": "r", "children": []},
    }
    return {"title": "t", "id": "c1", "current_node": "a", "mapping": mapping, **fields}


@pytest.mark.parametrize(
    "bad, message",
    [
        ("not a conversation", "conversation #2: expected a conversation object with a 'mapping'"),
        (chatgpt_conversation(current_node="zz"), "conversation #2: current_node 'zz' is not in the mapping"),
        (
            chatgpt_conversation(mapping={"r": {"message": None, "parent": None}, "a": {"message": {"content": "x"}, "parent": "r"}}),
            "conversation #2: node 'a': a message needs an 'author'",
        ),
        (
            chatgpt_conversation(mapping={"a": {"message": CHATGPT_MESSAGE, "parent": "b"}, "b": {"message": None, "parent": "a"}}),
            "cycle",
        ),
        (chatgpt_conversation(mapping={"a": {"message": CHATGPT_MESSAGE, "parent": "gone"}}), "node 'gone' is missing"),
    ],
)
def test_chatgpt_wrong_shape_points_at_the_conversation(tmp_path: Path, bad: Any, message: str) -> None:
    data = "[\n" + json.dumps(chatgpt_conversation()) + ",\n\n" + json.dumps(bad) + "\n]\n"
    error = read_error(tmp_path, data, name="conversations.json")
    assert error.location.endswith("conversations.json:4")
    assert message in str(error)


@pytest.mark.parametrize(
    "data, line, message",
    [
        ("[\n" + json.dumps(chatgpt_conversation()) + "\n]\n[]\n", 4, "extra data after the array"),
        ("[\n" + json.dumps(chatgpt_conversation()) + "\n" + json.dumps(chatgpt_conversation()) + "\n]", 3, "expected ',' or ']'"),
        ("[\n" + json.dumps(chatgpt_conversation()) + ",\n{\"title\": }\n]", 3, "invalid JSON"),
        ("[\n" + json.dumps(chatgpt_conversation()), 2, "invalid JSON"),
    ],
)
def test_chatgpt_invalid_json(tmp_path: Path, data: str, line: int, message: str) -> None:
    error = read_error(tmp_path, data, fmt="chatgpt", name="conversations.json")
    assert error.location.endswith(f"conversations.json:{line}")
    assert message in str(error)


def test_chatgpt_format_on_a_non_array(tmp_path: Path) -> None:
    error = read_error(tmp_path, '"hello"\n', fmt="chatgpt")
    assert "expected a conversation object with a 'mapping'" in str(error) and error.location.endswith("t.jsonl:1")


# --- skipping empty content ---------------------------------------------------------------------------


def test_empty_messages_and_conversations_are_skipped(tmp_path: Path) -> None:
    data = jsonl(
        {"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": None}]},
        {"messages": []},
        {"user_id": "bob", "messages": [{"role": "user", "content": "  "}, {"role": "user", "content": "I play chess."}]},
    )
    [conversation] = read(tmp_path, data)
    assert conversation.source.endswith("t.jsonl:3")
    assert conversation.to_text() == "user: I play chess."
    assert read(tmp_path, jsonl({"role": "user", "content": ""}, {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm"}]})) == []


# --- content flattening -------------------------------------------------------------------------------


def test_flatten_content_blocks() -> None:
    blocks = [
        {"type": "thinking", "thinking": "secret plan", "signature": "x"},
        {"type": "redacted_thinking", "data": "x"},
        {"type": "text", "text": " I adopted a puppy. "},
        "plain string part",
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/dog.png"}},
        {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "ls -la", "timeout": 10}},
        {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "total 0\nfile.txt"}]},
        {"type": "tool_result", "tool_use_id": "t2", "content": ""},
        {"type": "document", "source": {"type": "url"}},
    ]
    assert flatten_content(blocks).split("\n") == [
        "I adopted a puppy.",
        "plain string part",
        "[image]",
        "[image]",
        '[tool call Bash: {"command":"ls -la","timeout":10}]',
        "[tool result: total 0 file.txt]",
        "[tool result]",
        "[attachment]",
    ]
    assert flatten_content({"type": "text", "text": "single part"}) == "single part"
    assert flatten_content(None) == ""


def test_flatten_truncates_long_tool_inputs_and_results() -> None:
    call = flatten_content([{"type": "tool_use", "name": "Write", "input": {"content": "x" * 5000}}])
    assert call.startswith('[tool call Write: {"content":"xxx') and call.endswith("…]")
    assert 500 < len(call) < 540
    result = flatten_content([{"type": "tool_result", "content": "y" * 5000}])
    assert result.startswith("[tool result: yyy") and result.endswith("…]") and len(result) < 530


@pytest.mark.parametrize("bad", [42, True, [[1]], [3.5]])
def test_flatten_rejects_other_content(bad: Any) -> None:
    with pytest.raises(ValueError):
        flatten_content(bad)


PARTS = [
    {"type": "text", "text": "I like green tea."},
    {"type": "image_url", "image_url": {"url": "https://example.com/tea.png"}},
    {"type": "text", "text": "Any recommendations?"},
]
FLAT = "I like green tea.\n[image]\nAny recommendations?"


@pytest.mark.parametrize(
    "fmt, data",
    [
        ("messages", jsonl({"role": "user", "content": PARTS})),
        ("conversations", jsonl({"messages": [{"role": "user", "content": PARTS}]})),
        ("langchain", jsonl({"type": "human", "data": {"content": PARTS}})),
        ("langchain", jsonl({"type": "human", "content": PARTS})),
        ("langchain", jsonl([{"type": "human", "content": PARTS}])),
        ("claude-code", jsonl({"type": "user", "sessionId": "s", "message": {"role": "user", "content": PARTS}})),
        ("chatgpt", json.dumps([chatgpt_conversation(mapping={"a": {"message": {"author": {"role": "user"}, "content": {"content_type": "multimodal_text", "parts": PARTS}}, "parent": None}}, current_node="a")])),
    ],
)
def test_content_parts_are_flattened_in_every_format(tmp_path: Path, fmt: str, data: str) -> None:
    [conversation] = read(tmp_path, data)
    assert [(m.role, m.content, m.context) for m in conversation.messages] == [("user", FLAT, False)]
    assert conversation.messages[0].line == (None if fmt == "chatgpt" else 1)


# --- inline samples per format ------------------------------------------------------------------------


def test_langchain_lines_holding_lists_are_conversations(tmp_path: Path) -> None:
    data = jsonl(
        [{"type": "human", "content": "I'm Dana."}, {"type": "ai", "content": "Hi Dana!"}],
        [{"type": "HumanMessage", "content": "I'm Eve."}, {"type": "AIMessageChunk", "content": "Hi Eve!"}],
    )
    first, second = read(tmp_path, data)
    assert first.to_text() == "user: I'm Dana.\nassistant: Hi Dana!"
    assert second.to_text() == "user: I'm Eve.\nassistant: Hi Eve!"
    assert (first.source.rsplit(":", 1)[1], second.source.rsplit(":", 1)[1]) == ("1", "2")


def test_langchain_constructor_and_chat_forms(tmp_path: Path) -> None:
    data = jsonl(
        {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", "HumanMessage"], "kwargs": {"content": "I run marathons."}},
        {"type": "chat", "data": {"role": "assistant", "content": "Impressive!"}},
        {"type": "ai", "content": [{"type": "tool_use", "name": "save", "input": {"x": 1}}], "tool_calls": [{"name": "save", "args": {"x": 1}}]},
    )
    [conversation] = read(tmp_path, data)
    assert conversation.to_text() == 'user: I run marathons.\nassistant: Impressive!\nassistant: [tool call save: {"x":1}]'


def test_messages_with_openai_tool_calls_and_epoch_timestamps(tmp_path: Path) -> None:
    data = jsonl(
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": "Note my flight", "timestamp": 1700000000},
        {"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": {"name": "note", "arguments": '{"text": "flight LH123"}'}}]},
        {"role": "function", "name": "note", "content": "saved"},
    )
    [conversation] = read(tmp_path, data)
    assert roles(conversation) == ["system", "user", "assistant", "tool"]
    assert conversation.messages[1].timestamp == "2023-11-14T22:13:20.000Z"
    assert conversation.messages[2].content == '[tool call note: {"text":"flight LH123"}]'
    assert conversation.to_text().endswith("note: saved")


def test_claude_code_interleaved_sessions_and_sidechains(tmp_path: Path) -> None:
    def line(session: str, type_: str, text: str, **extra: Any) -> dict[str, Any]:
        return {"type": type_, "sessionId": session, "message": {"role": type_, "content": text}, **extra}

    data = jsonl(
        line("A", "user", "I use vim."),
        line("B", "user", "I use emacs."),
        line("A", "assistant", "Noted, vim."),
        line("A", "user", "sub-agent prompt", isSidechain=True),
        {"type": "system", "sessionId": "A", "content": "compacted"},
        line("B", "assistant", "Noted, emacs."),
    )
    first, second = read(tmp_path, data)
    assert (first.metadata, first.to_text()) == ({"session_id": "A"}, "user: I use vim.\nassistant: Noted, vim.")
    assert (second.metadata, second.source.rsplit(":", 1)[1]) == ({"session_id": "B"}, "2")
    assert second.to_text() == "user: I use emacs.\nassistant: Noted, emacs."


def test_claude_code_skips_sessions_without_messages(tmp_path: Path) -> None:
    data = jsonl(
        {"type": "summary", "summary": "s", "leafUuid": "u"},
        {"type": "assistant", "sessionId": "A", "message": {"role": "assistant", "content": [{"type": "thinking", "thinking": "..."}]}},
    )
    assert read(tmp_path, data) == []


def branching_export(current_node: str | None) -> str:
    def node(node_id: str, parent: str | None, children: list[str], role: str | None, text: str = "") -> dict[str, Any]:
        message = None if role is None else {"author": {"role": role}, "content": {"content_type": "text", "parts": [text]}}
        return {"id": node_id, "message": message, "parent": parent, "children": children}

    mapping = {
        "root": node("root", None, ["sys"], None),
        "sys": node("sys", "root", ["q"], "system", ""),
        "q": node("q", "sys", ["a1", "a2"], "user", "Which city should I move to?"),
        "a1": node("a1", "q", ["f1"], "assistant", "Try Utrecht."),
        "f1": node("f1", "a1", [], "user", "I prefer the coast."),
        "a2": node("a2", "q", ["f2"], "assistant", "Try Porto."),
        "f2": node("f2", "a2", [], "user", "Porto it is, I love surfing."),
    }
    return json.dumps([{"title": "Moving", "conversation_id": "m1", "create_time": 1710000000, "mapping": mapping, "current_node": current_node}])


def test_chatgpt_reads_only_the_current_branch(tmp_path: Path) -> None:
    [current] = read(tmp_path, branching_export("f2"), name="c.json")
    assert current.to_text() == "user: Which city should I move to?\nassistant: Try Porto.\nuser: Porto it is, I love surfing."
    [other] = read(tmp_path, branching_export("f1"), name="c.json")
    assert other.to_text() == "user: Which city should I move to?\nassistant: Try Utrecht.\nuser: I prefer the coast."
    [middle] = read(tmp_path, branching_export("a1"), name="c.json")
    assert roles(middle) == ["user", "assistant"]
    assert current.metadata == {"title": "Moving", "conversation_id": "m1", "create_time": "2024-03-09T16:00:00.000Z"}


def test_chatgpt_without_current_node_takes_the_newest_children(tmp_path: Path) -> None:
    [conversation] = read(tmp_path, branching_export(None), name="c.json")
    assert "Porto it is" in conversation.to_text() and "Utrecht" not in conversation.to_text()


def test_chatgpt_single_conversation_object_and_empty_export(tmp_path: Path) -> None:
    [conversation] = read(tmp_path, json.dumps(json.loads(branching_export("f1"))[0]), name="c.json")
    assert conversation.source.endswith("c.json:1") and "Utrecht" in conversation.to_text()
    report = ReadReport()
    assert list(read_conversations(str(write(tmp_path, "[]\n", "c.json")), report=report)) == []
    assert report.notes == ["an empty JSON array: no conversation in it"]


def test_same_conversation_in_every_format_hashes_the_same(tmp_path: Path) -> None:
    turns = [("user", "I have two cats."), ("assistant", "What are their names?"), ("user", "Mochi and Pixel.")]
    samples = {
        "messages": jsonl(*({"role": r, "content": c} for r, c in turns)),
        "conversations": jsonl({"user_id": "alice", "messages": [{"role": r, "content": c} for r, c in turns]}),
        "langchain": jsonl(*({"type": {"user": "human", "assistant": "ai"}[r], "data": {"content": c}} for r, c in turns)),
        "claude-code": jsonl(*({"type": r, "sessionId": "s", "timestamp": f"2025-01-0{i + 1}T00:00:00Z",
                                "message": {"role": r, "content": [{"type": "text", "text": c}]}} for i, (r, c) in enumerate(turns))),
        "chatgpt": json.dumps([{"current_node": "2", "mapping": {
            str(i): {"message": {"author": {"role": r}, "content": {"content_type": "text", "parts": [c]}}, "parent": str(i - 1) if i else None}
            for i, (r, c) in enumerate(turns)
        }}]),
    }
    hashes = set()
    for fmt, data in samples.items():
        [conversation] = read(tmp_path, data, name=f"{fmt}.txt")
        assert detect_format(data.splitlines()[0]) == fmt
        hashes.add(conversation.content_hash)
    assert hashes == {Conversation([Message(r, c) for r, c in turns]).content_hash}


def test_chatgpt_hidden_messages_are_skipped(tmp_path: Path) -> None:
    hidden = {
        "author": {"role": "user"},
        "content": {"content_type": "text", "parts": ["The user provided the following information about themselves."]},
        "metadata": {"is_visually_hidden_from_conversation": True},
    }
    mapping = {
        "h": {"message": hidden, "parent": None},
        "a": {"message": CHATGPT_MESSAGE, "parent": "h"},
    }
    [conversation] = read(tmp_path, json.dumps([{"current_node": "a", "mapping": mapping}]), name="c.json")
    assert conversation.to_text() == "user: hi"


def test_chatgpt_error_lines_count_leading_blank_lines(tmp_path: Path) -> None:
    data = "\n\n[\n" + json.dumps(chatgpt_conversation()) + ",\n{\"title\": }\n]\n"
    error = read_error(tmp_path, data, name="conversations.json")
    assert error.location.endswith("conversations.json:5") and "invalid JSON" in str(error)
    error = read_error(tmp_path, "\n\n[\n" + json.dumps(chatgpt_conversation()) + ",\n42\n]\n", name="conversations.json")
    assert error.location.endswith("conversations.json:5") and "conversation #2" in str(error)
