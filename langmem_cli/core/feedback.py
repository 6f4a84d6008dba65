"""Reading feedback into lessons, without a model. Pure.

A trajectory's feedback is its ``feedback`` value (a score, a comment, a label) and the user's
corrective turns after an assistant reply. Each clause is read for its structure (see
core/lessons.py for the forms and what becomes of the lessons); word classes come from
lemminflect's general English lexicon, not from a list fitted to any data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from langmem_cli.core.english import is_base_verb, is_comparative, is_past, lemma, lemmas

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_CLAUSE = re.compile(r"[^.;:!?\n,]+[.;!?]*")

# Closed-class words: discourse openers, frequency/focus adverbs, pronouns, negation, modal verbs.
_OPENERS = {"no", "nope", "ok", "okay", "well", "hmm", "ugh", "please", "pls", "actually", "but", "and", "so",
            "also", "just", "again", "now", "then", "oh", "sorry", "hey", "thanks"}
_ALWAYS = {"always", "never"}
_STANDING = re.compile(r"(?i)\b(always|never|from now on|every time|in (the )?future|next time|whenever)\b")
_NEGATIONS = {"not", "never", "no", "don't", "dont", "didn't", "didnt", "doesn't", "doesnt", "isn't", "wasn't",
              "aren't", "won't", "can't", "cannot", "shouldn't", "wouldn't"}
_CORRECTIVE = {"instead", "rather", "too", "should", "shouldn't", "stop", "always", "never", "wanted", "expected",
               "meant", "prefer", "preferred", "asked"}
_SUBJECTS = {"you", "it", "the assistant", "the answer", "the bot", "the model", "the reply", "the response", "assistant",
             "answer", "reply", "response", "this", "that"}
_FIRST_PERSON = {"me": "the user", "i": "they", "my": "their", "mine": "theirs", "myself": "themselves",
                 "i'm": "they are", "i've": "they have", "i'd": "they would", "we": "they", "us": "the users",
                 "our": "their"}
_TRAILING = {"please", "instead", "again", "thanks", "thank", "you", "pls", "then", "here"}
# trailing time and place phrases that say when, not what: "next time", "from now on", "for this"
_TRAILING_PHRASE = re.compile(r"(?i)\s+(next time|this time|from now on|in (the )?future|for this( one)?|for me|"
                              r"every time|going forward|in your answers?)$")
_INTENSIFIERS = {"so", "much", "very", "really", "too", "quite", "just", "bit", "little", "way"}
_LIGHT = {"be", "do", "make", "give", "use", "get", "have", "keep", "include", "avoid", "answers", "user",
          "the", "a", "an", "to", "of", "in", "on", "for", "with", "and", "or", "it", "is", "are", "that", "this",
          "always", "never", "not", "please", "instead", "more", "less", "your", "you", "from", "being", "next",
          "time", "here", "they", "them", "their"}
_NOT_WANT = {"wanted", "want", "wants", "needed", "need", "needs", "expected", "expect", "expects", "prefer",
             "preferred", "prefers", "asked", "meant"}
# The one dimension where feedback most often pulls both ways: answer length. +1 = longer.
_LENGTH = {"long": 1, "lengthy": 1, "verbose": 1, "wordy": 1, "detail": 1, "detailed": 1, "thorough": 1,
           "elaborate": 1, "expand": 1, "depth": 1, "short": -1, "brief": -1, "concise": -1, "terse": -1,
           "succinct": -1, "shorten": -1, "ramble": 1, "rambling": 1}


@dataclass(frozen=True)
class Evidence:
    source: str  # trajectory file:line
    quote: str  # the exact span of the feedback
    origin: str  # "feedback" or "turn"

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "quote": self.quote, "from": self.origin}


@dataclass
class Lesson:
    instruction: str
    key: frozenset  # content lemmas
    polarity: int  # +1 do, -1 do not
    length: int  # -1 shorter, +1 longer, 0 not about length
    standing: bool
    evidence: Evidence
    trajectory: int
    step: str | None = None


# ----------------------------------------------------------------------------------------------
# Reading feedback


def score_of(feedback: Any) -> float | None:
    """A score in 0..1 when the feedback has one (a number, ``score``/``rating``; 1-5 and 1-10 scales
    are scaled, booleans are 1/0)."""
    if isinstance(feedback, list):  # several feedback records (e.g. one per criterion): the lowest
        scores = [x for x in (score_of(item) for item in feedback) if x is not None]
        return min(scores) if scores else None
    value = feedback
    if isinstance(feedback, dict):
        value = next((feedback[k] for k in ("score", "rating", "value", "reward") if k in feedback), None)
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        v = float(value)
        if v < 0:
            return 0.0
        if v <= 1:
            return v
        if v <= 5:
            return (v - 1) / 4
        if v <= 10:
            return v / 10
        return 1.0
    return None


def comments_of(feedback: Any) -> list[str]:
    """The free-text parts of the feedback (a string, or the string values of an object)."""
    if isinstance(feedback, str):
        return [feedback]
    if isinstance(feedback, dict):
        return [v for k, v in feedback.items() if isinstance(v, str) and k not in ("reviewer", "user", "id", "key", "step",
                                                                                      "prompt", "date", "at")]
    if isinstance(feedback, list):
        return [c for item in feedback for c in comments_of(item)]
    return []


def _negative_label(feedback: Any) -> bool:
    if isinstance(feedback, list):
        return any(_negative_label(item) for item in feedback)
    label = feedback.get("label") if isinstance(feedback, dict) else None
    if not isinstance(label, str):
        return False
    words = {w.lower() for w in _WORD.findall(label)}
    return bool(words & {"bad", "down", "negative", "wrong", "incorrect", "poor", "fail", "failed", "unhelpful"})


def _clauses(text: str) -> Iterable[tuple[int, int]]:
    for m in _CLAUSE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start] in " \t\"'(":
            start += 1
        while end > start and text[end - 1] in " \t.;!?\"')":
            end -= 1
        if end > start:
            yield start, end


def _coordinated(text: str, spans: Iterable[tuple[int, int]]) -> Iterable[tuple[int, int]]:
    """Clauses split further where "and" joins two imperatives ("stop apologising and tell me
    what to do"); "too long and generic" stays whole."""
    for start, end in spans:
        cuts = [start]
        for m in re.finditer(r"\s+and\s+(?:then\s+)?([A-Za-z']+)(?:\s+([A-Za-z']+))?", text[start:end]):
            before = words_of(text[cuts[-1]:start + m.start()])
            if len(before) >= 2 and is_base_verb(m.group(1), m.group(2)):
                cuts += [start + m.start(), start + m.start(1)]
        cuts.append(end)
        for a, b in zip(cuts[::2], cuts[1::2]):
            if b > a:
                yield a, b


def words_of(text: str) -> list[str]:
    return _WORD.findall(text)


def _has_marker(words: list[str], text: str) -> bool:
    low = [w.lower() for w in words]
    if set(low) & (_CORRECTIVE | _NEGATIONS):
        return True
    if any(is_comparative(w) for w in low) or "more" in low or "less" in low or "fewer" in low:
        return True
    return bool(_STANDING.search(text))


def _rewrite(words: list[str]) -> str:
    out = []
    for w in words:
        rep = _FIRST_PERSON.get(w.lower())
        out.append(rep if rep else w)
    while out and out[-1].lower() in _TRAILING:
        out.pop()
    text = " ".join(out)
    while True:
        cut = _TRAILING_PHRASE.sub("", text)
        if cut == text:
            return text
        text = cut


def _sentence(text: str) -> str:
    text = text.replace("{", "(").replace("}", ")").strip()  # never a template variable
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def head_verb(instruction: str) -> str | None:
    """The lemma of the verb an instruction starts with (after always/never/do not/avoid)."""
    words = [w.lower() for w in words_of(instruction)]
    while words and words[0] in ("always", "never", "do", "not", "don't", "just", "only"):
        words = words[1:]
    return lemma(words[0], "VERB") if words and "VERB" in lemmas(words[0]) else None


def key_of(words: Iterable[str]) -> frozenset:
    out = set()
    for w in words:
        low = w.lower()
        if low in _LIGHT or low in _FIRST_PERSON or low in _NEGATIONS or low in _INTENSIFIERS or len(low) < 3:
            continue
        lem = lemmas(low)
        pos = next((p for p in ("VERB", "NOUN", "ADJ", "ADV") if p in lem), None)
        out.add(lem[pos][0] if pos else low)
    return frozenset(out)


def length_of(words: list[str], polarity: int) -> int:
    low = [w.lower() for w in words]
    for i, w in enumerate(low):
        base = lemma(w, "ADJ") if is_comparative(w) else w
        sign = _LENGTH.get(base) or _LENGTH.get(lemma(w, "VERB")) or _LENGTH.get(lemma(w, "NOUN"))
        if not sign:
            continue
        prev = low[i - 1] if i else ""
        if prev == "too":
            return -sign
        if prev in ("less", "fewer"):
            return -sign
        return sign * polarity
    return 0


def lessons_from_text(text: str, *, negative: bool, source: str, origin: str, trajectory: int,
                      step: str | None = None) -> list[Lesson]:
    """The lessons of one piece of feedback. ``negative``: the feedback as a whole is negative (low
    score, negative label), so every clause is read; else only clauses that correct."""
    out: list[Lesson] = []
    if not negative and not _has_marker(words_of(text), text):
        return out  # praise, or a turn that goes on with the conversation
    for start, end in _coordinated(text, _clauses(text)):
        clause = text[start:end]
        if clause.rstrip().endswith("?") and not re.match(r"(?i)\s*(can|could|would|will) you\b", clause):
            continue
        words = words_of(clause)
        if not words:
            continue
        standing = bool(_STANDING.search(clause))
        for instruction, key_words, polarity in _read_clause(words, negative):
            key = key_of(key_words)
            if not key:
                continue
            out.append(Lesson(_sentence(instruction), key, polarity, length_of(key_words, polarity), standing,
                              Evidence(source, clause, origin), trajectory, step))
    return out


def _read_clause(words: list[str], negative: bool) -> list[tuple[str, list[str], int]]:
    """(instruction, its content words, polarity) read from one clause's words."""
    low = [w.lower() for w in words]
    i = 0
    # a label before a colon was cut by the clause split; discourse openers, "can you (please)"
    while i < len(low) and low[i] in _OPENERS:
        i += 1
    if i + 1 < len(low) and low[i] in ("can", "could", "would", "will") and low[i + 1] == "you":
        i += 2
        while i < len(low) and low[i] in _OPENERS:
            i += 1
    words, low = words[i:], low[i:]
    if not words:
        return []

    # "too long and generic", "too much jargon"
    # ("too" last means "also": "always add docstrings too")
    if "too" in low[:-1]:
        j = low.index("too")
        rest = [w for w in words[j + 1:]]
        if rest and rest[0].lower() in ("much", "many") and len(rest) > 1:
            return [(f"avoid too {rest[0].lower()} {_rewrite(rest[1:])}", rest[1:], -1)]
        out = []
        for part in " ".join(rest).split(" and "):
            pw = words_of(part)
            # the adjective(s) only: "too casual for a bank" -> "too casual"
            k = 0
            while k < min(len(pw), 2) and ("ADJ" in lemmas(pw[k]) or "ADV" in lemmas(pw[k])) and \
                    pw[k].lower() not in ("for", "to", "in", "on", "at", "with"):
                k += 1
            pw = pw[:k] if k and k < len(pw) and pw[k].lower() in ("for", "to", "in", "on", "at", "with") else pw
            if pw and ("ADJ" in lemmas(pw[0]) or "ADV" in lemmas(pw[0])) and len(pw) <= 3:
                out.append((f"avoid answers that are too {' '.join(pw).lower()}", ["too", *pw], -1))
        return out

    # "shorter", "more detail", "less jargon", "simpler please"
    if is_comparative(low[0]) and len(low) <= 4:
        return [(f"make answers {_rewrite(low)}", words, 1)]
    if low[0] in ("more", "less", "fewer") and 1 < len(low) <= 5:
        # "less jargon" asks for less of something: the polarity of "avoid too much jargon"
        return [(f"include {_rewrite(low[:1] + words[1:])}", words, 1 if low[0] == "more" else -1)]

    # imperatives: "always answer in bullet points", "don't apologise", "stop repeating the question"
    j, prefix = 0, ""
    while j < len(low) and low[j] in _ALWAYS | {"just", "only", "please"}:
        prefix = low[j] if low[j] in _ALWAYS else prefix
        j += 1
    negated = False
    if j + 1 < len(low) and low[j] in ("don't", "dont") or j + 2 < len(low) and low[j:j + 2] == ["do", "not"]:
        negated = True
        j += 1 if low[j] in ("don't", "dont") else 2
    if j < len(low) and low[j] == "stop" and j + 1 < len(low) and low[j + 1].endswith("ing"):
        verb = lemma(low[j + 1], "VERB")
        return [(f"do not {verb} {_rewrite(words[j + 2:])}".strip(), [verb, *words[j + 2:]], -1)]
    if j < len(low) and len(low) - j >= 2 and is_base_verb(low[j], low[j + 1] if j + 1 < len(low) else None):
        body = _rewrite(words[j:])
        if not _rewrite(words[j + 1:]):
            return []
        if negated:
            return [(f"{'never' if prefix == 'never' else 'do not'} {body}", words[j:], -1)]
        return [(f"{prefix + ' ' if prefix else ''}{body}", words[j:], -1 if prefix == "never" else 1)]

    # what the assistant did not do: "did not look at the invoice", "you never cite sources"
    for k, w in enumerate(low[:4]):
        subject = " ".join(low[:k])
        if subject and subject not in _SUBJECTS:
            continue
        if w in ("didn't", "didnt", "doesn't", "doesnt", "never") or (w in ("did", "does") and low[k + 1:k + 2] == ["not"]):
            v = k + (2 if w in ("did", "does") else 1)
            if v < len(low) and "VERB" in lemmas(low[v]):
                verb = lemma(low[v], "VERB")
                return [(f"{verb} {_rewrite(words[v + 1:])}".strip(), [verb, *words[v + 1:]], 1)]
        if w == "failed" and low[k + 1:k + 2] == ["to"] and k + 2 < len(low):
            verb = lemma(low[k + 2], "VERB")
            return [(f"{verb} {_rewrite(words[k + 3:])}".strip(), [verb, *words[k + 3:]], 1)]
        if w in ("should", "shouldn't") and k + 1 < len(low):
            v, neg = k + 1, w == "shouldn't"
            if low[v:v + 1] == ["not"]:
                v, neg = v + 1, True
            if low[v:v + 1] == ["have"]:
                v += 1
            if v < len(low) and "VERB" in lemmas(low[v]) or v < len(low) and low[v] == "been":
                verb = "be" if low[v] == "been" else lemma(low[v], "VERB")
                rest = words[v + 1:]
                if not rest:
                    return []
                return [(f"{'do not ' if neg else ''}{verb} {_rewrite(rest)}", [verb, *rest], -1 if neg else 1)]

    # what the user wanted: "the user wanted the fix first", "I expected a code sample"
    for k, w in enumerate(low[:4]):
        if w in _NOT_WANT and (k == 0 or " ".join(low[:k]) in ("i", "we", "the user", "user", "the customer",
                                                               "customer", "they", "he", "she", "i'd", "i would",
                                                               "we'd", "users")):
            rest = words[k + 1:]
            if low[k:k + 2] == ["asked", "for"]:
                rest = words[k + 2:]
            elif w == "asked":
                continue
            if rest and rest[0].lower() == "you" and len(rest) > 1 and rest[1].lower() == "to":
                rest = rest[2:]
            elif rest and rest[0].lower() == "to":
                rest = rest[1:]
            else:
                if not rest:
                    return []
                verb = "prefer" if w.startswith("prefer") else "give"
                return [(f"{verb} {_rewrite(rest)}", rest, 1)]
            if rest and "VERB" in lemmas(rest[0].lower()):
                return [(f"{lemma(rest[0], 'VERB')} {_rewrite(rest[1:])}".strip(), rest, 1)]
            return []

    # a complaint about what the assistant did, in negative feedback: "rambled", "ignored my question"
    k = 1 if low[0] in ("you", "it") and len(low) > 1 else 0  # "you ignored the stack trace"
    if negative and is_past(low[k]) and len(low) <= 6 + k and "ADJ" not in lemmas(low[k]):
        verb = lemma(low[k], "VERB")
        return [(f"do not {verb} {_rewrite(words[k + 1:])}".strip(), [verb, *words[k + 1:]], -1)]
    return []


def trajectory_lessons(messages: list[tuple[str, str]], feedback: Any, source: str, trajectory: int,
                       step: str | None = None) -> list[Lesson]:
    """Lessons from one trajectory: its feedback value, then each user turn that follows an
    assistant reply. ``messages``: (role, text) pairs. A high score makes the comments praise
    (read only where a clause itself corrects)."""
    out: list[Lesson] = []
    score = score_of(feedback)
    negative = (score is not None and score < 0.5) or _negative_label(feedback)
    positive = score is not None and score >= 0.7
    for comment in comments_of(feedback):
        neg = negative or (not positive and bool({w.lower() for w in words_of(comment)} & _NEGATIONS))
        out += lessons_from_text(comment, negative=neg, source=source, origin="feedback", trajectory=trajectory,
                                 step=step)
    after_assistant = False
    for role, text in messages:
        if role == "user" and after_assistant:
            # a turn corrects when it says so (too, instead, always...) or the trajectory was scored low
            out += lessons_from_text(text, negative=negative, source=source, origin="turn", trajectory=trajectory,
                                     step=step)
        if role in ("user", "assistant"):
            after_assistant = role == "assistant"
    return out
