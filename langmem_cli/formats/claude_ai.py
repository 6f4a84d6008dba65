"""Claude.ai data export (``conversations.json`` beside ``projects.json`` and ``memories.json``): an array
of conversations ``{"uuid", "name", "created_at", "chat_messages": [{"sender", "text", "content",
"created_at", "attachments", "files"}]}``.

``sender`` human -> user, assistant -> assistant. Content blocks are read when present (thinking dropped,
tool use as context, tool results as ``tool``), else ``text``. Attachments and files become
``[file: NAME]`` parts (a turn with only an attachment is kept; the extracted text of a file is not the
user's words and is left out). With ``parent_message_uuid`` on every message, the branch ending at the
last message is read and the others are reported as skipped. Source is ``file:#N``.
"""

from __future__ import annotations

from typing import Any, Iterator

from langmem_cli.core.conversation import Conversation, Message
from langmem_cli.formats.common import ReadReport, Record, at, first_timestamp, kind
from langmem_cli.formats.content import TEXT, parts, split_message

SENDERS = {"human": "user", "user": "user", "assistant": "assistant", "system": "system"}


def _files(msg: dict[str, Any]) -> list[str]:
    out = []
    for key in ("attachments", "files"):
        items = msg.get(key)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                name = item.get("file_name") or item.get("name")
                label = f"[file: {name.strip()}]" if isinstance(name, str) and name.strip() else "[attachment]"
                if label == "[attachment]" or label not in out:  # a file is listed in both 'attachments' and 'files'
                    out.append(label)
    return out


def _branch(items: list[Any]) -> set[int] | None:
    """Indexes of the messages on the branch ending at the last one, None without parent links."""
    if not items:
        return None
    ids: dict[str, int] = {}
    for position, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("uuid"), str) or "parent_message_uuid" not in item:
            return None
        ids[item["uuid"]] = position
    keep: set[int] = set()
    index: int | None = len(items) - 1
    while index is not None and index not in keep:
        keep.add(index)
        parent = items[index].get("parent_message_uuid")
        index = ids.get(parent) if isinstance(parent, str) else None
    return keep


def claude_ai_message(msg: Any, skip: Any) -> list[Message]:
    if not isinstance(msg, dict):
        raise ValueError(f"expected a chat message object, not {kind(msg)}")
    sender = msg.get("sender")
    role = SENDERS.get(sender) if isinstance(sender, str) else None
    if role is None:
        raise ValueError(f"'sender' must be one of {', '.join(SENDERS)}, not {str(sender)[:40]!r}")
    content = msg.get("content")
    if isinstance(content, list) and content:
        content_parts = parts(content)
    else:
        text = msg.get("text")
        if text is not None and not isinstance(text, str):
            raise ValueError(f"'text' must be a string, not {kind(text)}")
        content_parts = parts(text)
    content_parts = [(TEXT, f) for f in _files(msg)] + content_parts
    return split_message(role, content_parts, skip, None, first_timestamp(msg, "created_at", "updated_at"))


def read_claude_ai(records: Iterator[Record], name: str, report: ReadReport) -> Iterator[Conversation]:
    for index, record in enumerate(records, 1):
        obj = record.value
        with at(record.location, prefix=f"conversation #{index}: "):
            if not isinstance(obj, dict) or not isinstance(obj.get("chat_messages"), list):
                raise ValueError("expected a conversation object with a 'chat_messages' list (Claude.ai export)")
            items = obj["chat_messages"]
            branch = _branch(items)
            messages: list[Message] = []
            for position, item in enumerate(items):
                role = item.get("sender") if isinstance(item, dict) and isinstance(item.get("sender"), str) else None

                def skip(reason: str, text: str, role: str | None = role) -> None:
                    report.skip(None, reason, role, text, record.source)

                try:
                    found = claude_ai_message(item, skip)
                except ValueError as exc:
                    raise ValueError(f"chat_messages[{position}]: {exc}") from None
                if branch is not None and position not in branch:
                    for message in found:
                        skip("another branch (not the one shown)", message.content)
                    continue
                if not found:
                    skip("empty", "")
                messages.extend(found)
            metadata: dict[str, Any] = {}
            if isinstance(obj.get("name"), str) and obj["name"]:
                metadata["title"] = obj["name"]
            if obj.get("uuid") is not None:
                metadata["conversation_id"] = obj["uuid"]
            started = first_timestamp(obj, "created_at")
            if started:
                metadata["started_at"] = started
            project = obj.get("project")
            if isinstance(project, dict) and isinstance(project.get("name"), str):
                metadata["project"] = project["name"]
        if messages:
            yield Conversation(messages, metadata, record.source)
        else:
            report.skip(record.line, "no messages left", None, obj.get("name") or "", record.source)
