"""Re-ranking after fusion: what the query asks for, beyond the words it shares. Pure functions.

Search fuses the vector and keyword scores of its candidates (``core.fusion``); ``rerank`` then
adjusts them, in this order, with rules that read only the query and the candidates' own text and
source (nothing learnt, nothing about a data set):

1. neighbours (conversational memories): a memory's place is the message it quotes (its evidence:
   conversation and message index) or, without evidence, its ``file:line`` source (one turn per
   line). It gains ``neighbor`` x the best fused score of the memories one message away, plus half
   that weight x the best two messages away: the answer often sits next to the turn that matches the question.
   Memories with no place (typed in, no evidence) are untouched.
2. time: a question about time ("when did ...", "what year ...", "how long ago ...") favours
   memories that say when: a date, a month, a weekday, a year, or a relative time ("yesterday",
   "last week", "two years ago"). The bonus grows with the number of such mentions, up to
   ``TIME_MENTIONS``. Off in ``DEFAULT`` (see there).
3. people: a question that names someone (a capitalised word that is not the question's first
   word, e.g. "What did Maria paint?") favours the memories that name them.
4. diversity: the page is chosen greedily by maximal marginal relevance, so that a question with
   several parts ("What do Ann and Bo like?") is not answered by near copies of one memory:
   each next hit maximises ``score - diversity x (highest word overlap with a hit already
   chosen)``, and that is the score it shows.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from typing import Hashable, Mapping, Sequence

from langmem_cli.core.words import MONTHS, STOPWORDS, WEEKDAYS, stem, words

# A question about time: its opening words (or "what date/year/month/day", "how long ago", "since when").
_TIME_QUESTION = re.compile(
    r"^\s*(?:when\b|since when\b|until when\b|how long ago\b|(?:in |on |during )?(?:what|which) "
    r"(?:date|year|month|day|week|weekend|time of year|season)\b)|\bwhen (?:did|does|do|is|was|were|will|has|had)\b",
    re.I)
_RELATIVE = re.compile(
    r"\b(?:yesterday|today|tonight|tomorrow|ago|last (?:night|week|weekend|month|year|summer|winter|spring|fall|"
    r"autumn)|next (?:week|weekend|month|year)|this (?:morning|afternoon|evening|week|weekend|month|year)|"
    r"recently|lately|since|(?:a )?few (?:days|weeks|months|years))\b", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_DATE = re.compile(r"\b\d{4}-\d\d-\d\d\b")
_TIME_WORDS = frozenset(MONTHS) | frozenset(WEEKDAYS)
# How many time mentions make the full time bonus.
TIME_MENTIONS = 2
# Capitalised words that open or fill questions and are not names.
_NOT_NAMES = frozenset(("i", "what", "when", "where", "who", "whom", "whose", "which", "why", "how", "is", "are",
                        "was", "were", "did", "do", "does", "has", "have", "had", "can", "could", "would", "will",
                        "should", "in", "on", "at", "the", "a", "an", "if", "and", "or", "for")) | frozenset(
    MONTHS) | frozenset(WEEKDAYS)
_CAPITALISED = re.compile(r"\b([A-Z][\w'’-]*[\w])")


_SOURCE_LINE = re.compile(r"^(.*):(\d+)$")
# Neighbours up to this many messages away count, each step halving the weight.
NEIGHBOUR_REACH = 2


@dataclass(frozen=True)
class Candidate:
    """A fused search candidate as the re-ranker sees it: its fused score, text and places
    ((conversation, message index) pairs; see ``places``)."""

    id: Hashable
    score: float
    text: str = ""
    places: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Weights:
    neighbor: float = 0.0
    time: float = 0.0
    person: float = 0.0
    diversity: float = 0.0

    @property
    def any(self) -> bool:
        return self.neighbor > 0 or self.time > 0 or self.person > 0 or self.diversity > 0


# The defaults of search (hybrid), kept on the LoCoMo dev conversations only when each raised most of
# them individually (bench/RESULTS.md, issue 24). The time rule did not (no change on raw turns, which
# all carry their date; lower recall on extracted statements): it stays available, off by default.
NEIGHBOR_WEIGHT = 0.4
DEFAULT = Weights(neighbor=NEIGHBOR_WEIGHT, time=0.0, person=0.2, diversity=0.1)
OFF = Weights()


def weights_for(mode: str, neighbor_weight: float | None, enabled: bool = True) -> Weights:
    """The re-ranking of a search: hybrid gets ``DEFAULT`` (with ``neighbor_weight`` when given);
    the single-retriever modes keep their own order, with neighbours only when asked for;
    ``enabled`` False: neighbours only when asked for, nothing else."""
    if enabled and mode == "hybrid":
        return replace(DEFAULT, neighbor=DEFAULT.neighbor if neighbor_weight is None else neighbor_weight)
    return Weights(neighbor=neighbor_weight or 0.0)


def places(source: str | None, metadata: Mapping | None) -> tuple[tuple[str, int], ...]:
    """Where a memory sits in a conversation: the messages its evidence quotes (conversation,
    message index), else its ``file:line`` source (a file of one turn per line), else nowhere."""
    # (a dict is checked first: the ABC check of Mapping costs a search ~0.5 ms over its candidates)
    evidence = metadata.get("evidence") if isinstance(metadata, (dict, Mapping)) else None
    out: list[tuple[str, int]] = []
    if isinstance(evidence, list):
        for item in evidence:
            if not isinstance(item, (dict, Mapping)):
                continue
            where, index = item.get("conversation") or item.get("file"), item.get("message")
            if isinstance(where, str) and isinstance(index, int) and not isinstance(index, bool):
                out.append((where, index))
    if out:
        return tuple(dict.fromkeys(out))
    match = _SOURCE_LINE.match(source or "")
    return ((match.group(1), int(match.group(2))),) if match else ()


def smooth_by_neighbours(candidates: Sequence[Candidate], weight: float) -> dict[Hashable, float]:
    """Fused scores plus ``weight`` x the best score one message away, plus half that weight x the
    best two away; neighbours outside the candidates count as 0."""
    scores = {c.id: c.score for c in candidates}
    if weight <= 0:
        return scores
    best: dict[tuple[str, int], float] = {}
    for c in candidates:
        for place in c.places:
            best[place] = max(c.score, best.get(place, 0.0))
    out = {}
    for c in candidates:
        bonus = 0.0
        for where, index in c.places:
            around = 0.0
            for distance in range(1, NEIGHBOUR_REACH + 1):
                near = max(best.get((where, index - distance), 0.0), best.get((where, index + distance), 0.0))
                around += weight * near / 2 ** (distance - 1)
            bonus = max(bonus, around)
        out[c.id] = c.score + bonus
    return out


def asks_when(query: str) -> bool:
    """Is the question about time ("When did ...?", "In which year ...?")?"""
    return bool(_TIME_QUESTION.search(query))


def time_mentions(text: str) -> int:
    """How many times ``text`` says when: relative times, ISO dates, years, months, weekdays."""
    n = len(_RELATIVE.findall(text)) + len(_YEAR.findall(text)) + len(_DATE.findall(text))
    return n + sum(1 for w in words(text) if w in _TIME_WORDS and w != "may") + len(
        re.findall(r"\b\d{1,2} May\b|\bMay \d{1,2}\b", text))


def names_in(query: str) -> list[str]:
    """Lower-cased names the query mentions: capitalised words, the first word of the query aside,
    that are not question or function words."""
    found = []
    for match in _CAPITALISED.finditer(query):
        word = match.group(1).replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]
        lower = word.lower()
        if match.start() == len(query) - len(query.lstrip()) and lower in _NOT_NAMES | STOPWORDS:
            continue
        if lower in _NOT_NAMES or lower in STOPWORDS or lower in found:
            continue
        found.append(lower)
    return found


def _name_pattern(names: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in names) + r")(?!\w)", re.I)


@functools.lru_cache(maxsize=8192)  # pure; the same memories come back across searches
def _signature(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1)


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard overlap of two word sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def boost(query: str, candidates: Sequence[Candidate], weights: Weights, reach: int | None = None) -> dict[Hashable, float]:
    """Fused scores with the neighbour, time and people bonuses added. With ``reach``, only the
    candidates that can still get into the best ``reach`` are read (the same first ``reach``,
    less work): those whose score plus the largest bonus reaches the ``reach``-th score."""
    scores = smooth_by_neighbours(candidates, weights.neighbor)
    when = weights.time > 0 and asks_when(query)
    people = names_in(query) if weights.person > 0 else []
    if not when and not people:
        return scores
    most = (weights.time if when else 0.0) + (weights.person if people else 0.0)
    floor = float("-inf")
    if reach is not None and len(scores) > reach:
        floor = sorted(scores.values(), reverse=True)[reach - 1] - most
    named = _name_pattern(people) if people else None
    out = dict(scores)
    for c in candidates:
        score = scores[c.id]
        if score < floor:
            continue
        if when:
            score += weights.time * min(time_mentions(c.text), TIME_MENTIONS) / TIME_MENTIONS
        if named is not None:
            found = {m.lower().replace("’", "'") for m in named.findall(c.text)}
            score += weights.person * len(found) / len(people)
        out[c.id] = score
    return out


def diversity_pool(k: int) -> int:
    """How many of the best candidates the diversified first ``k`` are chosen from."""
    return k + 10


def diversify(ranked_items: Sequence[tuple[Hashable, float]], texts: Mapping[Hashable, str], k: int,
              weight: float) -> list[tuple[Hashable, float]]:
    """The first ``k`` of ``ranked_items`` (best first) chosen by maximal marginal relevance from
    the best ``diversity_pool(k)``, each with its marginal score (its score less ``weight`` x its
    highest word overlap with a hit chosen before it: never higher than the hit before); the rest
    follow in their order with their scores."""
    if weight <= 0 or k <= 1 or len(ranked_items) <= 1:
        return list(ranked_items)
    pool = list(ranked_items[:diversity_pool(k)])
    rest = list(ranked_items[len(pool):])
    signatures = {item: _signature(texts.get(item, "")) for item, _ in pool}
    chosen: list[tuple[Hashable, float]] = []
    nearest = {item: 0.0 for item, _ in pool}
    while pool and len(chosen) < k:
        best = max(range(len(pool)), key=lambda i: (pool[i][1] - weight * nearest[pool[i][0]], -i))
        item, score = pool.pop(best)
        chosen.append((item, score - weight * nearest[item]))
        for other, _ in pool:
            nearest[other] = max(nearest[other], overlap(signatures[other], signatures[item]))
    return chosen + pool + rest


def rerank(query: str, candidates: Sequence[Candidate], weights: Weights, k: int) -> list[tuple[Hashable, float]]:
    """(id, score) best first, the first ``k`` diversified when ``weights.diversity`` > 0."""
    scores = boost(query, candidates, weights, diversity_pool(k) if weights.diversity > 0 else k)
    order = sorted(scores.items(), key=lambda kv: -kv[1])
    if weights.diversity > 0:
        order = diversify(order, {c.id: c.text for c in candidates}, k, weights.diversity)
    return order
