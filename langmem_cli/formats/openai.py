"""OpenAI-style messages: ``messages`` (one message per record, the file is one conversation) and
``conversations`` (one conversation per record: ``{"messages": [...], ...}`` as in OpenAI fine-tuning
files, the other fields becoming metadata, or a bare list of messages).

A message is ``{"role", "content", "name"?, "timestamp"|"created_at"?, "tool_calls"?}`` (``"text"``
stands for ``"content"`` in sanitized exports); Responses-API items without a role
(``function_call``, ``function_call_output``, ``reasoning``) are read too. In ``messages`` files, a
line with no ``role`` and no known shape (a session header, an event) is skipped with the reason.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from langmem_cli.core.conversation import Conversation, Message
from langmem_cli.formats.common import ReadReport, Record, at, first_timestamp, kind, message_list, optional_str, timestamp
from langmem_cli.formats.content import flatten_content, parts, split_message, tool_call, tool_result

TIME_KEYS = ("timestamp", "created_at", "create_time", "time", "date")
Skip = Callable[[str, Any], None]


def role_message(obj: Any, skip: Skip, line: int | None = None) -> list[Message]:
    """The messages of one OpenAI-style message object (its text, its tool calls as context, results)."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a message object with 'role' and 'content', not {kind(obj)}")
    role = obj.get("role")
    stamp = first_timestamp(obj, *TIME_KEYS)
    if role is None and isinstance(obj.get("type"), str):
        item = _responses_item(obj, skip, stamp, line)
        if item is not None:
            return item
    if not isinstance(role, str):
        raise ValueError("a message needs a string 'role'" + ("" if "messages" not in obj else
                         " (a record with 'messages' is the 'conversations' format)"))
    if "content" not in obj and isinstance(obj.get("text"), str):  # sanitized exports: {"role", "text"}
        obj = {**obj, "content": obj["text"]}
    if "content" not in obj and "tool_calls" not in obj and "function_call" not in obj:
        raise ValueError("a message needs a 'content' (or a 'text')")
    calls = []
    if isinstance(obj.get("tool_calls"), list):
        for call in obj["tool_calls"]:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict):
                calls.append(tool_call(function.get("name"), function.get("arguments")))
    if isinstance(obj.get("function_call"), dict):
        calls.append(tool_call(obj["function_call"].get("name"), obj["function_call"].get("arguments")))
    messages = split_message(role, parts(obj.get("content")), skip, optional_str(obj, "name"), stamp, line, calls)
    if not messages:
        skip("empty", "")
    return messages


def _responses_item(obj: dict[str, Any], skip: Skip, stamp: str | None, line: int | None) -> list[Message] | None:
    type_ = obj["type"]
    if type_ in ("function_call", "custom_tool_call", "local_shell_call"):
        text = tool_call(obj.get("name") or type_, obj.get("arguments", obj.get("input", obj.get("action"))))
        return [Message("assistant", text, None, stamp, line, context=True)]
    if type_ in ("function_call_output", "custom_tool_call_output", "local_shell_call_output"):
        output = obj.get("output")
        text = output if isinstance(output, str) else flatten_content(output) if isinstance(output, (list, dict)) else ""
        return [Message("tool", tool_result(text), None, stamp, line)]
    if type_ == "reasoning":
        skip("thinking", "")
        return []
    return None


RESPONSES_ITEMS = ("function_call", "custom_tool_call", "local_shell_call", "function_call_output",
                   "custom_tool_call_output", "local_shell_call_output", "reasoning")


def _known_item(obj: dict[str, Any]) -> bool:
    return obj.get("type") in RESPONSES_ITEMS


def _skipper(report: ReadReport, line: int | None, role: Any = None, conversation: str | None = None) -> Skip:
    return lambda reason, text: report.skip(line, reason, role if isinstance(role, str) else None, text, conversation)


def read_messages(records: Iterator[Record], name: str, report: ReadReport) -> Iterator[Conversation]:
    messages: list[Message] = []
    source = f"{name}:1"
    for record in records:
        with at(record.location):
            value = record.value
            role = value.get("role") if isinstance(value, dict) else None
            skip = _skipper(report, record.line, role, source)
            if isinstance(value, dict) and "role" not in value and "messages" not in value and not _known_item(value):
                # A line of no message shape (a session header, an event): said by --parse-only, not fatal.
                what = value.get("type") if isinstance(value.get("type"), str) else None
                skip(f"no 'role': {repr(what) + ' line' if what else 'not a message'}", "")
                continue
            messages.extend(role_message(value, skip, record.message_line))
    if messages:
        yield Conversation(messages, {}, source)


def line_metadata(obj: dict[str, Any], skip_keys: tuple[str, ...]) -> dict[str, Any]:
    """The other fields of a conversation record, plus ``started_at`` from a time among them (or in a
    nested ``metadata`` object)."""
    metadata = {k: v for k, v in obj.items() if k not in skip_keys}
    if "started_at" not in metadata and "date" not in metadata:
        given = obj.get("metadata")
        nested = given if isinstance(given, dict) else {}
        for holder in (obj, nested):
            stamp = first_timestamp(holder, "started_at", "date", "created_at", "create_time", "timestamp")
            if stamp:
                metadata["started_at"] = stamp
                break
    elif isinstance(metadata.get("date"), (int, float)) and not isinstance(metadata.get("date"), bool):
        metadata["date"] = timestamp(metadata["date"])
    return metadata


def read_conversations(records: Iterator[Record], name: str, report: ReadReport) -> Iterator[Conversation]:
    from langmem_cli.formats.detect import langchain_type
    from langmem_cli.formats.langchain import langchain_message

    for record in records:
        obj = record.value
        with at(record.location):
            if isinstance(obj, list):
                items, metadata = obj, {}
            elif isinstance(obj, dict) and isinstance(obj.get("messages"), list):
                items, metadata = obj["messages"], line_metadata(obj, ("messages",))
            else:
                raise ValueError("expected an object with a 'messages' list (one conversation per record)")

            def parse(item: Any, index: int) -> list[Message]:
                role = item.get("role") if isinstance(item, dict) else None
                skip = _skipper(report, record.line, role, record.source)
                if isinstance(item, dict) and "role" not in item and langchain_type(item.get("type")) is not None:
                    return langchain_message(item, skip, record.message_line)
                return role_message(item, skip, record.message_line)

            messages = message_list(items, parse)
        if messages:
            yield Conversation(messages, metadata, record.source)
        else:
            report.skip(record.line, "no messages left", None, "", record.source)
