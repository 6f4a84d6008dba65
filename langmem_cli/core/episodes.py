"""Episodes: a conversation's turns kept word for word (kind ``turn``), beside the memories drawn
from them, so that a search can bring back what was said and not only the rewritten statement.

Pure: the records to write, their ids and their links; the job writes them.

- One turn per message a person typed (role ``user``; never the assistant's replies, tool or
  system text, sidechains, thinking or machine-made context), with its text as ``speaker: words``;
  a user message without a name takes the person's name when the namespace knows it.
- Its id is fixed by the namespace, the conversation's content and the message's place in it, so
  the same conversation read again (``--force``, another export of it, a second machine) names the
  same turns and adds none.
- It carries evidence like a memory (file, conversation, message, line, role, speaker, quote: the
  whole message), so ``search --context`` reads it back and search's neighbour weighting applies.
- A memory quoting a message links to that message's turn: ``metadata["episodes"]`` lists the
  turn ids of its evidence.
"""

from __future__ import annotations

import uuid
from typing import Any, Sequence

from langmem_cli.core.conversation import Conversation, conversation_id
from langmem_cli.core.grounding import evidence_of

KIND = "turn"
_IDS = uuid.UUID("6f1c3a52-2f0e-4d8b-9a57-3f2b7c1d9e40")  # the uuid5 namespace of turn ids


def turn_id(namespace: str, conversation_hash: str, message: int) -> str:
    """The id of a message's turn in ``namespace`` (the same for the same conversation read again)."""
    return str(uuid.uuid5(_IDS, f"{namespace}\x00{conversation_hash}\x00{message}"))


def turns(conversation: Conversation, namespace: str, person: str | None = None) -> list[dict[str, Any]]:
    """The conversation's turns to store: ``id``, ``text``, ``metadata`` (evidence), ``valid_from``
    (the message's time, else the conversation's; None when neither is known). ``person``: the
    name of the namespace's user, for their messages that carry no name."""
    digest = conversation.content_hash
    since = conversation.started_at
    out = []
    for index, message in enumerate(conversation.messages):
        words = " ".join(message.content.split())
        if message.role != "user" or not message.may_be_evidence or not words:
            continue
        speaker = message.name or person or message.speaker
        out.append({"id": turn_id(namespace, digest, index), "text": f"{speaker}: {words}",
                    "metadata": {"evidence": [evidence_of(conversation, index, words)]},
                    "valid_from": message.timestamp or since})
    return out


def linked(evidence: Sequence[dict[str, Any]], namespace: str, conversation: Conversation,
           stored: set[str]) -> list[str]:
    """The ids of the turns a memory's evidence quotes (in ``conversation``), among ``stored``."""
    digest, own = conversation.content_hash, conversation_id(conversation)
    ids = []
    for item in evidence:
        message = item.get("message")
        if isinstance(message, int) and item.get("conversation") == own:
            key = turn_id(namespace, digest, message)
            if key in stored and key not in ids:
                ids.append(key)
    return ids
