"""What every transcript reader shares: records, the skip report, errors at ``file:line``, timestamps.

A reader is a function ``read(records, name, report) -> Iterator[Conversation]``; ``records`` are the
JSON values of the file (see ``decode.py``), ``name`` names the file in sources and errors, and
``report`` collects what was skipped, with the reason (shown by ``extract --parse-only``).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from langmem_cli.core.conversation import Message
from langmem_cli.errors import InvalidInputError

STDIN_NAME = "<stdin>"
PREVIEW = 80  # characters of a skipped message shown in the report


@dataclass(frozen=True)
class Record:
    """One JSON value of a transcript file.

    ``line``: the line where it starts. ``source``: ``file:line``, or ``file:#N`` for the Nth element of a
    file that is one JSON array. ``one_line``: the value sits on one line, so messages read from it get
    that ``line`` (a value spread over many lines gives its messages no line).
    """

    value: Any
    line: int
    location: str
    source: str
    one_line: bool

    @property
    def message_line(self) -> int | None:
        return self.line if self.one_line else None


@dataclass
class Skipped:
    line: int | None
    reason: str
    role: str | None = None
    text: str = ""
    conversation: str | None = None  # source of the conversation it belonged to, when known

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason, "role": self.role, "text": self.text,
                "conversation": self.conversation}


@dataclass
class ReadReport:
    """Filled while a file is read: its format, what was skipped and why, and notes about the whole file."""

    path: str = ""
    format: str | None = None
    detected: bool = False
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    conversations: int = 0

    def skip(self, line: int | None, reason: str, role: str | None = None, text: Any = "",
             conversation: str | None = None) -> None:
        preview = " ".join(text.split()) if isinstance(text, str) else ""
        if len(preview) > PREVIEW:
            preview = preview[:PREVIEW].rstrip() + "…"
        self.skipped.append(Skipped(line, reason, role, preview, conversation))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def skipped_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.skipped:
            counts[item.reason] = counts.get(item.reason, 0) + 1
        return counts


@contextmanager
def at(location: str, prefix: str = "") -> Iterator[None]:
    """Shape problems (``ValueError``) inside the block become ``InvalidInputError`` at ``location``."""
    try:
        yield
    except ValueError as exc:
        raise InvalidInputError(prefix + str(exc), location=location) from None
    except RecursionError:
        raise InvalidInputError(prefix + "content nested too deeply", location=location) from None


def kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


def optional_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"'{key}' must be a string, not {kind(value)}")
    return value or None


def timestamp(value: Any) -> str | None:
    """ISO 8601: text that parses as ISO 8601 is normalised (UTC offsets kept, a trailing ``Z`` kept);
    epoch seconds (ChatGPT, Claude) or milliseconds become ISO 8601 UTC. Other text is kept as given."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except (ValueError, TypeError, OverflowError):
            return _epoch_text(text) or text
        return text.replace(" ", "T", 1) if len(text) > 10 and text[10] == " " else text
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"timestamp {value!r} is not a time")
        seconds = value / 1000 if abs(value) >= 1e11 else value  # milliseconds since the epoch
        try:
            moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"timestamp {value!r} is out of range") from None
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    raise ValueError(f"timestamp must be a string or epoch seconds, not {kind(value)}")


def _epoch_text(text: str) -> str | None:
    try:
        number = float(text)
    except ValueError:
        return None
    try:
        return timestamp(number)
    except ValueError:
        return None


def first_timestamp(obj: dict[str, Any], *keys: str) -> str | None:
    """The first of ``keys`` in ``obj`` that holds a time, normalised."""
    for key in keys:
        if obj.get(key) is not None:
            return timestamp(obj[key])
    return None


def message(role: str, text: str, name: str | None = None, stamp: str | None = None, line: int | None = None,
            context: bool = False) -> Message | None:
    """A ``Message``, or None when there is no text (the message is skipped)."""
    text = text.strip()
    return Message(role, text, name, stamp, line, context) if text else None


def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def message_list(items: list[Any], parse: Callable[[Any, int], list[Message]]) -> list[Message]:
    """Each item parsed into messages; a bad one named by its index."""
    messages = []
    for index, item in enumerate(items):
        try:
            messages.extend(parse(item, index))
        except ValueError as exc:
            raise ValueError(f"messages[{index}]: {exc}") from None
    return messages
