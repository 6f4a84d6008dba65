"""Profiles merged by time. Pure: no I/O.

A profile is the fold of what people said about its fields, in the order the statements were
*made* (their time), never the order files were read. Each statement is an ``Observation``:
set a field, add an item to a list field, or remove a value (a negation: "I'm not vegetarian
anymore", "I don't live in Berlin any more", "I used to work as a nurse"). ``fold`` applies them
by time; ``versions`` gives the profile after each moment it changed, as contiguous intervals that
never overlap; ``revise`` turns the difference between the stored versions and those into store
operations (split, retract, insert; never an erase).

Offline, a field is filled only with a value a person said, found by a few plain patterns chosen
by the field's name (whole words of it, or of its description):
- a name field: "my name is X", "I'm X", "call me X";
- job / occupation / work / role: "I work (…) as a X", "… and work as a X", "a new job (…) as a X";
- city / location / home: "I live in X", "I'm from X", "moved/moving (…) to X";
- pets: "my/our dog X", "a cat (…) called X";
- food / diet / allergies: "I'm vegetarian", "I don't eat X", "I'm allergic to X";
- preferences / likes / interests: "I love/like/enjoy/prefer X";
- answer style / format / tone: "I prefer X" about answers (bullet points, short, detailed…).
A field no pattern finds stays empty: nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Iterator

from langmem_cli.core.conversation import Conversation
from langmem_cli.core.grounding import Candidate, eligible
from langmem_cli.core.statements import sentences

_END = r"([^.,;!?]{2,80}?)(?=[.,;!?]|$| and | but | so )"
NAME_FIELDS = ("name", "first_name", "full_name", "user_name", "preferred_name", "nickname")
PATTERNS: list[tuple[tuple[str, ...], re.Pattern]] = [
    (("name",), re.compile(r"\b(?i:my name is|i'm|i am|call me)\s+([A-ZÀ-ÖØ-Þ][^\W\d_A-Z]+)\b(?!\s+(?!and\b|but\b|from\b|here\b)[a-z])")),  # "Tomás", "Zoë"
    (("job", "occupation", "work", "role", "profession", "employment", "career", "employer"),
     re.compile(r"(?i)\b(?:(?:i|and)(?: now| currently| also)? work|i'm working|i am working|new job|i'm employed|i am employed)\b"
                r"[^.;!?]*?\bas (an? " + _END[1:])),
    (("city", "location", "home", "hometown", "lives", "town", "country", "residence"),
     re.compile(r"(?:\b(?i:i live in|i'm from|i am from|moved to|moving to)|\b(?i:moving|moved) from [A-Z]\w+ to)\s+([A-Z][\w-]+(?: [A-Z][\w-]+)*)")),
    (("pet", "animal"),
     re.compile(r"(?i:\b(?:my|our) (?:dog|cat|puppy|kitten|rabbit|hamster|parrot|bird|horse|tortoise|fish))\s+(?:(?i:called|named)\s+)?([A-Z]\w+)"
                r"|(?i:\b(?:dog|cat|puppy|kitten)\b)[^.;!?]{0,40}?(?i:called|named)\s+([A-Z]\w+)")),
    (("food", "diet", "dietary", "eat", "meal", "allergy"),
     re.compile(r"(?i)\b(i'm (?:a )?(?:vegetarian|vegan|pescatarian|gluten-free|lactose intolerant)"
                r"|i (?:don't|do not|never) eat [^.,;!?]{2,60}|(?:i'm|i am) allergic to [^.,;!?]{2,60})")),
    (("preference", "like", "interest", "hobby"),
     re.compile(r"(?i)\bi (?:really )?(love|like|enjoy|prefer) " + _END)),
    (("style", "format", "tone", "answer"),
     re.compile(r"(?i)\bi prefer ([^.;!?]*\b(?:bullet|short|brief|concise|detail|long|paragraph|list|example|step)[^.;!?]*)")),
]

_FIRST_PERSON = re.compile(r"(?i)^(?:i'm a |i'm |i am |i don't |i do not |i never )")
_THIRD = {"i'm a ": "", "i'm ": "", "i am ": "", "i don't ": "doesn't ", "i do not ": "does not ", "i never ": "never "}
_ABBREVIATION = re.compile(r"\b(St|Dr|Mr|Mrs|Ms|Mt)\. ")
# A negation or a past state, as the words that turn a positive statement into it: the sentence
# without them says the value; with them, that the value no longer holds.
_NEGATORS = [
    (re.compile(r"(?i)\b(do|does|did)(?: not|n't) "), ""),  # "I don't live in X" -> "I live in X"
    (re.compile(r"(?i)\b(am|'m|is|are|was|were)(?: not| no longer| never) "), r"\1 "),  # "I'm not vegetarian"
    (re.compile(r"(?i)\bno longer "), ""),  # "I no longer work as X"
    (re.compile(r"(?i)\bused to "), ""),  # "I used to live in X"
    (re.compile(r"(?i)\b(?:stopped|quit|gave up) being "), "am "),  # "I stopped being vegetarian"
    (re.compile(r"(?i)\bI was (?=(?:an? )?\w+\b)"), "I'm "),  # "I was vegetarian for years"
    (re.compile(r"(?i),? any ?more\b"), ""),
]
_NEGATED_BEFORE = re.compile(r"(?i)(?:\b(?:not|no longer|never|used to)|n't)\s+(?:\w+\s+){0,2}$")


def field_words(name: str) -> set[str]:
    """A field name's words, singular: "food_preferences" -> {"food", "preference"}."""
    parts = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("-", " ").replace("_", " ").lower().split()
    out = set()
    for p in parts:
        out.add(p)
        if p.endswith("ies"):
            out.add(p[:-3] + "y")
        elif p.endswith("s") and not p.endswith("ss"):
            out.add(p[:-1])
    return out


def pattern_for(field: str, description: str = "") -> re.Pattern | None:
    """The pattern whose values belong in ``field``, by the field's own words (then its description's)."""
    if field.lower() in NAME_FIELDS:
        return PATTERNS[0][1]
    for words in (field_words(field), field_words(" ".join(re.findall(r"[A-Za-z]+", description)))):
        for keys, pattern in PATTERNS[1:]:
            if words & set(keys):
                return pattern
    return None


def _clean(text: str) -> str:
    return _ABBREVIATION.sub("\\1\u00b7 ", text.replace("\u2019", "'"))  # "St. Mary's" is one name


def _values(pattern: re.Pattern, text: str) -> Iterator[tuple[str, str, int]]:
    """(value, the words that said it, where) for each match in ``text`` (already cleaned)."""
    for m in pattern.finditer(text):
        if m.group(0).lower().startswith("and ") and not re.search(r"\bI\b", text[:m.start()]):
            continue  # "… and work as X" carries the subject "I" only when the sentence has it
        groups = [g for g in m.groups() if g] or [m.group(0)]
        value = " ".join(groups[-1].replace("\u00b7", ".").split()).strip(" ,.")
        if pattern is PATTERNS[5][1]:
            value = f"{m.group(1).lower()}s {m.group(2).strip()}"  # "loves ceramics"
        elif pattern is PATTERNS[4][1]:
            value = _FIRST_PERSON.sub(lambda f: _THIRD[f.group(0).lower()], value)  # "doesn't eat eggs"
        if value:
            yield value, m.group(0).replace("\u00b7", ".").strip(), m.start()


def _denegated(text: str) -> str:
    for pattern, replacement in _NEGATORS:
        text = pattern.sub(replacement, text)
    return text


@dataclass
class Said:
    """A value a person said for a field (``op`` add/set) or said no longer holds (``remove``)."""

    candidate: Candidate
    op: str  # "set" | "add" | "remove"
    message: int
    position: int

    @property
    def field(self) -> str:
        """The field the value is for (``profile_fields`` always names it on the candidate)."""
        return self.candidate.field or ""


def sentence_values(pattern: re.Pattern, sentence: str) -> list[tuple[str, str, str, int]]:
    """(op, value, said, position) in one sentence: positive values, and values it negates."""
    text = _clean(sentence)
    out: list[tuple[str, str, str, int]] = []
    positive = set()
    for value, said, where in _values(pattern, text):
        negated = bool(_NEGATED_BEFORE.search(text[:where]))
        out.append(("remove" if negated else "add", value, said, where))
        positive.add(value.lower())
    plain = _denegated(text)
    if plain != text:
        for value, said, where in _values(pattern, plain):
            if value.lower() not in positive:
                out.append(("remove", value, sentence.strip(), where))
    return out


def profile_fields(conversation: Conversation, properties: dict[str, Any]) -> list[Said]:
    """Each value found for a field (``candidate.field``), quoting its sentence, with its op."""
    allowed = eligible(conversation.messages)
    found: list[Said] = []
    for name, spec in properties.items():
        spec = spec if isinstance(spec, dict) else {}
        kind = spec.get("type")
        if kind not in ("string", "array") or (kind == "array" and (spec.get("items") or {}).get("type") != "string"):
            continue
        pattern = pattern_for(name, str(spec.get("description", "")))
        if pattern is None:
            continue
        for i, m in enumerate(conversation.messages):
            if not allowed[i] or m.role != "user":
                continue
            offset = 0
            for sentence in sentences(m.content):
                for op, value, said, where in sentence_values(pattern, sentence):
                    if op == "add" and kind == "string":
                        op = "set"
                    quote = said if op != "remove" else sentence.strip()
                    found.append(Said(Candidate(value, [quote], field=name, content=value), op, i, offset + where))
                offset += len(sentence) + 1
    return found


# -- the fold ---------------------------------------------------------------------------------------

@dataclass
class Observation:
    """One statement about one field, at the moment it was made (``at``, ISO 8601 UTC text)."""

    field: str
    op: str  # set | add | remove
    value: Any
    at: str
    order: tuple[int, int] = (0, 0)  # message, character: statements at the same moment, in the text's order
    evidence: list[dict[str, Any]] = dc_field(default_factory=list)

    def key(self) -> tuple:
        return (self.field, self.op, _norm(self.value), self.at, tuple(self.order))

    def sort_key(self) -> tuple:
        # time first; then the text's order; then a rule on content alone, so that any order of
        # arrival gives the same fold
        return (self.at, tuple(self.order), self.field, {"remove": 0, "set": 1, "add": 1}[self.op], _norm(self.value))

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op, "value": self.value, "at": self.at, "order": list(self.order),
                "evidence": self.evidence}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Observation":
        order = d.get("order") or [0, 0]
        return cls(str(d["field"]), str(d["op"]), d.get("value"), str(d["at"]), (int(order[0]), int(order[1])),
                   list(d.get("evidence") or []))


def _norm(value: Any) -> str:
    return " ".join(str(value).lower().split())


def _same(item: Any, value: Any) -> bool:
    """Whether a negated ``value`` names ``item`` ("vegetarian" names "vegetarian"; "a nurse" names
    "a nurse at St. Mary's")."""
    a, b = _norm(item), _norm(value)
    if not a or not b:
        return False
    return a == b or re.search(r"(?:^|\b)" + re.escape(b) + r"(?:\b|$)", a) is not None


def merge_log(log: list[Observation], new: list[Observation]) -> list[Observation]:
    """The log with the new observations it does not hold yet, sorted by time."""
    seen = {o.key() for o in log}
    out = list(log)
    for o in new:
        if o.key() not in seen:
            seen.add(o.key())
            out.append(o)
    return sorted(out, key=Observation.sort_key)


def fold(log: list[Observation], properties: dict[str, Any], through: str | None = None,
         sources: list[Observation] | None = None) -> dict[str, Any]:
    """The profile the statements make, applied by time (those made by ``through`` when given).
    ``sources`` receives the statements the profile's values come from (its evidence)."""
    profile: dict[str, Any] = {}
    made: dict[str, dict[str, Observation]] = {}  # field -> value -> the statement that put it there
    for o in sorted(log, key=Observation.sort_key):
        if through is not None and o.at > through:
            break
        declared = properties.get(o.field)
        spec: dict[str, Any] = declared if isinstance(declared, dict) else {}
        is_list = spec.get("type") == "array" or (not spec and isinstance(profile.get(o.field), list))
        if o.op == "remove":
            current = profile.get(o.field)
            if isinstance(current, list):
                kept = [v for v in current if not _same(v, o.value)]
                if kept:
                    profile[o.field] = kept
                else:
                    profile.pop(o.field, None)
            elif current is not None and _same(current, o.value):
                del profile[o.field]
            continue
        value = o.value
        limit = spec.get("maxLength") or (spec.get("items") or {}).get("maxLength")
        if isinstance(value, str) and isinstance(limit, int):
            value = value[:limit]
        if is_list:
            items = [v for v in (profile.get(o.field) or []) if _norm(v) != _norm(value)]
            items.append(value)  # a restated item is its latest statement
            most = int(spec.get("maxItems") or 20)
            profile[o.field] = items[-most:]
            made.setdefault(o.field, {})[_norm(value)] = o
        else:
            profile[o.field] = value
            made[o.field] = {_norm(value): o}
    if sources is not None:
        for field, value in profile.items():
            for item in (value if isinstance(value, list) else [value]):
                if _norm(item) in made.get(field, {}):
                    sources.append(made[field][_norm(item)])
    return profile


@dataclass
class Version:
    valid_from: str | None
    valid_until: str | None
    content: Any
    id: str | None = None


def versions(log: list[Observation], properties: dict[str, Any]) -> list[Version]:
    """The profile after each moment it changed: intervals that never overlap, the last one open."""
    out: list[Version] = []
    for at in sorted({o.at for o in log}):
        content = fold(log, properties, through=at)
        current = out[-1] if out and out[-1].valid_until is None else None
        if (current.content if current else {}) == content:
            continue
        if current:
            current.valid_until = at
        if content:  # every field removed: no profile from then on (until a new statement)
            out.append(Version(at, None, content))
    return out


@dataclass
class Step:
    """What ``revise`` asks of the store: ``action`` insert | update (close ``target`` at
    ``valid_from`` and add the version) | close (close ``target`` at ``valid_from``)."""

    action: str
    target: str | None
    version: Version | None
    valid_from: str | None
    successor: str | None = None  # the version that carries the profile on after the close
    next_id: str | None = None  # for a new version: the version after it


def revise(stored: list[Version], wanted: list[Version], new_id) -> list[Step]:
    """How to turn the stored versions (non-empty intervals) into the wanted ones without erasing
    a row: versions that already match stay; from the first difference on, a stored version that
    began earlier is closed there (split), later ones are closed where they began (retracted,
    never valid), each pointing to the version that replaced it; the wanted versions from there on
    are added. ``new_id()`` names new versions (so that each can name its successor)."""
    stored = sorted(stored, key=lambda v: (v.valid_from or "", v.valid_until or "\uffff"))
    k = 0
    while (k < len(wanted) and k < len(stored) and stored[k].valid_from == wanted[k].valid_from
           and stored[k].valid_until == wanted[k].valid_until and stored[k].content == wanted[k].content):
        k += 1
    if k == len(wanted) and k == len(stored):
        return []
    fresh = wanted[k:]
    start = fresh[0].valid_from if fresh else None
    same = stored[k] if fresh and k < len(stored) else None
    ends = fresh[0].valid_until if fresh else None
    if (same is not None and same.valid_from == fresh[0].valid_from and same.content == fresh[0].content
            and ends is not None and (same.valid_until is None or same.valid_until > ends)):
        # the same version, now ending earlier (the usual case: a newer statement): it is split
        # where the next one begins
        start, fresh = fresh[0].valid_until, fresh[1:]
    for v in fresh:
        v.id = new_id()

    def covering(moment: str | None) -> Version | None:
        for v in fresh:
            if (v.valid_from or "") <= (moment or "") and (v.valid_until is None or (moment or "") < v.valid_until):
                return v
        return fresh[0] if fresh else None

    steps: list[Step] = []
    updated = False
    close_at: str | None
    for s in stored[k:]:
        begins = s.valid_from or ""
        if start is not None and s.valid_until is not None and s.valid_until <= start:
            if s.valid_from is None:
                continue  # an old row with no start, ended before the difference: left as it was
            close_at = s.valid_from  # it held where nothing holds now (a value said removed earlier): retracted
        else:
            close_at = start if start is not None and begins < start else s.valid_from
        successor = covering(close_at)
        if (not updated and fresh and successor is fresh[0] and s.content != fresh[0].content
                and close_at == fresh[0].valid_from):
            updated = True  # the stored version turns into the first new one: an update
            steps.append(Step("update", s.id, fresh[0], close_at, next_id=fresh[1].id if len(fresh) > 1 else None))
            continue
        steps.append(Step("close", s.id, None, close_at or start, successor.id if successor else None))
    for n, v in enumerate(fresh):
        if updated and n == 0:
            continue
        steps.append(Step("insert", None, v, v.valid_from, next_id=fresh[n + 1].id if n + 1 < len(fresh) else None))
    return steps


_NEGATION = re.compile(r"(?i)(?:n't\b|\b(?:not|no longer|never|any ?more|used to|stopped|quit|gave up)\b)")


def negation_of(value: str, said: list[str]) -> str | None:
    """The first sentence that names ``value`` (all its words) and says it no longer holds."""
    mine = {w for w in re.findall(r"\w+", value.lower()) if len(w) > 2} or set(re.findall(r"\w+", value.lower()))
    for sentence in said:
        text = sentence.replace("\u2019", "'")
        if mine and _NEGATION.search(text) and mine <= set(re.findall(r"\w+", text.lower())):
            return sentence
    return None
