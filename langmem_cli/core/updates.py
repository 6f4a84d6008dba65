"""Offline update detection: does a later statement change a fact an earlier one stated? Pure: no
I/O, no model (the caller passes the cosine of two statements under its embedder).

A statement is read for its structure, not matched against examples:
- its *subject*: the person it is about (the name the extractor wrote first, "Dana's sister" for a
  possessive; "the user" is compatible with any single name);
- its *attribute*: the kind of fact it states, from the head words of its predicate (where someone
  lives, works, what they eat, use, learn, plan, who they are with …); some attributes hold one value
  at a time (a home, an employer, a diet), others many (tools, hobbies);
- its *cues of change*: a verb of change (moved, switched, quit, started, dropped …), a past state
  ("used to", "no longer", "anymore", "not … any more"), a contrast with an earlier plan ("instead",
  "rather than", "decided against", "changed … mind"), a "now" that sets a new state apart;
- its *polarity* (a negation) and its *values* (names, numbers, the content words that are not the
  attribute's).

Two statements about the same subject are related when they share the attribute, or their cosine
is high, or one names the other's value. The later one then:
- *restates* the earlier (no new value, same polarity): it adds nothing and closes nothing;
- *changes* it: a cue of change, a flipped polarity, or a new value of a one-value attribute;
- *conflicts* with it when they were said at the same moment with different values or polarity and
  neither carries a cue (nothing tells which holds): both are kept and the pair is reported.
Time decides which statement is the later one; the caller orders them (``Fact.order``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from langmem_cli.core.change_words import (
    BEGINNING_VERBS,
    CHANGE_VERBS,
    CUE_WORDS,
    ENDING,
    ENDING_VERBS,
    FAMILY_OF,
    FROM_VALUE,
    GENERIC,
    HEADS,
    LEAD,
    PEOPLE,
    PHRASES,
    SINGLE,
    SUBJECT,
)
from langmem_cli.core.words import STOPWORDS, content_words, negated, stem, words

RELATED = 0.55  # cosine from which two statements of one subject are about the same thing
CLOSE = 0.8  # cosine from which a flipped polarity alone is a change (the same predicate negated)
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
RESTATED = 0.8  # share of the later statement's value words the earlier already holds: a restatement



def candidates(text: str) -> list[tuple[str, str | None]]:
    """(name, possessed word) of the people a statement may be about, in text order."""
    body = LEAD.sub("", text.strip(), count=1)
    return [(m.group(1).lower(), (m.group(2) or "").lower() or None) for m in SUBJECT.finditer(body)
            if m.group(1).lower() == "the user" or m.group(1).lower() not in STOPWORDS]


def subject_names(texts: Sequence[str]) -> frozenset[str]:
    """The names that lead several statements: the people a namespace's memories are about."""
    counts: dict[str, int] = {}
    for text in texts:
        found = candidates(text)
        if found:
            counts[found[0][0]] = counts.get(found[0][0], 0) + 1
    return frozenset(n for n, c in counts.items() if c >= 2) | {"the user"}


@dataclass
class Reading:
    """What the detector reads in one statement."""

    subject: str  # lower case: "priya", "priya's sister", "the user"
    families: frozenset[str]
    cue: bool
    negative: bool
    values: frozenset[str]  # stemmed content words that are neither the subject nor an attribute head
    words: frozenset[str]  # all stemmed content words
    named: frozenset[str]  # values the statement says are over (after "from", "instead of", "no longer" …)
    own: frozenset[str] = frozenset()  # the subject's words
    cues: frozenset[str] = frozenset()  # the words of its cues of change
    primary: frozenset[str] = frozenset()  # the families of what it states of its person (their predicates)
    ends: bool = False  # a cue that a state is over or replaced ("no longer", "instead", "quit", "swapped" …)
    heads: frozenset[str] = frozenset()  # its attribute head words


def read(text: str, names: frozenset[str] = frozenset()) -> Reading:
    """``names``: the people statements are known to be about (``subject_names``); the subject is
    the first of them the statement names, else the first name-like word before a verb."""
    body = LEAD.sub("", text.strip(), count=1)
    subject = ""
    found = candidates(text)
    pick = next((c for c in found if c[0] in names), found[0] if found else None)
    if pick:
        subject = pick[0] + (f"'s {pick[1]}" if pick[1] in PEOPLE else "")
    said = content_words(body)
    heads = {w for w in said if w in HEADS}
    families = frozenset(FAMILY_OF[w] for w in heads)
    subject_words = {stem(w) for w in words(subject)}
    low = body.lower()
    ends = bool(ENDING.search(low)) or any(stem(w) in ENDING_VERBS for w in words(low))
    cue = ends or bool(PHRASES.search(low)) or any(stem(w) in BEGINNING_VERBS for w in words(low))
    values = frozenset(w for w in said if w not in heads and w not in subject_words and w not in CHANGE_VERBS
                       and w not in {"now", "instead", "anymore", "longer", "days", "nowaday", "decid", "plan"})
    named = frozenset(stem(w) for g in FROM_VALUE.findall(body) for w in words(g) if w not in STOPWORDS)
    cues = frozenset(w for w in said if w in CHANGE_VERBS or w in CUE_WORDS)
    primary = _primary(words(body), subject, heads)
    return Reading(subject, families, cue, negated(body), values, frozenset(said), named, frozenset(subject_words), cues,
                   primary, ends, frozenset(heads))


PREDICATE = 6  # a head this many words after the person is what the statement says of them


def _primary(tokens: list[str], subject: str, heads: set[str]) -> frozenset[str]:
    """The families of the attributes a statement states of its person: those of the first head word
    right after each mention of the person ("Dana …", "Dana's …", "they/their …": their predicate);
    empty when the person is not a subject of it."""
    first = subject.split("'")[0].split()
    if not first:
        return frozenset()
    plain = [t[:-2] if t.endswith("'s") else t for t in tokens]
    found: set[str] = set()
    for i in range(len(plain)):
        if plain[i:i + len(first)] == first:
            start = i + len(first)
        elif plain[i] in ("they", "their", "they're", "they've", "them"):
            start = i + 1
        else:
            continue
        # "Dana's city is …" states the possessed word of Dana; in "the user's project 4 is called X"
        # what follows is said of the project, not of the person
        possessive = tokens[start - 1].endswith("'s") if start > 0 else False
        for w in tokens[start:start + (1 if possessive else PREDICATE)]:
            if stem(w) in heads:
                found.add(FAMILY_OF[stem(w)])
                break
    return frozenset(found)


def same_subject(a: Reading, b: Reading) -> bool:
    if not a.subject or not b.subject:
        return False
    if a.subject == b.subject:
        return True
    if a.subject.split()[0] == b.subject.split()[0] and "'" not in a.subject + b.subject:
        return True  # the same first name ("Dana Reyes", "Dana Okafor": a person who changed their name)
    plain = lambda s: "'" not in s  # noqa: E731
    return plain(a.subject) and plain(b.subject) and "the user" in (a.subject, b.subject)


SAME, CHANGES, CONFLICT = "same", "changes", "conflict"


def relation(older: str, newer: str, cosine: float, same_moment: bool = False,
             readings: tuple[Reading, Reading] | None = None, frequent: frozenset[str] = frozenset()) -> str | None:
    """How ``newer`` (said later, or at the same moment) stands to ``older``: SAME, CHANGES,
    CONFLICT or None (unrelated, or both can hold). ``frequent``: stemmed words many of the
    namespace's statements use (they tell nothing about which fact a change is about)."""
    a, b = readings or (read(older), read(newer))
    if not same_subject(a, b):
        return None
    overlap = len(a.words & b.words) / max(1, len(a.words | b.words))
    names_old = bool(b.named & (a.words - a.own)) or bool(a.named & (b.words - b.own) and same_moment)
    flipped = a.negative != b.negative
    said_a, said_b = a.words - a.own, b.words - b.own
    # a number the earlier statement does not hold is a new value ("project 4" is not "project 0")
    new_number = bool(set(_NUMBER.findall(newer)) - set(_NUMBER.findall(older)))
    if not flipped and not new_number and (len(said_b & said_a) >= RESTATED * max(1, len(said_b)) or
                        (not b.cue and len(b.values & a.values) >= RESTATED * max(1, len(b.values)))):
        return SAME  # nothing the earlier statement did not say (a change told again is the same change)
    # A change is told by its structure:
    # - it names what the earlier statement said, right after "from", "instead of", "no longer",
    #   "quit", "not" … ("ditched Trello", "not Morocco");
    # - an ending cue and a specific word in common: neither an attribute head, nor a cue, nor frequent
    #   in the namespace ("swapped espresso for matcha", "Chess is not for me anymore");
    # - any cue, and both mainly state the same one-value attribute ("moved to Lisbon" / "lives in
    #   Berlin", "went vegan" / "eats meat");
    # - the same predicate negated ("is not vegetarian anymore" / "is vegetarian");
    # - a new value for the same head of a one-value attribute ("lives in Lisbon" / "lives in Berlin").
    common = said_a & said_b  # words in common besides the person
    specific = bool(common - a.cues - b.cues - GENERIC - frequent)
    names = names_old and bool((b.named & said_a) - GENERIC - frequent)
    one_kind = bool(a.primary & b.primary & SINGLE)  # both state it of the person
    cue = names or (b.ends and specific) or (b.cue and one_kind) or (b.ends and cosine >= CLOSE and bool(common))
    flip = flipped and (overlap >= 0.4 or (one_kind and bool(a.values & b.values)))
    one_value = one_kind and bool(a.heads & b.heads) and bool(said_b - said_a - b.cues) and bool(said_a - said_b - a.cues)
    if same_moment and not (b.cue or a.cue):
        return CONFLICT if (flip or one_value) else None
    if same_moment and a.cue and not b.cue:
        return None  # the earlier sentence carries the change: it is the later state
    if cue or flip or one_value:
        return CHANGES
    return None


@dataclass
class Fact:
    """A statement or a stored memory placed in time. ``order`` sorts facts by when they were said
    (time first, then processing order for equal or missing times)."""

    key: str
    text: str
    order: tuple
    moment: str | None  # ISO time it became true (None: unknown)
    until: str | None = None  # ISO time it stopped being true (None: still current)
    superseded_by: str | None = None
    stored: bool = True
    reading: Reading | None = None
    names: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.reading is None:
            self.reading = read(self.text, self.names)

    def current_at(self, other: "Fact") -> bool:
        return self.until is None or (other.moment is not None and self.until > other.moment)


@dataclass
class Placement:
    """Where a new statement goes: skipped (a restatement of a fact current then), or inserted with
    its interval (``until``/``superseded_by``: the first later fact that changes it); the facts it
    closes, the later restatements it folds in (they are the same fact, said again) and the facts it
    conflicts with."""

    skip: bool = False
    until: str | None = None
    superseded_by: str | None = None
    closes: list[str] = field(default_factory=list)
    folds: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def place(new: Fact, known: Sequence[Fact], cosine: Callable[[Fact, Fact], float],
          frequent: frozenset[str] = frozenset()) -> Placement:
    """Place ``new`` among the ``known`` facts (stored ones and earlier new ones), by time. A fact is
    current when no later fact changes it, whatever order they were learnt in: ``new`` closes every
    earlier fact still current at its time that it changes, and ends at the first later one that
    changes it."""
    out = Placement()
    after: list[Fact] = []
    for fact in known:
        if fact.key == new.key:
            continue
        similarity = cosine(fact, new)
        later = fact.order > new.order
        older, newer = (new, fact) if later else (fact, new)
        same_moment = older.moment is not None and older.moment == newer.moment
        verdict = relation(older.text, newer.text, similarity, same_moment, (older.reading, newer.reading), frequent)
        if verdict is None:
            continue
        if verdict == SAME:
            if not later and fact.current_at(new):
                out.skip = True  # said before and still holding: nothing new, nothing closed
                return out
            if later and fact.until is None:
                out.folds.append(fact.key)  # said again later: one fact, from its first telling
            continue
        if verdict == CONFLICT:
            out.conflicts.append(fact.key)
        elif later:
            after.append(fact)
        elif fact.current_at(new):
            out.closes.append(fact.key)
    if after:
        successor = min(after, key=lambda f: f.order)
        out.until, out.superseded_by = successor.moment, successor.key
    return out


# -- the part of a statement a change leaves standing ---------------------------------------------
_JOIN = re.compile(r",?\s+(?:and|but|while)\s+(?=(?:they|their)\b)|[,;]\s+(?=(?:they|their)\b)")
_BE = {"are": "is", "were": "was", "have": "has", "do": "does", "don't": "doesn't", "haven't": "hasn't",
       "aren't": "isn't", "weren't": "wasn't", "'re": " is", "'ve": " has"}


def _singular(verb: str) -> str:
    low = verb.lower()
    if low in _BE:
        return _BE[low]
    if not low.isalpha() or low.endswith(("ed", "s")) or low in ("can", "could", "will", "would", "should", "might",
                                                                  "must", "may", "did", "had", "also", "still"):
        return verb
    if re.search(r"(?:sh|ch|x|z|o)$", low):
        return verb + "es"
    if re.search(r"[^aeiou]y$", low):
        return verb[:-1] + "ies"
    return verb + "s"


def clauses(text: str) -> list[str]:
    """A statement's clauses, where a later clause goes on about the same person ("…, and they …")."""
    parts = [p.strip() for p in _JOIN.split(text.strip()) if p and p.strip()]
    return parts if len(parts) > 1 else [text.strip()]


def _standalone(clause: str, subject: str) -> str:
    """A later clause made to stand alone: "they are allergic…" → "Priya is allergic…"."""
    m = re.match(r"(they|their)\b\s*('re|'ve)?\s*([\w']+)?", clause)
    if not m:
        return clause
    if m.group(1) == "their":
        return f"{subject}'s" + clause[len("their"):]
    if m.group(2):
        return f"{subject}{_BE[m.group(2)]}" + clause[m.end(2):]
    verb = m.group(3) or ""
    return f"{subject} {_singular(verb)}" + clause[m.end(3):] if verb else clause


def remainder(older: str, newer: str, names: frozenset[str] = frozenset()) -> str | None:
    """What of ``older`` still holds once ``newer`` changed it: its clauses that ``newer`` leaves
    alone, as one statement; None when every clause is changed (or nothing tells which)."""
    parts = clauses(older)
    if len(parts) < 2:
        return None
    first = read(parts[0], names)
    found = candidates(parts[0])
    pick = next((c for c in found if c[0] in names), found[0] if found else None)
    if pick is None:
        return None
    m = next((m for m in SUBJECT.finditer(LEAD.sub("", parts[0].strip(), count=1)) if m.group(1).lower() == pick[0]), None)
    if m is None:
        return None  # the person is not the subject of the first clause: nothing tells what stands
    subject = m.group(0) if (m.group(2) or "").lower() in PEOPLE else m.group(1)
    b = read(newer, names)
    standing: list[str] = []
    changed = 0
    for n, part in enumerate(parts):
        text = part if n == 0 else _standalone(part, subject)
        a = read(text, names) if n else first
        a.subject = first.subject  # a later clause is about the first clause's person
        touched = relation(text, newer, 0.0, readings=(a, b)) == CHANGES and bool(a.families & b.families or
                                                                                   b.named & a.values)
        if touched:
            changed += 1
        else:
            standing.append(text)
    if not changed or not standing:
        return None
    head, rest = standing[0], standing[1:]
    if head is not parts[0] and head[:1].islower():
        head = head[:1].upper() + head[1:]
    joined = ", and ".join([head.rstrip(" .!…,")] + [r.rstrip(" .!…,") for r in rest])
    return joined + "."
