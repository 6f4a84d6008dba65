"""One name per person: the name a namespace's user goes by. Pure: no I/O.

A user message carries no name in most transcripts (it is "user"). The name comes from, in this order:
1. what the person says in this conversation ("I'm Priya", "my name is Priya", "call me Pri"; the
   last such sentence when they change it);
2. the name given on the command line (``--var user_name=…``);
3. the transcript's own user/author name (a conversation's ``user_name``/``author``/``user`` field);
4. the name stored with the namespace (from an earlier conversation, ``Store.person_names``).
Otherwise the user is "The user". A name keeps its capitals as written.
Messages that carry their own speaker name (multi-party chats) keep it: one name per speaker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeGuard

from langmem_cli.core.conversation import Conversation

# "I'm Priya", "my name is Priya Nair", "call me Pri", "I go by Pri"; the name is one or two
# capitalised words (keeping inner capitals: "McKenzie"), not the start of a clause ("I'm Going to").
_NAME = r"([A-Z][a-z]*[A-Za-z'-]*[a-z](?: [A-Z][a-z]*[A-Za-z'-]*[a-z])?)"
SELF_NAME = re.compile(r"\b(?:(?i:my name is|my name's|call me|i go by|i'm|i am|this is))\s+" + _NAME
                       + r"(?=\s*(?:[,.!;:)]|$|\s+(?:and|but|here|by|from|now|instead|please)\b))")
_NOT_NAMES = frozenset("""Sorry Fine Good Great Glad Happy Here Back Done Ready Sure Not Still Also Just So Very Really
Okay Ok Excited Home Tired Busy New Vegetarian Vegan""".split())
METADATA_KEYS = ("user_name", "author", "user")


@dataclass(frozen=True)
class Naming:
    name: str
    source: str  # said | command line | transcript | stored
    quote: str | None = None  # the words that said it, when said in this conversation
    since: str | None = None  # when it was said or given (the conversation's time)


_WEAK = re.compile(r"^(?i:i'm|i am|this is)\b")


def _describes(word: str, kinds: dict[str, tuple[str, ...]]) -> bool:
    """Whether "I'm <word>" says how or where the person is ("Tired", "Hungry", "Back", "Starving")
    rather than who: an adjective, an adverb or a verb's participle. A name that is also a noun
    ("Carol", "Rose", "Mark") stays a name."""
    return "ADJ" in kinds or "ADV" in kinds or ("VERB" in kinds and word.endswith(("ed", "ing")))


def said_names(text: str) -> list[tuple[str, str]]:
    """(name, the words that said it) for each self-naming in ``text``. After "I'm" / "this is" a
    word that describes a state ("I'm Tired", "I'm Starving") is not taken for a name: a missed name
    leaves "The user", a wrong one would put words in the person's mouth."""
    from langmem_cli.core.english import lemmas

    found = []
    for m in SELF_NAME.finditer(text.replace("\u2019", "'")):
        name = m.group(1)
        first = name.split()[0]
        if first in _NOT_NAMES or (_WEAK.match(m.group(0)) and _describes(first.lower(), lemmas(first.lower()))):
            continue
        found.append((name, m.group(0)))
    return found


def _metadata_name(metadata: dict[str, Any]) -> str | None:
    for key in METADATA_KEYS:
        value = metadata.get(key)
        if isinstance(value, dict):
            value = value.get("name")
        if isinstance(value, str) and re.fullmatch(r"[^\W\d_][\w'.-]*(?: [^\W\d_][\w'.-]*){0,2}", value.strip()):
            return value.strip()
    return None


def user_naming(conversation: Conversation, given: str | None = None,
                stored: dict[str, Any] | None = None) -> Naming | None:
    """The name this conversation's (unnamed) user goes by, and where it comes from."""
    said = None
    for m in conversation.messages:
        if m.role == "user" and not m.context and not m.name:
            for name, quote in said_names(m.content):
                said = (name, quote)
    when = conversation.started_at
    if said:
        return Naming(said[0], "said", said[1], when)
    if given and given.strip():
        return Naming(given.strip(), "command line", None, when)
    from_metadata = _metadata_name(conversation.metadata)
    if from_metadata:
        return Naming(from_metadata, "transcript", None, when)
    if stored and stored.get("name"):
        return Naming(str(stored["name"]), "stored", None, stored.get("since"))
    return None


def replaces(naming: Naming | None, stored: dict[str, Any] | None) -> TypeGuard[Naming]:
    """Whether ``naming`` should become the namespace's stored name: it is new, and not older than
    the stored one (time decides: an old conversation read late does not undo a later name)."""
    if naming is None or naming.source == "stored":
        return False
    if not stored:
        return True
    if stored.get("name") == naming.name:
        return False
    from langmem_cli.core.timestamps import try_moment

    before, now = try_moment(stored.get("since")), try_moment(naming.since)
    return before is None or now is None or str(now) >= str(before)


_THE_USER = re.compile(r"\b(?:The|the) user\b")
# a name right after these words is the name stated, not the person referred to ("… name is Dana Reyes")
_STATED = re.compile(r"(?i)\b(?:name(?:'s| is| was)|named|call(?:s|ed)?(?: (?:me|her|him|them))?|go(?:es)? by|went by)\s+$")

# Where a memory's name for its person came from (``metadata["person"]["by"]``): the namespace's
# stored name ("stored") follows the person's current name; a name the memory's own conversation gave
# (said, command line, transcript) is the one said at its time and stays.
FOLLOWS = "stored"


def renamed(text: str, name: str, aliases: frozenset[str] = frozenset()) -> str | None:
    """``text`` with the unnamed user ("The user", "the user's") and the person's other names
    (``aliases``) written as ``name``; None when nothing changes. A name stated as a name ("… name
    is Dana Reyes", "… goes by Pri") stays as stated."""
    new = _THE_USER.sub(name, text)
    for alias in sorted(aliases - {name}, key=len, reverse=True):
        if alias and alias not in name.split():
            new = re.sub(rf"(?<![\w'-]){re.escape(alias)}(?=$|[\s'’,.;:!?])",
                         lambda m: m.group(0) if _STATED.search(m.string[:m.start()]) else name, new)
    return new if new != text else None


def one_person(text: str, name: str | None, aliases: frozenset[str] = frozenset()) -> str:
    """``text`` as it reads when the person of the namespace is called ``name`` throughout: what
    statements are compared on, so that "The user …" (read before the name was known) and "Priya …"
    are one subject, whatever order they were read in."""
    if not name:
        return text
    return renamed(text, name, aliases) or text


def person_mark(naming: "Naming") -> dict[str, str]:
    """What a memory records of the name it uses for its person (``metadata["person"]``)."""
    return {"name": naming.name, "by": naming.source}


def marked_name(metadata: dict[str, Any] | None) -> tuple[str | None, bool]:
    """(the name a memory's metadata says it uses, whether that name follows the namespace's)."""
    mark = (metadata or {}).get("person")
    if not isinstance(mark, dict) or not isinstance(mark.get("name"), str):
        return None, False
    return mark["name"], mark.get("by") == FOLLOWS
