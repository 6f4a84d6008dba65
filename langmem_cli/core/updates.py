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
    AFTER_CHANGE,
    BEGINNING_VERBS,
    CHANGE_VERBS,
    CUE_WORDS,
    ENDING,
    ENDING_VERBS,
    FAMILY_OF,
    FROM_TO,
    FROM_VALUE,
    FUNCTION,
    GENERIC,
    HEADS,
    HOME_PLACE,
    LEAD,
    LIGHT,
    OTHER_SENSE,
    OVER_VALUE,
    PEOPLE,
    PHRASES,
    SINCE_STATE,
    SINGLE,
    SUBJECT,
    TAKEN_PLACE,
    head_form,
    verb_of,
)
from langmem_cli.core.english import third_person_verb
from langmem_cli.core.statements import ASKED
from langmem_cli.core.words import MONTHS, NEGATIONS, STOPWORDS, WEEKDAYS, content_words, stem, words

RELATED = 0.55  # cosine from which two statements of one subject are about the same thing
NEAR = 0.4  # cosine from which a move to a new name may replace the name an attribute of one value held
CLOSE = 0.8  # cosine from which a flipped polarity alone is a change (the same predicate negated)
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
FRAME = 2  # words a statement may differ by and still say the same thing of another value
RESTATED = 0.8  # share of the later statement's value words the earlier already holds: a restatement


def _body(text: str) -> str:
    """The statement without a speaker's label ("Caroline: …")."""
    return LEAD.sub("", text.strip(), count=1)


def candidates(text: str) -> list[tuple[str, str | None]]:
    """(name, possessed word) of the people a statement may be about, in text order. A capitalised
    function word before a name is the sentence's start, not part of the name ("Since Malik moved" →
    "malik")."""
    body = _body(text)
    found = []
    for m in SUBJECT.finditer(body):
        name = m.group(1).lower()
        if name != "the user":
            parts = name.split()
            while len(parts) > 1 and parts[0] in STOPWORDS:
                parts.pop(0)
            name = " ".join(parts)
        if name == "the user" or name not in STOPWORDS:
            found.append((name, (m.group(2) or "").lower() or None))
    return found


def _person(text: str, names: frozenset[str]) -> tuple[str, str | None] | None:
    """The person a statement is about: the first known person (``names``) it names: as a subject
    candidate, at the end of a group of capitalised words ("At Quanta Tomas works" → "tomas"), or
    anywhere ("No more espresso for Kofi"); else its first subject candidate."""
    found = candidates(text)
    for name, owned in found:
        if name in names:
            return name, owned
        parts = name.split()
        for k in range(1, len(parts)):
            if " ".join(parts[k:]) in names:
                return " ".join(parts[k:]), owned
    body = _body(text)
    spots = [(m.start(), n, m.group(1)) for n in names if n != "the user"
             for m in [re.search(r"(?<![\w'-])" + re.escape(n) + r"(?:(?:'s|s')\s+(\w+))?(?![\w-])", body, re.I)] if m]
    if spots:
        _, name, owned = min(spots)
        return name, (owned or "").lower() or None
    return found[0] if found else None


def _names_partner(body: str, name: str, owned: str | None) -> bool:
    """Whether a statement says who a person's partner is ("Noah is Dana's boyfriend", "Dana's
    wife is Elif now"): a fact of that person (their partner), not one of the partner."""
    if not owned or FAMILY_OF.get(stem(owned)) != "partner":
        return False
    who = re.escape(name) + r"(?:'s|s')\s+" + re.escape(owned)
    return bool(re.search(r"(?:^|[,;]\s*)[A-Z][\w'-]*(?: [A-Z][\w'-]*)? (?:is|was) (?:now |still )?" + who + r"\b", body, re.I)
                or re.search(who + r" (?:is|was) (?:now |still )?[A-Z]", body, re.I)
                # the partner named beside the word ("Dana's partner Jordan lives with them")
                or re.search("(?i:" + who + r") [A-Z][\w'-]*\b", body))


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
    proper: frozenset[str] = frozenset()  # stemmed capitalised words besides its person (names, places)
    over: frozenset[str] = frozenset()  # of ``named``, those a marker says by itself are over ("quit X", "used to X")
    refused: frozenset[str] = frozenset()  # the value a negation denies ("not Morocco", "isn't vegetarian")
    ending_words: frozenset[str] = frozenset()  # the words its cues of an ending govern (what ended)
    denies: bool = False  # a negation of which the person is the subject ("Dana isn't …", not "the trip wasn't …")
    event: bool = False  # a past action of the person, done and dated by its telling ("Dana won a cup in May")
    unreal: bool = False  # a wish, a hypothesis or a condition ("wish Dana could", "if Dana couldn't", "would love to")
    text: str = ""  # the text it was read from (the person written as the reader knew them)
    things: frozenset[str] = frozenset()  # names as written after a determiner: what one has ("a Volvo", "their Nokia")
    # (stemmed name, kind) of those ``things`` the caller's embedder places among THING_KINDS
    kinds: frozenset[tuple[str, str]] = frozenset()


def read(text: str, names: frozenset[str] = frozenset()) -> Reading:
    """``names``: the people statements are known to be about (``subject_names``); the subject is
    the first of them the statement names, else the first name-like word before a verb."""
    body = _body(text)
    subject = ""
    pick = _person(text, names)
    if pick:
        subject = pick[0] + (f"'s {pick[1]}" if pick[1] in PEOPLE and not _names_partner(body, *pick) else "")
    said = content_words(body)
    # by lemma: a word that only stems like a head ("positive", "position") is none; a word capitalised
    # inside the sentence (or opening a quoted title) is a name, not an attribute ("trying Fly.io", "at Home
    # Depot", "we love "Home Alone"")
    named_inside = {stem(w.lower()) for w in re.findall(r"(?:(?<=[\w,;:] )|(?<=[\w,;:] [\"'\u201c]))[A-Z][\w'-]*", body)}
    heads = {key for t in words(body) for key in (_head_key(t),) if key in HEADS and key not in named_inside
             and head_form(t) and not _other_sense(key, body)} - _compounded(body)
    if HOME_PLACE.search(body):
        heads.add(stem("place"))
    families = frozenset(FAMILY_OF[w] for w in heads)
    # the person's words, plain and possessive ("Ines" and "Ines's" stem differently)
    subject_words = {stem(w) for w in words(subject)} | {stem(w + "'s") for w in words(subject) if not w.endswith("'s")}
    low = body.lower()
    tokens = words(low)
    kept, negative = _unnegated_changes(_without_nouns(tokens, frozenset(subject_words),
                                                       _noun_subjects(body, frozenset(subject_words)),
                                                       _clause_starts(low)))
    told = body if len(kept) == len(tokens) else " ".join(kept)  # a negated change tells no change
    ends = _tells_ending(told) or any(verb_of(w, ENDING_VERBS) and not _resultative(kept, i) for i, w in enumerate(kept))
    cue = (ends or bool(PHRASES.search(told)) or _begins(kept) or _from_to(told)
           or bool(SINCE_STATE.match(body)) or bool(AFTER_CHANGE.search(body)))  # events and times: said of the body
    values = frozenset(w for w in said if w not in heads and w not in subject_words and w not in CHANGE_VERBS
                       and w not in {"now", "instead", "anymore", "longer", "days", "nowaday", "decid", "plan"}
                       and w not in FUNCTION and w not in ENDED)
    named = frozenset(stem(w) for g in FROM_VALUE.findall(told) for w in words(g) if w not in STOPWORDS)
    replaced = frozenset(stem(w) for g in TAKEN_PLACE.findall(told) for w in words(g) if w not in STOPWORDS)
    over = frozenset(stem(w) for g in OVER_VALUE.findall(told) for w in words(g) if w not in STOPWORDS) | replaced
    named |= replaced
    left = _left_from(told)
    named, over = named | left, over | left
    refused = _refused(told, frozenset(subject_words))
    # the words of the clauses that tell the ending: what ended is said there, not in another clause
    ending_words = _ending_scope(body, frozenset(subject_words))
    failed = _failed(body, subject_words)
    if failed:  # "…, the app wasn't working": what did not work out is over
        named, over, ends, cue = named | failed, over | failed, True, True
    cues = frozenset(w for w in said if w in CHANGE_VERBS or w in CUE_WORDS)
    primary = _primary(tokens, subject, heads)
    for pattern, family in ((LOCATED, "home"), (EMPLOYED, "work")):
        # "Dana is in Lyon these days": where they are; "Dana is a nurse at Mercy", "Dana joined
        # Mercy as a nurse": their job
        found_at = pattern.search(body)
        if family == "work" and found_at and any(FAMILY_OF.get(_head_key(w)) not in (None, "work", "tools")
                                                 for w in words(found_at.group(0))):
            continue  # "is a student at Uppsala": the head of another attribute (school), no job
        if subject and found_at and len(body[:found_at.start()].split()) <= 2:
            primary, families = primary | {family}, families | {family}
    coupled = COUPLED.search(body)
    if subject and coupled and subject.split("'")[0] in words(body[:coupled.start()].lower())[-4:]:
        primary, families = primary | {"partner"}, families | {"partner"}  # the person one of the two
    proper = frozenset(stem(w.lower()) for w in re.findall(r"(?<=[\w,;:] )[A-Z][\w'-]*|^[A-Z][\w'-]*", body)
                       if w.lower() not in STOPWORDS and w.lower() not in MONTHS + WEEKDAYS) - subject_words
    return Reading(subject, families, cue, negative, values, frozenset(said), named, frozenset(subject_words), cues,
                   primary, ends, frozenset(heads), proper, over, refused, ending_words,
                   negative and _denies(told, frozenset(subject_words)),
                   (_event(tokens, subject, "plan" in families) and not (primary & SINGLE)) or _got_to(tokens, subject),
                   bool(_UNREAL.search(body)), text, _things(body, frozenset(subject_words)))


_THING = re.compile(r"\b(?:a|an|the|my|our|their|his|her|your|[A-Z][\w-]*'s)((?: [a-z][\w-]*){0,2}) ([A-Z][\w'-]*)")


def _things(body: str, own: frozenset[str]) -> frozenset[str]:
    """The names a statement gives things by, after a determiner and at most two adjectives ("owns a
    Volvo", "their old Nokia", "Dana's Tesla"): a make's name for one of its things, not a firm or a
    place named alone ("works at Tesla")."""
    return frozenset(m.group(2) for m in _THING.finditer(body)
                     if m.group(2).lower() not in STOPWORDS and m.group(2).lower() not in MONTHS + WEEKDAYS
                     and stem(m.group(2).lower()) not in own
                     and all(_adjective(w, own) for w in m.group(1).split()))


_BREAK = r"[,;:]\s+|\s+(?:but|so|and|because|since|as)\s+"  # where one clause ends and the next begins
_CLAUSES = re.compile(_BREAK)
_SPLIT = re.compile(f"({_BREAK})")  # the same, the breaks kept


def _ending_clauses(body: str) -> list[str]:
    """The clauses of ``body``, with two names joined by "and" kept in one, as one subject (the "and"
    left out, so that both are read as what the cue governs): the two who ended something together
    ("Kontora and Dana parted ways", "Noah and Dana split up")."""
    parts = _SPLIT.split(body)
    out: list[str] = []
    glue = False
    for n, part in enumerate(parts):
        if n % 2:  # a separator
            glue = part.strip() == "and" and bool(out) and re.fullmatch(r"[A-Z][\w'-]*", out[-1]) is not None
            continue
        if glue:
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out

# words that end a noun phrase the cue governs: a verb's auxiliaries, pronouns that open a relative
# clause or a new subject, prepositions that attach something else ("dropped off X at Y", "swapped X
# for Y": Y is not what ended)
_PHRASE_END = frozenset("""is are was were be been being am 's 're 'm has have had do does did will would can could
should may might must 'll 've 'd i we you they he she it who which that when where while to for at in on with by
from into about as like than of and or but so because since if though""".split()) - {"that"}
_PARTICLES = frozenset("off up out away down over back".split())
_DETERMINERS = frozenset("the a an my our their his her your this that these those".split())
_COPULA_PRONOUNS = re.compile(r"^(?:it|he|she|that|there|this|what|who|which|i|we|you|they)(?:'s|'re|'m|'ve|'d|'ll)$")
SCOPE = 4  # words a governed phrase (the subject before the cue, the object after it) runs to at most


def _subject_of(tokens: list[str]) -> list[str]:
    """The subject of a cue that follows ``tokens``: the noun phrase right before it (past the
    auxiliaries of a passive, "the plan was scrapped"), back to a verb, a pronoun or the clause's
    start, at most SCOPE words ("the trip to Tokyo fell through", "John's car broke down"). None
    for an infinitive or after a pronoun: in "it's a great way to switch off", "we moved" nothing
    named is the subject."""
    from langmem_cli.core.english import lemmas

    rest = list(tokens)
    while rest and rest[-1] in _AUXILIARIES:
        rest.pop()
    if not rest or rest[-1] == "to" or _COPULA_PRONOUNS.match(rest[-1]) or rest[-1] in _PERSONAL:
        return []
    out: list[str] = [rest[-1]]  # the head, whatever else it may be ("react got replaced")
    for t in reversed(rest[:-1]):
        if _COPULA_PRONOUNS.match(t) or t in _PERSONAL or t in _AUXILIARIES or t in _CONJUNCTIONS:
            break
        kinds = lemmas(t)
        if ("VERB" in kinds or "AUX" in kinds) and not {"NOUN", "ADJ", "PROPN"} & set(kinds):
            break
        out.insert(0, t)
    return out[-SCOPE:]


_AUXILIARIES = frozenset("is are was were be been being am 's 're 'm has have had 've 'd got gets get".split())
_CONJUNCTIONS = frozenset("and or but so because since if though that which who when where while".split())


def _object_of(tokens: list[str], verb: bool = False) -> list[str]:
    """The phrase a cue governs after it: its object, past a verb's particle ("dropped off that
    stuff"), up to a preposition, a pronoun or an auxiliary, at most SCOPE words."""
    out: list[str] = []
    for n, t in enumerate(tokens):
        if n == 0 and verb and (t in _PARTICLES or (t == "in" and tokens[1:2] and tokens[1] in _DETERMINERS)):
            continue  # "dropped off that stuff", "traded in the Volvo" (not "quit in March")
        if t in _PHRASE_END and not (n == 0 and t in ("with", "of", "about")):
            break
        out.append(t)
        if len(out) >= SCOPE:
            break
    return out


_OBJECT_PRONOUNS = frozenset("me us you them him her it".split())


def _resultative(tokens: list[str], at: int) -> bool:
    """Whether the verb at ``at`` puts its object in a state rather than ending anything: "leaving us
    speechless", "it left me happy" (a verb, an object pronoun, an adjective that is nothing else).
    "left them behind", "left it alone" still tell an ending."""
    from langmem_cli.core.english import lemmas

    if at + 2 >= len(tokens) or tokens[at + 1] not in _OBJECT_PRONOUNS:
        return False
    kinds = set(lemmas(tokens[at + 2]))
    return kinds == {"ADJ"}


def _ending_scope(body: str, own: frozenset[str] = frozenset()) -> frozenset[str]:
    """The content words of what a statement tells has ended: for each cue of an ending (an ending
    verb, "is gone", "broke down", "not … anymore", "instead of" …), the phrase it governs in its
    clause: the subject of a predicate ("the bus broke down", "Chess is not for me anymore", "Morocco
    is off"), the object of a verb or a marker ("quit the band", "instead of Tokyo"), and between a
    negation and "anymore" ("isn't here wagging that tail anymore"). The words of the rest of the
    clause are not what ended ("it's a great way to switch off": nothing named ended)."""
    out: set[str] = set()
    for clause in _ending_clauses(body):
        tokens = words(clause)
        spans: list[tuple[int, int]] = []  # token spans of the cues: [start, end)
        for m in ENDING.finditer(clause):
            start = len(words(clause[:m.start()]))
            spans.append((start, start + len(words(m.group(0)))))
        kept = set(_without_nouns(tokens, own))
        verbs = [(i, i + 1) for i, t in enumerate(tokens) if t in kept and verb_of(t, ENDING_VERBS)
                 and not _resultative(tokens, i)]
        for start, end in spans + verbs:
            governed = _subject_of(tokens[:start]) + _object_of(tokens[end:], (start, end) in verbs)
            cue = " ".join(tokens[start:end])
            if cue.startswith("any") or cue == "any more":  # "not for me anymore", "doesn't eat meat any longer"
                before = tokens[:start]
                at = max((i for i, t in enumerate(before) if t in NEGATIONS or t.endswith("n't")), default=None)
                if at is not None:  # what the negated predicate said, and the clause's subject
                    governed += before[at + 1:] + _subject_of(before[:at])
            out |= {stem(w) for w in governed if w not in STOPWORDS and len(w) > 1}
    return frozenset(out)


def _left_from(told: str) -> frozenset[str]:
    """What a verb of beginning says was left: the words after "from" that follows it and its object
    ("Norvex poached Dana from Orbis", "transferred from Imperial", "hired away from Quanta"); a
    light verb ("got a gift from", "took the train from") tells where a thing came from, not a change."""
    from langmem_cli.core.change_words import LIGHT
    from langmem_cli.core.english import lemmas

    out: set[str] = set()
    tokens = words(told)
    for i, verb in enumerate(tokens):
        if not verb_of(verb, BEGINNING_VERBS) or set(lemmas(verb).get("VERB", ())) & LIGHT:
            continue
        for j in range(i + 1, min(len(tokens), i + 4)):
            if tokens[j] == "from":
                out |= {stem(w) for w in _object_of(tokens[j + 1:]) if w not in STOPWORDS}
                break
            if tokens[j] in _PHRASE_END:
                break  # "from" belongs to another phrase ("joined a club in town from …")
    return frozenset(out)


def _failed(body: str, person: set[str]) -> frozenset[str]:
    """The subject of a clause, not about the person, that says in the past that it did not work
    out ("an app wasn't working", "the bus didn't come") or that it became something else ("Kyoto
    got too expensive", "chess got boring"): a reason given for leaving it."""
    from langmem_cli.core.english import lemmas

    out: set[str] = set()
    for clause in _CLAUSES.split(body):
        tokens = words(clause)
        at = next((i for i, t in enumerate(tokens) if t in ("wasn't", "weren't", "didn't")
                   and (t == "didn't" or _verb_after(tokens[i + 1:]))), None)
        if at is None:  # "Kyoto got too expensive", "guitar got boring": it became something it was not
            at = next((i for i, t in enumerate(tokens[:-1]) if t in BECAME and any(
                "ADJ" in lemmas(w) and "NOUN" not in lemmas(w) for w in tokens[i + 1:i + 3])), None)
        if not at or at > 3 or {stem(t) for t in tokens} & person or \
                set(tokens) & {"they", "their", "them", "i", "we", "my", "our", "it", "this", "that"}:
            continue
        out |= {stem(t) for t in tokens[:at] if t not in STOPWORDS and stem(t) not in FUNCTION}
    return frozenset(out)


def _verb_after(tokens: list[str]) -> bool:
    """Whether a "wasn't"/"weren't" says a thing did not work out ("wasn't working", "weren't
    helping": a verb follows) rather than rating it ("wasn't great", "wasn't easy": an adjective)."""
    from langmem_cli.core.english import lemmas

    kinds = lemmas(tokens[0]) if tokens else {}
    return "VERB" in kinds and "ADJ" not in kinds


BECAME = frozenset("got became grew".split())  # a past change of state of a thing ("got too expensive")


_NOT = re.compile(r"(?:\bnot|n't)\s+(?:(?:at|in|with|for|on|to|a|an|the|my|their|our|his|her|any)\s+)?([\w'-]+)", re.I)


def _refused(text: str, person: frozenset[str] = frozenset()) -> frozenset[str]:
    """The value right after a negation, when it is one (a name, a noun or an adjective; not a verb
    or an adverb: "can't wait", "isn't always easy" deny no value) and it is denied of the person:
    the negation's subject is the person ("Dana isn't vegetarian", "they're not …") or there is none
    ("Seoul, not Tokyo"); "the job, which wasn't great", "the studio isn't a business" deny nothing
    of them. An adjective that opens a clause of its own ("not sure what to do", "not sure they …")
    states a doubt, not a value."""
    from langmem_cli.core.english import lemmas

    out = set()
    for m in _NOT.finditer(text):
        word = m.group(1)
        found = lemmas(word)
        if word.lower() in STOPWORDS or "VERB" in found or set(found) == {"ADV"}:
            continue
        if not _of_person(text[:m.start()], person):
            continue  # denied of something else
        after = words(text[m.end():])[:1]
        if after and after[0] in _CLAUSE_OPENERS:
            continue
        out.add(stem(word.lower()))
    return frozenset(out)


def _of_person(before: str, person: frozenset[str]) -> bool:
    """Whether a negation that follows ``before`` has the person as its subject ("Dana isn't",
    "they don't") or none in its clause ("…, not Tokyo")."""
    tokens = words(_CLAUSES.split(before)[-1])
    while tokens and (tokens[-1] in _AUXILIARIES or tokens[-1] in _NEGATED_AUX):
        tokens.pop()  # "is not", "does(n't)", "ca(n't)": the subject is before the auxiliary
    return not tokens or tokens[-1] in person or stem(tokens[-1]) in person or tokens[-1] in ("they", "i", "we")


def _denies(text: str, person: frozenset[str]) -> bool:
    """Whether the statement denies something of the person: a negation whose subject is the person
    (``_of_person``), not a doubt ("not sure what to do": an adjective that opens a clause) nor what is
    still to come ("hasn't read them yet")."""
    from langmem_cli.core.english import lemmas

    for m in re.finditer(r"\b(?:not|never|no)\b|n't\b", text, re.I):
        after = words(text[m.end():])[:2]
        if len(after) == 2 and "ADJ" in lemmas(after[0]) and after[1] in _CLAUSE_OPENERS:
            continue
        if "yet" in words(_CLAUSES.split(text[m.end():], maxsplit=1)[0])[:5]:
            continue  # "hasn't read them yet": still to come, nothing denied
        if _of_person(text[:m.start()], person):
            return True
    return False


_NEGATED_AUX = frozenset("do does did ca wo will would could should can".split())
_CLAUSE_OPENERS = frozenset("that what if whether how why to they i we he she it you".split())


def _other_sense(head: str, body: str) -> bool:
    """A head word used in a sense that states no attribute: "work with a tutor", "work on a film"
    (an activity, not a job)."""
    if head == stem("partner"):
        from langmem_cli.core.english import lemmas

        before = [m.group(1).lower() for m in _PARTNER.finditer(body)]
        # "a language exchange partner", "a tennis partner": someone one does a thing with (a noun
        # before "partner"), not one's partner ("my partner", "a new partner")
        return bool(before) and all("NOUN" in lemmas(w) and "ADJ" not in lemmas(w) for w in before)
    return any(stem(w) == head for found in OTHER_SENSE.findall(body) for w in found if w)


_PARTNER = re.compile(r"([\w']+) partners?\b", re.I)


def _compounded(body: str) -> frozenset[str]:
    """Heads used only as the second part of a hyphenated word, where they name something else
    ("emotionally-driven films"); "drives to work" keeps its head."""
    inside: set[str] = set()
    alone: set[str] = set()
    for token in re.findall(r"[\w']+(?:-[\w']+)*", body.lower()):
        for n, part in enumerate(token.split("-")):
            key = _head_key(part)
            if key in HEADS:
                (inside if n else alone).add(key)
    return frozenset(inside - alone)


# the person is somewhere: a form of "be", then "in" and a place's name ("Dana is in Lyon now")
LOCATED = re.compile(r"\b(?:is|are|am|'s|'re|'m) (?:now |currently |still )?(?:living |staying )?in (?:[A-Z][\w'-]+)(?=[\s,.;!]|$)")
# two people who are a couple: "Noah and Dana have been together since college", "we're back together"
# (not "together on this", "together with …")
COUPLED = re.compile(r"\b(?:are|is|'re|been|was|were|got|get|getting) (?:back |still |now )?together\b(?! (?:on|with|for|to|in|at)\b)")
# the person is something at an organisation: "is a nurse at Mercy", "is an engineer with Arup"
EMPLOYED = re.compile(r"\b(?:is|are|am|'s|'re|'m) (?:now |still )?(?:a|an) (?:[\w-]+ ){1,3}(?:at|for|with) (?:[A-Z][\w'-]+)"
                      r"|\bjoined (?:[A-Z][\w'-]* ){1,2}as (?:a|an) ")  # "joined Quanta as a nurse"
DETERMINERS = frozenset("a an the this that these those my your his her our their its some any no every each another next".split())


OTHERS = frozenset("you it he she which that who".split())  # subjects of a verb that are not the person


_EXCHANGE = frozenset("swap exchange trade".split())
_REPLACING = frozenset("for to in out into instead".split())


def _reciprocal(tokens: list[str], at: int) -> bool:
    """Whether the verb at ``at`` is an exchange between people: a verb of exchanging ("swap",
    "exchange", "trade") whose object is a plural noun, with nothing it is exchanged for ("swap ideas",
    "exchanged stories"; not "swapped espresso for matcha", "traded the car in")."""
    from langmem_cli.core.english import lemmas

    if not set(lemmas(tokens[at]).get("VERB", ())) & _EXCHANGE:
        return False
    rest = tokens[at + 1:]
    noun = next((t for t in rest if t not in STOPWORDS), "")
    plural = noun.endswith("s") and lemmas(noun).get("NOUN", (noun,))[0] != noun  # "ideas", not "bus"
    return plural and not set(rest) & _REPLACING


_PERSONAL = frozenset("i we you they he she it who".split())


def _adjective(word: str, own: frozenset[str]) -> bool:
    """Whether the word is an adjective (and no adverb: "finally moves", "just moves" leave a verb)."""
    from langmem_cli.core.english import lemmas

    if word in _PERSONAL or word in PEOPLE or stem(word) in own or word.endswith("'s"):
        return False
    kinds = lemmas(word)
    return "ADJ" in kinds and "ADV" not in kinds and "AUX" not in kinds and "VERB" not in kinds


def _clause_starts(text: str) -> frozenset[int]:
    """The indexes (in ``words(text)``) of the words that open a clause after a comma, semicolon,
    colon or dash: what stands before them belongs to another clause."""
    out, count = set(), 0
    for n, part in enumerate(re.split(r"\s*[,;:–—]\s+|\s+-\s+", text)):
        if n:
            out.add(count)
        count += len(words(part))
    return frozenset(out)


# verbs followed by a verb in -ing that they govern ("started moving", "keeps changing"): not its subject
_CATENATIVE = frozenset("start begin stop keep quit try consider finish avoid enjoy love like hate miss risk plan "
                        "think talk dream go".split())


def _noun_subject(word: str, own: frozenset[str]) -> bool:
    """Whether ``word``, right before a verb in -ing, is a noun that is its subject ("time changing our
    lives"): a noun (no adjective, no auxiliary), not the person, a function word, a possessive nor
    a verb that governs the -ing form ("started moving")."""
    from langmem_cli.core.english import lemmas

    kinds = lemmas(word)
    if word in STOPWORDS or word.endswith("'s") or stem(word) in own or "NOUN" not in kinds or "ADJ" in kinds:
        return False
    return not set(kinds.get("VERB", ())) & _CATENATIVE


def _noun_subjects(body: str, own: frozenset[str]) -> dict[str, set[str]]:
    """Verbs in -ing right after a lower-case noun that is their subject, in the text as written (no
    comma between: in "Lumen Health, leaving Quanta behind" the person leaves): -ing form -> nouns."""
    out: dict[str, set[str]] = {}
    for m in re.finditer(r"\b([a-z][a-z']*) ([a-z]+ing)\b", body):
        if _noun_subject(m.group(1), own):
            out.setdefault(m.group(2), set()).add(m.group(1))
    return out


def _without_nouns(tokens: list[str], own: frozenset[str] = frozenset(),
                   idle: dict[str, set[str]] | None = None, starts: frozenset[int] = frozenset()) -> list[str]:
    """The tokens without the words of change used as nouns: after a determiner or a possessive, with
    at most one adjective, or one noun of a compound, between ("their next move", "an amazing change",
    "Dana's switch", "Jon's dance moves"). Only the words of its own clause stand before a verb ("we
    finally did it, moved out": "it" is the object of another verb, not the subject of "moved")."""
    from langmem_cli.core.english import lemmas

    idle = idle or {}
    out = []
    for i, t in enumerate(tokens):
        if verb_of(t, CHANGE_VERBS):
            opened = max((j for j in starts if j <= i), default=0)
            before = tokens[max(0, i - 2, opened):i]
            if before and before[-1] in OTHERS:
                continue  # "lets you move", "the team that left": someone or something else changes
            if tokens[i + 1:i + 2] in (["ahead"], ["forward"], ["along"]):
                continue  # "moving ahead", "move forward": going on, no change of anything
            if _reciprocal(tokens, i):
                continue  # "swap ideas", "exchanged stories": things given and taken between people, nothing replaced
            if _gerund_subject(tokens[opened:i], own):
                continue  # "Incorporating strength training changed the game for John": a doing changes it
            if before and t in idle and before[-1] in idle[t]:
                continue  # "shows time changing our lives": the noun before the participle changes
            if before and (before[-1] in DETERMINERS or before[-1].endswith("'s") or
                           (len(before) == 2 and (before[0] in DETERMINERS or before[0].endswith("'s"))
                            and ("ADJ" in lemmas(before[1])
                                 or ("NOUN" in lemmas(before[1]) and "NOUN" in lemmas(t) and before[1] not in STOPWORDS
                                     and tokens[i + 1:i + 2] not in (["to"], ["from"], ["into"], ["out"], ["away"], ["back"]))))):
                continue  # "their next move", "Jon's dance moves" (a noun in a compound), not "Dana's family moved"
            if before and t.endswith("s") and _adjective(before[-1], own):
                continue  # "positive changes", "big moves": a noun after its adjective
        out.append(t)
    return out


_PERSONAL = frozenset("i i'm i've we we're we've he she they you".split())


def _gerund_subject(clause: list[str], own: frozenset[str]) -> bool:
    """Whether the words of a clause before its verb are a gerund phrase: a verb in -ing opening the
    clause, a word after it, and no person among them ("Incorporating strength training changed
    …", "Reading those books helped …"). What it does is the subject of the verb, not the person."""
    from langmem_cli.core.english import lemmas

    return (len(clause) >= 2 and clause[0].endswith("ing") and "VERB" in lemmas(clause[0])
            and not any(t in _PERSONAL or stem(t) in own for t in clause))


ENDED = frozenset("gone over ended finished".split())  # "hasn't gone away", "isn't over": nothing ended


_PERSISTS = re.compile(r"(?:gave|give|given|giving|done)\b", re.I)


def _cue_with(text: str, families: frozenset[str]) -> bool:
    """Whether one clause of ``text`` holds both a cue of change and a head of one of ``families``
    (or a phrase that states one: "is in Lyon", "is a nurse at Mercy")."""
    for clause in _CLAUSES.split(_body(text)):
        tokens = words(clause.lower())
        kept, _ = _unnegated_changes(_without_nouns(tokens))
        told = " ".join(kept)
        cue = (_tells_ending(told) or any(verb_of(w, CHANGE_VERBS) for w in kept) or bool(PHRASES.search(clause))
               or _begins(kept) or _from_to(told) or bool(AFTER_CHANGE.search(clause)))
        heads = {FAMILY_OF[key] for t in tokens for key in (_head_key(t),) if key in HEADS and head_form(t)}
        placed = ({"home"} if LOCATED.search(clause) else set()) | ({"work"} if EMPLOYED.search(clause) else set())
        if cue and (heads | placed) & families:
            return True
    return False


def _tells_ending(told: str) -> bool:
    """Whether an ending phrase is told: a negated giving up ("won't give up", "never gave up", "not
    done with it") says something goes on, not that it is over."""
    for found in ENDING.finditer(told):
        before = words(told[:found.start()].lower())[-2:]
        if _PERSISTS.match(found.group(0)) and any(t in NEGATIONS or t.endswith("n't") for t in before):
            continue
        return True
    return False


def _unnegated_changes(tokens: list[str]) -> tuple[list[str], bool]:
    """The tokens without the verbs of change a negation governs and that negation ("nothing
    changed", "haven't moved", "never left": no change is told), and whether the statement is
    negative once those are set aside."""
    dropped: set[int] = set()
    for i, t in enumerate(tokens):
        if verb_of(t, CHANGE_VERBS) or t in ENDED:
            near = [j for j in range(max(0, i - 2), i) if tokens[j] in NEGATIONS or tokens[j].endswith("n't")]
            if near:
                dropped.update(near + [i])
    kept = [t for i, t in enumerate(tokens) if i not in dropped]
    return kept, any(t in NEGATIONS or t.endswith("n't") for t in kept)


# what a light verb of change is followed by when it tells an action, not a change ("went to the
# park", "took their dog out"; "went vegan", "took up golf", "went back to …" are changes)
_ACTION_OBJECT = frozenset("to on for with into a an the their his her my our your some this that these those".split())


# verbs that arrange what is still to come: in the past they tell a plan that holds ("booked flights
# to Rome"), not a trip done ("went to a castle during their trip", "snapped a pic on their trip")
ARRANGING = frozenset("plan book reserve buy get arrange schedule decide choose pick settle agree organize organise".split())


def _after_person(tokens: list[str], subject: str) -> int | None:
    """The index of the word right after the first mention of the statement's person (its name, or
    its possessive), None when the tokens do not name them."""
    first = subject.split("'")[0].split()
    if not first:
        return None
    plain = [t[:-2] if t.endswith("'s") else t for t in tokens]
    return next((i + len(first) for i in range(len(plain)) if plain[i:i + len(first)] == first), None)


def _event(tokens: list[str], subject: str, plans: bool = False) -> bool:
    """Whether the statement tells a past action of its person: the verb right after the person
    (past adverbs such as "also", "just") in the simple past, not a form of be/have/do, and no verb
    of change ("Caroline went to a support group", "Nate won the tournament", "Jo baked a cake").
    Such an action stays true once done: no later statement ends it. A change told in the past
    ("moved to Lisbon", "quit the band", "went vegan", "got a job at …") states the state it began."""
    from langmem_cli.core.english import lemmas

    at = _after_person(tokens, subject)
    if at is None or at >= len(tokens) or tokens[at - 1].endswith("'s"):
        return False
    while at < len(tokens) - 1 and set(lemmas(tokens[at])) == {"ADV"}:
        at += 1
    verb = tokens[at]
    found = lemmas(verb).get("VERB", ())
    if not found or verb in found or verb.endswith("ing") or any(verb == third_person_verb(f) for f in found):
        return False  # not a verb, or a present form ("studies", "goes")
    if set(found) & {"be", "have", "do", "will", "can", "may", "must", "shall"} or "AUX" in lemmas(verb):
        return False
    if plans and set(found) & ARRANGING:
        return False  # a plan arranged ("booked tickets to Rome"): it holds until changed
    nxt = tokens[at + 1] if at + 1 < len(tokens) else ""
    if verb_of(verb, CHANGE_VERBS):
        return bool(set(found) & LIGHT) and nxt in _ACTION_OBJECT
    return True


def _got_to(tokens: list[str], subject: str) -> bool:
    """Whether the person "got to" do something: an action they had the chance to do, done ("John got
    to volunteer at a career fair"), whatever it is about; not "got to Lisbon" (arrived), nor "got a
    job"."""
    from langmem_cli.core.english import lemmas

    at = _after_person(tokens, subject)
    if at is None or at + 2 >= len(tokens) or tokens[at] != "got" or tokens[at + 1] != "to":
        return False
    verb = tokens[at + 2]
    return verb in lemmas(verb).get("VERB", ())  # a verb in its base form


def _begins(tokens: list[str]) -> bool:
    """Whether a verb of beginning tells a new state, not an action done: going somewhere ("went to a
    castle", "went on a road trip", "went for a walk"), taking something somewhere ("took their
    turtles to the beach", "took the dog out"). "Went vegan", "went with Django", "took up golf",
    "took the offer", "became a nurse" are changes."""
    from langmem_cli.core.english import lemmas

    for i, t in enumerate(tokens):
        if not verb_of(t, BEGINNING_VERBS):
            continue
        if "when" in tokens[max(0, i - 3):i]:
            continue  # "when they took French in high school": the time of something else, no new state
        kinds = set(lemmas(t).get("VERB", ()))
        nxt = tokens[i + 1:i + 2]
        if "go" in kinds and nxt and nxt[0] in _ACTION_OBJECT - {"with"}:
            continue
        if "take" in kinds and nxt and (nxt[0] in _DETERMINERS or nxt[0].endswith("'s")) and \
                set(tokens[i + 2:i + 2 + SCOPE]) & {"to", "out", "along"}:
            continue
        return True
    return False


# a mood that asserts nothing: a wish, a hypothesis, a condition, a hope ("would love to", "wish I
# could", "if I couldn't", "hoping to")
_UNREAL = re.compile(r"\b(?:would|could|might|wish|wished|if|hoping|hopefully|hope)\b", re.I)


GROUP_WORDS = frozenset("we we're we've our".split())
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
            before = _head_key(tokens[i - 2]) if i >= 2 and plain[i - 1] == "for" else None
            # "Home for Dana is Lyon": the attribute word before "for Dana", stated by "is" (in
            # "being vegan didn't work for Dana, …" nothing is said of Dana's work)
            if before in heads and tokens[start:start + 1] in (["is"], ["was"], ["are"], ["were"]):
                found.add(FAMILY_OF[before])
            if tokens[start:start + 1] == ["says"] and tokens[start + 1:start + 2] and tokens[start + 1] in GROUP_WORDS:
                start += 2  # "Dana says we bought a house": the group's predicate is Dana's too
        elif plain[i] in ("they", "their", "they're", "they've", "them"):
            who = [k for k in range(max(0, i - 2), i) if plain[k] == "who"]
            if who and plain[max(0, who[-1] - 1):who[-1]] != first[-1:]:
                # "folks who lost their jobs": the pronoun of a relative clause is its antecedent's
                # (not in "Dana, who lost their job")
                continue
            start = i + 1
        else:
            continue
        # "Dana's city is …" states the possessed word of Dana; in "the user's project 4 is called X"
        # what follows is said of the project, not of the person
        possessive = tokens[start - 1].endswith("'s") if start > 0 else False
        window = tokens[start:start + PREDICATE]
        if possessive:  # the possessed noun, past its adjectives ("Dana's new car")
            lead = 0
            while lead < min(2, len(window) - 1) and _adjective(window[lead], frozenset()):
                lead += 1
            window = window[lead:lead + 1]
        for w in window:
            key = _head_key(w)
            if key in heads:
                found.add(FAMILY_OF[key])
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


def _head_key(token: str) -> str:
    """The head a token is a form of: its stem, or its lemma's ("studies" stems to "stud", its
    lemma "study" to a head)."""
    from langmem_cli.core.english import lemmas

    key = stem(token)
    if key in HEADS:
        return key
    return next((stem(lemma) for forms in lemmas(token).values() for lemma in forms if stem(lemma) in HEADS), key)


def _from_to(told: str) -> bool:
    """ "<verb> from X to Y" where X is a value (no time, number or function word: "from time to
    time", "from 9 to 5" tell no change) and a verb goes from one to the other ("promoted from
    clerk to auditor"; "all kinds of dances, from tango to salsa" is a range)."""
    from langmem_cli.core.english import lemmas

    return any("VERB" in lemmas(verb) and
               all(w not in STOPWORDS and stem(w) not in FUNCTION and not w.isdigit() for w in words(found))
               for verb, found in FROM_TO.findall(told))


_TOKEN = re.compile(r"[\w'.-]*\w")


def _tokens(text: str) -> list[str]:
    """The statement's words as written (capitals kept, "Fly.io" one word), without its speaker's label."""
    return _TOKEN.findall(_body(text).translate(str.maketrans("\u2019", "'")))

# what may stand between an attribute's head and its value: prepositions, determiners, a copula, "now"
# (and one noun the value is said of: "booked a cabin in Lapland")
_SLOT_GAP = frozenset("""to in at for from of on into with is are was were be 's 're now the a an our my their his
her its this that these those""".split())
SLOT = 3  # words at most between a head and the value it governs (one more with a noun)


def _slot_names(text: str, reading: Reading, families: frozenset[str]) -> frozenset[str]:
    """The names a statement gives as the value of an attribute of ``families``: the capitalised
    words right after one of its head words, past at most SLOT prepositions, determiners, a copula,
    "now" and one noun ("trip to Tokyo", "destination is now Seoul", "booked a cabin in Lapland").
    A name elsewhere is not that value ("a castle during their trip to the UK" gives "UK" only;
    "had planned to keep MySQL": a verb stands between)."""
    from langmem_cli.core.english import lemmas

    tokens = _tokens(text)
    out: set[str] = set()
    for i, token in enumerate(tokens):
        key = _head_key(token.lower())
        if key not in reading.heads or FAMILY_OF[key] not in families:
            continue
        at, noun = i + 1, False
        while at < len(tokens) and at - i <= SLOT + 1:
            low = tokens[at].lower()
            if low not in _SLOT_GAP:
                if noun or tokens[at][:1].isupper() or set(lemmas(low)) - {"NOUN"} or not lemmas(low):
                    break
                noun = True  # one noun the value is said of ("booked a cabin in Lapland")
            at += 1
        while at < len(tokens) and tokens[at][:1].isupper():
            out.add(stem(tokens[at].lower()))
            at += 1
    return frozenset(out) - reading.own


# what a person is: "Dana is a nurse", "works as a nurse", "Dana's title is nurse", "moved up to
# editor" (all but the first, and "a nurse at …", say it of their work)
_TITLE = re.compile(r"\b(is|am|are|'s|'m|'re|works as|working as|title is|role is|moved up to|got promoted to|was promoted to|"
                    r"promoted to) (?:now |currently )?(?:a |an )?"
                    r"([a-z][\w-]*)(?=\s*(?:$|[.,;!]|now\b|these days\b|(at|for|with) ))")


def _title(text: str, reading: Reading) -> tuple[str, bool, bool]:
    """The noun a statement says its person is, stemmed, whether it is said of their work ("Dana
    works as a nurse", "Dana is a nurse at Mercy") and whether it is told as a new rank ("moved up
    to editor"); ("", False, False) when it says none. The
    person must be the subject, right before the verb ("Dana is a …", "Dana's title is …")."""
    from langmem_cli.core.english import lemmas

    person = reading.subject.split("'")[0]
    if not person or "'" in reading.subject:
        return "", False, False
    body = _body(text)
    for m in _TITLE.finditer(body):
        before = words(body[:m.start()])[-1:]
        verb = m.group(1).lower()
        # the person, or "they": the extractor names the person once and then says "they" ("Dana got
        # promoted, they are architect now")
        if not before or before[0].replace("'s", "") not in (person.split()[-1], "they"):
            continue
        if before[0] == "they" and not re.match(r"\s*" + re.escape(person.split()[0]), body[:m.start()], re.I):
            continue  # "they" is the person only when the statement opens with them
        kinds = lemmas(m.group(2))
        promoted = verb.endswith(" to")  # "moved up to editor", "got promoted to editor": a new rank told
        if "NOUN" not in kinds or "ADJ" in kinds or m.group(2) in PEOPLE or \
                (FAMILY_OF.get(_head_key(m.group(2)), "work") not in ("work", "tools") and not promoted):
            # not a noun, a person's relation, or the head of another attribute of a person ("a vegan");
            # a tool's word said to be what the person is names their work ("is an editor")
            continue
        return stem(m.group(2)), verb not in ("is", "am", "are", "'s", "'m", "'re") or bool(m.group(3)), promoted
    return "", False, False


def _target(text: str, subject: str) -> tuple[str, bool, bool] | None:
    """What a verb of change says the person went over to: the word after "to" that follows the verb
    within a few words ("switched to matcha", "transferred to Sorbonne", "upgraded to a Kia",
    "migrated the whole team to Obsidian"), stemmed, and whether it is a name; None when there is
    none, or it is no noun or name ("switched to using …", "moved to the city centre": an adjective
    or a verb stands first)."""
    from langmem_cli.core.english import lemmas

    tokens = _tokens(text)
    person = set(words(subject.split("'")[0])) | {"they", "we", "i"}
    for i, token in enumerate(tokens):
        low = token.lower()
        if not verb_of(low, CHANGE_VERBS):
            continue
        before = [t.lower().split("'")[0] for t in tokens[max(0, i - 3):i]]  # "we've switched"
        if not before or before[-1] not in person and not (len(before) > 1 and before[-2] in person
                                                              and set(lemmas(before[-1])) <= {"ADV"}):
            continue  # its subject is the person, right before it or past one adverb ("Dana finally switched";
            # not "the art took Melanie to that moment")
        for j in range(i + 1, min(len(tokens), i + 1 + SCOPE)):
            if tokens[j].lower() != "to":
                continue
            at = j + 1
            while at < len(tokens) and tokens[at].lower() in _DETERMINERS:
                at += 1
            if at >= len(tokens):
                return None
            word, article = tokens[at], tokens[at - 1].lower() in ("a", "an")
            kinds = set(lemmas(word.lower()))
            if word[:1].isupper() and word.lower() not in STOPWORDS:
                return stem(word.lower()), True, article
            if kinds == {"NOUN"} or not kinds:  # a noun, or a word no lexicon knows ("matcha")
                return stem(word.lower()), False, article
            return None
    return None


def _possessed(text: str, subject: str) -> frozenset[str]:
    """The thing of its person's a statement gives a name ("Dana's band these days is Marigold",
    "their new gym is Gravity"): the noun after "Dana's" or "their" (past at most two adjectives),
    then a form of "be" and a name; stemmed, empty when it names none."""
    from langmem_cli.core.english import lemmas

    person = subject.split("'")[0].split()
    if not person:
        return frozenset()
    tokens = _tokens(text)
    low = [t.lower() for t in tokens]
    for i, t in enumerate(low):
        if t not in (person[-1] + "'s", "their"):
            continue
        at = i + 1
        while at < min(len(low) - 1, i + 3) and _adjective(low[at], frozenset()):
            at += 1
        if at >= len(low) or "NOUN" not in lemmas(low[at]) or low[at] in STOPWORDS:
            continue
        noun, rest = low[at], at + 1
        while rest < len(low) and low[rest] in ("now", "currently", "these", "days", "nowadays"):
            rest += 1
        if rest < len(low) and low[rest] in ("is", "are"):
            rest += 1 + (rest + 1 < len(low) and low[rest + 1] == "now")
            if rest < len(tokens) and tokens[rest][:1].isupper():
                return frozenset({stem(noun)})
    return frozenset()


def _thing(word: str) -> bool:
    """Whether a (stemmed) word may name a thing: a noun, or a word no lexicon knows (a name)."""
    from langmem_cli.core.english import lemmas

    kinds = lemmas(word)
    return not kinds or "NOUN" in kinds or "PROPN" in kinds


def _apart(text: str, one: frozenset[str], other: frozenset[str]) -> bool:
    """Whether some clause of ``text`` names a word of ``one`` and none of ``other``, and another
    clause the reverse: two states set side by side ("Kontora and Dana parted ways, they start at
    Brightline"), not one thing said with its name ("joined a new LGBTQ group last Tues")."""
    if not one or not other:
        return False
    found = [{stem(w) for w in words(clause)} for clause in _CLAUSES.split(_body(text))]
    return any(s & one and not s & other for s in found) and any(s & other and not s & one for s in found)


def relation(older: str, newer: str, cosine: float, same_moment: bool = False,
             readings: tuple[Reading | None, Reading | None] | None = None,
             frequent: frozenset[str] = frozenset()) -> str | None:
    """How ``newer`` (said later, or at the same moment) stands to ``older``: SAME, CHANGES,
    CONFLICT or None (unrelated, or both can hold). ``frequent``: stemmed words many of the
    namespace's statements use (they tell nothing about which fact a change is about)."""
    if ASKED.match(older) or ASKED.match(newer):
        return SAME if older == newer else None  # an answer read with its question: no statement of the person's to change
    given_a, given_b = readings or (None, None)
    a = given_a if given_a is not None else read(older)
    b = given_b if given_b is not None else read(newer)
    # the texts as read: a memory stored as "The user …" is compared as its reading names the person,
    # whichever was read first (the result is the same in any reading order)
    older, newer = a.text or older, b.text or newer
    if not same_subject(a, b):
        return None
    overlap = len(a.words & b.words) / max(1, len(a.words | b.words))
    names_old = bool(b.named & (a.words - a.own)) or bool(a.named & (b.words - b.own) and same_moment)
    flipped = a.negative != b.negative
    said_a, said_b = a.words - a.own, b.words - b.own
    # a number the earlier statement does not hold is a new value ("project 4" is not "project 0")
    new_number = bool(set(_NUMBER.findall(newer)) - set(_NUMBER.findall(older)))
    # what the later statement says is over and the earlier one states as holding ("I'm done with
    # VS Code …" after "building it with VS Code"): not a restatement, however many words they share
    ended = bool(((b.named if b.ends else b.over) & said_a) - a.named - GENERIC - FUNCTION - frequent)
    if not flipped and not new_number and not ended and (len(said_b & said_a) >= RESTATED * max(1, len(said_b)) or
                        (not b.cue and len(b.values & a.values) >= RESTATED * max(1, len(b.values)))):
        return SAME  # nothing the earlier statement did not say (a change told again is the same change)
    if a.event:
        return None  # a past action stays done: a later statement tells another one, or a state after it
    if b.unreal:
        return None  # a wish, a hypothesis, a condition: nothing of the person's facts is said to hold
    # A change is told by its structure:
    # - it names what the earlier statement said, right after "from", "instead of", "no longer",
    #   "quit", "not" … ("ditched Trello", "not Morocco");
    # - an ending cue and a specific word in common: neither an attribute head, nor a cue, nor frequent
    #   in the namespace ("swapped espresso for matcha", "Chess is not for me anymore");
    # - any cue, and both mainly state the same one-value attribute ("moved to Lisbon" / "lives in
    #   Berlin", "went vegan" / "eats meat");
    # - the same predicate negated ("is not vegetarian anymore" / "is vegetarian");
    # - a new value for a one-value attribute both state of the person: the same head with other
    #   words ("lives in Lisbon" / "lives in Berlin"), or other names on both sides ("Dana's address
    #   is in Lyon" / "Dana's flat in Oslo is small").
    # words in common besides the person, that may be a value (not a function word, a time or a bare number)
    common = {w for w in said_a & said_b if w not in FUNCTION and not w.isdigit()}
    # what b says is over: anything its markers name when it tells an ending; else what a marker
    # says is over by itself, or the value a negation denies; never what a already said was over
    told_over = b.named if b.ends else b.over | (b.refused if b.negative else frozenset())
    names = names_old and bool((told_over & said_a) - a.named - GENERIC - FUNCTION - frequent)
    one_kind = bool(a.primary & b.primary & SINGLE)  # both state it of the person
    # an ending and a specific word in common, said in the clause that tells the ending ("since they
    # moved from their home country" does not end the friends of the main clause)
    ended_specific = bool(common & b.ending_words - a.cues - b.cues - GENERIC - frequent)
    # (the cue said of the attribute: in one clause with it, "Tim joined a travel club and is working on
    # studies" begins no new studies; or the end of something named, "so Orbis is behind me")
    said_of = _cue_with(newer, a.primary & b.primary & SINGLE) or (b.ends and bool(b.ending_words & b.proper))
    cue = names or (b.ends and ended_specific) or (b.cue and one_kind and said_of) or (b.ends and cosine >= CLOSE and bool(common))
    flip = a.denies != b.denies and (overlap >= 0.4 or (one_kind and bool(a.values & b.values)))
    # the same attribute said (a word of it in common) and a new value of the same type on each side:
    # a word of the attribute the other lacks ("bus" /
    # "bike", "eats meat" / "vegetarian"), or other names ("Berlin" / "Lisbon"); two statements
    # that only share the attribute's word ("hard work" / "working together") name no value of it
    kind = a.primary & b.primary & SINGLE
    heads_a = {h for h in a.heads - b.heads - GENERIC if FAMILY_OF[h] in kind}  # a value, not the attribute's name
    heads_b = {h for h in b.heads - a.heads - GENERIC if FAMILY_OF[h] in kind}
    # or a new one where the later statement negates what both said ("hasn't taken the car to work
    # …, they use the train")
    one_value = one_kind and ((bool(a.heads & b.heads) and bool(heads_b) and (bool(heads_a) or (b.denies and not a.negative)))
                              or (bool(b.proper - a.proper) and bool(a.proper - b.proper)))
    # - the same frame with another value, and a cue of a new state ("has espresso with breakfast" /
    #   "has matcha with breakfast now"): all they say alike but one or two words on each side (an
    #   ending is told by the rules above, in its own clause).
    other_a = {w for w in said_a - said_b - a.cues if w not in FUNCTION and not w.isdigit()}
    other_b = {w for w in said_b - said_a - b.cues if w not in FUNCTION and not w.isdigit()}
    # the frame they share holds a thing (a noun or a name), not only a quality ("new skills" / "big new
    # things" share no frame)
    anchor = common - a.cues - b.cues - GENERIC - frequent
    frame = (b.cue and not b.ends and cosine >= RELATED and any(_thing(w) for w in anchor)
             and 1 <= len(other_a) <= FRAME and 1 <= len(other_b) <= FRAME)
    # - another name in the place of the earlier one, told with a cue of change: the earlier name
    #   beside the new one in statements the embedder relates ("Kontora and Dana parted ways, they
    #   start at Brightline", "Brightline pays better than Kontora"), or the same attribute stated of
    #   the person with a new name, whether it holds one value or many ("Dana's destination is now
    #   Seoul" / "Dana's summer trip is to Tokyo")
    new_names = b.proper - a.proper - frequent
    kept_names = (a.proper & b.proper) - frequent - GENERIC - FUNCTION
    #   A change replaces the value it fills the place of: without the embedder relating them, the
    #   names must be the attribute's value on both sides ("trip to Tokyo" / "destination is now
    #   Seoul"), not any name the statements mention ("a castle during their trip to the UK" does not
    #   replace "a book by Patrick Rothfuss", nor "had planned to keep MySQL" a trip to Chile)
    shared = a.primary & b.primary
    in_place = b.cue and bool(new_names) and (
        (cosine >= RELATED and (_apart(newer, kept_names, new_names) or bool(kept_names & b.named))) or
        (bool(shared) and bool(_slot_names(newer, b, shared) - a.proper - frequent)
         and bool(_slot_names(older, a, shared) - b.proper - frequent)))
    # - another title of the person's work: "Dana is a supervisor now" / "Dana is a cashier at Lidl",
    #   "Dana's title is cashier" (two nouns the person is, one of them said of their work)
    title_a, title_b = _title(older, a), _title(newer, b)
    role = ((b.cue or title_b[2]) and bool(title_a[0]) and bool(title_b[0]) and title_a[0] != title_b[0] and title_b[0] not in a.words
            and (title_a[1] or title_b[1] or "work" in (a.primary | b.primary)))
    # - a verb of change that names only what the person went over to ("switched to matcha",
    #   "transferred to Sorbonne", "upgraded to a Kia"), in a statement the embedder relates to an
    #   earlier one of theirs holding another value of the same kind (another name for a name, another
    #   noun for a noun) that the later one does not repeat
    #   (or, less related, a name of the same kind: a thing of a make, "a Kia" for "owns a Honda": a name
    #   after an indefinite article on both sides)
    target = _target(newer, b.subject) if b.cue and not b.named and cosine >= NEAR and not a.event else None
    retarget = False
    if target is not None and target[0] not in a.words:
        if target[1]:
            made = {stem(w.lower()) for w in re.findall(r"\b(?:a|an) ([A-Z][\w'-]*)", _body(older))}
            # (two makes the embedder read as different kinds of things are no such pair: "a Skoda" does
            # not replace "a Nokia")
            kinds_made = {k for n, k in a.kinds if n in made}
            kinds_target = {k for n, k in b.kinds if n == target[0]}
            other_kind = bool(kinds_made) and bool(kinds_target) and not kinds_made & kinds_target
            retarget = bool(a.proper - b.proper - frequent) and not other_kind and (
                cosine >= RELATED or (target[2] and bool(made - b.proper - a.own - frequent)))
        elif cosine < RELATED:
            retarget = False
        else:
            from langmem_cli.core.english import lemmas

            retarget = any("NOUN" in lemmas(w) or not lemmas(w) for w in said_a - said_b - a.cues - FUNCTION - GENERIC
                           - a.heads - frequent if w not in a.proper)
    # - a thing of the person's, told with a cue as holding another name ("Dana's band these days is
    #   Marigold") that an earlier statement of theirs gave by the same noun with its own name ("plays
    #   bass in a band called Low Tide"): the noun is the attribute, whatever words it has
    noun = _possessed(newer, b.subject) if b.cue and not a.event else frozenset()
    owned = bool(noun & a.words - GENERIC - FUNCTION - frequent) and bool(a.proper - a.own - b.words - frequent)
    # - another thing of one kind, told with a cue: "Dana upgraded to a Skoda" / "Dana owns a Volvo",
    #   "drives a Tesla now" / "gets around in their Toyota" (the kinds of the names come from the
    #   caller's embedder: ``Reading.kinds``); the earlier name not said again
    kinds_a = {k for n, k in a.kinds if n not in b.proper and n not in frequent}
    kinds_b = {k for n, k in b.kinds if n not in a.proper and n not in frequent}
    same_kind = b.cue and not a.event and bool(kinds_a & kinds_b)
    if same_moment and not (b.cue or a.cue):
        return CONFLICT if (flip or one_value) else None
    if same_moment and a.cue and not b.cue:
        return None  # the earlier sentence carries the change: it is the later state
    if cue or flip or one_value or frame or in_place or role or retarget or owned or same_kind:
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
        if verdict != SAME and (fact.moment is None) != (new.moment is None):
            continue  # one was said at a known time, the other not (a put, an undated file): no order between them
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
        return f"{subject} {third_person_verb(m.group(2))}" + clause[m.end(2):]
    verb = m.group(3) or ""
    return f"{subject} {third_person_verb(verb)}" + clause[m.end(3):] if verb else clause


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
    m = next((m for m in SUBJECT.finditer(_body(parts[0])) if m.group(1).lower() == pick[0]), None)
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
