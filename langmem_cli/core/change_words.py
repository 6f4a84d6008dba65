"""The words update detection reads (core/updates.py): attribute families, cues of change, the
patterns of a statement's person. General English vocabulary of everyday facts, not examples."""

from __future__ import annotations

import re
from functools import lru_cache

from langmem_cli.core.words import stem

# Attribute families: the head words (stemmed below) that say what kind of fact a statement is.
# General vocabulary of everyday facts about a person; one-value families first.
FAMILIES: dict[str, tuple[bool, str]] = {
    # family: (holds one value at a time, head words)
    "home": (True, """live lives living lived reside resides residing resident home apartment flat house moved move
                    moving address relocate relocated relocating based settle settled neighborhood neighbourhood city town
                    country rent renting hometown"""),
    "work": (True, """work works working worked job jobs employer employed employ hired hire
                    freelance freelancing freelancer position role company startup firm office career retired retire
                    resign resigned laid fired promoted contract contractor consultant consulting boss
                    unemployed intern internship"""),
    "diet": (True, """eat eats eating ate vegetarian vegan pescatarian diet meat fish dairy gluten keto carnivore
                    omnivore food foods meal meals"""),
    "partner": (True, """dating date married marry engaged engagement partner girlfriend boyfriend wife husband
                    divorced divorce single relationship fiance fiancee spouse couple"""),
    "name": (True, """name named call called nickname"""),
    "commute": (True, """commute commuting drive drives driving car bike cycle cycling train bus subway transit"""),
    "school": (True, """school university college degree studying student enrolled graduate graduated major phd
                    masters bachelor"""),
    "plan": (False, """plan plans planning planned trip trips travel travelling traveling vacation holiday holidays
                    visit visiting fly flying flight book booked going wedding honeymoon destination ticket tickets"""),
    "tools": (False, """use uses using used framework frameworks library libraries stack editor ide tool
                    tools database backend frontend platform deploy deploying hosting host laptop phone
                    os"""),
    "learning": (False, """learn learning learned study lessons lesson tutor course courses class classes practice
                    practicing practise practising teacher"""),
    "hobby": (False, """hobby hobbies play plays playing climb climbing run running gym yoga swim swimming hike
                    hiking paint painting guitar piano knit knitting sport sports"""),
    "drink": (True, """drink drinks drinking coffee tea alcohol sober beer wine"""),
    "pet": (False, """pet pets dog dogs cat cats puppy kitten"""),
}
# "our place", "Dana's place", "a place in Lyon": one's home (the word alone is too wide: "first place")
HOME_PLACE = re.compile(r"\b(?:my|our|their|his|her|\w+'s) (?:own )?place\b|\ba place (?:in|near|by|of (?:my|our|their) own)\b", re.I)
# a head in a sense that states no attribute: "work with a tutor", "work on a film"; "to work" as
# where one goes ("goes to work by bike": their commute, not their job; "to work at/for/as" is a job);
# "move up" (a rank, not a home)
OTHER_SENSE = re.compile(r"\b(work(?:s|ed|ing)?) (?:with|on|out|through)\b|"
                         r"\b(?:go|goes|going|went|get|gets|getting|got|way|ride|rides|drive|drives|cycle|cycles|walk|walks|"
                         r"commute|commutes|back) to (work)\b(?! (?:at|for|as)\b)|"
                         r"\b(mov(?:e|es|ed|ing)) (?:up|ahead|forward|along)\b|"  # "moved up to editor": a promotion, no move
                         # going home at the end of a day, and what is done at home, are not where one lives
                         r"\b(?:come|comes|coming|came|get|gets|getting|got|go|goes|going|went|head|heads|heading|headed) (home)\b|"
                         r"(?<!\bis )(?<!\bam )(?<!'m )(?<!'s )(?<!\bare )(?<!'re )(?<!\bwas )(?<!\bwere )(?<!\bbe )(?<!\bbeen )"
                         r"(?<!\blive )(?<!\blives )(?<!\bliving )(?<!\blived )(?<!\bstay )(?<!\bstays )(?<!\bstaying )(?<!\bstayed )"
                         r"\bat (home)\b|"
                         r"\b(couples?) of\b|"  # "a couple of weeks": a few, no partner
                         r"\b(home) (country|countries|island|state)\b|"  # where one comes from, not where one lives
                         # work as effort, not a job: "all that hard work", "how much work we still have to do"
                         r"\b(?:hard|much|more|less|lots? of|great|good|amazing|awesome|so much|some) (work)\b(?! (?:at|for|as)\b)", re.I)
FAMILY_OF: dict[str, str] = {}
for _family, (_, _heads) in FAMILIES.items():
    for _w in _heads.split():
        FAMILY_OF.setdefault(stem(_w), _family)
FAMILY_OF.setdefault(stem("place"), "home")  # only as HOME_PLACE reads it (not in HEADS)
SINGLE = frozenset(f for f, (one, _) in FAMILIES.items() if one)
# heads that name the kind of fact rather than a value of it (a change sharing only these with an
# earlier statement does not name it)
GENERIC = frozenset(stem(w) for w in """live lives living lived home work works working worked job use uses using used
eat eats eating food drink drinks drinking play plays playing learn learning study studying practice practise
commute commuting travel trip plan plans planning hobby diet go going get take taking""".split())
HEADS = frozenset(FAMILY_OF) - {stem("place")}
HEAD_WORDS = frozenset(w for _, (_, _heads) in FAMILIES.items() for w in _heads.split())


def head_form(token: str) -> bool:
    """Whether ``token`` is a form of a head word (by its lemmas), not a word that only stems like
    one: "positive" stems like "position", "transitioning" like "transit", "promotions" like
    "promoted"; "moved", "jobs", "lived" are forms of heads."""
    from langmem_cli.core.english import lemmas

    if token in HEAD_WORDS:
        return True
    return any(lemma in HEAD_WORDS or lemma in _HEAD_LEMMAS() for forms in lemmas(token).values() for lemma in forms)


@lru_cache(maxsize=1)
def _HEAD_LEMMAS() -> frozenset[str]:  # noqa: N802
    from langmem_cli.core.english import lemmas

    return frozenset(lemma for w in HEAD_WORDS for forms in lemmas(w).values() for lemma in forms)
# Words that are never the value a fact states: function words the stopword list leaves in
# (prepositions, conjunctions, particles, adverbs of time), the words of time expressions ("last
# Friday", "next week") and nouns that stand for anything ("stuff", "things"). Two statements
# sharing only these share no value ("since", "after", "the week after …").
FUNCTION = frozenset(stem(w) for w in """since after before until till during while because though although unless
whether per via toward towards across around over under up down out off back away along through throughout within
upon among between beyond ago lately recently again already yet soon later earlier finally few several lot lots
day days week weeks weekend weekends month months year years today tonight yesterday tomorrow morning mornings
evening evenings night nights time times weekday weekly daily monthly yearly hour hours minute minutes
january february march april may june july august september october november december monday tuesday wednesday
thursday friday saturday sunday spring summer autumn fall winter last next past stuff thing things""".split())

# Cues of change (general English, whatever the attribute).
# Cues of change (general English, whatever the attribute): ENDING ones say a state is over or
# replaced, BEGINNING ones that a new one holds.
_ENDING_WORDS = """moved relocated switched switching changed changing quit quitting left leave leaving stopped
stopping dropped dropping replaced replacing retired resigned ditched scrapped scratch cancelled canceled abandoned
swapped exchanged traded sold reverted migrated ported rewrote uninstalled dumped""".split()
_BEGINNING_WORDS = """started starting began become became joined converted transferred upgraded downgraded adopted
picked took returned gotten went turned postponed hired recruited poached headhunted""".split()
ENDING_VERBS = frozenset(stem(w) for w in _ENDING_WORDS)
BEGINNING_VERBS = frozenset(stem(w) for w in _BEGINNING_WORDS)
CHANGE_VERBS = ENDING_VERBS | BEGINNING_VERBS
# a plan said in the past and contrasted ("we were going to …, but", "had planned to …"): it no longer holds
PAST_PLAN = r"(?:(?:was|were|had been) (?:going|planning|hoping|supposed|meant) to|had (?:planned|hoped|meant|intended) to)"
ENDING = re.compile(
    r"\b(?:no longer|no more|not any ?more|any ?more|any longer|instead|rather than|decided against|decided not|"
    r"changed (?:my|their|his|her|our) mind|(?:gave|give|given|giving) (?:[\w']+ ){0,2}up|in place of|"
    r"done with|(?<![\w'] )out with|is gone|lost interest|made the (?:jump|switch|leap)|kicked the (?:[\w'-]+ )?habit|(?:is|are) history|(?:is|are) off(?! to\b)|laid (?:[\w']+ ){0,2}off|(?:got|was|were|been) fired|fell through|"
    r"falls? through|ran out(?! of)|broke down|broken down|ended(?! up\b)|died|"
    r"(?:broke|broken|breaks?|breaking|splits?|splitting) up|(?:part|parts|parted|parting) ways|(?:faded|fading|fizzled|fizzling) (?:out|away)|"
    r"(?:is|are|was|were) (?:now |all )?behind (?:me|us|them|him|her)\b|(?:(?:is|are|was|were) \w+ )?for good(?=\s*(?:[,;.!]|$))|"
    r"(?:is|are|was|were) over(?=\s*(?:[,;.!]|$|and\b|but\b|so\b))|" + PAST_PLAN + r")\b", re.I)
# a state said to hold from a time or an event on: "Since the reorg Dana is an editor", "As of 3 March
# their address is in Madrid" (the time or event, then the statement's own subject)
SINCE_STATE = re.compile(r"^(?:since|as of) (?:the |last |this |early |late |mid-)?(?:\d{1,2} )?[\w-]+(?: \d{4})?,? "
                         r"(?=(?-i:[A-Z])|they\b|their\b)", re.I)
PHRASES = re.compile(r"\b(?:these days|nowadays|now|from now on|went back|ended up|(?:is|are|'s|'re) back|"
                     r"(?:my|our|their|his|her|\w+'s) new)\b", re.I)  # "is back in my diet", "Dana's new job"
# after the event that changed things: "after the move, Lyon feels like home"
AFTER_CHANGE = re.compile(r"\b(?:after|since) (?:the|our|my|their|his|her) (?:move|switch|breakup|break-up|divorce|relocation)\b",
                          re.I)
# a state left for another: "from X to Y" ("promoted from cashier to supervisor", "transferred from
# Leeds to York"); read as a cue only when X is a value (updates._from_to: not a time, nor a number)
FROM_TO = re.compile(r"([\w'-]+) from ((?:[\w'.-]+ ){1,2}?)to [\w'-]", re.I)
# what a change says is over: the words right after "from", "instead of", "no longer", "quit" …
# what a change says is over: the words right after "from", "instead of", "no longer", "quit" … The
# markers of OVER_VALUE say by themselves that what follows is over ("quit X", "used to X", "forget
# X" but not "never forget X", "last day at X"); NEUTRAL_VALUE's only with a cue of change or a negation ("from X", "off X",
# "not X": "a photo from when …", "on and off the court" tell no change).
_OVER = (r"instead of|rather than|no longer|replac\w*|quit|left|leaving|dropped|ditched|scratch|scrapped|stopped|"
         r"gave up(?: on)?|gave(?= (?:[\w']+ ){1,2}up\b)|sold|cancell?ed|mind about|used to|swapped|(?<![\w'] )out with|"
         r"done with|goodbye(?: to)?|no more|lost interest in|uninstalled|dumped|kicked the|(?<!never )(?<!n't )(?<!not )forget|(?:last|final) day (?:at|in|with|of)|cut (?:back|down) on|cut out|"
         r"(?:took|taken|takes|take) the place of|" + PAST_PLAN)
_NEUTRAL = r"from|against|not|off|without|than"
_VALUE = r"((?:\s+[\w'.-]+){1,3})"
OVER_VALUE = re.compile(r"\b(?:" + _OVER + r")" + _VALUE, re.I)
FROM_VALUE = re.compile(r"(?:\b(?:" + _OVER + "|" + _NEUTRAL + r")|n't)" + _VALUE, re.I)
# another thing in its place: "Fly.io has taken Heroku's spot" (what is named is over)
TAKEN_PLACE = re.compile(r"\b(?:took|taken|takes|take|taking) ((?:[\w.-]+ ){0,2}?[\w.-]+)(?:'s|s') (?:place|spot)\b", re.I)
CUE_WORDS = frozenset(stem(w) for w in "now nowadays days instead anymore longer decided mind rather gone".split())
# a speaker's label ("Caroline: …", "The user: …"): a name alone before the colon, not a clause that
# introduces what follows ("Carmen says we rebooked: Egypt in August")
LEAD = re.compile(r"^(?:[Tt]he user|[A-Z][\w'.-]*(?: [A-Z][\w'.-]*){0,3}):\s+")
SUBJECT = re.compile(r"\b([Tt]he user|[A-Z][\w-]*(?: [A-Z][\w-]*(?='s| [a-z]))?)(?:(?:'s|s')\s+(\w+)\b|(?=\s+[a-z])|(?<=[Tt]he user))")
# a possessive names another person when the possessed word is one ("Dana's sister"); otherwise the
# fact is the owner's ("Dana's side project")
PEOPLE = frozenset("""sister sisters brother brothers mother mom mum father dad parents parent partner wife husband
son sons daughter daughters kid kids child children friend friends boss colleague colleagues coworker roommate
flatmate girlfriend boyfriend fiance fiancee grandma grandmother grandpa grandfather aunt uncle cousin niece nephew
neighbour neighbor manager family baby twin stepdad stepmom""".split())


@lru_cache(maxsize=4)
def _verb_lemmas(verbs: frozenset[str]) -> frozenset[str]:
    from langmem_cli.core.english import lemmas

    every = [w for w in _ENDING_WORDS + _BEGINNING_WORDS if stem(w) in verbs]
    return frozenset(lemma for w in every for lemma in lemmas(w).get("VERB", ()))


def verb_of(token: str, verbs: frozenset[str]) -> bool:
    """``token`` is a form of one of ``verbs`` (ENDING_VERBS, BEGINNING_VERBS or CHANGE_VERBS) used
    as a verb, whatever its inflection: "leave", "left", "leaving" alike, and "moved", not "movies"
    (both stem to "mov"); parts of speech and lemmas from lemminflect's general English lexicon."""
    from langmem_cli.core.english import lemmas  # imported on first use: fast paths stay light

    found = lemmas(token)
    if not found:
        return stem(token) in verbs
    verb = set(found.get("VERB", ()))
    if verb & LIGHT:  # "went" (vegan), "took" (up): only the forms listed, not every "go", "take"
        return stem(token) in verbs and bool(verb)
    return bool(verb & _verb_lemmas(verbs))


# light verbs: a change only in the forms the lists give ("went vegan", "took up"), not "going", "gone"
LIGHT = frozenset("go take get turn pick become".split())

# Kinds of things a person has one of at a time and calls by a make's name ("a Volvo", "their old
# Nokia"). The embedder places such a name among these and among other kinds of names (the second
# list: a name that reads as a city, a firm or a person is none of the first); two names of one kind
# of thing are two values of one attribute: "upgraded to a Skoda" replaces "owns a Volvo".
THING_KINDS = ("a car", "a motorbike", "a bicycle", "a phone", "a laptop", "a tablet", "a watch", "a camera",
               "a game console", "a television")
OTHER_KINDS = ("a person", "a city", "a country", "a company", "a school", "software", "a website", "food", "a drink",
               "a sport", "a musical instrument", "a dog", "a cat", "a band", "a book", "a film", "a shop",
               "a restaurant")
KIND_SCORE = 0.4  # cosine of a name with its kind from which the kind is read
KIND_MARGIN = 0.05  # by how much it must lead every kind of the second list
