"""Procedural memory without a model: lessons read from feedback, written as instructions. Pure.

A trajectory's feedback is its ``feedback`` value (a score, a comment, a label) and the user's
corrective turns after an assistant reply ("show me a practical example instead", "too long").
Each clause of that feedback is read for its structure, not matched against a list of phrases:

- an imperative (a base-form verb first, after "please", "always", "never", "don't"...):
  "always answer in bullet points" -> "Always answer in bullet points.";
- "too" + adjective: "too long and generic" -> "Avoid answers that are too long." and "... too generic.";
- a comparative: "shorter please" -> "Make answers shorter."; "more detail" -> "Include more detail.";
- a negated action of the assistant: "did not look at the invoice" -> "Look at the invoice.";
- what the user wanted or expected: "the user wanted the fix first" -> "Give the fix first.";
- "should (have)": "you should have asked for the region" -> "Ask for the region.";
- a past-tense complaint in negative feedback: "rambled" -> "Do not ramble.".

Word classes come from lemminflect's English lexicon (a general dictionary, not a list fitted to
any data). A clause is read only where feedback is negative (a low score, a negative label or a
negation in it) or the clause itself corrects (always/never/instead/too/should/a comparative...):
praise changes nothing. Every lesson keeps its quote: the exact span of the feedback it came from.

Lessons that say the same (the same content words, or the same direction on answer length) are
grouped; a group becomes an instruction when it recurs (``min_support`` trajectories) or states a
standing rule ("always", "never", "from now on"). Lessons that contradict (the same words with
opposite polarity, or "shorter" against "more detail"): the side with more trajectories wins; a tie
writes neither and is reported as a conflict.

The instructions live in a marked section of the prompt (``SECTION_START`` ... ``SECTION_END``),
updated in place by later runs: kept instructions stay, new ones are appended, none is duplicated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from langmem_cli.core.feedback import (Evidence, Lesson, head_verb, key_of, length_of,  # noqa: F401
                                       lessons_from_text, score_of, trajectory_lessons, words_of)

SECTION_START = "<!-- langmem:lessons (kept up to date by `langmem optimize-prompt`; edit freely) -->"
SECTION_END = "<!-- /langmem:lessons -->"
SECTION_TITLE = "Lessons from user feedback:"
_START_RE = re.compile(r"<!-- langmem:lessons\b[^>]*-->")
_END_RE = re.compile(r"<!-- /langmem:lessons -->")

_TEMPLATE_VAR = re.compile(r"(?<!\{)\{[A-Za-z_][A-Za-z0-9_.\[\]]*\}(?!\})|\{\{\s*[A-Za-z_].*?\}\}|\{%.*?%\}|\$\{?[A-Za-z_]")


@dataclass
class Instruction:
    text: str
    evidence: list[Evidence] = field(default_factory=list)
    kept: bool = False  # already in the prompt's section

    def to_dict(self) -> dict[str, Any]:
        return {"instruction": self.text, "kept": self.kept, "support": len({e.source for e in self.evidence}),
                "evidence": [e.to_dict() for e in self.evidence]}


# ----------------------------------------------------------------------------------------------
# From lessons to instructions


@dataclass
class Decision:
    instructions: list[Instruction]  # new ones, in order of first evidence
    conflicts: list[str]  # what was left out because feedback pulled both ways
    below_support: int  # groups seen fewer than min_support times (not standing rules)


SIMILAR_COSINE = 0.7  # two instructions with this cosine (unit vectors) say the same


def _similar(a: frozenset, b: frozenset, verbs: tuple = ()) -> bool:
    """Shared content words: most of them (Jaccard >= 0.6), or what the instructions are about (a
    word that is not their verb) and half of the shorter one."""
    if not a or not b:
        return False
    shared = a & b
    if len(shared) / len(a | b) >= 0.6:
        return True
    return bool(shared - set(verbs)) and len(shared) / min(len(a), len(b)) >= 0.5


def _close(x: Lesson, y: Lesson, vectors: dict[str, Any] | None) -> bool:
    """The same lesson in other words: shared content words, or (with sentence vectors) a cosine of
    at least SIMILAR_COSINE."""
    if _similar(x.key, y.key, (head_verb(x.instruction), head_verb(y.instruction))):
        return True
    if not vectors or x.instruction not in vectors or y.instruction not in vectors:
        return False
    u, v = vectors[x.instruction], vectors[y.instruction]
    return sum(a * b for a, b in zip(u, v)) >= SIMILAR_COSINE


def _groups(lessons: list[Lesson], vectors: dict[str, Any] | None = None) -> list[list[Lesson]]:
    groups: list[list[Lesson]] = []
    for lesson in lessons:
        for g in groups:
            head = g[0]
            same_length = lesson.length and lesson.length == head.length
            if same_length or (lesson.polarity == head.polarity and not (lesson.length or head.length)
                               and _close(lesson, head, vectors)):
                g.append(lesson)
                break
        else:
            groups.append([lesson])
    return groups


def _support(group: list[Lesson]) -> int:
    return len({l.trajectory for l in group})


def _opposed(a: list[Lesson], b: list[Lesson]) -> bool:
    x, y = a[0], b[0]
    if x.length and y.length:
        return x.length == -y.length
    return x.polarity == -y.polarity and not (x.length or y.length) and _similar(
        x.key, y.key, (head_verb(x.instruction), head_verb(y.instruction)))


def _wording(group: list[Lesson]) -> str:
    """The most frequent wording in the group; ties: the first seen."""
    counts: dict[str, int] = {}
    for l in group:
        counts[l.instruction] = counts.get(l.instruction, 0) + 1
    return max(counts, key=lambda t: (counts[t], -list(counts).index(t)))


def decide(lessons: list[Lesson], existing: list[str], min_support: int = 2,
           vectors: dict[str, Any] | None = None) -> Decision:
    """Which lessons become new instructions, given the instructions already in the section.
    ``vectors``: unit sentence vectors of the instructions (and of ``existing``), to group lessons
    said in other words; without them lessons group by shared content words."""
    groups = _groups(lessons, vectors)
    existing_lessons = [[Lesson(t, key_of(words_of(t)), -1 if re.match(r"(?i)(do not|don't|never|avoid)\b", t) else 1,
                                0, True, Evidence("", t, "section"), -1)] for t in existing]
    for g in existing_lessons:
        g[0].length = length_of(words_of(g[0].instruction), g[0].polarity)
    conflicts: list[str] = []
    dropped: set[int] = set()
    for i, g in enumerate(groups):
        for j in range(i + 1, len(groups)):
            h = groups[j]
            if i in dropped or j in dropped or not _opposed(g, h):
                continue
            sg, sh = _support(g), _support(h)
            if sg == sh:
                dropped |= {i, j}
                conflicts.append(f"{_wording(g)!r} ({sg}) against {_wording(h)!r} ({sh}): a tie, neither written")
            else:
                win, lose = (g, h) if sg > sh else (h, g)
                dropped.add(j if sg > sh else i)
                conflicts.append(f"{_wording(lose)!r} ({_support(lose)}) gave way to {_wording(win)!r} "
                                 f"({_support(win)})")
    new: list[Instruction] = []
    below = 0
    for i, g in enumerate(groups):
        if i in dropped:
            continue
        already = next((e for e in existing_lessons if _opposed(e, g) or _same(e[0], g[0], vectors)), None)
        if already is not None:
            if _same(already[0], g[0], vectors):
                continue  # in the section already: never duplicated
            conflicts.append(f"{_wording(g)!r} contradicts the kept instruction {already[0].instruction!r}: "
                             "the kept one stays (edit the prompt to change it)")
            continue
        if _support(g) < min_support and not any(l.standing for l in g):
            below += 1
            continue
        evidence = list(dict.fromkeys(l.evidence for l in g))
        new.append(Instruction(_wording(g), evidence))
    return Decision(new, conflicts, below)


def _same(a: Lesson, b: Lesson, vectors: dict[str, Any] | None = None) -> bool:
    if a.length and b.length:
        return a.length == b.length
    return a.polarity == b.polarity and (a.instruction == b.instruction or _close(a, b, vectors))


# ----------------------------------------------------------------------------------------------
# The section in the prompt


def section_instructions(prompt: str) -> list[str]:
    """The instructions in the prompt's lessons section (its bullet lines), in order."""
    span = _section_span(prompt)
    if span is None:
        return []
    body = prompt[span[0]:span[1]]
    return [line.strip()[2:].strip() for line in body.splitlines() if line.strip().startswith("- ")]


def _section_span(prompt: str) -> tuple[int, int] | None:
    start = _START_RE.search(prompt)
    if not start:
        return None
    end = _END_RE.search(prompt, start.end())
    if not end:
        return None
    return start.start(), end.end()


def with_instructions(prompt: str, instructions: list[str]) -> str:
    """The prompt with its lessons section holding ``instructions``: replaced in place when the
    section exists; otherwise inserted before a closing paragraph that holds the template
    variables (the input slot), or appended at the end. Nothing else changes."""
    section = "\n".join([SECTION_START, SECTION_TITLE, *(f"- {t}" for t in instructions), SECTION_END])
    span = _section_span(prompt)
    if span is not None:
        return prompt[:span[0]] + section + prompt[span[1]:]
    body = prompt.rstrip("\n")
    trailing = prompt[len(body):]
    paragraphs = body.split("\n\n")
    if len(paragraphs) > 1 and _TEMPLATE_VAR.search(paragraphs[-1]) and not any(
            _TEMPLATE_VAR.search(p) for p in paragraphs[:-1]):
        return "\n\n".join(paragraphs[:-1]) + "\n\n" + section + "\n\n" + paragraphs[-1] + trailing
    return body + "\n\n" + section + trailing
