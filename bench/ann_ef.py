"""Issue 28: the ANN index's search depth (ef) against recall@10 and warm global latency, at 1M.

    python bench/ann_ef.py [--size 1000000] [--efs 256,384,512] [--rounds 2]

Uses the database and index that bench/ann_speed.py built (bench/out/ann/big-N.db{,.ann}). For
each ef, the same 200 LoCoMo questions (real MiniLM vectors, computed before timing) go through
`Store.search(mode="vector", limit=10)` with no namespace — the global path that uses the index —
interleaved across ef values round by round so load drifts hit every setting alike. recall@10 is
against the exact numpy top 10 over all memories. Only global searches run here: ann_speed.py
interleaves them with scoped and hybrid searches, whose exact in-memory work widens the tail.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import speed  # noqa: E402,F401  (pins threads and the model cache before numpy loads)
from ann_speed import OUT, Precomputed  # noqa: E402
from speed import DIM, MODEL, machine, pct  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--efs", default="256,384,512")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from speed_corpus import locomo_questions

    from langmem_cli.embed.embedders import get_embedder
    from langmem_cli.store.sqlite import SQLiteStore

    db = OUT / f"big-{args.size}.db"
    if not Path(f"{db}.ann").exists():
        sys.exit(f"{db}.ann is missing: run bench/ann_speed.py --size {args.size} first")
    r: dict = {"machine": machine(), "size": args.size, "load_start": os.getloadavg()}
    embedder = get_embedder(MODEL)
    questions = locomo_questions()
    queries, warm = questions[: args.queries], questions[args.queries: args.queries + 20]
    with SQLiteStore(db, embedder=embedder, ann_background=False) as store:
        rows = store.runner.query("SELECT id, embedding FROM memories ORDER BY rowid")
    ids = [x[0] for x in rows]
    matrix = np.frombuffer(b"".join(x[1] for x in rows), dtype="<f4").reshape(len(rows), DIM)
    del rows
    truth = [{ids[i] for i in np.argpartition(-(matrix @ v), 9)[:10]} for v in embedder.embed(queries)]
    del matrix, ids
    cached = Precomputed(embedder, queries + warm)
    efs = [int(x) for x in args.efs.split(",")]
    times: dict[int, list[float]] = {ef: [] for ef in efs}
    recall: dict[int, list[float]] = {ef: [] for ef in efs}
    with SQLiteStore(db, embedder=cached, ann_background=False, ann_min_rows=0) as store:
        for q in warm:
            store.search(q, mode="vector", limit=10)
        index = store.ann.index
        for _ in range(args.rounds):
            for i, q in enumerate(queries):
                for ef in efs[i % len(efs):] + efs[: i % len(efs)]:
                    index.expansion_search = ef
                    t0 = time.perf_counter()
                    out = store.search(q, mode="vector", limit=10)
                    times[ef].append(time.perf_counter() - t0)
                    recall[ef].append(len({h.memory.id for h in out} & truth[i]) / 10)
    r["by_ef"] = {ef: {"p50_ms": pct(times[ef], 50) * 1e3, "p95_ms": pct(times[ef], 95) * 1e3,
                       "recall_at_10": float(np.mean(recall[ef]))} for ef in efs}
    r["load_end"] = os.getloadavg()
    (OUT / f"results-{args.size}-ef.json").write_text(json.dumps(r, indent=2, default=str))
    print(json.dumps(r, indent=2, default=str))


if __name__ == "__main__":
    main()
