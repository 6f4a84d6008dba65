"""What the keyword index reads beside a memory's own text. Pure.

A statement drawn from a conversation is short and rewritten ("Melanie says we all made our own
pots"); the question asked of it later often uses the words around it: the message it answers
("What did you guys make at the pottery workshop?") or the rest of the message it comes from. So
each memory drawn from a conversation carries ``metadata["index_text"]``: the message its evidence
quotes, whole, after the message before it (the one it answers or follows), each cut to
``MAX_WORDS`` words. The keyword side of search reads ``text`` and ``index_text`` together; the
vector, the memory's text, what search returns and update detection read ``text`` only.

Only a person's or the assistant's words are read (``Message.may_be_evidence``): never tool or
system text, sidechains or machine-made context. These words are an index, not evidence: nothing is
stored as a fact because of them.
"""

from __future__ import annotations

from typing import Any, Sequence

from langmem_cli.core import dates
from langmem_cli.core.conversation import Conversation, conversation_id

KEY = "index_text"
# Words kept of each message read: a long message's start holds what it answers or says first.
MAX_WORDS = 60


def _cut(text: str) -> str:
    return " ".join(text.split()[:MAX_WORDS])


def index_text(conversation: Conversation, evidence: Sequence[dict[str, Any]], when: str | None = None) -> str | None:
    """The message before the first message ``evidence`` quotes in ``conversation``, then each
    quoted message, each cut to ``MAX_WORDS`` words, then the day it was said (``when``, ISO 8601:
    "8 May 2023"); None when the evidence quotes none of its messages."""
    own = conversation_id(conversation)
    quoted = sorted({item["message"] for item in evidence
                     if isinstance(item, dict) and item.get("conversation") == own
                     and isinstance(item.get("message"), int) and not isinstance(item.get("message"), bool)
                     and 0 <= item["message"] < len(conversation.messages)})
    if not quoted:
        return None
    messages = conversation.messages
    before = next((m for m in reversed(messages[:quoted[0]]) if m.may_be_evidence and m.content.strip()), None)
    parts = ([_cut(before.content)] if before is not None else []) + [
        _cut(messages[i].content) for i in quoted if messages[i].may_be_evidence]
    moment = dates.parse(when)
    if moment is not None:
        parts.append(dates.spell(moment.date()))
    return " ".join(p for p in parts if p) or None


def joined(*texts: object) -> str | None:
    """Index texts put together (a merge, an update): each once, in order; a text another one
    already holds adds nothing. None when there is none."""
    out: list[str] = []
    for text in texts:
        if isinstance(text, str) and text.strip() and not any(text in kept for kept in out):
            out = [kept for kept in out if kept not in text] + [text]
    return " ".join(out) or None
