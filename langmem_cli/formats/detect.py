"""Which reader a file needs, told from its decoded content (never from its first character).

``detect_value`` looks at one record (a line of JSON lines, an element of a top-level array, a value of a
document); ``detect_records`` takes the first record that says something, looking at most ``SAMPLE``
records ahead (so a file opening with lines no reader knows is still recognised).
"""

from __future__ import annotations

import io
from itertools import chain
from typing import Any, Iterator

from langmem_cli.errors import InvalidInputError
from langmem_cli.formats.common import Record

FORMATS = ("messages", "conversations", "langchain", "claude-code", "chatgpt", "claude-ai", "codex", "sharegpt")
SAMPLE = 20

LANGCHAIN_ROLES = {
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
CODEX_TYPES = ("session_meta", "response_item", "event_msg", "turn_context", "compacted")


def langchain_type(type_: Any) -> str | None:
    """The lower-cased LangChain message type without a ``Chunk`` suffix, or None if it is not one."""
    if not isinstance(type_, str):
        return None
    key = type_.lower()
    if key.endswith("chunk"):
        key = key[: -len("chunk")]
    return key if key in LANGCHAIN_ROLES else None


def message_kind(obj: dict[str, Any]) -> str | None:
    """'langchain' or 'messages' for a single message object, None if it is neither."""
    if obj.get("type") == "constructor" and isinstance(obj.get("kwargs"), dict):
        return "langchain"
    if langchain_type(obj.get("type")) is not None and ("content" in obj or isinstance(obj.get("data"), dict)):
        return "langchain"
    if "role" in obj:
        return "messages"
    return None


def is_sharegpt_turn(obj: Any) -> bool:
    return isinstance(obj, dict) and "from" in obj and "value" in obj


def is_claude_code_line(obj: dict[str, Any]) -> bool:
    type_ = obj.get("type")
    if not isinstance(type_, str):
        return False
    return (
        "sessionId" in obj
        or (type_ in ("user", "assistant") and isinstance(obj.get("message"), dict))
        or (type_ == "summary" and "leafUuid" in obj)
        or type_ == "file-history-snapshot"
    )


def detect_value(value: Any) -> str | None:
    """The format a single record belongs to, or None if it says nothing."""
    if isinstance(value, list):
        first = next((item for item in value if isinstance(item, dict)), None)
        if first is None:
            return None
        if is_sharegpt_turn(first):
            return "sharegpt"
        kind = message_kind(first)
        if kind == "langchain":
            return "langchain"
        return "conversations" if kind == "messages" else None
    if not isinstance(value, dict):
        return None
    if value.get("type") in CODEX_TYPES and isinstance(value.get("payload"), dict):
        return "codex"
    if value.get("record_type") == "state" or ({"id", "timestamp", "instructions"} <= value.keys() and "type" not in value):
        return "codex"  # a rollout written before the type/payload envelope
    if is_claude_code_line(value):
        return "claude-code"
    if isinstance(value.get("mapping"), dict):
        return "chatgpt"
    if isinstance(value.get("chat_messages"), list):
        return "claude-ai"
    conversations = value.get("conversations")
    if isinstance(conversations, list) and (not conversations or is_sharegpt_turn(conversations[0])):
        return "sharegpt"
    messages = value.get("messages")
    if isinstance(messages, list):
        if messages and is_sharegpt_turn(messages[0]):
            return "sharegpt"
        return "conversations"
    return message_kind(value)


def detect_records(records: Iterator[Record], name: str) -> tuple[str | None, Iterator[Record]]:
    """(format, the same records again) from the first record that tells; (None, ...) for no records.

    Raises ``InvalidInputError`` at the first record when none of the first ``SAMPLE`` tells.
    """
    seen: list[Record] = []
    for record in records:
        seen.append(record)
        fmt = detect_value(record.value)
        if fmt is not None:
            return fmt, chain(seen, records)
        if len(seen) >= SAMPLE:
            break
    if not seen:
        return None, iter(())
    raise unknown_shape(seen[0].location, seen[0].value)


_HINTS = [  # files people pass that sit next to a transcript: (a key of their records, what to pass instead)
    ("conversations_memory", "this is Claude.ai's memories.json; pass conversations.json from the same export"),
    ("prompt_template", "this is Claude.ai's projects.json; pass conversations.json from the same export"),
    ("thread_id", "this is `codex exec --json` output; pass the session file from ~/.codex/sessions"),
]


def unknown_shape(location: str, value: Any = None) -> InvalidInputError:
    hint = next((text for key, text in _HINTS if isinstance(value, dict) and key in value), None)
    return InvalidInputError(
        "cannot tell the transcript format: no record of a shape a reader knows"
        + (f" ({hint})" if hint else "")
        + f"; name it with --format (formats read: {', '.join(FORMATS)})",
        location=location,
    )


def detect_format(text: str, location: str = "<text>") -> str:
    """The format of a transcript given as text (a whole file, or its first line); ``location`` names it in
    errors."""
    from langmem_cli.formats.decode import records

    fmt, _ = detect_records(records(io.BytesIO(text.encode("utf-8", "surrogatepass")), location), location)
    if fmt is None:
        raise InvalidInputError(f"no record in it (formats read: {', '.join(FORMATS)})", location=location)
    return fmt
