"""Offline profile fields: a field is filled only with a value a person said, found by a few
plain patterns chosen by the field's name (or description). Pure: no I/O.

- a name field: "my name is X", "I'm X", "call me X";
- job / occupation / work / role: "I work (…) as a X", "a new job (…) as a X";
- city / location / home: "I live in X", "I'm from X", "moved/moving (…) to X";
- pets: "my/our dog X", "a cat (…) called X";
- food / diet: "I'm vegetarian", "I don't eat X", "I'm allergic to X";
- preferences / likes / interests: "I love/like/enjoy/prefer X";
- answer style / format / tone: "I prefer X" about answers (bullet points, short, detailed…).
A field no pattern finds stays empty: nothing is guessed.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from langmem_cli.core.conversation import Conversation
from langmem_cli.core.grounding import Candidate, eligible
from langmem_cli.core.statements import sentences

_END = r"([^.,;!?]{2,80}?)(?=[.,;!?]|$| and | but | so )"
PATTERNS: list[tuple[tuple[str, ...], re.Pattern]] = [
    (("name",), re.compile(r"\b(?i:my name is|i'm|i am|call me)\s+([A-Z][a-z]+)\b(?!\s+[a-z])")),
    (("job", "occupation", "work", "role", "profession"),
     re.compile(r"(?i)\b(?:i work|i'm working|i am working|new job|i'm employed|i am employed)\b[^.;!?]*?\bas (an? " + _END[1:])),
    (("city", "location", "home", "lives", "town", "country"),
     re.compile(r"(?:\b(?i:i live in|i'm from|i am from|moved to|moving to)|\b(?i:moving|moved) from [A-Z]\w+ to)\s+([A-Z][\w-]+(?: [A-Z][\w-]+)*)")),
    (("pet", "animal"),
     re.compile(r"(?i:\b(?:my|our) (?:dog|cat|puppy|kitten|rabbit|hamster|parrot|bird|horse|tortoise|fish))\s+(?:(?i:called|named)\s+)?([A-Z]\w+)"
                r"|(?i:\b(?:dog|cat|puppy|kitten)\b)[^.;!?]{0,40}?(?i:called|named)\s+([A-Z]\w+)")),
    (("food", "diet", "eat", "meal"),
     re.compile(r"(?i)\b(i'm (?:a )?(?:vegetarian|vegan|pescatarian|gluten-free|lactose intolerant)"
                r"|i (?:don't|do not|never) eat [^.,;!?]{2,60}|(?:i'm|i am) allergic to [^.,;!?]{2,60})")),
    (("preference", "likes", "interest", "hobbies", "hobby"),
     re.compile(r"(?i)\bi (?:really )?(love|like|enjoy|prefer) " + _END)),
    (("style", "format", "tone", "answer"),
     re.compile(r"(?i)\bi prefer ([^.;!?]*\b(?:bullet|short|brief|concise|detail|long|paragraph|list|example|step)[^.;!?]*)")),
]


_FIRST_PERSON = re.compile(r"(?i)^(?:i'm a |i'm |i am |i don't |i do not |i never )")
_THIRD = {"i'm a ": "", "i'm ": "", "i am ": "", "i don't ": "doesn't ", "i do not ": "does not ", "i never ": "never "}


def _matches(field: str, description: str) -> re.Pattern | None:
    name = field.lower()
    if name in ("name", "first_name", "full_name", "user_name", "preferred_name"):
        return PATTERNS[0][1]
    for keys, pattern in PATTERNS[1:]:
        if any(k in name for k in keys):
            return pattern
    return None


_ABBREVIATION = re.compile(r"\b(St|Dr|Mr|Mrs|Ms|Mt)\. ")


def _values(pattern: re.Pattern, text: str) -> Iterator[tuple[str, str]]:
    text = _ABBREVIATION.sub("\\1\u00b7 ", text.replace("\u2019", "'"))  # "St. Mary's" is one name
    for m in pattern.finditer(text):
        groups = [g for g in m.groups() if g] or [m.group(0)]
        value = " ".join(groups[-1].replace("\u00b7", ".").split()).strip(" ,.")
        if pattern is PATTERNS[5][1]:
            value = f"{m.group(1).lower()}s {m.group(2).strip()}"  # "loves ceramics"
        elif pattern is PATTERNS[4][1]:
            value = _FIRST_PERSON.sub(lambda f: _THIRD[f.group(0).lower()], value)  # "doesn't eat eggs"
        if value:
            yield value, m.group(0).replace("\u00b7", ".").strip()


def profile_fields(conversation: Conversation, properties: dict[str, Any]) -> list[Candidate]:
    """One candidate per value found, ``field`` naming the profile field, quoting its sentence."""
    allowed = eligible(conversation.messages)
    found: list[Candidate] = []
    for field, spec in properties.items():
        spec = spec if isinstance(spec, dict) else {}
        kind = spec.get("type")
        if kind not in ("string", "array") or (kind == "array" and (spec.get("items") or {}).get("type") != "string"):
            continue
        pattern = _matches(field, str(spec.get("description", "")))
        if pattern is None:
            continue
        for i, m in enumerate(conversation.messages):
            if not allowed[i] or m.role != "user":
                continue
            for sentence in sentences(m.content):
                for value, said in _values(pattern, sentence):
                    found.append(Candidate(value, [said], field=field, content=value))
    return found


def merge(current: dict[str, Any], accepted: list[Candidate], properties: dict[str, Any]) -> dict[str, Any]:
    """The profile with the accepted values: a string field takes the newest, a list gains new items."""
    profile = dict(current)
    for c in accepted:
        spec = properties.get(c.field) or {}
        value = c.content
        limit = spec.get("maxLength") or (spec.get("items") or {}).get("maxLength")
        if isinstance(limit, int):
            value = value[:limit]
        if spec.get("type") == "array":
            items = list(profile.get(c.field) or [])
            if value.lower() not in {str(v).lower() for v in items} and len(items) < int(spec.get("maxItems") or 20):
                items.append(value)
            profile[c.field] = items
        else:
            profile[c.field] = value
    return profile
