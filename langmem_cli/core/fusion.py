"""Fusion of result lists (vector and keyword) and neighbour smoothing. Pure functions."""

from __future__ import annotations

import re
from typing import Hashable, Mapping, Sequence

_SOURCE_LINE = re.compile(r"^(.*):(\d+)$")


def min_max(scores: Sequence[tuple[Hashable, float]]) -> dict[Hashable, float]:
    """Scale a list's scores to [0, 1] (all 1.0 when they are equal)."""
    if not scores:
        return {}
    values = [s for _, s in scores]
    lo, hi = min(values), max(values)
    span = hi - lo
    return {item: ((s - lo) / span if span > 0 else 1.0) for item, s in scores}


def convex_fusion(
    rankings: Sequence[Sequence[tuple[Hashable, float]]], weights: Sequence[float]
) -> dict[Hashable, float]:
    """score(d) = sum_i w_i * minmax_i(d); a list that does not hold d adds 0."""
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    fused: dict[Hashable, float] = {}
    for ranking, weight in zip(rankings, weights):
        for item, score in min_max(ranking).items():
            fused[item] = fused.get(item, 0.0) + weight * score
    return fused


def neighbours(source: str | None) -> tuple[str, str] | None:
    """The sources of the lines before and after ``file:line``, or None if not of that form."""
    if not source:
        return None
    match = _SOURCE_LINE.match(source)
    if not match:
        return None
    path, line = match.group(1), int(match.group(2))
    return f"{path}:{line - 1}", f"{path}:{line + 1}"


def smooth_by_neighbours(
    scores: Mapping[Hashable, float], sources: Mapping[Hashable, str | None], weight: float
) -> dict[Hashable, float]:
    """Add ``weight`` x the best score among a memory's neighbours (adjacent source lines).

    A turn that answers a question often sits next to the turn that matches it; neighbours
    outside the candidate set count as 0.
    """
    if weight <= 0:
        return dict(scores)
    by_source: dict[str, float] = {}
    for item, score in scores.items():
        src = sources.get(item)
        if src:
            by_source[src] = max(score, by_source.get(src, 0.0))
    out = {}
    for item, score in scores.items():
        around = neighbours(sources.get(item))
        bonus = max(by_source.get(around[0], 0.0), by_source.get(around[1], 0.0)) if around else 0.0
        out[item] = score + weight * bonus
    return out


def ranked(scores: Mapping[Hashable, float]) -> list[tuple[Hashable, float]]:
    """(item, score) best first; ties keep insertion order."""
    return sorted(scores.items(), key=lambda kv: -kv[1])
