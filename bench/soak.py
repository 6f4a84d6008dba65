"""Soak test: every command against one database from 4 processes at once, for a bounded time.

    .venv/bin/python bench/soak.py [--seconds 300] [--workers 4] [--dir DIR]

Each worker process runs a weighted mix of langmem commands in process (through the same Typer
app as the `langmem` command, so option parsing, error handling and exit codes are the real
ones): put, search, list, get, delete, extract and consolidate with the scripted fake model
(``--model fake/soak``), export and import. The hash embedder keeps it model-free and offline.

Printed: operations per second and latency (mean, p95) per command, every error (an exit code
other than 0, or 75 "busy" for an overlapping consolidate), and the end state of the database
(integrity check, history agreeing with the memories table, FTS row count).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

WEIGHTS = {"put": 30, "search": 20, "list": 8, "get": 6, "delete": 8, "extract": 8, "consolidate": 4,
           "export": 5, "import": 5}


def worker(name: str, db: str, work: Path, stop: float, seed: int) -> None:
    from typer.testing import CliRunner

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the scripted model is test code
    from support.fake_llm import SCRIPT, register

    register()
    from langmem_cli.cli.app import app

    rng = random.Random(seed)
    runner = CliRunner()
    env = {"LANGMEM_DB": db, "LANGMEM_EMBEDDING_MODEL": "hash:64"}
    ns = f"soak/{name}"
    ids: list[str] = []
    stats: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    busy = 0
    n = 0
    commands, weights = zip(*WEIGHTS.items())

    def run(args: list[str]):
        if args[0] != "consolidate":
            return runner.invoke(app, args, env=env)
        # the fake model merges pairs (c1 rewritten, c2 deleted); extract answers by itself (auto)
        SCRIPT.reset([{"json": {"operations": [{"action": "update", "id": "c1", "content": f"{name} merged {n}.{k}"},
                                               {"action": "delete", "id": "c2"}]}} for k in range(100)])
        try:
            return runner.invoke(app, args, env=env)
        finally:
            SCRIPT.reset()

    while time.time() < stop:
        n += 1
        cmd = rng.choices(commands, weights)[0]
        tag = f"{name}x{n}"
        if cmd == "put":
            args = ["put", f"{name} note {n}: likes colour {rng.randrange(12)} and tea zq{tag}", "-n", ns]
        elif cmd == "search":
            args = ["search", f"colour {rng.randrange(12)} tea", "--limit", "5", *(["-n", ns] if rng.random() < 0.5 else [])]
        elif cmd == "list":
            args = ["list", "-n", ns, "--limit", "20"]
        elif cmd == "get":
            if not ids:
                continue
            args = ["get", rng.choice(ids)]
        elif cmd == "delete":
            if not ids:
                continue
            args = ["delete", ids.pop(rng.randrange(len(ids)))]
        elif cmd == "extract":
            path = work / f"{tag}.jsonl"
            path.write_text("".join(json.dumps({"messages": [
                {"role": "user", "content": f"{name} conversation {n}.{i}: my code is C{tag}y{i}"},
                {"role": "assistant", "content": "Noted."}]}) + "\n" for i in range(5)))
            args = ["extract", str(path), "-n", ns, "--model", "fake/soak", "--top-k", "3"]
        elif cmd == "consolidate":
            args = ["consolidate", "--prefix", ns, "--model", "fake/soak", "--threshold", "0.6"]
        elif cmd == "export":
            args = ["export", "--prefix", ns, "-o", str(work / f"{name}.export.jsonl")]
        else:  # import
            path = work / f"{tag}.import.jsonl"
            path.write_text("".join(json.dumps({"namespace": ns, "content": f"{name} imported {n}.{i} zq{tag}i{i}"}) + "\n"
                                    for i in range(10)))
            args = ["import", str(path)]
        t = time.perf_counter()
        result = run(args)
        elapsed = time.perf_counter() - t
        if cmd in ("get", "delete") and result.exit_code == 3:
            stats[cmd].append(elapsed)  # consolidate in another process may have merged it away
            continue
        if cmd == "consolidate" and result.exit_code == 75:
            busy += 1
            stats[cmd].append(elapsed)
            continue
        if result.exit_code != 0 or result.exception and not isinstance(result.exception, SystemExit):
            detail = (result.stderr or "").strip().splitlines()[-1:] or [repr(result.exception)]
            errors.append(f"{name} {cmd}: exit {result.exit_code}: {detail[0][:300]}")
            continue
        stats[cmd].append(elapsed)
        if cmd == "put":
            ids.append(json.loads(result.stdout)["id"])
    print(json.dumps({"name": name, "stats": stats, "errors": errors, "busy": busy}), flush=True)


def check(db: str) -> dict:
    conn = sqlite3.connect(db)
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    live = {r[0] for r in conn.execute("SELECT id FROM memories")}
    last = dict(conn.execute(
        "SELECT memory_id, action FROM history h WHERE id = (SELECT max(id) FROM history WHERE memory_id = h.memory_id)"))
    history_ok = {m for m, a in last.items() if a != "delete"} == live
    fts = conn.execute("SELECT count(*) FROM memories_fts").fetchone()[0]
    runs = dict(conn.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall())
    conn.close()
    return {"integrity": integrity, "memories": len(live), "history_matches": history_ok, "fts_rows": fts,
            "fts_matches": fts == len(live), "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--dir", help="Work directory (default: a fresh temporary one)")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        name, db, work, stop, seed = args.worker
        worker(name, db, Path(work), float(stop), int(seed))
        return

    work = Path(args.dir or tempfile.mkdtemp(prefix="langmem-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    db = str(work / "soak.db")
    env = {**os.environ, "LANGMEM_DB": db, "LANGMEM_EMBEDDING_MODEL": "hash:64", "HF_HUB_OFFLINE": "1"}
    env.pop("LANGMEM_FAKE_SCRIPT", None)
    start = time.time() + 4.0  # after every worker has imported litellm
    stop = start + args.seconds
    procs = []
    for i in range(args.workers):
        procs.append(subprocess.Popen(
            [sys.executable, __file__, "--worker", f"w{i}", db, str(work), str(stop), str(i + 1)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    print(f"soak: {args.workers} processes, {args.seconds:g} s, database {db}", flush=True)
    results, crashes = [], []
    for p in procs:
        out, err = p.communicate()
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if p.returncode != 0 or not lines:
            crashes.append(f"worker exited {p.returncode}: {err.strip()[-2000:]}")
        else:
            results.append(json.loads(lines[-1]))
    merged: dict[str, list[float]] = defaultdict(list)
    errors = [e for r in results for e in r["errors"]] + crashes
    for r in results:
        for cmd, times in r["stats"].items():
            merged[cmd].extend(times)
    total = sum(len(t) for t in merged.values())
    print(f"{'command':<12}{'ops':>8}{'ops/s':>10}{'mean ms':>10}{'p95 ms':>10}")
    for cmd in WEIGHTS:
        times = sorted(merged.get(cmd, []))
        if not times:
            print(f"{cmd:<12}{0:>8}")
            continue
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        print(f"{cmd:<12}{len(times):>8}{len(times) / args.seconds:>10.2f}{1000 * sum(times) / len(times):>10.1f}{1000 * p95:>10.1f}")
    print(f"{'all':<12}{total:>8}{total / args.seconds:>10.2f}")
    print(f"consolidate busy (exit 75, another run held the lock): {sum(r['busy'] for r in results)}")
    state = check(db)
    print("end state:", json.dumps(state))
    print(f"errors: {len(errors)}")
    for e in errors[:50]:
        print("  " + e)
    ok = not errors and state["integrity"] == "ok" and state["history_matches"] and state["fts_matches"]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
