"""Offline consolidation of one cluster: near-duplicates merged deterministically, contradictions
found and left for a run with a model. Pure: no I/O, no model.

Two memories of the same kind are near-duplicates when the content words (and numbers) of one
are all in the other and they agree on negation: the fuller one is kept, with the evidence of
both; the other is deleted (its history keeps it, and the kept one names it in
``metadata["merged_from"]``). Two similar memories that differ in negation or in their numbers
are a possible contradiction: nothing is changed, the pair is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from langmem_cli.core.extraction import Operation
from langmem_cli.core.grounding import content_words, negated
from langmem_cli.core.index_text import KEY as INDEX_TEXT
from langmem_cli.core.index_text import joined

SIMILAR_WORDS = 0.5  # Jaccard of content words from which two memories are about the same thing


@dataclass
class Member:
    id: str
    kind: str
    content: Any
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class OfflineResult:
    operations: list[Operation] = field(default_factory=list)
    contradictions: list[tuple[str, str, str]] = field(default_factory=list)  # (id, id, why)


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:[.,]\d+)?", text))


def _covers(big: Member, small: Member) -> bool:
    return (content_words(small.text) <= content_words(big.text) and _numbers(small.text) <= _numbers(big.text)
            and negated(small.text) == negated(big.text))


def merge_cluster(members: list[Member]) -> OfflineResult:
    result = OfflineResult()
    order = sorted(members, key=lambda m: (-len(content_words(m.text)), -len(m.text), m.id))
    gone: set[str] = set()
    merged: dict[str, list[Member]] = {}
    for i, big in enumerate(order):
        if big.id in gone:
            continue
        for small in order[i + 1:]:
            if small.id in gone or small.kind != big.kind:
                continue
            if _covers(big, small):
                gone.add(small.id)
                merged.setdefault(big.id, []).append(small)
    for big in order:
        if big.id not in merged:
            continue
        evidence = list(big.metadata.get("evidence") or [])
        names = list(big.metadata.get("merged_from") or [])
        words = joined(big.metadata.get(INDEX_TEXT), *(small.metadata.get(INDEX_TEXT) for small in merged[big.id]))
        for small in merged[big.id]:
            evidence += [e for e in small.metadata.get("evidence") or [] if e not in evidence]
            names += [small.id, *(small.metadata.get("merged_from") or [])]
            result.operations.append(Operation("delete", small.kind, None, small.id,
                                               metadata={"superseded_by": big.id}))
        metadata = {"merged_from": names, **({"evidence": evidence} if evidence else {}),
                    **({INDEX_TEXT: words} if words else {})}
        result.operations.append(Operation("update", big.kind, big.content, big.id, metadata=metadata))
    left = [m for m in members if m.id not in gone]
    for i, a in enumerate(left):
        for b in left[i + 1:]:
            why = _contradiction(a, b)
            if why:
                result.contradictions.append((a.id, b.id, why))
    return result


def _contradiction(a: Member, b: Member) -> str:
    wa, wb = content_words(a.text), content_words(b.text)
    if not wa or not wb or len(wa & wb) / len(wa | wb) < SIMILAR_WORDS:
        return ""
    if negated(a.text) != negated(b.text):
        return "one says not"
    if _numbers(a.text) and _numbers(b.text) and _numbers(a.text) != _numbers(b.text):
        return "different numbers"
    return ""
