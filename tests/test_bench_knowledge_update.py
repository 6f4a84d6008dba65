"""bench/knowledge_update.py runs, and a store that knows time beats one that does not (smoke
size, hash embedder; the figures in bench/RESULTS.md use the real model and 60 people)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_knowledge_update_smoke(store):
    sys.path.insert(0, str(BENCH))
    try:
        import knowledge_update as ku
    finally:
        sys.path.remove(str(BENCH))
    people = ku.generate(6, seed=3)
    assert ku.generate(6, seed=3)[0].timelines["city"][0].text == people[0].timelines["city"][0].text  # seeded
    ku.load(store, people)
    dated, current = ku.questions(people, 3)
    assert dated and current and all(item[3] for item in dated + current)
    # every fact is stored; exactly one per attribute is current
    assert store.count(include_expired=True) == sum(len(t) for p in people for t in p.timelines.values()) + 12
    assert store.count() == 6 * (len(ku.ATTRIBUTES) + 2)
    assert ku.top1(store, dated, "keyword") > ku.top1(store, dated, "keyword", time_blind=True)
