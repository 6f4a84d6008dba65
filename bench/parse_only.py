"""`extract --parse-only` wall time (issue 16 item 1: under a second, no model loaded).

Runs, as fresh processes, `langmem --help` (the reference: start-up alone) and `langmem extract
--parse-only --json` on each transcript fixture and on a larger generated Claude Code session, and
prints the medians (seconds) side by side. Usage: python bench/parse_only.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "transcripts"


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "langmem_cli", *args], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "LANGMEM_DB": os.path.join(tempfile.gettempdir(), "parse-only-bench.db")})
    return time.perf_counter() - start


def big_session(path: Path, turns: int) -> None:
    """A Claude Code session of ``turns`` user/assistant pairs with tool calls, in the documented shape."""
    lines, parent = [], None
    for i in range(turns):
        for role, content in (("user", f"Turn {i}: I keep notes in Obsidian and sync them with git."),
                              ("assistant", [{"type": "text", "text": f"Noted ({i})."},
                                             {"type": "tool_use", "id": f"t{i}", "name": "Read", "input": {"file_path": f"n{i}.md"}}]),
                              ("user", [{"type": "tool_result", "tool_use_id": f"t{i}", "content": "x" * 2000}])):
            uuid = f"u{len(lines)}"
            lines.append({"type": role, "sessionId": "bench", "uuid": uuid, "parentUuid": parent,
                          "timestamp": "2025-01-01T00:00:00Z", "message": {"role": role, "content": content}})
            parent = uuid
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big-session.jsonl"
        big_session(big, 1000)
        cases = {"--help (reference)": ["--help"]}
        for path in [*sorted(FIXTURES.iterdir()), big]:
            cases[path.name] = ["extract", "--parse-only", "--json", str(path)]
        print(f"median of {options.runs} fresh processes, seconds")
        for name, args in cases.items():
            times = [timed(args) for _ in range(options.runs)]
            print(f"{name:40s} {statistics.median(times):6.2f}")
        print(f"(big-session.jsonl: {big.stat().st_size / 1e6:.1f} MB, 3000 lines)")


if __name__ == "__main__":
    main()
