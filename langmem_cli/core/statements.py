"""The offline extractor "local": informative, self-disclosing statements picked from what the
people said, rewritten deterministically. Pure: no I/O, no model.

1. Only messages that may be evidence and are a person's own words (user turns; every named
   speaker of a multi-party chat) are read; each is split into sentences.
2. Dropped: questions, greetings, thanks and short reactions, requests to the assistant, and
   sentences about the other person only ("you …").
3. Rewritten: the speaker's name replaces the first "I/my/me" ("Caroline: I went …" → "Caroline
   went …"), later ones become "they/their/them"; a sentence with no "I" is attributed ("Alice says
   …"); relative dates are resolved against the message's (or conversation's) date; fillers and
   the name of the person spoken to ("…, Mel!") are left out.
4. Kept: the budget follows what was said: each turn keeps its most informative sentence
   (content words, first person, names, numbers, dates), every other sentence that is specific
   (names someone or something, holds a number or a date), and every other one that says something
   the kept statements do not (MIN_CONTENT content words none of them has); near-copies
   (content-word Jaccard >= 0.6) are left out; in the order said. A sentence about "it/that/this"
   is read with the sentence it points at (one statement).
Each statement's quote is its source sentence, so the grounding gate can check it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from langmem_cli.core import dates
from langmem_cli.core.change_words import ENDING, ENDING_VERBS, FUNCTION, verb_of
from langmem_cli.core.conversation import Conversation, Message
from langmem_cli.core.english import is_simple_past, lemmas, third_person_verb
from langmem_cli.core.grounding import Candidate, content_words, eligible, words, working_name
from langmem_cli.core.names import SELF_NAME, Naming, user_naming
from langmem_cli.core.words import STOPWORDS, negated, stem

USER = "The user"  # the speaker's name when the transcript gives none
PER_TURN = 1  # statements a turn keeps in any case (its best); more only when they are specific
MAX_WORDS = 32  # one memory is one statement
MIN_WORDS = 4
MIN_CONTENT = 3  # content words a statement needs ("I'll try my best" has two)
LONG = 24  # a longer statement is cut at a clause boundary after SHORT words
SHORT = 12

_SENTENCE = re.compile(r"(?<!\b[A-Z]\.)(?<!\bSt\.)(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bvs\.)(?<!\bMrs\.)(?<!\be\.g\.)(?<!\bi\.e\.)"
                       r"(?<=[.!?…])[\"')\]]*\s+|\n+")
_CLAUSE = re.compile(r"(?:,|;| -| –| —)\s+(?:so|but|and)?\s*")
COMMANDS = frozenset("""make use add keep skip write fix run create remove delete change update show give tell help check
find try put let read look send set move rename refactor implement build test install open stop don't do please
new note remember consider explain list suggest plan draft summarize summarise let's lets""".split())
# Interjections and fillers that open a sentence, dropped. "No" only as an answer ("No, I moved",
# "No way, …"): before a noun it is a determiner that negates ("No meat for me" must not become
# "meat for me").
_LEAD = re.compile(
    r"^(?:(?:hey|hi|hello|wow|whoa|oh|ah|aw+|yeah|yes|yep|no(?:\s+way)?(?=\s*(?:[,.!;:-]|$))|nope|ok|okay|well|so|haha+|lol|omg|hmm+|um+|ugh|"
    r"cool|great|awesome|nice|sure|totally|absolutely|definitely|also|and|but|by the way|btw|anyway|honestly|"
    r"actually|plus|true|right|exactly|perfect|thanks|thank you|heads[- ]up|fyi|ps|one more thing|woah|wow|"
    r"unfortunately|fortunately|luckily|sadly|anyways?|hah?a*|lol|yay|ooh|oops)\b[\s,!.:;-]*)+", re.I)
_DROP_START = re.compile(
    r"^(?:hi|hello|hey|thanks|thank you|good (?:morning|night|evening|to see)|bye|see you|congrat|please|can you|"
    r"could you|would you|will you|let me know|tell me|give me|show me|help me|let's|take care|sounds|"
    r"you|your|glad|happy for|same|me too)\b", re.I)
# "It's a mix of drama and romance", "it was awesome": a sentence whose subject is "it/that/this" says
# something of what was said just before it (then the two are one statement); alone, it needs
# MIN_CONTENT content words ("That's great!" says nothing)
_POINTER = re.compile(r"^(?:it|that|this)(?:'s| is| was)\b", re.I)
_REQUEST = re.compile(r"^(?:remind me|note|fyi|just so you know|for the record|remember)\s*(?:that)?\s*[:,-]?\s*", re.I)
FIRST = frozenset("i i'm i've i'd i'll me my mine myself".split())
GROUP = frozenset("we we're we've we'd we'll us our ours ourselves".split())
ADVERBS = frozenset("""just really also still always never usually often recently finally actually totally
definitely already even sometimes currently truly honestly absolutely mostly only probably especially first
then once later now almost barely hardly soon again""".split()) | {"no longer"}  # "I no longer work" is not "noes"
_THEY = {"have": "have", "am": "are", "'m": "are", "was": "were", "'ve": "have", "'d": "would", "'ll": "will"}


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def clean(sentence: str) -> str:
    sentence = _LEAD.sub("", sentence.strip()).strip(" -–—")
    return _REQUEST.sub("", sentence).strip()


def clauses(sentence: str) -> str:
    """The sentence without clauses that are instructions to the assistant ("…, so skip it please")."""
    parts = _CLAUSE.split(sentence)
    if len(parts) == 1:
        return sentence
    kept, start = [], 0
    for m in [*_CLAUSE.finditer(sentence), None]:
        end = m.start() if m else len(sentence)
        part = sentence[start:end]
        if not command(part):
            kept.append((start, end))
        start = m.end() if m else end
    if not kept:
        return ""
    return sentence[kept[0][0]:kept[-1][1]] if len(kept) == 1 or kept[-1][0] > kept[0][0] else sentence


_WH = frozenset("what where when who whom whose which why how".split())


def without_question(sentence: str) -> str:
    """A statement that ends in a question of its own ("Spider-Man has always been a favourite of
    mine - I mean, who doesn't love Peter Parker?") is the statement: the clauses before the
    question, without a short filler clause leading into it ("I mean"). A sentence that opens as a
    question stays whole."""
    first = words(sentence)[:1]
    if "?" not in sentence or not first or first[0] in _WH or "AUX" in lemmas(first[0]):
        return sentence
    asked = sentence.index("?")
    bounds = [m for m in _CLAUSE.finditer(sentence) if m.end() <= asked]
    while bounds:
        head = sentence[:bounds[-1].start()]
        if len(bounds) > 1 and len(words(head[bounds[-2].end():])) <= 2:
            bounds.pop()  # "I mean", "you know": a filler that leads into the question
            continue
        return head.rstrip(" ,;-–—") if len(words(head)) >= MIN_WORDS else sentence
    return sentence


def command(text: str) -> bool:
    first = words(text)[:1]
    return bool(first) and first[0] in COMMANDS


_OBJECT_PRONOUN = frozenset("it that this them you".split())


def _names_own_thing(sentence: str) -> bool:
    """ "I love tennis", "I'm really into chess", "I'm dating Jordan": a short sentence whose subject
    is the speaker and that names a thing (a word that is only a noun, or a name) states a fact about
    them; "I love it", "I'm so tired", "I'm a mess" name nothing."""
    tokens = words(sentence)
    if len(tokens) < 3 or tokens[0] not in FIRST | GROUP or tokens[-1] in _OBJECT_PRONOUN:
        return False
    if re.search(r"(?<!^)\b[A-Z][a-z]+", sentence):
        return True
    return any(set(lemmas(t)) == {"NOUN"} for t in tokens[1:] if t not in STOPWORDS and stem(t) not in FUNCTION)


def worth_keeping(sentence: str) -> bool:
    if sentence.startswith("[") or "?" in sentence or command(sentence):
        return False
    own_thing = _names_own_thing(sentence)
    if len(sentence.split()) < MIN_WORDS and not own_thing:
        return False
    if _DROP_START.match(sentence) and not _owned_value(sentence):
        return False
    said = set(words(sentence))
    if _POINTER.match(sentence) and len(content_words(sentence)) < MIN_CONTENT:
        return False  # "That's so cool!", "It's a great idea"
    named = len(re.findall(r"(?<!^)\b[A-Z][a-z]+|\d", sentence)) > 0 or bool(said & (FIRST | GROUP))
    if len(content_words(sentence)) < MIN_CONTENT - (1 if named else 0) and not own_thing:
        return False
    if not said & (FIRST | GROUP) and len(sentence.split()) < 6 and not any(
            "AUX" in lemmas(t) for t in words(sentence)[1:]):
        return False  # a fragment ("Mostly Go and Postgres."); "Her name is Shadow!" is a sentence
    if not (said & (FIRST | GROUP)) and said & {"you", "your", "you're", "you've", "yours"}:
        return False  # about the other person
    return True


_DUMMY = re.compile(r"^(?:it's|it is|that's|that is|this is)\s", re.I)


def _of_speaker(text: str) -> bool:
    """Whether a text speaks of the speaker: "I", "my", "we", "our" …"""
    return bool(set(words(text)) & (FIRST | GROUP))


def _owned_value(sentence: str) -> bool:
    """ "It's Porto for our holiday now", "That's my brother Sam": a sentence with a dummy subject
    that names something (a capitalised word past its start) as the speaker's own (my/our) states a
    fact; "It's great", "That's my favourite" react."""
    if not _DUMMY.match(sentence):
        return False
    rest = sentence.split(None, 2)[-1] if sentence.lower().startswith(("it is", "that is", "this is")) else \
        sentence.split(None, 1)[-1]
    return _of_speaker(rest) and bool(re.search(r"\b[A-Z][a-z]+", rest))


_INTRO = re.compile(r"^(?:here(?:'s| is| are)|below is|the following|this is (?:my|the|our) (?:code|error|output|file|log))\b", re.I)
_ASK = re.compile(r"\b(?:i|we)(?:'d| would)? (?:need|want|like|would like|'d like) you to\b|"
                  r"\b(?:i|we)(?:'d| would)? (?:like|love) (?:some )?help\b", re.I)


def fragment(sentence: str) -> bool:
    """Not a statement: it introduces something that follows (ends in a colon, "here's my code"),
    or it asks the assistant to do something ("I want you to …")."""
    text = sentence.rstrip()
    if text.endswith(":") or _ASK.search(text):
        return True
    return bool(_INTRO.match(text)) and len(content_words(text)) <= 3  # "here's my code", not "here's my trophy from …"


_INSTEAD = re.compile(r"\binstead\b(?! of\b)", re.I)
_PRONOUN_SUBJECT = re.compile(r"^(?:it|this|that|they)\s+[a-z]", re.I)
_PRONOUN_END = re.compile(r"\b(?:it|this|that|them)[\s.!…]*$", re.I)
# what a coding session's working directory is: the repository, or the service/app built in it
_REPOSITORY = re.compile(r"\b(?:this|the|our|my) (repo|repository|project|codebase|service|app|application)\b", re.I)
# "this repo" hangs on what the reader cannot see; "my project" is the speaker's own and reads on its own
_POINTED_REPOSITORY = re.compile(r"\b(?:(?:this|the) (?:repo|repository|project|codebase)|this (?:service|app|application))\b",
                                 re.I)


def dangling(sentence: str) -> bool:
    """Its meaning hangs on something it does not say: "… instead", "it uses …", "we depend on it",
    "this repo" (left when the transcript names no repository)."""
    # a short sentence whose subject or object is only a pronoun: "we depend on it", "it uses too much memory"
    on_it = bool(_PRONOUN_END.search(sentence) or _PRONOUN_SUBJECT.match(sentence)) and len(content_words(sentence)) <= 3
    return bool((_INSTEAD.search(sentence) and not _says_what_it_replaces(sentence)) or on_it
                or _POINTED_REPOSITORY.search(sentence))


def _says_what_it_replaces(sentence: str) -> bool:
    """ "… instead" reads on its own when the sentence itself says what is over: another clause
    negates it or tells that it ended ("we decided against Tokyo, we're going to Seoul instead",
    "I haven't played tennis since March; I took up bouldering instead")."""
    before = _INSTEAD.split(sentence, maxsplit=1)[0]
    return negated(before) or bool(ENDING.search(before)) or any(verb_of(w, ENDING_VERBS) for w in words(before))


# chat register: "i" written in lower case ("i take the train now", "i'm")
_LOWER_I = re.compile(r"(?<![\w'.-])i(?=(?:'m|'ve|'d|'ll)?(?![\w.'-]))")


def _past_form(word: str) -> bool:
    """Whether ``word`` is only ever a past form of a verb ("switched", "sold", "got"): a verb
    lemma other than the word, and no other reading (not "broke", an adjective too; not "quit",
    "put", the same as their base form; no auxiliary "had", "was")."""
    found = lemmas(word)
    verbs = found.get("VERB", ())
    return (set(found) == {"VERB"} and bool(verbs) and word.lower() not in verbs and not word.lower().endswith(("ing", "s"))
            and third_person_verb(verbs[0]) != word.lower() and is_simple_past(word))


def with_speaker(sentence: str) -> tuple[str, bool]:
    """The sentence with its speaker written out where chat leaves them implicit: "i" in lower case
    is "I"; a sentence that opens with a past form of a verb has "I" for its subject ("switched to
    matcha in the mornings", "sold the Volvo, got a Skoda", "got promoted"): a diary-style subject
    drop, as an imperative or a question never opens with a past form. And whether it added one."""
    text = _LOWER_I.sub("I", sentence)
    first = words(text)[:1]
    # a verb whose past is its base form ("quit", "put") is past when the next clause opens with a past form
    # ("quit Low Tide, joined Marigold")
    later = [words(c)[:1] for c in re.split(r"[,;]\s+", text)[1:]]
    past = bool(first) and (_past_form(first[0]) or ("VERB" in lemmas(first[0]) and "AUX" not in lemmas(first[0])
                                                     and first[0] not in COMMANDS
                                                     and any(w and _past_form(w[0]) for w in later)))
    if len(words(text)) > 1 and text[:1].isalpha() and past:
        return "I " + text[:1].lower() + text[1:], True
    return text, False


# a question about the person: "Where do you live these days?", "Which phone do you have now?", "What are
# you using now?", "What's your position now?"
_ASKED = re.compile(r"^(where|what|which [\w-]+|who|how|what [\w-]+)\s+(do|are)\s+you\s+([^?]+)\?\s*$|"
                    r"^(what|who|where)(?:'s| is)\s+your\s+([^?]+)\?\s*$", re.I)


def _verbless(clause: str) -> bool:
    """A short phrase with no verb nor pronoun: a bare answer ("Madrid", "By subway", "A Tesla")."""
    tokens = words(clause)
    return 0 < len(tokens) <= 4 and not any(
        t in FIRST | GROUP | _OBJECT_PRONOUN or "AUX" in lemmas(t) or set(lemmas(t)) == {"VERB"} for t in tokens)


def _as_own(frame: str) -> str:
    """The assistant's words about the person, as the person says them ("your" → "my")."""
    return re.sub(r"\byour\b", "my", frame, flags=re.I)


def as_answer(question: str, sentence: str) -> tuple[str, frozenset[str]] | None:
    """A bare answer to the assistant's question about the person, read with the question it answers
    ("Where do you live these days?" — "Madrid, since the move in April." → "Where I live these
    days is Madrid, since the move in April."): the question's words frame the answer, the answer
    (the person's own words) is the fact. None when the sentence is no bare answer (it opens with a
    clause of its own) or the question is not one of the forms read here. Also the words the
    question added."""
    m = _ASKED.match(question.strip())
    if not m or not _verbless(re.split(r"[,;:]", sentence, maxsplit=1)[0]):
        return None
    if m.group(1):
        wh, aux, rest = m.group(1).lower(), m.group(2).lower(), m.group(3).strip()
        frame = f"{wh} I {'am ' if aux == 'are' else ''}{rest}"
    else:
        frame = f"my {m.group(5).strip()}"
    frame = _as_own(frame)
    first = sentence.split(" ", 1)[0].rstrip(",;:.")
    # a function word or an adverb opening the answer is no name ("By subway", "The Fairphone", "Mostly …")
    common = first.lower() in STOPWORDS or set(lemmas(first)) == {"ADV"}
    answer = sentence[:1].lower() + sentence[1:] if common else sentence
    return frame[:1].upper() + frame[1:] + " is " + answer, frozenset(words(frame))


# the assistant checks back on what it knows of the person: "Still at Kontora?", "Are you still
# vegetarian?", "Do you still go to Fitbox?", "You're at Imperial, right?"
_CHECK_BACK = re.compile(
    r"^(?:(?:are you|you're|you are) )?still (?P<state>[^?]+)\?$|"
    r"^(?:do|did) you still (?P<action>[^?]+)\?$|"
    r"^(?:you're|you are) (?P<right>[^?,]+),? (?:right|correct|yes)\?$", re.I)
# a reply that says no to it, and what it says instead ("Not really, swimming now.")
_DENIED = re.compile(r"^(?:no|nope|nah|not really|not anymore|not any more|not at all)\b[,.;:!-]*\s*(?P<rest>.*)$", re.I)


def as_denial(question: str, reply: str, sentence: str) -> tuple[str, frozenset[str]] | None:
    """A "no" to the assistant's check-back question, read as what it says: "Still at Kontora?" —
    "No, Helio Labs took me on." → "I'm no longer at Kontora; Helio Labs took me on." (the answer is
    the person's own words; the question names what no longer holds). None for any other question
    or reply. ``reply``: the sentence as written; ``sentence``: as cleaned (the "no" may be gone).
    Also the words the question added."""
    asked, said = _CHECK_BACK.match(question.strip()), _DENIED.match(reply.strip())
    if not asked or not said:
        return None
    if asked.group("action"):
        frame = f"I no longer {asked.group('action').strip()}"
    else:
        frame = f"I'm no longer {(asked.group('state') or asked.group('right')).strip()}"
    frame = _as_own(frame)
    again = _DENIED.match(sentence.strip())
    rest = (again.group("rest") if again else sentence).strip()
    text = frame + ("; " + rest if rest and content_words(rest) else ".")
    return text, frozenset(words(frame))


def questions_of(message: Message) -> list[str]:
    """The questions a message asks (its sentences that end in a question mark)."""
    return [q for q in sentences(message.content) if q.rstrip(" \"')").endswith("?")]


def says_something(said: str, addressees: frozenset[str] = frozenset()) -> bool:
    """Whether a sentence of a reply says anything: not only thanks, a greeting or the name of the
    person spoken to ("Thanks, Caroline!" → "Caroline!")."""
    said = clean(" ".join(w for w in said.split() if not called(w.strip(",.!…;:"), addressees)))
    return bool(said) and not _DROP_START.match(said) and bool(content_words(said))


def bare_answer(said: str, addressees: frozenset[str] = frozenset()) -> bool:
    """A short reply that only its question makes a statement: "The Minnesota Wolves!", "5 years
    already!", "It was Matt Patterson", "They were awestruck and humbled." Not a question, a request,
    nor a reaction ("That's so cool!", "It was amazing": a pointer with nothing named)."""
    tokens = words(said)
    if "?" in said or not 0 < len(tokens) <= SHORT or command(said) or _DROP_START.match(said) or \
            set(tokens) & {"you", "your", "you're", "you've", "yours"} or addressed(said, addressees):
        return False  # to or about the person spoken to ("Appreciate your kind words", "Way to go, John!")
    if tokens[0] in ("this", "that", "these", "those") and "AUX" not in lemmas(tokens[1:2][0] if tokens[1:] else "") \
            or any(lemmas(t).get("VERB", ())[:1] in (("sound",), ("look",), ("seem",)) for t in tokens) or "sorry" in tokens:
        return False  # a comment on what was shown or said: "That frog looks yummy!", "Sorry 'bout the accident!"
    named = bool(re.search(r"\d|(?<!^)\b[A-Z][a-z]+", said)) or any(
        set(lemmas(t)) == {"NOUN"} for t in tokens if t not in STOPWORDS and stem(t) not in FUNCTION)
    # nothing named: a description ("They were awestruck and humbled."), not an agreement that points
    # at what was asked ("Would love to share it")
    return named or not (_POINTER.match(said) or _PRONOUN_END.search(said)) and len(content_words(said)) >= 2


def _pick_question(questions: list[str], said: str) -> str:
    """The question a reply answers: the one that shares most words with it, else the last one."""
    mine = content_words(said)
    return max(reversed(questions), key=lambda q: len(content_words(q) & mine))


def with_repository(sentence: str, metadata: dict) -> tuple[str, frozenset[str]]:
    """ "this repo" → "the kontora-api repository", "this service" → "the kontora-api service", when the
    transcript's metadata (``cwd``, ``repository``) names it; and the words that added."""
    name = working_name(metadata)
    if not name or not _REPOSITORY.search(sentence):
        return sentence, frozenset()
    added = set(words(name))

    def named(m: re.Match[str]) -> str:
        noun = m.group(1).lower()
        noun = noun if noun in ("service", "app", "application") else "repository"
        added.add(noun)
        return f"the {name} {noun}"

    return _REPOSITORY.sub(named, sentence), frozenset(added)


_I_FORMS = re.compile(r"\b(I)(?:('m|'ve|'d|'ll)|( (?:" + "|".join(sorted(ADVERBS)) + r"))*( [\w']+))?(?=\W|$)")
_OBJECT = re.compile(r"(?<![\w-])(my|me|mine|myself)(?![\w-])", re.I)
FILLER = re.compile(r"\b(?:really|so|just|totally|actually|pretty|super|kinda|kind of|sort of|literally|basically|"
                    r"definitely|honestly|truly)\s+(?=\w)", re.I)
_CUT = re.compile(r"(?:,| -| –| —|;)\s+(?:which|and|but|because|so|as|since|though|where|when)?\b")


_AND_VERB = re.compile(r"[^,;.]*?\band ()([a-z]+)(?= (?:as|at|in|on|for|to|with|from|into|the|a|an|my|some|every|everything|something|anything|all|it|them|our|this|these|those)\b)")


def third_person(sentence: str, name: str, proper: frozenset[str] = frozenset()) -> str:
    """First person singular → ``name`` once (the first mention), then they/their/them."""
    found = [m.start() for m in (_I_FORMS.search(sentence), _OBJECT.search(sentence)) if m]
    first = min(found) if found else -1

    def subject(m: re.Match) -> str:
        contraction, verb = m.group(2), m.group(4)
        adverbs = m.group(0)[1:len(m.group(0)) - len(verb or "")] if not contraction else ""
        plural = bool(re.search(r"(?:\b[A-Z][a-z]+|\byou) and $", sentence[max(0, m.start() - 30):m.start()]))
        named_here = m.start() == first
        plural = plural or not named_here
        who = name if named_here else "they"
        if contraction:
            return who + " " + (_THEY[contraction] if plural else third_person_verb(contraction))
        if verb is None:
            return who
        word = verb.strip()
        if plural:
            return f"{who}{adverbs} {_THEY.get(word.lower(), word)}"
        inflected = third_person_verb(word)
        if inflected != word:
            present.append(f"{who}{adverbs} {inflected}")
        return f"{who}{adverbs} {inflected}"

    def other(m: re.Match) -> str:
        low = m.group(1).lower()
        if m.start() == first:
            return {"my": f"{name}'s", "mine": f"{name}'s", "me": name, "myself": name}[low]
        return {"my": "their", "mine": "theirs", "me": "them", "myself": "themselves"}[low]

    present: list[str] = []  # "Priya lives": a second verb of the same subject agrees ("and works as …")
    text = _I_FORMS.sub(subject, sentence)
    if present and present[0] in text:
        at = text.index(present[0]) + len(present[0])
        m = _AND_VERB.match(text, at)
        if m and m.group(2) not in STOPWORDS and not re.search(r"(?:s|ed|ing)$", m.group(2)):
            text = text[:m.start(2)] + third_person_verb(m.group(2)) + text[m.end(2):]
    text = _OBJECT.sub(other, text)
    if first < 0:
        opening = text.split(" ", 1)[0]
        word = opening.strip(",.!;:").lower()
        name_like = opening in proper or (word.isalpha() and word not in STOPWORDS and not lemmas(word))  # "Barcelona is …"
        text = f"{name} says {text if name_like else text[:1].lower() + text[1:]}"
    text = text[:1].upper() + text[1:]
    if name == USER:
        text = text[:1] + text[1:].replace(USER, USER.lower())
    return text


def _display(name: str | None) -> str | None:
    if not name:
        return None
    return name[:1].upper() + name[1:] if name.islower() else name


def proper_words(conversation: Conversation) -> frozenset[str]:
    """Words written capitalised inside a sentence somewhere in the conversation: names."""
    found = set()
    for m in conversation.messages:
        found.update(re.findall(r"(?<=[a-z,;:] )[A-Z][\w'-]*", m.content))
        if m.name:
            found.add(_display(m.name) or m.name)
    return frozenset(found)


def score(sentence: str) -> float:
    said = words(sentence)
    value = min(len(content_words(sentence)), 14)
    value += 3 if set(said) & FIRST else 1 if set(said) & GROUP else 0
    value += 2 * min(3, len(re.findall(r"(?<!^)(?<![.!?] )\b[A-Z][a-z]+", sentence)))
    value += 2 if re.search(r"\d", sentence) else 0
    value -= 3 * len(set(said) & {"you", "your", "you're", "you've", "yours"})
    return value / max(1.0, len(said)) ** 0.5  # information per word: the budget counts words


@dataclass
class Statement:
    candidate: Candidate
    index: int  # message index
    score: float
    valid_from: str | None
    rank: int = 0  # 0 for the best sentence of its turn, 1 for the second …
    specific: bool = False  # names someone or something, or holds a number or a date
    framed: frozenset[str] = frozenset()  # words of the question an answer is read with (not what it says)


def statements(conversation: Conversation, user: Naming | None = None) -> list[Candidate]:
    """The statements worth keeping from ``conversation``: the best of each turn, and the other
    sentences of a turn that are specific (a name, a number, a date), without near-copies.
    ``user``: the name an unnamed user goes by (core.names.user_naming; by default, only a name they
    say in this conversation)."""
    allowed = eligible(conversation.messages)
    user = user if user is not None else user_naming(conversation)
    proper = proper_words(conversation)
    when_conv = conversation.started_at
    speaking = frozenset(m.name for m in conversation.messages if m.name and m.role == "user")  # who is spoken to
    found: list[Statement] = []
    previous: dict[str, str | None] = {}  # the speaker of the message just before -> its last full sentence
    for index, m in enumerate(conversation.messages):
        if not allowed[index] or m.role != "user":
            continue
        when = m.timestamp or when_conv
        earlier = previous.get(m.speaker)  # the last full sentence of the previous user message, same speaker
        before: str | None = None  # the last full sentence of this message so far
        previous.clear()
        prior = conversation.messages[index - 1] if index else None
        asked = sentences(prior.content)[-1] if prior is not None and prior.role == "assistant" and \
            prior.content.strip().endswith("?") else None
        # a reply to a question (another person's, or the assistant's): its first sentence that says
        # something answers it, and a bare answer is kept read with the question
        questions = questions_of(prior) if prior is not None and allowed[index - 1] and (
            prior.role == "assistant" or prior.role == "user" and prior.speaker != m.speaker) else []
        for n, raw in enumerate(sentences(m.content)):
            typed = raw.replace("\u2019", "'")
            said = without_question(clauses(clean(typed)))
            if fragment(said):
                continue
            sentence, given = with_repository(said, conversation.metadata)
            sentence, _ = with_speaker(sentence)
            answered = as_answer(asked, sentence) if asked and n == 0 else None
            denied = as_denial(asked, raw, sentence) if asked and n == 0 and not answered else None
            if denied:  # its evidence is the reply as said, "no" included
                answered, said = denied, typed.strip()
            if answered:  # a bare answer, read with the question it answers
                sentence, given = answered[0], given | answered[1]
                questions = []
            elif questions and says_something(said, speaking - {m.name}):
                reply, questions = questions, []
                # a statement of the speaker's own stands alone; any other short one is kept with what it answers
                alone = worth_keeping(sentence) and not dangling(sentence) and _of_speaker(sentence)
                if bare_answer(said, speaking - {m.name}) and not alone:
                    who = _display(m.name) or (user.name if user is not None else None) or USER
                    asker = _display(prior.name) if prior is not None and prior.role == "user" else None
                    found.append(_reply(_pick_question(reply, said), asker, sentence, m, index, who, when, proper,
                                        given, said, speaking - {m.name}))
                    continue
            context = None
            pointed = bool(_POINTER.match(sentence)) and before is not None and worth_keeping(before) \
                and worth_keeping(f"{before} {sentence}")
            if pointed:  # "it" is what was just said: the two are one statement
                context = before
                if found and found[-1].candidate.quotes == [before]:
                    found.pop()  # the sentence it completes is kept once, completed (a completed one stays)
            elif dangling(sentence):  # completed by the sentence it hangs on, or not kept
                # "… instead" may hang on the plan of the message before; "it", "this" on this message only
                context = before or (earlier if _INSTEAD.search(sentence) else None)
                if context is None or not worth_keeping(sentence):
                    continue  # nothing to complete it with, or it adds nothing: what it hangs on stays as kept
                if context is before and found and found[-1].candidate.quotes[0] == before:
                    found.pop()  # the sentence it completes is kept once, completed
            if not ("?" in said or len(said.split()) < MIN_WORDS):
                before = said
            if not (pointed or worth_keeping(sentence)):
                continue
            name, extra = _display(m.name), None
            if name is None and user is not None:
                name = user.name
                if user.quote is None:
                    given |= frozenset(words(user.name))  # not said here: a name known for this person
                elif not SELF_NAME.search(said):
                    extra = user.quote
            found.append(_statement(sentence, m, index, name or USER, when, extra, proper, given, context, said,
                                    speaking - {m.name}))
        previous[m.speaker] = before
    kept: list[Statement] = []
    seen: list[set[str]] = []
    rank: dict[int, int] = {}
    for s in sorted(found, key=lambda s: -s.score):  # the best sentence of each turn first, then the second …
        rank[s.index] = rank.get(s.index, -1) + 1
        s.rank = rank[s.index]
    # near-copies are told by what they say, not by the person's name: the same whether or not the
    # name was known when the conversation was read (issue 23: the same memories in any file order)
    person = content_words(user.name) if user is not None else frozenset()
    left: list[tuple[Statement, set[str]]] = []
    for s in sorted(found, key=lambda s: (s.rank, -s.score)):
        mine = content_words(s.candidate.text) - person - s.framed
        if any(len(mine & other) / max(1, len(mine | other)) >= 0.6 for other in seen):
            continue
        if s.rank >= PER_TURN and not s.specific:
            left.append((s, mine))  # the budget follows what was said: a turn's best statement, what is specific,
            continue  # and (below) what says something the kept statements do not
        kept.append(s)
        seen.append(mine)
    said_words = set().union(*seen) if seen else set()
    for s, mine in sorted(left, key=lambda item: item[0].index):
        if len(mine - said_words) >= MIN_CONTENT:
            kept.append(s)
            said_words |= mine
    position = {id(s): n for n, s in enumerate(found)}
    kept.sort(key=lambda s: position[id(s)])  # in the order said
    for s in kept:
        s.candidate.valid_from = dates.iso(s.valid_from)
    return [s.candidate for s in kept]


_ADDRESS_FIRST = re.compile(r"^([A-Za-z][\w'-]*),\s+(?=\w)")
_ADDRESS_LAST = re.compile(r",\s+([A-Za-z][\w'-]*)([!.…]*)$")


def called(word: str, addressees: frozenset[str]) -> bool:
    """Whether ``word`` names one of the people spoken to: their name or, capitalised, its first
    letters (three or more: "Mel"); never a function word."""
    w = word.lower()
    if w in STOPWORDS or len(w) < 3:
        return False
    return any(a.lower() == w or (word[:1].isupper() and a.lower().startswith(w)) for a in addressees)


def addressed(sentence: str, addressees: frozenset[str]) -> bool:
    """Whether the sentence calls the person spoken to by name ("Congrats, John!", "John, …")."""
    first, last = _ADDRESS_FIRST.match(sentence), _ADDRESS_LAST.search(sentence)
    return any(m is not None and called(m.group(1), addressees) for m in (first, last))


def without_address(sentence: str, addressees: frozenset[str]) -> str:
    """The sentence without the name of the person spoken to, set off by a comma at its start or
    end ("Caroline, it's got to be tough" → "it's got to be tough"; "I won't give up, Gina!"). A
    name is one of the conversation's other speakers, or, capitalised, its first letters (three or
    more: "Mel"); never a function word ("And, …")."""
    m = re.match(_ADDRESS_FIRST, sentence)
    if m and called(m.group(1), addressees) and len(sentence[m.end():].split()) >= MIN_WORDS:
        sentence = sentence[m.end():]
    m = re.search(_ADDRESS_LAST, sentence)
    if m and called(m.group(1), addressees) and len(sentence[:m.start()].split()) >= MIN_WORDS:
        sentence = sentence[:m.start()] + m.group(2)
    return sentence


def shorten(sentence: str, addressees: frozenset[str] = frozenset()) -> str:
    """Fillers out ("really", "so", "just" …) and the name of the person spoken to; a long sentence
    cut at a clause boundary."""
    text = without_address(FILLER.sub("", sentence), addressees)
    if len(text.split()) > LONG:
        # the start, cut at a clause boundary; when the start says nothing of the speaker and names
        # nothing, the first later part (from a clause boundary, cut alike) that does ("It's been a long
        # few weeks, lots of paperwork, but the short version is that I said goodbye to Norvex and I'm
        # now at Helio Labs, …")
        start = _cut(text)
        later = (_cut(text[m.end():]) for m in _CUT.finditer(text) if len(text[m.end():].split()) >= SHORT)
        return start if _specific(start) else next((p for p in later if _specific(p)), start)
    return text


def _specific(text: str) -> bool:
    """Whether a text says something of the speaker or names someone or something (a capitalised
    word past its start, a number)."""
    return _of_speaker(text) or bool(re.search(r"(?<!^)\b[A-Z][a-z]+|\d", text.strip()))


def _cut(text: str) -> str:
    """A long text cut at the first clause boundary past SHORT words."""
    if len(text.split()) > LONG:
        for m in _CUT.finditer(text):
            if len(text[:m.start()].split()) >= SHORT:
                return text[:m.start()]
    return text


# the frame of a bare answer kept with its question (_reply): such a memory tells what the question
# asked, and is read for updates by no rule of core.updates (they read a person's own statements)
ASKED = re.compile(r'^Asked (?:by [^"]+ )?"[^"]*", ')


def _reply(question: str, asker: str | None, sentence: str, message: Message, index: int, name: str,
           when: str | None, proper: frozenset[str], given: frozenset[str], quote: str,
           addressees: frozenset[str]) -> Statement:
    """A bare answer kept with the question it answers: 'Asked by Tim "Which team did you sign
    with?", John says the Minnesota Wolves!' (the question quoted as it was asked, its evidence too)."""
    frame = f'Asked by {asker} "{question.strip()}", ' if asker else f'Asked "{question.strip()}", '
    s = _statement(sentence, message, index, name, when, proper=proper, quote=quote, addressees=addressees,
                   given=given | frozenset(words(frame)))
    text = s.candidate.text
    if not text.startswith(f"{name} says "):  # "I did" → "John did": the name is the answer's subject
        text = text[:1].lower() + text[1:] if text.split(" ", 1)[0].lower() in STOPWORDS else text
    s.candidate.text = frame + text
    s.candidate.quotes.append(question.strip())
    s.specific = True  # what was asked is what people want kept
    s.framed = frozenset(content_words(frame) - content_words(text))
    return s


_NAMING_LEAD = re.compile(r"^(?:hi|hello|hey)?[, ]*(?i:i'm|i am|my name is|my name's|call me)\s+([A-Z][\w'-]*(?: [A-Z][\w'-]*)?)\s*(?:[,;]|\band\b)\s*")


def _statement(sentence: str, message: Message, index: int, name: str, when: str | None,
               naming: str | None = None, proper: frozenset[str] = frozenset(),
               given: frozenset[str] = frozenset(), context: str | None = None, quote: str | None = None,
               addressees: frozenset[str] = frozenset()) -> Statement:
    said = shorten(sentence, addressees).rstrip(" ,;")
    # "I'm Dana, I maintain this service": the naming is carried by the name, the rest is the statement
    lead = _NAMING_LEAD.match(said)
    if lead and lead.group(1) == name and len(said[lead.end():].split()) >= MIN_WORDS - 1:
        said = said[lead.end():]
        said = said[:1].upper() + said[1:]
    if context:  # the sentence it hangs on first: "X decided against Tokyo; they're going to Seoul instead"
        first = said.split(" ", 1)[0]
        lower = (first.lower() in STOPWORDS or bool(_POINTER.match(said))) and first != "I" and not first.startswith("I'")
        said = context.rstrip(" .!;,") + "; " + (said[:1].lower() + said[1:] if lower else said)  # "I" keeps its capital
    text = third_person(said, name, proper)
    text, added = dates.resolve(text, dates.parse(when))
    cut = text.split()
    if len(cut) > MAX_WORDS:
        text = " ".join(cut[:MAX_WORDS]).rstrip(",;:-") + "…"
    if not text.endswith((".", "!", "…")):
        text += "."
    quotes = [quote or sentence] + ([context] if context else []) + ([naming] if naming else [])
    candidate = Candidate(text=text, quotes=quotes, date_words=added | given)
    specific = bool(added) or bool(re.search(r"\d|(?<!^)(?<![.!?;] )\b[A-Z][a-z]+", sentence))
    return Statement(candidate, index, score(said), when, specific=specific)
