"""Message content given as a string or a list of parts/blocks (OpenAI, Anthropic, LangChain), as text.

``parts`` sorts the blocks: the speaker's own text (with ``[image]``/``[audio]``/``[file: NAME]``
placeholders), tool calls, tool results; thinking is dropped. Readers turn tool calls and results into
messages of their own that are never evidence (see ``split_message``); ``flatten_content`` joins
everything in order, for callers that want one text.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from langmem_cli.core.conversation import Message
from langmem_cli.formats.common import compact_json, kind, message

TRUNCATE_AT = 500  # characters kept of a tool call's input or a tool result
TEXT = "text"
CALL = "tool call"
RESULT = "tool result"
THINKING = "thinking"


def truncate(text: str, limit: int = TRUNCATE_AT) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def tool_call(name: Any, arguments: Any) -> str:
    if isinstance(arguments, str):  # OpenAI sends the arguments as a JSON string
        try:
            arguments = json.loads(arguments)
        except (ValueError, RecursionError):
            pass
    try:
        rendered = arguments if isinstance(arguments, str) else compact_json(arguments)
    except (ValueError, TypeError, RecursionError):
        rendered = "…"
    return f"[tool call {name if isinstance(name, str) and name else '?'}: {truncate(' '.join(rendered.split()))}]"


def tool_result(text: str) -> str:
    text = " ".join(text.split())
    return f"[tool result: {truncate(text)}]" if text else "[tool result]"


def parts(content: Any, _depth: int = 0) -> list[tuple[str, str]]:
    """(kind, text) of each non-empty part, kind one of ``TEXT``, ``CALL``, ``RESULT``, ``THINKING``.

    Raises ``ValueError`` for content that is not a string, a part object or a list of them.
    """
    if content is None:
        return []
    if isinstance(content, str):
        return [(TEXT, content.strip())] if content.strip() else []
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        raise ValueError(f"content must be a string or a list of parts, not {kind(content)}")
    out = []
    for part in content:
        if part is None:
            continue
        if isinstance(part, str):
            item = (TEXT, part.strip())
        elif isinstance(part, dict):
            item = _part(part, _depth)
        else:
            raise ValueError(f"content parts must be strings or objects, not {kind(part)}")
        if item[1]:
            out.append(item)
    return out


def _part(part: dict[str, Any], depth: int) -> tuple[str, str]:
    type_ = part.get("type")
    if type_ in ("thinking", "redacted_thinking", "reasoning"):
        thinking = part.get("thinking")
        text = thinking if isinstance(thinking, str) else ""
        return THINKING, text.strip() or "(thinking)"
    if type_ in ("tool_use", "server_tool_use", "function_call", "tool_call"):
        return CALL, tool_call(part.get("name"), part.get("input", part.get("arguments", part.get("args", {}))))
    if isinstance(type_, str) and type_.endswith("tool_result"):
        if depth > 0:
            return RESULT, "[tool result]"
        return RESULT, tool_result(flatten_content(part.get("content"), depth + 1))
    if type_ in ("image", "image_url", "input_image", "image_file"):
        return TEXT, "[image]"
    if type_ in ("input_audio", "audio"):
        return TEXT, "[audio]"
    if isinstance(part.get("text"), str):
        return TEXT, part["text"].strip()
    if type_ == "refusal" and isinstance(part.get("refusal"), str):
        return TEXT, part["refusal"].strip()
    if type_ in ("file", "input_file", "document"):
        name = _file_name(part)
        return TEXT, f"[file: {name}]" if name else "[attachment]"
    return TEXT, "[attachment]"


def _file_name(part: dict[str, Any]) -> str | None:
    for holder in (part, part.get("file"), part.get("source")):
        if isinstance(holder, dict):
            for key in ("filename", "file_name", "name", "title"):
                if isinstance(holder.get(key), str) and holder[key].strip():
                    return holder[key].strip()
    return None


def flatten_content(content: Any, _depth: int = 0) -> str:
    """Text of a message's content: a string, or a list of parts/blocks (a single part object is accepted).

    Text parts are kept, thinking dropped, ``tool_use`` -> ``[tool call NAME: {json}]``, ``tool_result`` ->
    ``[tool result: text]`` (both cut to about 500 characters), images -> ``[image]``, audio -> ``[audio]``,
    files -> ``[file: NAME]``, anything else -> ``[attachment]``. Raises ``ValueError`` for other content.
    """
    return "\n".join(text for part_kind, text in parts(content, _depth) if part_kind != THINKING)


def split_message(
    role: str, content_parts: list[tuple[str, str]], skip: Callable[[str, str], None], name: str | None = None,
    stamp: str | None = None, line: int | None = None, extra_calls: list[str] | None = None,
) -> list[Message]:
    """The messages one turn becomes: its own text (role ``role``), its tool calls (role ``assistant``,
    ``context=True``: shown to a model, never evidence) and its tool results (role ``tool``). Thinking
    is dropped and reported through ``skip(reason, text)``."""
    text, calls, results = [], [], []
    for part_kind, part_text in content_parts:
        if part_kind == THINKING:
            skip("thinking", part_text)
        elif part_kind == CALL:
            calls.append(part_text)
        elif part_kind == RESULT:
            results.append(part_text)
        else:
            text.append(part_text)
    calls.extend(extra_calls or [])
    out = []
    for candidate in (
        message(role, "\n".join(text), name, stamp, line),
        message("assistant", "\n".join(calls), None, stamp, line, context=True),
        message("tool", "\n".join(results), name if role == "tool" else None, stamp, line),
    ):
        if candidate is not None:
            out.append(candidate)
    if role == "tool" and text and out and out[0].role == "tool" and results:  # one tool turn: keep together
        merged = Message("tool", out[0].content + "\n" + "\n".join(results), name, stamp, line)
        out = [m for m in out[1:] if m.role != "tool"] + [merged]
    return out
