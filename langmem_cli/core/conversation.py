"""A chat transcript as records: messages with a normalised role, and the conversation they form.

Pure: no I/O. Readers for the export formats live in ``langmem_cli.formats``.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from langmem_cli.core.render import canonical_json

ROLES = ("user", "assistant", "system", "tool")

# Spellings used by the common formats (OpenAI, LangChain, Gemini, Llama), lower-cased.
ROLE_ALIASES = {
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "ai": "assistant",
    "model": "assistant",
    "bot": "assistant",
    "system": "system",
    "developer": "system",
    "tool": "tool",
    "function": "tool",
    "ipython": "tool",
}


def normalize_role(role: str) -> str:
    """One of ``ROLES`` for a known spelling (case-insensitive); ``ValueError`` otherwise."""
    if not isinstance(role, str):
        raise ValueError(f"role must be a string, not {type(role).__name__}")
    normalised = ROLE_ALIASES.get(role.strip().lower())
    if normalised is None:
        raise ValueError(f"unknown role {role[:40]!r} (expected one of: {', '.join(ROLES)})")
    return normalised


@dataclass(frozen=True)
class Message:
    """One message. ``line`` is the 1-based line of the source file it was read from (None when the
    format has no lines per message). ``context`` marks text that is shown to a model as context
    but is never evidence for a memory: machine-made turns kept for the reader (compaction
    summaries, command output, IDE attachments, notifications), sidechains, thinking.
    Tool and system messages are never evidence whatever ``context`` says (see ``may_be_evidence``).
    ``timestamp`` is ISO 8601 when the format has one.
    """

    role: str
    content: str
    name: str | None = None
    timestamp: str | None = None
    line: int | None = None
    context: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", normalize_role(self.role))
        if not isinstance(self.content, str):
            raise TypeError(f"content must be a string, not {type(self.content).__name__}")

    @property
    def speaker(self) -> str:
        """The name when the message has one, else the role."""
        return self.name or self.role

    @property
    def may_be_evidence(self) -> bool:
        """A person's typed words (user) or the assistant's answer (evidence only for what the user
        confirmed; the grounding check decides that). Never tool/system text or marked context."""
        return self.role in ("user", "assistant") and not self.context


@dataclass
class Conversation:
    messages: list[Message]
    metadata: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # "file:line" where the conversation starts ("file:#N" for the Nth in a JSON array)

    @property
    def started_at(self) -> str | None:
        """When the conversation happened (ISO 8601): metadata ``started_at``/``date`` (or an export's
        ``create_time``/``created_at``) if the reader set one, else the first message timestamp. Never
        the time a job runs."""
        for key in ("started_at", "date", "create_time", "created_at"):
            value = self.metadata.get(key)
            if isinstance(value, str) and value:
                return value
        return next((m.timestamp for m in self.messages if m.timestamp), None)

    @property
    def content_hash(self) -> str:
        """sha256 of the roles, names and contents in order; timestamps, metadata and source are left out,

        so the same conversation read again (or exported again) hashes the same.
        """
        canonical = canonical_json([{"role": m.role, "name": m.name, "content": m.content} for m in self.messages])
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def to_text(self) -> str:
        """One ``speaker: content`` entry per message (the speaker is the name if present, else the role)."""
        return "\n".join(f"{m.speaker}: {m.content}" for m in self.messages)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "metadata": self.metadata,
            "content_hash": self.content_hash,
            "messages": [asdict(m) for m in self.messages],
        }


def conversation_id(conversation: Conversation) -> str:
    """The id a conversation is known by: its metadata's id, else where it starts in its file."""
    for key in ("conversation_id", "id", "session_id", "uuid"):
        value = conversation.metadata.get(key)
        if isinstance(value, (str, int)) and str(value):
            return str(value)
    return conversation.source
