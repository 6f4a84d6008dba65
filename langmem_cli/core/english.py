"""English word classes: lemmas and parts of speech from lemminflect's lexicon (a general English
dictionary, no list fitted to any data), and the third person of a verb. Pure."""

from __future__ import annotations

import re
from functools import lru_cache

# verbs that keep their form after "he/she/Dana" (modals, irregular pasts) and the irregular presents
KEEP_VERB = frozenset("""can could will would shall should might must may did didn't can't won't wouldn't couldn't
shouldn't wasn't was had went made got saw took came found felt thought said told bought met ran gave began left
knew kept wrote heard spent brought taught built won lost sent sat stood understood became chose drove ate fell
forgot grew hung paid put quit rode sang slept spoke swam threw woke wore led held let set cut hit hurt caught
fought sold dealt meant tried used is has does also still split shut spread""".split())
IRREGULAR = {"have": "has", "do": "does", "don't": "doesn't", "go": "goes", "am": "is", "haven't": "hasn't",
             "are": "is", "were": "was", "aren't": "isn't", "weren't": "wasn't",
             "'m": "is", "'re": "is", "'ve": "has", "'d": "would", "'ll": "will"}


def third_person_verb(verb: str) -> str:
    """The verb as it follows a singular third person: "have" → "has", "go" → "goes", "try" →
    "tries", "'re" → "is"; past forms and modals unchanged. Shared by the statements' rewriting
    ("I live" → "Dana lives") and update detection's clauses ("they are" → "Dana is")."""
    low = verb.lower()
    if low in IRREGULAR:
        return IRREGULAR[low]
    if low in KEEP_VERB or (low.endswith("ed") and not low.endswith("eed")) or low.endswith("n't") or not low.isalpha():
        return verb
    if re.search(r"(?:s|sh|ch|x|z|o)$", low):
        return verb + "es"
    if re.search(r"[^aeiou]y$", low):
        return verb[:-1] + "ies"
    return verb + "s"


@lru_cache(maxsize=65536)
def lemmas(word: str) -> dict[str, tuple[str, ...]]:
    from lemminflect import getAllLemmas  # imported on first use: --help stays light

    return dict(getAllLemmas(word.lower()))


def is_base_verb(word: str, nxt: str | None) -> bool:
    w = word.lower()
    lem = lemmas(w)
    if w in ("please", "don", "thank"):
        return False
    if "VERB" not in lem and "AUX" not in lem:
        return False
    if w not in lem.get("VERB", ()) + lem.get("AUX", ()):
        return False
    # "short answers", "clear and direct": a word that is also an adjective is a verb only when an
    # object follows (a determiner, a pronoun, a noun phrase start).
    if "ADJ" in lem or "NOUN" in lem and "VERB" not in lem:
        return nxt is not None and (nxt.lower() in {"the", "a", "an", "it", "me", "them", "this", "that", "your", "my",
                                                    "up", "out", "to", "in", "at", "for", "with", "of"})
    return True


def lemma(word: str, pos: str) -> str:
    lem = lemmas(word).get(pos)
    return lem[0] if lem else word.lower()


def is_past(word: str) -> bool:
    w = word.lower()
    lem = lemmas(w).get("VERB", ())
    return bool(lem) and w not in lem and (w.endswith("ed") or w.endswith("t")) and lem[0] != w


@lru_cache(maxsize=65536)
def is_simple_past(word: str) -> bool:
    """Whether ``word`` is the simple past of one of its verb lemmas ("went", "sold", "quit"), not
    only a past participle ("gone", "taken"): "I went" is English, "I gone" is not."""
    from lemminflect import getInflection  # imported on first use: --help stays light

    w = word.lower()
    return any(w in getInflection(lem, "VBD") for lem in lemmas(w).get("VERB", ()))


def is_comparative(word: str) -> bool:
    """"shorter", "simpler" - not "number" (a noun first: "numb" + "-er" is the rare reading)."""
    w = word.lower()
    found = lemmas(w)
    lem = found.get("ADJ", ())
    if w in found.get("NOUN", ()) or w in found.get("VERB", ()):
        return False
    return bool(lem) and w.endswith("er") and lem[0] != w
