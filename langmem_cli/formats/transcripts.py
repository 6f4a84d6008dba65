"""Chat transcript exports -> ``Conversation`` records (input of ``langmem extract``).

Formats (``FORMATS``):

``messages``       JSONL, one ``{"role", "content", "name"?, "timestamp"?}`` per line; the whole file is one
                   conversation (source ``file:1``).
``conversations``  JSONL, one conversation per line: ``{"messages": [...], ...}`` as in OpenAI chat fine-tuning
                   files (the other fields of the line become metadata), or a bare list of messages.
``langchain``      JSONL of LangChain message dicts: ``{"type": "human", "data": {"content": ...}}``
                   (``messages_to_dict``), the flat ``{"type": "human", "content": ...}``, or the ``dumpd``
                   constructor form. One message per line makes one conversation per file; a line holding a
                   list of messages is a conversation of its own.
``claude-code``    Claude Code session files (``~/.claude/projects/*/*.jsonl``): ``user``/``assistant`` lines are
                   read, every other line type is skipped; one conversation per ``sessionId``.
``chatgpt``        ChatGPT ``conversations.json``: one JSON array (not JSONL). Each conversation is read along
                   the visible branch (``current_node`` up to the root). Source is ``file:#N``, N the 1-based
                   index in the array, since the export is usually a single line.

Detection (when ``fmt`` is None) looks at the first non-empty line only:

* a JSON object with ``sessionId`` (or a Claude Code ``summary``/``file-history-snapshot`` line, or
  ``type`` user/assistant with a ``message`` object) -> ``claude-code``
* an object with a ``messages`` list -> ``conversations``; with a ``mapping`` -> ``chatgpt`` (one conversation)
* an object whose ``type`` is a LangChain message type (human, ai, system, tool, function, chat, the class
  names, or the ``constructor`` form) -> ``langchain``; an object with a ``role`` -> ``messages``
* a JSON list: of objects with ``mapping`` (or empty) -> ``chatgpt``; of LangChain messages -> ``langchain``;
  of role messages -> ``conversations``
* a line starting with ``[`` that is not JSON by itself (a pretty-printed array) -> ``chatgpt``

Content given as a list of parts/blocks is flattened in every format: text parts are kept, thinking is
dropped, ``tool_use`` -> ``[tool call NAME: {json}]``, ``tool_result`` -> ``[tool result: text]`` (both cut
to about 500 characters), images -> ``[image]``, anything else -> ``[attachment]``. Messages left empty are
skipped, and so are conversations left without messages.

Every problem in the input raises ``InvalidInputError`` located ``file:line`` (``<stdin>`` for ``-``).
Files are read line by line (the ChatGPT array is read once, whole).
"""

from __future__ import annotations

import json
import re
import sys
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from itertools import chain
from typing import IO, Any, Callable, Iterable, Iterator

from langmem_cli.core.conversation import Conversation, Message
from langmem_cli.core.untrusted import SURROGATE_ESCAPE, check_value
from langmem_cli.errors import InvalidInputError, UsageError

FORMATS = ("messages", "conversations", "langchain", "claude-code", "chatgpt")
STDIN_NAME = "<stdin>"
TRUNCATE_AT = 500  # characters kept of a tool call's input or a tool result

_HEAD_BYTES = 8192
_UTF8_BOM = b"\xef\xbb\xbf"
_WS = re.compile(r"[ \t\n\r]*")

Lines = Iterable[tuple[int, bytes]]  # (1-based line number, line without its newline)


def read_conversations(path: str, fmt: str | None = None, stream: IO[bytes] | None = None) -> Iterator[Conversation]:
    """Conversations in ``path`` (``-``: stdin, or ``stream`` when given), lazily.

    ``fmt`` is one of ``FORMATS``, or None to detect it from the first non-empty line. With ``stream``, data
    is read from it and ``path`` only names it in sources and errors. An unknown ``fmt`` raises
    ``UsageError`` at once; a file that cannot be opened raises ``UsageError`` on the first ``next()``.
    """
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"unknown transcript format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    name = STDIN_NAME if str(path) == "-" else str(path)
    return _generate(str(path), name, fmt, stream)


def _generate(path: str, name: str, fmt: str | None, stream: IO[bytes] | None) -> Iterator[Conversation]:
    if stream is None and path == "-":
        stream = sys.stdin
    if stream is not None:
        # A text stream (sys.stdin, Click's runner) is read through its binary buffer.
        yield from _read_stream(getattr(stream, "buffer", stream), name, fmt)
        return
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        yield from _read_stream(handle, name, fmt)


def _read_stream(stream: IO[bytes], name: str, fmt: str | None) -> Iterator[Conversation]:
    head = stream.read(_HEAD_BYTES)
    if isinstance(head, str):
        raise TypeError("transcripts must be read from a binary stream")
    if head.startswith(_UTF8_BOM):
        head = head[len(_UTF8_BOM):]
    _check_head(head, name)
    lines = _iter_lines(stream, head)
    for number, raw in lines:
        if raw.strip():
            break
    else:
        raise InvalidInputError("empty file: no transcript in it", location=f"{name}:1")
    if fmt is None:
        fmt = detect_format(_decode(raw, f"{name}:{number}"), f"{name}:{number}")
    yield from _READERS[fmt](chain([(number, raw)], lines), name)


def _check_head(head: bytes, name: str) -> None:
    """Clear errors for the non-text files people pass by mistake."""
    if head.startswith(b"PK\x03\x04"):
        raise InvalidInputError(
            "a zip archive, not a transcript (for a ChatGPT export, unzip it and pass conversations.json)",
            location=f"{name}:1",
        )
    if head.startswith(b"\x1f\x8b"):
        raise InvalidInputError("a gzip-compressed file: decompress it first", location=f"{name}:1")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidInputError("UTF-16 text: convert it to UTF-8 first", location=f"{name}:1")
    nul = head.find(b"\x00")
    if nul >= 0:
        line = head.count(b"\n", 0, nul) + 1
        raise InvalidInputError("a binary file (NUL byte), not a text transcript", location=f"{name}:{line}")


def _iter_lines(stream: IO[bytes], head: bytes) -> Iterator[tuple[int, bytes]]:
    """Numbered lines of ``head`` followed by the rest of ``stream``, split on ``\\n`` only."""
    *complete, tail = head.split(b"\n")
    number = 0
    for line in complete:
        number += 1
        yield number, line.rstrip(b"\r")
    line = tail + stream.readline()
    while line:
        number += 1
        yield number, line.rstrip(b"\r\n")
        line = stream.readline()


def _decode(raw: bytes, location: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"invalid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})", location=location
        ) from None


def _loads(text: str, location: str) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"invalid JSON: {exc.msg} at column {exc.colno}", location=location) from None
    except ValueError as exc:  # e.g. an integer with too many digits
        raise InvalidInputError(f"invalid JSON: {str(exc).splitlines()[0][:160]}", location=location) from None
    except RecursionError:
        raise InvalidInputError("JSON nested too deeply", location=location) from None
    if SURROGATE_ESCAPE.search(text):
        _check_unicode(value, location)
    return value


def _check_unicode(value: Any, location: str) -> None:
    """A lone surrogate (``"\\ud800"``) decodes but cannot be stored or hashed as UTF-8: refuse it here."""
    try:
        check_value(value, max_depth=None)
    except ValueError as exc:
        raise InvalidInputError(str(exc), location=location) from None


def _json_lines(lines: Lines, name: str) -> Iterator[tuple[Any, str]]:
    """(parsed line, "file:line") for every non-empty line."""
    for number, raw in lines:
        if not raw.strip():
            continue
        location = f"{name}:{number}"
        yield _loads(_decode(raw, location), location), location


@contextmanager
def _at(location: str, prefix: str = "") -> Iterator[None]:
    """Shape problems (``ValueError``) inside the block become ``InvalidInputError`` at ``location``."""
    try:
        yield
    except ValueError as exc:
        raise InvalidInputError(prefix + str(exc), location=location) from None
    except RecursionError:
        raise InvalidInputError(prefix + "content nested too deeply", location=location) from None


# --- detection ---------------------------------------------------------------------------------------

_LANGCHAIN_ROLES = {
    "human": "user",
    "humanmessage": "user",
    "ai": "assistant",
    "aimessage": "assistant",
    "system": "system",
    "systemmessage": "system",
    "tool": "tool",
    "toolmessage": "tool",
    "function": "tool",
    "functionmessage": "tool",
    "chat": None,  # the role is in the message
    "chatmessage": None,
}


def _langchain_type(type_: Any) -> str | None:
    """The lower-cased LangChain message type without a ``Chunk`` suffix, or None if it is not one."""
    if not isinstance(type_, str):
        return None
    key = type_.lower()
    if key.endswith("chunk"):
        key = key[: -len("chunk")]
    return key if key in _LANGCHAIN_ROLES else None


def _message_kind(obj: dict[str, Any]) -> str | None:
    """'langchain' or 'messages' for a single message object, None if it is neither."""
    if obj.get("type") == "constructor" and isinstance(obj.get("kwargs"), dict):
        return "langchain"
    if _langchain_type(obj.get("type")) is not None and ("content" in obj or isinstance(obj.get("data"), dict)):
        return "langchain"
    if "role" in obj:
        return "messages"
    return None


def _is_claude_code_line(obj: dict[str, Any]) -> bool:
    type_ = obj.get("type")
    if not isinstance(type_, str):
        return False
    return (
        "sessionId" in obj
        or (type_ in ("user", "assistant") and isinstance(obj.get("message"), dict))
        or (type_ == "summary" and "leafUuid" in obj)
        or type_ == "file-history-snapshot"
    )


def detect_format(text: str, location: str = "line 1") -> str:
    """The format of a transcript from its first non-empty line (see the module docstring)."""
    stripped = text.strip()
    if stripped.startswith("["):
        # Look at the first element only: a one-line ChatGPT export can be tens of megabytes.
        pos = _WS.match(stripped, 1).end()
        if stripped[pos:pos + 1] in ("]", ""):
            return "chatgpt"
        try:
            first, _ = json.JSONDecoder().raw_decode(stripped, pos)
        except (ValueError, RecursionError):
            return "chatgpt"  # a pretty-printed array: its first line is not JSON by itself
        if isinstance(first, dict):
            if "mapping" in first:
                return "chatgpt"
            kind = _message_kind(first)
            if kind is not None:
                return "langchain" if kind == "langchain" else "conversations"
    else:
        obj = _loads(text, location)
        if isinstance(obj, dict):
            if _is_claude_code_line(obj):
                return "claude-code"
            if isinstance(obj.get("messages"), list):
                return "conversations"
            if isinstance(obj.get("mapping"), dict):
                return "chatgpt"
            kind = _message_kind(obj)
            if kind is not None:
                return kind
    raise InvalidInputError(
        f"cannot tell the transcript format from this line; name it (one of: {', '.join(FORMATS)})",
        location=location,
    )


# --- content ---------------------------------------------------------------------------------------


def _truncate(text: str, limit: int = TRUNCATE_AT) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def _compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _tool_call(name: Any, arguments: Any) -> str:
    if isinstance(arguments, str):  # OpenAI sends the arguments as a JSON string
        try:
            arguments = json.loads(arguments)
        except ValueError:
            pass
    rendered = arguments if isinstance(arguments, str) else _compact_json(arguments)
    return f"[tool call {name if isinstance(name, str) and name else '?'}: {_truncate(' '.join(rendered.split()))}]"


def flatten_content(content: Any, _depth: int = 0) -> str:
    """Text of a message's content: a string, or a list of parts/blocks (a single part object is accepted).

    Raises ``ValueError`` for content of another type.
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content.strip()
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        raise ValueError(f"content must be a string or a list of parts, not {_kind(content)}")
    out = []
    for part in content:
        if part is None:
            continue
        if isinstance(part, str):
            text = part.strip()
        elif isinstance(part, dict):
            text = _flatten_part(part, _depth)
        else:
            raise ValueError(f"content parts must be strings or objects, not {_kind(part)}")
        if text:
            out.append(text)
    return "\n".join(out)


def _flatten_part(part: dict[str, Any], depth: int) -> str:
    type_ = part.get("type")
    if type_ in ("thinking", "redacted_thinking", "reasoning"):
        return ""
    if type_ in ("tool_use", "server_tool_use"):
        return _tool_call(part.get("name"), part.get("input", {}))
    if isinstance(type_, str) and type_.endswith("tool_result"):
        if depth > 0:
            return "[tool result]"
        text = " ".join(flatten_content(part.get("content"), depth + 1).split())
        return f"[tool result: {_truncate(text)}]" if text else "[tool result]"
    if type_ in ("image", "image_url", "input_image"):
        return "[image]"
    if isinstance(part.get("text"), str):
        return part["text"].strip()
    if type_ == "refusal" and isinstance(part.get("refusal"), str):
        return part["refusal"].strip()
    return "[attachment]"


def _has_tool_use(content: Any) -> bool:
    return isinstance(content, list) and any(isinstance(p, dict) and p.get("type") == "tool_use" for p in content)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


def _optional_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"'{key}' must be a string, not {_kind(value)}")
    return value or None


def _timestamp(value: Any) -> str | None:
    """ISO 8601 text as given; epoch seconds (ChatGPT) become ISO 8601 UTC."""
    if value is None or isinstance(value, str):
        return value or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            moment = datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"timestamp {value!r} is out of range") from None
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    raise ValueError(f"timestamp must be a string or epoch seconds, not {_kind(value)}")


def _message(role: str, text: str, name: str | None = None, timestamp: str | None = None) -> Message | None:
    """A ``Message``, or None when there is no text (the message is skipped)."""
    text = text.strip()
    return Message(role, text, name, timestamp) if text else None


# --- messages / conversations ------------------------------------------------------------------------


def _role_message(obj: Any) -> Message | None:
    """An OpenAI-style ``{"role", "content", ...}`` message."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a message object with 'role' and 'content', not {_kind(obj)}")
    role = obj.get("role")
    if not isinstance(role, str):
        raise ValueError("a message needs a string 'role'" + ("" if "messages" not in obj else
                         " (a line with 'messages' is the 'conversations' format)"))
    if "content" not in obj and "tool_calls" not in obj and "function_call" not in obj:
        raise ValueError("a message needs a 'content'")
    parts = [flatten_content(obj.get("content"))]
    calls = obj.get("tool_calls")
    if isinstance(calls, list):
        for call in calls:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict):
                parts.append(_tool_call(function.get("name"), function.get("arguments")))
    if isinstance(obj.get("function_call"), dict):
        parts.append(_tool_call(obj["function_call"].get("name"), obj["function_call"].get("arguments")))
    return _message(role, "\n".join(p for p in parts if p), _optional_str(obj, "name"), _timestamp(obj.get("timestamp")))


def _read_messages(lines: Lines, name: str) -> Iterator[Conversation]:
    messages: list[Message] = []
    for obj, location in _json_lines(lines, name):
        with _at(location):
            message = _role_message(obj)
        if message is not None:
            messages.append(message)
    if messages:
        yield Conversation(messages, {}, f"{name}:1")


def _message_list(items: list[Any], parse: Callable[[Any], Message | None]) -> list[Message]:
    messages = []
    for index, item in enumerate(items):
        try:
            message = parse(item)
        except ValueError as exc:
            raise ValueError(f"messages[{index}]: {exc}") from None
        if message is not None:
            messages.append(message)
    return messages


def _read_conversations(lines: Lines, name: str) -> Iterator[Conversation]:
    for obj, location in _json_lines(lines, name):
        with _at(location):
            if isinstance(obj, list):
                items, metadata = obj, {}
            elif isinstance(obj, dict) and isinstance(obj.get("messages"), list):
                items, metadata = obj["messages"], {k: v for k, v in obj.items() if k != "messages"}
            else:
                raise ValueError("expected an object with a 'messages' list (one conversation per line)")
            messages = _message_list(items, _any_message)
        if messages:
            yield Conversation(messages, metadata, location)


def _any_message(obj: Any) -> Message | None:
    """An OpenAI-style message, or a LangChain message dict, inside a conversation line."""
    if isinstance(obj, dict) and "role" not in obj and _langchain_type(obj.get("type")) is not None:
        return _langchain_message(obj)
    return _role_message(obj)


# --- langchain ---------------------------------------------------------------------------------------


def _langchain_message(obj: Any) -> Message | None:
    if not isinstance(obj, dict):
        raise ValueError(f"expected a LangChain message object, not {_kind(obj)}")
    if obj.get("type") == "constructor" and isinstance(obj.get("kwargs"), dict):  # dumpd()
        ids = obj.get("id")
        type_, data = (ids[-1] if isinstance(ids, list) and ids else None), obj["kwargs"]
    elif isinstance(obj.get("data"), dict):  # messages_to_dict()
        type_, data = obj.get("type"), obj["data"]
    else:  # flat
        type_, data = obj.get("type"), obj
    key = _langchain_type(type_)
    if key is None:
        raise ValueError(
            f"not a LangChain message: 'type' is {str(type_)[:40]!r}" if type_ is not None
            else "not a LangChain message: no 'type'"
        )
    role = _LANGCHAIN_ROLES[key] or data.get("role")
    if not isinstance(role, str):
        raise ValueError("a LangChain chat message needs a string 'role'")
    if "content" not in data:
        raise ValueError("a LangChain message needs a 'content'")
    content = data["content"]
    parts = [flatten_content(content)]
    calls = data.get("tool_calls")
    if isinstance(calls, list) and not _has_tool_use(content):
        for call in calls:
            if isinstance(call, dict):
                parts.append(_tool_call(call.get("name"), call.get("args", {})))
    return _message(role, "\n".join(p for p in parts if p), _optional_str(data, "name"))


def _read_langchain(lines: Lines, name: str) -> Iterator[Conversation]:
    messages: list[Message] = []
    for obj, location in _json_lines(lines, name):
        with _at(location):
            if isinstance(obj, list):
                conversation = _message_list(obj, _langchain_message)
            else:
                conversation = None
                message = _langchain_message(obj)
        if conversation is not None:
            if conversation:
                yield Conversation(conversation, {}, location)
        elif message is not None:
            messages.append(message)
    if messages:
        yield Conversation(messages, {}, f"{name}:1")


# --- claude code -------------------------------------------------------------------------------------


def _read_claude_code(lines: Lines, name: str) -> Iterator[Conversation]:
    sessions: dict[str | None, Conversation] = {}
    last_ids: dict[str | None, Any] = {}
    for obj, location in _json_lines(lines, name):
        with _at(location):
            if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
                raise ValueError("expected a Claude Code session line: an object with a 'type'")
            type_ = obj["type"]
            if type_ not in ("user", "assistant") or obj.get("isMeta") or obj.get("isSidechain"):
                continue  # summaries, system notes, file snapshots, command caveats, sub-agent threads
            body = obj.get("message")
            if not isinstance(body, dict) or "content" not in body:
                raise ValueError(f"a '{type_}' line needs a 'message' object with a 'content'")
            session_id = _optional_str(obj, "sessionId")
            role = body.get("role") or type_
            if not isinstance(role, str):
                raise ValueError("'message.role' must be a string")
            content = body["content"]
            if role == "user" and isinstance(content, list) and content and all(
                isinstance(b, dict) and b.get("type") == "tool_result" for b in content
            ):
                role = "tool"  # the API carries tool output in user turns; it is not the user speaking
            message = _message(role, flatten_content(content), None, _timestamp(obj.get("timestamp")))
        if message is None:
            continue
        conversation = sessions.get(session_id)
        if conversation is None:
            metadata = {"session_id": session_id} if session_id else {}
            for key, field in (("cwd", "cwd"), ("gitBranch", "git_branch")):
                if isinstance(obj.get(key), str) and obj[key]:
                    metadata[field] = obj[key]
            conversation = sessions[session_id] = Conversation([], metadata, location)
        # Claude Code writes each block of one API message on its own line, sharing message.id.
        message_id = body.get("id")
        previous = conversation.messages[-1] if conversation.messages else None
        if message_id and last_ids.get(session_id) == message_id and previous and previous.role == message.role:
            conversation.messages[-1] = replace(previous, content=f"{previous.content}\n{message.content}")
        else:
            conversation.messages.append(message)
        last_ids[session_id] = message_id
    yield from sessions.values()


# --- chatgpt -----------------------------------------------------------------------------------------


def _read_chatgpt(lines: Lines, name: str) -> Iterator[Conversation]:
    first = None
    chunks = []
    for number, raw in lines:
        if first is None:
            first = number
        chunks.append(raw)
    first = first or 1
    data = b"\n".join(chunks)
    del chunks
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = first + data.count(b"\n", 0, exc.start)
        raise InvalidInputError(
            f"invalid UTF-8 (byte 0x{data[exc.start]:02x} at column {exc.start - line_start + 1})",
            location=f"{name}:{line}",
        ) from None
    del data
    surrogates = SURROGATE_ESCAPE.search(text) is not None
    for index, line, obj in _json_array(text, name, first):
        if surrogates:
            _check_unicode(obj, f"{name}:{line}")
        with _at(f"{name}:{line}", prefix=f"conversation #{index}: "):
            conversation = _chatgpt_conversation(obj, f"{name}:#{index}")
        if conversation is not None:
            yield conversation


def _json_array(text: str, name: str, first_line: int) -> Iterator[tuple[int, int, Any]]:
    """(1-based index, line, value) of each element of the JSON array in ``text``, decoded one at a time.

    A single top-level object is taken as a one-element array.
    """
    decoder = json.JSONDecoder()
    size = len(text)
    counted_to, line = 0, first_line

    def line_at(pos: int) -> int:
        nonlocal counted_to, line
        line += text.count("\n", counted_to, pos)
        counted_to = pos
        return line

    def fail(message: str, pos: int) -> InvalidInputError:
        return InvalidInputError(message, location=f"{name}:{line_at(pos)}")

    def decode(pos: int) -> tuple[Any, int]:
        try:
            return decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(
                f"invalid JSON: {exc.msg} at column {exc.colno}", location=f"{name}:{first_line + exc.lineno - 1}"
            ) from None
        except ValueError as exc:
            raise fail(f"invalid JSON: {str(exc).splitlines()[0][:160]}", pos) from None
        except RecursionError:
            raise fail("JSON nested too deeply", pos) from None

    def expect_end(pos: int) -> None:
        pos = _WS.match(text, pos).end()
        if pos < size:
            raise fail("invalid JSON: extra data after the array (is this JSONL? name the format)", pos)

    pos = _WS.match(text, 0).end()
    if pos < size and text[pos] == "{":
        value, end = decode(pos)
        yield 1, line_at(pos), value
        expect_end(end)
        return
    if pos >= size or text[pos] != "[":
        raise fail("expected a JSON array of conversations (ChatGPT conversations.json)", pos)
    pos = _WS.match(text, pos + 1).end()
    if pos < size and text[pos] == "]":
        expect_end(pos + 1)
        return
    index = 0
    while True:
        index += 1
        value, end = decode(pos)
        yield index, line_at(pos), value
        pos = _WS.match(text, end).end()
        if pos < size and text[pos] == ",":
            pos = _WS.match(text, pos + 1).end()
            continue
        if pos < size and text[pos] == "]":
            expect_end(pos + 1)
            return
        raise fail("invalid JSON: expected ',' or ']' after a conversation", pos)


def _chatgpt_branch(mapping: dict[str, Any], current: Any) -> list[str]:
    """Node ids from the root to ``current_node`` (the branch shown in the UI).

    Without a ``current_node``, from the root down through the last child at each step (the newest edit).
    """
    seen: set[str] = set()
    path: list[str] = []
    if current is None:
        roots = [key for key, node in mapping.items() if isinstance(node, dict) and node.get("parent") is None]
        if not roots:
            raise ValueError("'mapping' has no root node")
        node_id: Any = roots[0]
        while node_id is not None:
            node = mapping.get(node_id) if isinstance(node_id, str) else None
            if not isinstance(node, dict) or node_id in seen:
                raise ValueError(f"node {str(node_id)[:60]!r} is missing or in a cycle")
            seen.add(node_id)
            path.append(node_id)
            children = node.get("children") or []
            node_id = children[-1] if isinstance(children, list) and children else None
        return path
    if not isinstance(current, str) or current not in mapping:
        raise ValueError(f"current_node {str(current)[:60]!r} is not in the mapping")
    node_id = current
    while node_id is not None:
        node = mapping.get(node_id) if isinstance(node_id, str) else None
        if not isinstance(node, dict):
            raise ValueError(f"node {str(node_id)[:60]!r} is missing from the mapping or not an object")
        if node_id in seen:
            raise ValueError(f"node {node_id[:60]!r} is its own ancestor (cycle in 'parent')")
        seen.add(node_id)
        path.append(node_id)
        node_id = node.get("parent")
    path.reverse()
    return path


def _chatgpt_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content.strip()
    if not isinstance(content, dict):
        raise ValueError(f"'content' must be an object, not {_kind(content)}")
    parts = content.get("parts")
    if isinstance(parts, list):
        out = []
        for part in parts:
            if isinstance(part, str):
                text = part.strip()
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                text = part["text"].strip()
            elif part is None:
                continue
            else:
                text = "[attachment]"  # images, files, audio
            if text:
                out.append(text)
        return "\n".join(out)
    if isinstance(content.get("text"), str):  # code, execution_output, tether_quote
        return content["text"].strip()
    return ""  # browsing displays, hidden context and other non-text content


def _chatgpt_message(message: Any) -> Message | None:
    if not isinstance(message, dict):
        raise ValueError(f"'message' must be an object or null, not {_kind(message)}")
    author = message.get("author")
    if not isinstance(author, dict) or not isinstance(author.get("role"), str):
        raise ValueError("a message needs an 'author' object with a string 'role'")
    metadata = message.get("metadata")
    if isinstance(metadata, dict) and metadata.get("is_visually_hidden_from_conversation"):
        return None
    name = author.get("name") if isinstance(author.get("name"), str) else None
    text = _chatgpt_text(message.get("content"))
    recipient = message.get("recipient")
    if text and author["role"] == "assistant" and isinstance(recipient, str) and recipient not in ("all", ""):
        text = f"[tool call {recipient}: {_truncate(' '.join(text.split()))}]"  # code sent to python, browser…
    return _message(author["role"], text, name, _timestamp(message.get("create_time")))


def _chatgpt_conversation(obj: Any, source: str) -> Conversation | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("mapping"), dict):
        raise ValueError("expected a conversation object with a 'mapping' (ChatGPT export)")
    mapping = obj["mapping"]
    messages = []
    for node_id in _chatgpt_branch(mapping, obj.get("current_node")):
        message = mapping[node_id].get("message")
        if message is None:
            continue
        try:
            parsed = _chatgpt_message(message)
        except ValueError as exc:
            raise ValueError(f"node {node_id[:60]!r}: {exc}") from None
        if parsed is not None:
            messages.append(parsed)
    if not messages:
        return None
    metadata: dict[str, Any] = {}
    if isinstance(obj.get("title"), str):
        metadata["title"] = obj["title"]
    conversation_id = obj.get("conversation_id") or obj.get("id")
    if conversation_id is not None:
        metadata["conversation_id"] = conversation_id
    if obj.get("create_time") is not None:
        metadata["create_time"] = _timestamp(obj["create_time"])
    return Conversation(messages, metadata, source)


_READERS: dict[str, Callable[[Lines, str], Iterator[Conversation]]] = {
    "messages": _read_messages,
    "conversations": _read_conversations,
    "langchain": _read_langchain,
    "claude-code": _read_claude_code,
    "chatgpt": _read_chatgpt,
}
