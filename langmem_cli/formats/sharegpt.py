"""ShareGPT, the common fine-tuning format: one conversation per record,
``{"conversations": [{"from": "human", "value": "..."}, ...], "system"?: "...", ...}`` (JSON lines or one
JSON array); ``messages`` holding ``from``/``value`` turns and a bare list of turns are read too.

``from``: human/user -> user; gpt/assistant/model/bot/chatgpt -> assistant; system -> system;
function_call -> a tool call (context, never evidence); observation/tool/function -> ``tool``. A
``system`` field becomes the first message. Other fields are metadata (a time among them gives
``started_at``); a turn's ``timestamp``/``created_at`` is kept.
"""

from __future__ import annotations

from typing import Any, Iterator

from langmem_cli.core.conversation import Conversation, Message
from langmem_cli.formats.common import ReadReport, Record, at, first_timestamp, kind, message
from langmem_cli.formats.content import truncate

SPEAKERS = {
    "human": "user", "user": "user",
    "gpt": "assistant", "assistant": "assistant", "model": "assistant", "bot": "assistant", "chatgpt": "assistant",
    "system": "system",
    "observation": "tool", "tool": "tool", "function": "tool", "function_response": "tool", "ipython": "tool",
}


def _turn(turn: Any, line: int | None) -> Message | None:
    if not isinstance(turn, dict) or "from" not in turn or "value" not in turn:
        raise ValueError(f"expected a turn object with 'from' and 'value', not {kind(turn) if not isinstance(turn, dict) else 'an object without them'}")
    speaker, value = turn["from"], turn["value"]
    if not isinstance(speaker, str):
        raise ValueError(f"'from' must be a string, not {kind(speaker)}")
    if value is not None and not isinstance(value, str):
        raise ValueError(f"'value' must be a string, not {kind(value)}")
    stamp = first_timestamp(turn, "timestamp", "created_at", "time")
    if speaker.strip().lower() == "function_call":
        text = " ".join((value or "").split())
        return message("assistant", f"[tool call: {truncate(text)}]" if text else "", None, stamp, line, context=True)
    role = SPEAKERS.get(speaker.strip().lower())
    if role is None:
        raise ValueError(f"unknown speaker {speaker[:40]!r} in 'from' (expected one of: {', '.join(SPEAKERS)}, function_call)")
    name = turn.get("name") if isinstance(turn.get("name"), str) and turn.get("name") else None
    return message(role, value or "", name, stamp, line)


def read_sharegpt(records: Iterator[Record], name: str, report: ReadReport) -> Iterator[Conversation]:
    from langmem_cli.formats.openai import line_metadata

    for record in records:
        obj = record.value
        with at(record.location):
            if isinstance(obj, list):
                turns, metadata, system = obj, {}, None
            elif isinstance(obj, dict) and isinstance(obj.get("conversations", obj.get("messages")), list):
                key = "conversations" if isinstance(obj.get("conversations"), list) else "messages"
                turns, metadata = obj[key], line_metadata(obj, (key, "system"))
                system = obj.get("system")
                if system is not None and not isinstance(system, str):
                    raise ValueError(f"'system' must be a string, not {kind(system)}")
            else:
                raise ValueError("expected an object with a 'conversations' list of {from, value} turns (ShareGPT)")
            messages = []
            if system and system.strip():
                messages.append(Message("system", system.strip(), line=record.message_line))
            for index, turn in enumerate(turns):
                try:
                    found = _turn(turn, record.message_line)
                except ValueError as exc:
                    raise ValueError(f"conversations[{index}]: {exc}") from None
                if found is None:
                    report.skip(record.line, "empty", turn.get("from"), "", record.source)
                else:
                    messages.append(found)
        if messages:
            yield Conversation(messages, metadata, record.source)
        else:
            report.skip(record.line, "no messages left", None, "", record.source)
