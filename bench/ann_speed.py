"""Issue 28: warm search at 100k and 1M memories on SQLite with the ANN index file, against the
exact path (no index) in the same run.

    python bench/ann_speed.py [--size 1000000] [--queries 200] [--rebuild]

Corpus: bench/speed.py's (real MiniLM vectors of 10,000 real sentences, mixtures of two of them
beyond; 100 namespaces). Queries: LoCoMo questions embedded by the real model inside the timed
call (1 thread). Figures: index build time, its size on disk, the process's RSS growth when the
index is used, p50/p95 of global vector and hybrid search with the index and without it, scoped
vector/hybrid search (exact, unchanged), recall@10 of the global vector search against exact
numpy top 10 over all memories.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import speed  # noqa: E402,F401  (pins threads and the model cache before numpy loads)
from speed import DIM, MODEL, base_corpus, build_db, derived_corpus, log, machine, pct  # noqa: E402

import numpy as np  # noqa: E402

OUT = HERE / "out" / "ann"


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Precomputed:
    """The real model's vectors of the benchmark's queries, computed before timing, so that the
    figures are the store's own time; the embedding alone is timed apart (``embed_only``)."""

    name = MODEL
    dim = DIM

    def __init__(self, embedder, texts: list[str]) -> None:
        self.embedder = embedder
        self.table = dict(zip(texts, embedder.embed(texts)))

    def embed(self, texts):
        texts = list(texts)
        if all(t in self.table for t in texts):
            return np.stack([self.table[t] for t in texts]) if texts else np.zeros((0, DIM), dtype=np.float32)
        return self.embedder.embed(texts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--namespaces", type=int, default=100)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--rebuild-index", action="store_true")
    parser.add_argument("--modes", default="index,exact", help="index, exact or both (comma-separated)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    from speed_corpus import locomo_questions

    from langmem_cli.embed.embedders import get_embedder
    from langmem_cli.store.sqlite import SQLiteStore

    r: dict = {"machine": machine(), "size": args.size, "load_start": os.getloadavg()}
    texts, vectors = base_corpus(10_000)
    if args.size > len(texts):
        more_t, more_v = derived_corpus(texts, vectors, args.size - len(texts))
        texts, vectors = texts + more_t, np.concatenate([vectors, more_v])
        del more_t, more_v
    db = OUT / f"big-{args.size}.db"
    r["db_build_s"] = build_db(db, texts, vectors, args.namespaces,
                               {"n": args.size, "base": 10_000, "ns": args.namespaces, "v": 1}, args.rebuild)
    del texts
    embedder = get_embedder(MODEL)
    questions = locomo_questions()
    queries = questions[: args.queries]
    warm = questions[args.queries: args.queries + args.warmup]

    index_file = Path(f"{db}.ann")
    with SQLiteStore(db, embedder=embedder, ann_background=False, ann_min_rows=0) as store:
        if args.rebuild_index or not index_file.exists():
            log(f"building the ANN index of {args.size} vectors...")
            before = rss_mb()
            t0 = time.perf_counter()
            count = store.ann.rebuild()
            r["index_build_s"] = time.perf_counter() - t0
            r["index_build_rss_growth_mb"] = rss_mb() - before
            log(f"  {count} vectors in {r['index_build_s']:.0f} s")
        r["index_disk_mb"] = index_file.stat().st_size / 2**20
        r["db_disk_mb"] = db.stat().st_size / 2**20
    by_ns = None
    rows = None
    # exact reference over all memories (numpy float32), ids in rowid order
    with SQLiteStore(db, embedder=embedder, ann_background=False) as store:
        rows = store.runner.query("SELECT id, namespace, embedding FROM memories ORDER BY rowid")
    ids = [x[0] for x in rows]
    matrix = np.frombuffer(b"".join(x[2] for x in rows), dtype="<f4").reshape(len(rows), DIM)
    del rows, by_ns
    qvecs = embedder.embed(queries)
    truth = []
    for v in qvecs:
        s = matrix @ v
        part = np.argpartition(-s, 9)[:10]
        truth.append({ids[i] for i in part})
    del matrix

    def ns_of(i: int) -> str:
        return f"bench/ns{i % args.namespaces:03d}"

    cached = Precomputed(embedder, queries + warm)
    for label, min_rows in (("index", 0), ("exact", 10**12)):
        if label not in args.modes.split(","):
            continue
        with SQLiteStore(db, embedder=cached, ann_background=False, ann_min_rows=min_rows) as store:
            if label == "exact":
                store.retrievers.ann = None  # today's path: brute force over the in-memory vectors
            rss0 = rss_mb()
            t0 = time.perf_counter()
            store.search(warm[0], mode="vector", limit=10)
            r[f"{label}_first_search_s"] = time.perf_counter() - t0
            tasks = {
                "vector": lambda q, i: store.search(q, mode="vector", limit=10),
                "hybrid": lambda q, i: store.search(q, mode="hybrid", limit=10),
                "vector_ns": lambda q, i: store.search(q, mode="vector", limit=10, namespace=ns_of(i)),
                "hybrid_ns": lambda q, i: store.search(q, mode="hybrid", limit=10, namespace=ns_of(i)),
            }
            if label == "index":
                tasks["embed_only"] = lambda q, i: embedder.embed([q])
            for i, q in enumerate(warm):
                for fn in tasks.values():
                    fn(q, i)
            store.keyword_index(wait=True)
            times: dict[str, list[float]] = {name: [] for name in tasks}
            recall = []
            names = list(tasks)
            for i, q in enumerate(queries):
                k = i % len(names)
                for name in names[k:] + names[:k]:
                    t0 = time.perf_counter()
                    out = tasks[name](q, i)
                    times[name].append(time.perf_counter() - t0)
                    if name == "vector":
                        recall.append(len({h.memory.id for h in out} & truth[i]) / 10)
            r[label] = {name: {"p50": pct(t, 50), "p95": pct(t, 95)} for name, t in times.items()}
            r[label]["recall_at_10"] = float(np.mean(recall))
            r[label]["rss_growth_mb"] = rss_mb() - rss0
            log(f"  {label}: {json.dumps(r[label])}")
    r["load_end"] = os.getloadavg()
    r["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (OUT / f"results-{args.size}-{args.modes.replace(',', '-')}.json").write_text(json.dumps(r, indent=2, default=str))
    print(json.dumps(r, indent=2, default=str))


if __name__ == "__main__":
    main()
