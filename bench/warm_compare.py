"""Warm search latency (figure P2 of bench/speed.py) of two code trees on the same database, in one run.

    python bench/warm_compare.py --before /path/to/main --after . [--n 100000] [--expired 0.1] [--namespace bench/ns007]

Builds (once, cached in bench/out/speed/) the same 100k-memory database as speed.py's figure 2
(real MiniLM vectors), then for each tree, alternately, in a fresh process: opens it with the
bundled model, warms up, and times ``Store.search(q, limit=10, mode=...)`` over LoCoMo questions.
``--namespace NS`` searches one namespace (about 1% of the memories) instead of all of them.
``--expired F`` also measures the after-tree on a copy where a share F of the memories has been
superseded (their validity closed), the case the validity filter has to skip.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

WORKER = r"""
import json, sys, time
from langmem_cli.store import Store
db, queries, warm = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
namespace = sys.argv[4] or None
store = Store.open(db)
store.embedder.embed(["warm up"])
modes = ("vector", "hybrid", "keyword")
for q in warm:
    for m in modes:
        store.search(q, limit=10, mode=m, namespace=namespace)
times = {m: [] for m in modes}
for i, q in enumerate(queries):
    for m in modes[i % 3:] + modes[:i % 3]:
        t0 = time.perf_counter()
        store.search(q, limit=10, mode=m, namespace=namespace)
        times[m].append(time.perf_counter() - t0)
print(json.dumps(times))
"""


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run(tree: Path, db: Path, queries: list[str], warm: list[str], namespace: str = "") -> dict[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(tree), "LANGMEM_EMBEDDING_MODEL": "all-MiniLM-L6-v2",
           "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", WORKER, str(db), json.dumps(queries), json.dumps(warm), namespace], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def expire_copy(db: Path, share: float) -> Path:
    import random
    import sqlite3

    copy = db.with_name(db.stem + f"-expired{int(share * 100)}.db")
    if not copy.exists():
        shutil.copy(db, copy)
        conn = sqlite3.connect(copy)
        ids = [r[0] for r in conn.execute("SELECT id FROM memories")]
        chosen = random.Random(1).sample(ids, int(len(ids) * share))
        cols = {r[1] for r in conn.execute("PRAGMA table_info(memories)")}
        assert "valid_until" in cols, "open the copy with the after-tree first (migration m010)"
        with conn:
            conn.executemany("UPDATE memories SET valid_until = '2024-01-01' WHERE id = ?", [(i,) for i in chosen])
        conn.close()
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=HERE.parent)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--expired", type=float, default=0.0)
    parser.add_argument("--namespace", default="", help="search this namespace only (e.g. bench/ns007)")
    args = parser.parse_args()

    import numpy as np
    import speed
    from speed_corpus import locomo_questions

    speed.OUT.mkdir(parents=True, exist_ok=True)
    texts, vectors = speed.base_corpus(10_000)
    db = speed.OUT / f"big-{args.n}.db"
    extra_t, extra_v = speed.derived_corpus(texts, vectors, args.n - len(texts))
    speed.build_db(db, texts + extra_t, np.concatenate([vectors, extra_v]), 100,
                   {"n": args.n, "base": 10_000, "ns": 100, "v": 1}, False)
    questions = locomo_questions()
    queries, warm = questions[: args.queries], questions[args.queries: args.queries + 30]
    results: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    for _ in range(args.rounds):
        for name, tree in (("before", args.before), ("after", args.after)):
            t0 = time.perf_counter()
            for mode, values in run(tree.resolve(), db, queries, warm, args.namespace).items():
                results[name].setdefault(mode, []).extend(values)
            print(f"{name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if args.expired:
        copy = expire_copy(db, args.expired)
        results[f"after, {args.expired:.0%} expired"] = run(args.after.resolve(), copy, queries, warm, args.namespace)
    rows = []
    for name, by_mode in results.items():
        for mode, values in by_mode.items():
            rows.append(f"| {name} | {mode} | {pct(values, 95) * 1000:.1f} ms | {statistics.median(values) * 1000:.1f} ms "
                        f"| {len(values)} |")
    print("| code | mode | p95 | median | searches |\n|---|---|---|---|---|\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
