"""ChatGPT data export (``conversations.json``: an array of conversations with a ``mapping`` of nodes).

Each conversation is read along the visible branch (``current_node`` up to the root; without one, the
newest child at each step); the other branches are reported as skipped. Attachments become ``[file: NAME]``
/ ``[image]`` / ``[audio]`` parts (a turn with only an attachment is kept), voice transcriptions are text,
canvas documents (``canmore.create_textdoc``) are the assistant's answer, kept whole up to
``CANVAS_LIMIT`` characters. Other messages sent to a tool (code, browsing) are context, tool output is a
``tool`` message, hidden messages (custom instructions, system context) are skipped.
Source is ``file:#N``, N the 1-based index in the array.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator

from langmem_cli.core.conversation import Conversation, Message
from langmem_cli.formats.common import ReadReport, Record, at, kind, message, timestamp
from langmem_cli.formats.content import flatten_content, truncate

CANVAS_LIMIT = 20_000  # characters kept of a canvas document
Skip = Callable[[str, str, str], None]  # (reason, role, text)


def branch(mapping: dict[str, Any], current: Any) -> list[str]:
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


def _part(part: Any) -> str:
    if isinstance(part, str):
        return part.strip()
    if not isinstance(part, dict):
        return "" if part is None else "[attachment]"
    type_ = part.get("content_type")
    if type_ is None and isinstance(part.get("type"), str):  # an API-style part
        return flatten_content(part)
    if isinstance(part.get("text"), str):  # audio_transcription (voice), text parts
        return part["text"].strip()
    if type_ == "image_asset_pointer":
        return "[image]"
    if isinstance(type_, str) and "audio" in type_:
        return "[audio]"
    if isinstance(type_, str) and "video" in type_:
        return "[video]"
    return "[attachment]"


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content.strip()
    if not isinstance(content, dict):
        raise ValueError(f"'content' must be an object, not {kind(content)}")
    parts = content.get("parts")
    if isinstance(parts, list):
        return "\n".join(text for text in map(_part, parts) if text)
    if isinstance(content.get("text"), str):  # code, execution_output, tether_quote
        return content["text"].strip()
    return ""  # browsing displays, user_editable_context and other non-text content


def _attachments(metadata: Any) -> list[str]:
    items = metadata.get("attachments") if isinstance(metadata, dict) else None
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        name, mime = item.get("name"), item.get("mime_type") or item.get("mimeType") or ""
        if isinstance(mime, str) and mime.startswith("image/"):
            out.append(f"[image: {name.strip()}]" if isinstance(name, str) and name.strip() else "[image]")
        elif isinstance(mime, str) and mime.startswith("audio/") and not isinstance(name, str):
            out.append("[audio]")
        else:
            out.append(f"[file: {name.strip()}]" if isinstance(name, str) and name.strip() else "[attachment]")
    return out


def _canvas(text: str) -> str | None:
    """The document of a ``canmore.create_textdoc`` call, whole up to ``CANVAS_LIMIT``."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("content"), str):
        return None
    body = doc["content"].strip()
    if len(body) > CANVAS_LIMIT:
        body = body[:CANVAS_LIMIT].rstrip() + f"\n[canvas cut at {CANVAS_LIMIT} characters]"
    title = doc.get("name") if isinstance(doc.get("name"), str) else None
    return f"[canvas: {title}]\n{body}" if title else body


def chatgpt_message(obj: Any, skip: Skip) -> Message | None:
    if not isinstance(obj, dict):
        raise ValueError(f"'message' must be an object or null, not {kind(obj)}")
    author = obj.get("author")
    if not isinstance(author, dict) or not isinstance(author.get("role"), str):
        raise ValueError("a message needs an 'author' object with a string 'role'")
    role = author["role"]
    metadata = obj.get("metadata")
    text = _text(obj.get("content"))
    if isinstance(metadata, dict) and (metadata.get("is_visually_hidden_from_conversation")
                                       or metadata.get("is_user_system_message")):
        skip("hidden (custom instructions or system context)", role, text)
        return None
    name = author.get("name") if isinstance(author.get("name"), str) else None
    stamp = timestamp(obj.get("create_time"))
    attachments = _attachments(metadata)
    images = sum(1 for a in attachments if a.startswith("[image"))
    if images and text:  # an uploaded image is both an attachment and an image part: name it once
        lines = text.split("\n")
        for _ in range(images):
            if "[image]" in lines:
                lines.remove("[image]")
        text = "\n".join(lines)
    text = "\n".join(t for t in [*attachments, text] if t)
    recipient = obj.get("recipient")
    if text and role == "assistant" and isinstance(recipient, str) and recipient not in ("all", ""):
        if recipient == "canmore.create_textdoc":
            canvas = _canvas(text)
            if canvas:
                return message("assistant", canvas, name, stamp)
        # code sent to python, a browser query, a canvas edit: the assistant's tool call, never evidence
        return message("assistant", f"[tool call {recipient}: {truncate(' '.join(text.split()))}]", name, stamp,
                       context=True)
    if not text:
        skip("empty", role, "")
        return None
    return message(role, text, name, stamp)


def chatgpt_conversation(obj: Any, source: str, report: ReadReport) -> Conversation | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("mapping"), dict):
        raise ValueError("expected a conversation object with a 'mapping' (ChatGPT export)")
    mapping = obj["mapping"]

    def skip(reason: str, role: str | None, text: str) -> None:
        report.skip(None, reason, role, text, source)

    messages = []
    path = branch(mapping, obj.get("current_node"))
    for node_id in path:
        node = mapping[node_id].get("message")
        if node is None:
            continue
        try:
            parsed = chatgpt_message(node, skip)
        except ValueError as exc:
            raise ValueError(f"node {node_id[:60]!r}: {exc}") from None
        if parsed is not None:
            messages.append(parsed)
    on_path = set(path)
    for node_id, node in mapping.items():
        if node_id not in on_path and isinstance(node, dict) and isinstance(node.get("message"), dict):
            author = node["message"].get("author")
            role = author.get("role") if isinstance(author, dict) and isinstance(author.get("role"), str) else None
            try:
                text = _text(node["message"].get("content"))
            except ValueError:
                text = ""
            skip("another branch (not the one shown)", role, text)
    if not messages:
        return None
    metadata: dict[str, Any] = {}
    if isinstance(obj.get("title"), str):
        metadata["title"] = obj["title"]
    conversation_id = obj.get("conversation_id") or obj.get("id")
    if conversation_id is not None:
        metadata["conversation_id"] = conversation_id
    if obj.get("create_time") is not None:
        metadata["create_time"] = timestamp(obj["create_time"])
    return Conversation(messages, metadata, source)


def read_chatgpt(records: Iterator[Record], name: str, report: ReadReport) -> Iterator[Conversation]:
    for index, record in enumerate(records, 1):
        with at(record.location, prefix=f"conversation #{index}: "):
            conversation = chatgpt_conversation(record.value, record.source, report)
        if conversation is not None:
            yield conversation
