"""Words of a text as the grounding gate and the local extractor compare them. Pure."""

from __future__ import annotations

import re

STOPWORDS = frozenset("""a an the and or but if so of to in on at by for with from into onto about as than then
that this these those there here it its it's is are was were be been being am do does did done doing have has had
having will would shall should can could may might must not no nor never none i i'm i've i'd i'll me my mine myself
we we're we've our ours us you your yours he she him her his hers they them their theirs who whom whose which what
when where why how all any some each every very really just also too still even much many more most other such
only own same s t don't doesn't didn't isn't aren't wasn't weren't won't wouldn't can't cannot couldn't shouldn't
haven't hasn't hadn't user users person people one ones thing things something anything nothing get got gets
going gonna go goes went like likes liked say says said tell told know knows knew think thinks thought""".split())
NEGATIONS = frozenset("not no never none nothing nobody neither nor without cannot".split())
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " ", "`": "'"})
_WORD = re.compile(r"[0-9]+(?:[.,:][0-9]+)*|[^\W\d_]+(?:'[^\W\d_]+)?")


def normalize(text: str) -> str:
    """Lower case, one space between words, one kind of quote character."""
    return " ".join(text.translate(_QUOTES).lower().split())


def words(text: str) -> list[str]:
    return _WORD.findall(text.translate(_QUOTES).lower())


def stem(word: str) -> str:
    for suffix in ("'s", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2]:
                word = word[:-1]  # running -> run
            break
    return word[:6]


def content_words(text: str, ignore: frozenset[str] = frozenset()) -> set[str]:
    return {stem(w) for w in words(text) if w not in STOPWORDS and w not in ignore and len(w) > 1}


def negated(text: str) -> bool:
    return any(w in NEGATIONS or w.endswith("n't") for w in words(text))
