"""What a fixed word bound would cost (issues 23/24): keep only the extractor's best memories up to
a budget of words per sample, and measure what is lost. A costing, not a selection the extractor
makes: the library keeps what was said (its budget follows the transcript, no constant).

    # fact recall at N words per sample (after `bench/locomo_extract.py --sessions 3 --db DB`)
    python bench/locomo_budget.py facts --db DB --sessions 3 --budgets 300,400,600
    # answer found at a share of the raw turns' words (after `bench/locomo_e2e.py --keep DIR`)
    python bench/locomo_budget.py e2e --keep DIR --shares 0.25

Memories are ranked by the extractor's own measure (core.statements.score: information per word)
and kept best first while the sample's words stay within the budget. The store copy is edited
(memories deleted), the original is left as it was.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from locomo import DEFAULT_DATA, memory_lines  # noqa: E402


def within(memories: list, budget: float, embed=None, stop: bool = False) -> list:
    """The best memories (the extractor's score) within ``budget`` words; with ``embed``, each next
    one also far from those kept (maximal marginal relevance: score, scaled to the best one's, minus
    the closest cosine); ``stop``: no budget, kept while that margin stays above 0."""
    from langmem_cli.core.statements import score

    ranked = sorted(memories, key=lambda m: -score(m.text))
    if embed is not None and ranked:
        import numpy as np

        vectors = np.asarray(embed([m.text for m in ranked]))
        scores = np.array([score(m.text) for m in ranked])
        scores = scores / max(float(scores.max()), 1e-9)
        order, closest = [], np.full(len(ranked), -1.0)
        left = set(range(len(ranked)))
        while left:
            best = max(left, key=lambda i: scores[i] - max(0.0, closest[i]))
            if stop and scores[best] - max(0.0, closest[best]) <= 0:
                break
            order.append(best)
            left.discard(best)
            closest = np.maximum(closest, vectors @ vectors[best])
        ranked = [ranked[i] for i in order]
    kept, used = [], 0
    for m in ranked:
        n = len(m.text.split())
        if used + n <= budget:
            kept.append(m)
            used += n
    return kept


def facts(args) -> None:
    from locomo_extract import THRESHOLD, gold_facts

    from langmem_cli import Store

    samples = json.loads(args.data.read_text())
    store = Store.open(args.db, embedding_model="all-MiniLM-L6-v2")
    embed = store.embedder.embed
    print("| words per sample (bound) | fact recall | words per sample (kept) |")
    print("|---|---|---|")
    for budget in ([] if args.stop else [float(b) for b in args.budgets.split(",")]) + [float("inf")]:
        recalled = total = words = 0
        for sample in samples:
            memories = store.list(namespace="locomo/" + str(sample.get("sample_id")), limit=None)
            kept = within(memories, budget, embed if args.diverse or args.stop else None, args.stop)
            gold = gold_facts(sample, args.sessions)
            words += sum(len(m.text.split()) for m in kept)
            if gold and kept:
                sims = embed(gold) @ embed([m.text for m in kept]).T
                recalled += int((sims.max(axis=1) >= THRESHOLD).sum())
            total += len(gold)
        label = ("no bound, margin > 0" if args.stop else "none") if budget == float("inf") else f"{budget:.0f}"
        print(f"| {label} | {100 * recalled / max(total, 1):.1f} % | {words / len(samples):.0f} |")


def e2e(args) -> None:
    from locomo_e2e import conversation_records, questions, score, search_all, summarise, words_per_namespace

    from langmem_cli import Store

    samples = json.loads(args.data.read_text())
    qs = questions(samples)
    where = {str(s.get("sample_id")): conversation_records(s)[1] for s in samples}
    raw_words = {str(s.get("sample_id")): sum(len(json.loads(line)["content"].split()) for line in memory_lines(s))
                 for s in samples}
    print("| share of the raw turns' words | evidence R@10 | answer found | words per sample | "
          + " | ".join(sorted(raw_words)) + " |")
    print("|---|---|---|---|" + "---|" * len(raw_words))
    for share in [float("inf")] if args.stop else [float(s) for s in args.shares.split(",")]:
        work = Path(tempfile.mkdtemp(prefix="locomo-budget-"))
        db = work / "extract.db"
        shutil.copy(args.keep / "extract.db", db)
        store = Store.open(db, embedding_model="all-MiniLM-L6-v2")
        for sample in samples:
            sid = str(sample.get("sample_id"))
            memories = store.list(namespace="locomo/" + sid, limit=None)
            keep = {m.id for m in within(memories, share * raw_words[sid],
                                         store.embedder.embed if args.diverse or args.stop else None, args.stop)}
            for m in memories:
                if m.id not in keep:
                    store.delete(m.id, source="bench")
        store.close()
        row = summarise(f"{share:.2f}", qs, score(qs, search_all(db, qs, work, "budget"), where),
                        words_per_namespace(db, samples))
        cells = [f"{row['samples'][s][1]:.1f} / {row['samples'][s][2]:.1f} / {row['samples'][s][3]:,}" for s in sorted(raw_words)]
        print(f"| {'no bound, margin > 0' if args.stop else f'{share:.0%}'} | {row['recall']:.1f} | {row['found']:.1f} | {row['words']:,.0f} | " + " | ".join(cells) + " |")
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["facts", "e2e"])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--db", type=Path, help="facts: the store of bench/locomo_extract.py --db")
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--budgets", default="300")
    parser.add_argument("--keep", type=Path, help="e2e: the directory of bench/locomo_e2e.py --keep")
    parser.add_argument("--shares", default="0.25")
    parser.add_argument("--diverse", action="store_true", help="rank by score minus the closest kept memory's cosine")
    parser.add_argument("--stop", action="store_true", help="no budget: keep while score minus closest cosine > 0")
    args = parser.parse_args()
    facts(args) if args.what == "facts" else e2e(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
