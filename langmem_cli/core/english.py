"""English word classes for reading feedback: lemmas and parts of speech from lemminflect's
lexicon (a general English dictionary, no list fitted to any data). Pure."""

from __future__ import annotations

from functools import lru_cache


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


def is_comparative(word: str) -> bool:
    """"shorter", "simpler" - not "number" (a noun first: "numb" + "-er" is the rare reading)."""
    w = word.lower()
    found = lemmas(w)
    lem = found.get("ADJ", ())
    if w in found.get("NOUN", ()) or w in found.get("VERB", ()):
        return False
    return bool(lem) and w.endswith("er") and lem[0] != w
