"""The non-LLM work of `langmem consolidate` (clustering and bookkeeping) at 10k and 100k memories
in one namespace, and the LLM calls of a second run with no changes (scripted fake model).

    python bench/consolidate_speed.py [--sizes 10000 100000]

Data: the 100,000-memory database of bench/speed.py (real MiniLM vectors for 10k texts, the rest
mixtures of two), copied and moved into a single namespace (the hardest case: clusters never
cross namespaces, so one namespace is where all-pairs would cost n²).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--source", type=Path, default=HERE / "out" / "speed" / "big-100000.db")
    args = parser.parse_args()
    from langmem_cli import Store
    from langmem_cli.llm.litellm_client import LiteLLMClient
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the scripted model is test code
    from support.fake_llm import SCRIPT, register

    register()
    from langmem_cli.jobs.consolidate import ConsolidateOptions, run_consolidate

    print("| memories in the namespace | clusters | clustering s | whole run without LLM s (all clusters left pending) | "
          "first run LLM calls | second run LLM calls |")
    print("|---|---|---|---|---|---|")
    for size in args.sizes:
        tmp = Path(tempfile.mkdtemp()) / "c.db"
        shutil.copy(args.source, tmp)
        with sqlite3.connect(tmp) as conn:
            conn.execute("DELETE FROM memories WHERE rowid NOT IN (SELECT rowid FROM memories ORDER BY rowid LIMIT ?)", (size,))
            conn.execute("UPDATE memories SET namespace = 'bench/one'")
        store = Store.open(tmp, embedding_model="all-MiniLM-L6-v2")
        client = LiteLLMClient("fake/bench")
        opts = ConsolidateOptions(namespace="bench/one", threshold=0.85, max_llm_calls=0)
        t = time.perf_counter()
        dry = run_consolidate(store, client, opts)
        no_llm = time.perf_counter() - t
        SCRIPT.reset()  # replies: no operations (nothing to merge), so the run only records
        opts.max_llm_calls = None
        first = run_consolidate(store, client, opts)
        second = run_consolidate(store, client, opts)
        print(f"| {size:,} | {dry.clusters:,} | {dry.seconds_clustering:.1f} | {no_llm:.1f} | {first.usage.calls:,} | "
              f"{second.usage.calls} |")
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
