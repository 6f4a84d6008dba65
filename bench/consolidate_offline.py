"""Offline `langmem consolidate` (no model) on near-duplicate pairs: are all merged, is nothing lost,
does the command exit 0?

    python bench/consolidate_offline.py [--pairs 100] [--db PATH]

Each pair is a short statement and a fuller one about the same person and thing ("Ada Brook likes
green tea" / "Ada Brook likes green tea every morning"), each with its own evidence; 100 people,
10 activities, so that pairs of different people also end up in clusters together. Run through the
real CLI in a subprocess with the real embedding model. "Nothing lost": every memory left names
the merged one (merged_from), keeps the evidence of both, and holds every content word of both.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST = ["Ada", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun"]
LAST = ["Brook", "Costa", "Dahl", "Eze", "Frost", "Gale", "Holm", "Ito", "Jansen", "Kova"]
THINGS = ["likes green tea", "plays the cello", "keeps bees in the garden", "runs on Sundays", "reads crime novels",
          "grows tomatoes", "collects vinyl records", "swims in the lake", "bakes sourdough bread", "paints watercolours"]
MORE = ["every morning", "with friends", "since childhood", "in summer", "on weekends", "after work",
        "at the club", "with the kids", "when it rains", "most evenings"]


def pairs(n: int) -> list[tuple[str, str]]:
    out = []
    for i in range(n):
        who = f"{FIRST[i % 10]} {LAST[(i // 10) % 10]}"
        thing = THINGS[(i * 7 + i // 10) % 10]
        out.append((f"{who} {thing}", f"{who} {thing} {MORE[i % 10]}"))
    return out


def langmem(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from langmem_cli.cli.app import main; main()", *args],
                          capture_output=True, text=True, env=env, cwd=ROOT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp(prefix="consolidate-offline-")) / "m.db"
    env = {**os.environ, "LANGMEM_DB": str(db), "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    env.pop("LANGMEM_MODEL", None)
    data = pairs(args.pairs)
    lines = []
    for n, (short, full) in enumerate(data):
        for text, tag in ((short, "a"), (full, "b")):
            evidence = [{"file": "bench.jsonl", "conversation": f"c{n}{tag}", "message": 0, "line": n + 1,
                         "role": "user", "speaker": "user", "quote": text}]
            lines.append(json.dumps({"namespace": "bench/pairs", "content": text, "metadata": {"evidence": evidence}}))
    db.parent.mkdir(parents=True, exist_ok=True)
    source = db.parent / "pairs.jsonl"
    source.write_text("\n".join(lines) + "\n")
    done = langmem("import", str(source), env=env)
    assert done.returncode == 0, done.stderr
    started = time.perf_counter()
    run = langmem("consolidate", "--all", "--json", env=env)
    seconds = time.perf_counter() - started
    left = json.loads(langmem("list", "--prefix", "bench", "--limit", "100000", "--json", env=env).stdout)
    by_text = {m["text"]: m for m in left}
    merged = lost = 0
    for n, (short, full) in enumerate(data):
        kept = by_text.get(full)
        if kept is None:
            lost += 1
            continue
        conversations = {e["conversation"] for e in kept["metadata"].get("evidence", [])}
        if short not in by_text and {f"c{n}a", f"c{n}b"} <= conversations and kept["metadata"].get("merged_from"):
            merged += 1
    summary = json.loads(run.stdout)["summary"] if run.stdout.strip() else {}
    print(f"pairs: {len(data)}")
    print(f"merged: {merged}")
    print(f"lost: {lost}")
    print(f"memories left: {len(left)}")
    print(f"exit code: {run.returncode}")
    print(f"clusters: {summary.get('clusters')}, LLM calls: {summary.get('calls')}")
    print(f"seconds: {seconds:.1f}")
    return 0 if run.returncode == 0 and merged == len(data) and lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
