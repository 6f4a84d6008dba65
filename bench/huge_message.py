"""Time and peak memory of `langmem extract` (offline) on one single-line message of N MB of
filler with one first-person fact in the middle; whether the fact was stored.

    python bench/huge_message.py [--mb 1 10] [--code DIR ...]

Each --code DIR is a checkout whose langmem_cli is run (e.g. /work/main for the reference).
Prints one JSON line per (code, size): seconds, peak RSS (MB), memories, fact kept.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore "
         "et dolore magna aliqua").split()
FACT = "I like green tea."


def message(mb: float, seed: int = 1) -> str:
    rng = random.Random(seed)
    parts, size = [], 0
    while size < mb * 1_000_000:
        sentence = " ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "."
        parts.append(sentence)
        size += len(sentence) + 1
    half = len(parts) // 2
    return " ".join(parts[:half] + [FACT] + parts[half:])


def run(code: str, path: Path, db: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": code, "LANGMEM_EMBEDDING_MODEL": "hash:64", "LANGMEM_DB": str(db)}
    timed = subprocess.run(["/usr/bin/time", "-f", "%e %M", sys.executable, "-m", "langmem_cli", "extract", str(path),
                            "-n", "bench", "--json"], env=env, capture_output=True, text=True, cwd=code)
    seconds, kb = timed.stderr.strip().splitlines()[-1].split()
    listed = subprocess.run([sys.executable, "-m", "langmem_cli", "list", "--json", "--limit", "100000"], env=env,
                            capture_output=True, text=True, cwd=code)
    texts = [m["text"] for m in json.loads(listed.stdout)]
    return {"seconds": float(seconds), "peak_mb": round(int(kb) / 1024), "memories": len(texts),
            "fact_kept": any("green tea" in t for t in texts), "exit": timed.returncode}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, nargs="+", default=[1, 10])
    parser.add_argument("--code", nargs="+", default=[str(Path(__file__).resolve().parent.parent)])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for mb in args.mb:
            path = Path(tmp) / f"huge-{mb}.jsonl"
            path.write_text(json.dumps({"role": "user", "content": message(mb)}) + "\n")
            for n, code in enumerate(args.code):
                result = run(code, path, Path(tmp) / f"{mb}-{n}.db")
                print(json.dumps({"code": code, "mb": mb, **result}), flush=True)


if __name__ == "__main__":
    main()
