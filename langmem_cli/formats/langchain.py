"""LangChain message dicts: ``{"type": "human", "data": {"content": ...}}`` (``messages_to_dict``), the flat
``{"type": "human", "content": ...}``, or the ``dumpd`` constructor form. One message per record makes one
conversation per file; a record holding a list of messages is a conversation of its own.

Times: ``timestamp``/``created_at`` on the message or in its ``additional_kwargs``/``response_metadata``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from langmem_cli.core.conversation import Conversation, Message
from langmem_cli.formats.common import ReadReport, Record, at, first_timestamp, kind, message_list, optional_str
from langmem_cli.formats.content import CALL, parts, split_message, tool_call
from langmem_cli.formats.detect import LANGCHAIN_ROLES, langchain_type

Skip = Callable[[str, Any], None]
TIME_KEYS = ("timestamp", "created_at", "time", "date")


def langchain_message(obj: Any, skip: Skip, line: int | None = None) -> list[Message]:
    if not isinstance(obj, dict):
        raise ValueError(f"expected a LangChain message object, not {kind(obj)}")
    if obj.get("type") == "constructor" and isinstance(obj.get("kwargs"), dict):  # dumpd()
        ids = obj.get("id")
        type_, data = (ids[-1] if isinstance(ids, list) and ids else None), obj["kwargs"]
    elif isinstance(obj.get("data"), dict):  # messages_to_dict()
        type_, data = obj.get("type"), obj["data"]
    else:  # flat
        type_, data = obj.get("type"), obj
    key = langchain_type(type_)
    if key is None:
        raise ValueError(
            f"not a LangChain message: 'type' is {str(type_)[:40]!r}" if type_ is not None
            else "not a LangChain message: no 'type'"
        )
    role = LANGCHAIN_ROLES[key] or data.get("role")
    if not isinstance(role, str):
        raise ValueError("a LangChain chat message needs a string 'role'")
    if "content" not in data:
        raise ValueError("a LangChain message needs a 'content'")
    content_parts = parts(data["content"])
    calls = []
    if isinstance(data.get("tool_calls"), list) and not any(k == CALL for k, _ in content_parts):
        for call in data["tool_calls"]:
            if isinstance(call, dict):
                calls.append(tool_call(call.get("name"), call.get("args", {})))
    stamp = first_timestamp(data, *TIME_KEYS)
    for extra in ("additional_kwargs", "response_metadata"):
        if stamp is None and isinstance(data.get(extra), dict):
            stamp = first_timestamp(data[extra], *TIME_KEYS)
    messages = split_message(role, content_parts, skip, optional_str(data, "name"), stamp, line, calls)
    if not messages:
        skip("empty", "")
    return messages


def read_langchain(records: Iterator[Record], name: str, report: ReadReport) -> Iterator[Conversation]:
    messages: list[Message] = []
    source = f"{name}:1"
    for record in records:
        obj = record.value

        def skip_for(conversation: str) -> Skip:
            return lambda reason, text: report.skip(record.line, reason, None, text, conversation)

        with at(record.location):
            if isinstance(obj, list):
                conversation = message_list(obj, lambda item, i: langchain_message(item, skip_for(record.source), record.message_line))
                if conversation:
                    yield Conversation(conversation, {}, record.source)
                continue
            messages.extend(langchain_message(obj, skip_for(source), record.message_line))
    if messages:
        yield Conversation(messages, {}, source)
