"""search_memory latency through `langmem mcp` (a real MCP client over stdio) on a large database.

    python bench/mcp_speed.py [--db bench/out/speed/big-100000.db] [--namespace bench/ns000] [--queries 200]

The database is the one bench/speed.py builds (100,000 memories over 100 namespaces, real
MiniLM vectors); the server searches its own namespace, as an agent's server does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=HERE / "out" / "speed" / "big-100000.db")
    parser.add_argument("--namespace", default="bench/ns000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data" / "locomo-dev.json")
    args = parser.parse_args()
    from mcp import Client, StdioServerParameters

    questions = [qa["question"] for s in json.loads(args.data.read_text()) for qa in s["qa"]][: args.queries + 20]
    env = {**os.environ, "LANGMEM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "LANGMEM_CACHE_DIR": os.environ.get("LANGMEM_CACHE_DIR", str(HERE / "out" / "speed" / "models"))}
    params = StdioServerParameters(command=sys.executable, args=["-m", "langmem_cli", "--db", str(args.db), "mcp",
                                                                 "-n", args.namespace], env=env)

    async def session():
        times = []
        started = time.perf_counter()
        async with Client(params) as client:
            ready = time.perf_counter() - started
            for q in questions[:20]:  # warm-up: loads vectors and the keyword index
                await client.call_tool("search_memory", {"query": q, "limit": 10})
            for q in questions[20:]:
                t = time.perf_counter()
                result = await client.call_tool("search_memory", {"query": q, "limit": 10})
                times.append(time.perf_counter() - t)
                assert not result.is_error
        return ready, times

    ready, times = asyncio.run(session())
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print("| server start (incl. model) | search_memory median | p95 | queries | namespace size |")
    print("|---|---|---|---|---|")
    import sqlite3

    size = sqlite3.connect(args.db).execute("SELECT count(*) FROM memories WHERE namespace = ?", (args.namespace,)).fetchone()[0]
    total = sqlite3.connect(args.db).execute("SELECT count(*) FROM memories").fetchone()[0]
    print(f"| {ready:.2f} s | {1000 * statistics.median(times):.1f} ms | {1000 * p95:.1f} ms | {len(times)} | "
          f"{size:,} of {total:,} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
