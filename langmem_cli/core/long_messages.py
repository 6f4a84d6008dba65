"""The per-message limit: a message longer than ``MESSAGE_LIMIT`` characters (a pasted log, a
document, a 10 MB line) is cut to what can carry a fact about the speaker, so that the filler
neither costs minutes and gigabytes nor crowds out "I like tea" said in the middle of it.

What is kept, in the message's order and verbatim (so evidence quotes stay exact substrings of
what was said): every sentence in the first person ("I …", "my …", "we …") found anywhere in the
message, until the limit is reached; a message with none keeps its opening (a tenth of the
limit). Pieces that were not next to each other are joined by `` … ``. Pure functions, no I/O.
"""

from __future__ import annotations

import re

MESSAGE_LIMIT = 20_000  # characters of one message that extraction reads (documented in the README)
GAP = " … "
SENTENCE_MAX = 600  # a "sentence" with no end in sight is cut around its pronoun to this many characters
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I’m|I've|I’ve|I'd|I’d|I'll|I’ll)\b|\b(?:[Mm]y|[Mm]e|[Mm]ine|[Mm]yself|[Ww]e|[Oo]ur|[Oo]urs)\b")
_ENDS = ".!?\n"


def fit(text: str, limit: int = MESSAGE_LIMIT) -> tuple[str, bool]:
    """``(text as read by extraction, whether it was cut)``."""
    if len(text) <= limit:
        return text, False
    spans: list[tuple[int, int]] = []
    budget = limit
    position = 0
    for match in _FIRST_PERSON.finditer(text):
        if match.start() < position:
            continue
        start = _sentence_start(text, match.start(), max(position, match.start() - SENTENCE_MAX // 2))
        end = _sentence_end(text, match.end(), start + SENTENCE_MAX)
        cost = end - start + len(GAP)
        if cost > budget:
            break
        spans.append((start, end))
        budget -= cost
        position = end
    if not spans:  # nothing in the first person: the opening, so that something is read
        spans.append((0, _last_end(text, limit // 10)))
    return _join(text, spans), True


def _last_end(text: str, ceiling: int) -> int:
    found = max(text.rfind(mark, 0, ceiling) for mark in _ENDS)
    return found + 1 if found > 0 else ceiling


def _sentence_start(text: str, at: int, floor: int) -> int:
    best = floor
    for mark in _ENDS:
        found = text.rfind(mark, floor, at)
        if found >= 0:
            best = max(best, found + 1)
    while best < at and text[best].isspace():
        best += 1
    return best


def _sentence_end(text: str, at: int, ceiling: int) -> int:
    ceiling = min(ceiling, len(text))
    best = ceiling
    for mark in _ENDS:
        found = text.find(mark, at, ceiling)
        if found >= 0:
            best = min(best, found + 1)
    return best


def _join(text: str, spans: list[tuple[int, int]]) -> str:
    out: list[str] = []
    last = None
    for start, end in spans:
        piece = text[start:end].strip()
        if not piece:
            continue
        if out:
            out.append(" " if last == start else GAP)
        out.append(piece)
        last = end
    return "".join(out)
