"""The grounding gate: a candidate memory is written only if its quotes are in the transcript,
in messages that may be evidence, and its text says no more than the quotes. Pure: no I/O.

Rules (simple on purpose, so a user can predict them):

1. Each quote must occur in one message of the candidate's conversation, compared after
   normalising case, whitespace and quote characters ("…" or "..." may join parts quoted in order).
2. That message must be evidence: a user's words (``Message.may_be_evidence`` and role ``user``;
   each named speaker of a multi-party chat is a user). Tool calls and results, system text,
   sidechains, thinking and machine-made turns never are. An assistant message counts only when
   the next user message confirms it ("yes", "correct", "exactly", …).
3. The memory text must be supported by its quotes: of its content words (names of the speakers
   and, in a dated conversation, the words of dates resolved from it aside), 80 % occur in the quotes, or half
   with at most one word that does not (a paraphrase: "lives" for "moved"), or two with an
   embedder that finds text and quotes close (cosine ≥ ``SIMILAR``); every number and capitalised name in the text occurs in the quotes, the speakers'
   names or the date; a negation in the text needs a negation in the quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from langmem_cli.core.conversation import Conversation, Message, conversation_id
from langmem_cli.core.index_text import KEY as INDEX_TEXT
from langmem_cli.core.index_text import joined
from langmem_cli.core.words import (  # noqa: F401  (re-exported for the gate's callers)
    MONTHS,
    STOPWORDS,
    WEEKDAYS,
    content_words,
    negated,
    normalize,
    stem,
    words,
)

MIN_OVERLAP = 0.5  # share of the memory's content words found in its quotes, with at most one word unquoted
MOST = 0.8  # ... or this share, however many words are unquoted (a long memory)
SIMILAR = 0.8  # cosine of text and quotes that lets a second unquoted word pass (a paraphrase)

CONFIRMATIONS = ("yes", "yeah", "yep", "yup", "correct", "exactly", "right", "that's right", "that is right",
                 "that's correct", "true", "indeed")
@dataclass
class Candidate:
    """What an extractor proposes: the memory (kind, content, rendered text) and its quotes."""

    text: str
    quotes: list[str]
    kind: str = "memory"
    content: Any = None
    field: str | None = None  # profile field, when the candidate is one
    # words the extractor added that no quote holds: a resolved date ("7", "may", "2023"), or the name
    # the person goes by when this conversation does not say it (core.names)
    date_words: frozenset[str] = frozenset()
    valid_from: str | None = None  # when the fact became true: the message's or conversation's date


@dataclass
class Rejected:
    candidate: Candidate
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.candidate.text, "quotes": self.candidate.quotes, "kind": self.candidate.kind,
                "field": self.candidate.field, "reason": self.reason}


@dataclass
class Verdict:
    accepted: list[tuple[Candidate, list[dict[str, Any]]]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def confirmed(messages: Sequence[Message], index: int) -> bool:
    """Does the next user message confirm the assistant message at ``index``?"""
    for m in messages[index + 1:]:
        if m.role != "user" or m.context:
            continue
        said = normalize(m.content).strip(" .!,")
        return any(said == c or said.startswith(c + " ") or said.startswith(c + ",") or said.startswith(c + ".")
                   or said.startswith(c + "!") for c in CONFIRMATIONS)
    return False


def eligible(messages: Sequence[Message]) -> list[bool]:
    """Per message: may it be evidence for a memory?"""
    return [m.may_be_evidence and (m.role == "user" or (m.role == "assistant" and confirmed(messages, i)))
            for i, m in enumerate(messages)]


def _find(quote: str, haystack: str) -> bool:
    parts = [p.strip(" .,;:!?\"'") for p in re.split(r"\.\.\.|\u2026", normalize(quote))]
    parts = [p for p in parts if p]
    if not parts:
        return False
    start = 0
    for part in parts:
        at = haystack.find(part, start)
        if at < 0:
            return False
        start = at + len(part)
    return True


def locate(quote: str, conversation: Conversation, allowed: list[bool]) -> tuple[int | None, str]:
    """(index of the evidence message, "") or (None, why the quote is refused)."""
    if len(normalize(quote)) < 3:
        return None, "empty quote"
    found_elsewhere: Message | None = None
    for i, m in enumerate(conversation.messages):
        if _find(quote, normalize(m.content)):
            if allowed[i]:
                return i, ""
            found_elsewhere = found_elsewhere or m
    if found_elsewhere is None:
        return None, "quote not found in the transcript"
    m = found_elsewhere
    if m.role == "tool":
        return None, "quote is from tool output"
    if m.role == "system":
        return None, "quote is from system text"
    if m.context:
        return None, "quote is from context (sidechain, thinking or machine-made text)"
    return None, "quote is the assistant's own claim (not confirmed by the user)"


NAME_KEYS = ("user_id", "user", "user_name", "name")


def speakers(conversation: Conversation) -> frozenset[str]:
    """Words of the speakers' names, of the name the conversation is filed under, and of the
    repository a coding session works in (its ``cwd``: "this service" is the shop-api service)."""
    names = {w for m in conversation.messages if m.name for w in words(m.name)}
    for key in NAME_KEYS:
        value = conversation.metadata.get(key)
        if isinstance(value, str):
            names.update(words(value))
    names.update(words(working_name(conversation.metadata) or ""))
    return frozenset(names)


def working_name(metadata: dict[str, Any]) -> str | None:
    """The name of the repository a coding session works in: its ``repository``/``repo``, or the last
    part of its ``cwd`` ("/home/dana/src/shop-api" → "shop-api")."""
    where = next((metadata[k] for k in ("repository", "repo", "cwd") if isinstance(metadata.get(k), str)
                  and metadata[k].strip()), None)
    if where is None:
        return None
    return where.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or where


def supported(text: str, quotes: Sequence[str], ignore: frozenset[str],
              similarity: Callable[[str, str], float] | None = None) -> str:
    """"" when ``text`` is supported by ``quotes``, else the reason it is not."""
    quoted = " ".join(quotes)
    mine = content_words(text, ignore)
    if not mine:
        return "memory text has no content words"
    theirs = content_words(quoted)
    overlap = len(mine & theirs) / len(mine)
    raw_quoted = {w for w in words(quoted)} | {stem(w) for w in words(quoted)}
    flat = normalize(quoted)
    for token in re.findall(r"\b(?:[A-Z][\w']+|\d[\d.,:]*)", text):
        w = token.lower().rstrip(".,:")
        if w.endswith("'s"):
            w = w[:-2]
        if w in STOPWORDS or w in ignore or w in raw_quoted or stem(w) in raw_quoted or w in flat:
            continue
        return f"{token!r} is not in the quotes"
    if negated(text) and not negated(quoted):
        return "the memory negates what the quotes say"
    missing = len(mine - theirs)
    if overlap >= MOST or (overlap >= MIN_OVERLAP and missing <= 1):
        return ""
    if similarity is not None and overlap >= MIN_OVERLAP and missing <= 2 and similarity(text, quoted) >= SIMILAR:
        return ""
    return f"memory text is not supported by its quotes ({overlap:.0%} of its words are quoted)"


def evidence_of(conversation: Conversation, index: int, quote: str) -> dict[str, Any]:
    m = conversation.messages[index]
    return {"file": source_file(conversation.source), "conversation": conversation_id(conversation),
            "message": index, "line": m.line, "role": m.role, "speaker": m.speaker, "quote": quote}


def source_file(source: str) -> str:
    head, sep, tail = source.rpartition(":")
    return head if sep and (tail.isdigit() or tail.startswith("#")) else source


def calendar_words(conversation: Conversation) -> frozenset[str]:
    """When the conversation is dated: the words of a date resolved from it ("last month" → "August
    2025"): month and weekday names, day numbers, and the years around its dates."""
    from langmem_cli.core.dates import parse

    stamps = [parse(s) for s in [conversation.started_at, *(m.timestamp for m in conversation.messages)] if s]
    years = {str(y) for d in stamps if d for y in range(d.year - 10, d.year + 2)}
    if not years:
        return frozenset()
    days = {str(n) for n in range(1, 32)}
    return frozenset(years | days | set(MONTHS) | set(WEEKDAYS) | {"week", "weekend", "month", "year", "around"})


def check(candidates: Sequence[Candidate], conversation: Conversation,
          similarity: Callable[[str, str], float] | None = None) -> Verdict:
    """The gate: each candidate is accepted with its evidence, or rejected with the reason."""
    allowed = eligible(conversation.messages)
    names = speakers(conversation) | calendar_words(conversation)
    verdict = Verdict()
    for candidate in candidates:
        quotes = [q for q in (candidate.quotes or []) if isinstance(q, str) and q.strip()]
        if not quotes:
            verdict.rejected.append(Rejected(candidate, "no quote given"))
            continue
        evidence: list[dict[str, Any]] = []
        reason = ""
        for quote in quotes:
            index, reason = locate(quote, conversation, allowed)
            if index is None:
                reason = f"{reason}: {quote[:80]!r}"
                break
            evidence.append(evidence_of(conversation, index, quote))
        if not reason:
            ignore = names | candidate.date_words | frozenset(words(" ".join(e["speaker"] for e in evidence)))
            reason = supported(candidate.text, quotes, ignore, similarity)
        if reason:
            verdict.rejected.append(Rejected(candidate, reason))
        else:
            verdict.accepted.append((candidate, evidence))
    return verdict


def merged_metadata(before: dict[str, Any], new: dict[str, Any] | None) -> dict[str, Any] | None:
    """An update's metadata: the old keys, the new ones, and the evidence and index text of both
    (provenance is never lost, nor the words the memory was found by)."""
    if not new:
        return None
    merged = {**before, **new}
    evidence = list(before.get("evidence") or [])
    evidence += [e for e in new.get("evidence") or [] if e not in evidence]
    if evidence:
        merged["evidence"] = evidence
    words = joined(before.get(INDEX_TEXT), new.get(INDEX_TEXT))  # and the words both are found by
    if words:
        merged[INDEX_TEXT] = words
    return merged
