"""Query text -> an FTS5 MATCH expression (any term may match; BM25 ranks)."""

from __future__ import annotations

import re
from collections.abc import Mapping

# Function words that carry no topic; removing them keeps BM25 on the content words.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves s t d ll m re ve
    """.split()
)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def terms(query: str) -> list[str]:
    """Lower-cased content words of the query, in order, without duplicates."""
    words = [w.lower() for w in _WORD.findall(query)]
    content = [w for w in words if w not in STOPWORDS]
    chosen = content or words
    seen: dict[str, None] = {}
    for w in chosen:
        seen.setdefault(w, None)
    return list(seen)


def match_expression(query: str | list[str]) -> str | None:
    """An FTS5 expression OR-ing the quoted terms of a query (or of a list of terms), or None
    when there are none."""
    words = terms(query) if isinstance(query, str) else query
    if not words:
        return None
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


# The smallest scope whose term counts say which terms are too common to tell its memories apart
# (in three memories, "more than half" is two: too few to call a term common).
MIN_SCOPE = 4


def discriminating(words: list[str], df: Mapping[str, int], n: int) -> list[str]:
    """The query terms that can tell the memories of a scope apart, for a scoped search.

    A term found in more than half of the scope's ``n`` memories (a person's name in their own
    namespace: "Where does Alice live?" searched in ``acme/alice``) would have no weight in BM25
    computed over that scope, yet with the whole store's statistics it makes every memory of the
    scope a keyword hit and drowns the term that matters ("live"). Such terms are left out of the
    keyword side, even when what is left matches nothing (the vector side then decides); only
    when every term is that common (the query is just the name) are they all kept. A scope of
    fewer than ``MIN_SCOPE`` memories is too small to tell a common term from the topic: all kept."""
    if n < MIN_SCOPE:
        return words
    useful = [w for w in words if 2 * df.get(w, 0) <= n]
    return useful or words
