"""First-search latency of a fresh process at 100k memories (issue 16 item 7), next to a cold CLI
search on the same database, in the same run.

    .venv/bin/python bench/first_search.py [--quick] [--runs 5] [--searches 20]

Uses the 100,000-memory database of bench/speed.py (built here if missing: real MiniLM vectors
for 10k base texts, mixtures for the rest). Figures, each a median over ``--runs`` fresh
processes, interleaved:

- cold CLI: wall time of ``langmem --db DB search Q --json`` (process start to exit);
- API: a fresh ``python`` that opens ``Store`` and searches: time of the first ``search`` call
  (from the call, the interpreter and imports excluded), and the slowest of the next
  ``--searches`` calls (where a keyword index built on demand would show);
- MCP: a fresh ``langmem mcp`` server driven by a real MCP client over stdio: time from the
  first ``search_memory`` call to its answer, and the slowest of the next ``--searches`` calls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import speed  # noqa: E402  (sets the pinned environment before numpy loads)

API_PROBE = r"""
import json, sys, time
from langmem_cli import Store
db, queries = sys.argv[1], json.loads(sys.argv[2])
store = Store.open(db)
times = []
for q in queries:
    t = time.perf_counter()
    hits = store.search(q, limit=10)
    times.append(time.perf_counter() - t)
    assert len(hits) == 10
print(json.dumps(times))
"""


def api_run(db: Path, queries: list[str]) -> list[float]:
    # cwd: not the checkout, so that PYTHONPATH decides which langmem_cli runs (a tree to compare)
    proc = subprocess.run([sys.executable, "-c", API_PROBE, str(db), json.dumps(queries)], env=speed.child_env(),
                          capture_output=True, text=True, check=True, cwd=str(speed.OUT))
    return json.loads(proc.stdout)


def mcp_run(db: Path, queries: list[str]) -> list[float]:
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(command=sys.executable, args=["-m", "langmem_cli", "--db", str(db), "mcp"],
                                   env=speed.child_env(), cwd=str(speed.OUT))

    async def session() -> list[float]:
        times = []
        async with Client(params) as client:
            for q in queries:
                t = time.perf_counter()
                result = await client.call_tool("search_memory", {"query": q, "limit": 10})
                times.append(time.perf_counter() - t)
                assert not result.is_error
        return times

    return asyncio.run(session())


def cli_run(db: Path, query: str) -> float:
    dt, proc = speed.timed_run([speed.LANGMEM if speed.LANGMEM.exists() else Path(sys.executable).parent / "langmem",
                                "--db", db, "search", query, "--json"])
    assert len(json.loads(proc.stdout)) == 10
    return dt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the quick sizes of bench/speed.py (5,000 memories)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--searches", type=int, default=20)
    args = parser.parse_args()
    sizes = speed.QUICK if args.quick else speed.FULL
    speed.OUT.mkdir(parents=True, exist_ok=True)
    texts, vectors = speed.base_corpus(sizes["base"])
    tag = "quick-" if args.quick else ""
    db = speed.OUT / f"{tag}big-{sizes['big_db']}.db"
    extra_texts, extra_vectors = speed.derived_corpus(texts, vectors, sizes["big_db"] - len(texts))
    import numpy as np

    speed.build_db(db, texts + extra_texts, np.concatenate([vectors, extra_vectors]), sizes["namespaces"],
                   {"n": sizes["big_db"], "base": sizes["base"], "ns": sizes["namespaces"], "v": 1}, False)
    from speed_corpus import locomo_questions

    questions = locomo_questions()
    per_run = args.searches + 1
    out: dict[str, list[float]] = {"cli": [], "api_first": [], "api_next_max": [], "mcp_first": [], "mcp_next_max": []}
    cli_run(db, questions[-1])  # one discarded warm-up (OS file cache)
    for i in range(args.runs):
        qs = questions[i * per_run:(i + 1) * per_run]
        tasks = [
            ("cli", lambda: out["cli"].append(cli_run(db, qs[0]))),
            ("api", lambda: (lambda t: (out["api_first"].append(t[0]), out["api_next_max"].append(max(t[1:]))))(api_run(db, qs))),
            ("mcp", lambda: (lambda t: (out["mcp_first"].append(t[0]), out["mcp_next_max"].append(max(t[1:]))))(mcp_run(db, qs))),
        ]
        k = i % len(tasks)
        for _, fn in tasks[k:] + tasks[:k]:
            fn()
        speed.log(f"run {i + 1}/{args.runs}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in out.items()))
    med = {k: statistics.median(v) for k, v in out.items()}
    m = speed.machine()
    print(f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {m.get('cpu', '?')}, {os.cpu_count()} cores, "
          f"{sizes['big_db']:,} memories, median of {args.runs} fresh processes, {args.searches} searches after the first")
    print()
    print("| what | first search | slowest of the next |")
    print("|---|---|---|")
    print(f"| cold CLI `langmem search Q --json` (whole process) | {med['cli']:.2f} s | |")
    print(f"| fresh Python process, `Store.search` | {med['api_first']:.2f} s | {med['api_next_max'] * 1000:.0f} ms |")
    print(f"| fresh `langmem mcp` server, `search_memory` | {med['mcp_first']:.2f} s | {med['mcp_next_max'] * 1000:.0f} ms |")
    (speed.OUT / f"{tag}first-search.json").write_text(json.dumps({"machine": m, "runs": out}, indent=1))


if __name__ == "__main__":
    main()
