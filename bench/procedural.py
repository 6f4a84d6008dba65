"""The offline prompt optimizer (optimize-prompt without a model, issue 26) on labelled trajectories.

    .venv/bin/python bench/procedural.py [--runs 3] [--split dev|heldout|heldout2|all]

bench/data/procedural/{dev,heldout,heldout2}.jsonl: trajectories whose ``lessons`` field lists the
distinct corrective lessons their feedback teaches (written by hand). dev is tuned on; heldout was
written before any run on it, measured once, then looked at (so no longer held out: its first
figure is in RESULTS.md); heldout2 was written after that and before any run on it. lessons.json
gives per lesson id the words an instruction for it contains, and the contradictions (the side
that must lose). Reported per split:

- feedback coverage: share of distinct lessons (less the losing side of a contradiction) that end up
  as an instruction backed by a trajectory labelled with that lesson;
- instructions without a supporting quote (a quote that is not verbatim in its trajectory line): must be 0;
- instructions that match no label of their evidence (false lessons);
- a second run on the same input changes nothing;
- seconds per 1,000 trajectories (all splits cycled to 1,000 lines), with the on-device embedder
  grouping lessons (default) and with words only (hash embedder), against reading the same file
  with json.loads alone (the reference, measured in the same run); medians of --runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "procedural"
PROMPT = "You are the support assistant of Acme Cloud.\n\nBe friendly.\n\nQuestion: {question}\n"


def optimize(prompt_path: Path, trajectories: Path):
    from langmem_cli.formats.prompt_files import load_prompt_file
    from langmem_cli.jobs.optimize import OptimizeOptions, run_offline

    return run_offline(None, [load_prompt_file(prompt_path)], trajectories, OptimizeOptions(kind="lessons"))


def evaluate(split: str, tmp: Path) -> dict:
    catalogue = json.loads((DATA / "lessons.json").read_text())
    accept = catalogue["accept"][split]
    losers = {b for a, b in catalogue.get("contradictions", {}).get(split, [])}
    path = DATA / f"{split}.jsonl"
    lines = path.read_text().splitlines()
    labels = {i + 1: json.loads(line)["lessons"] for i, line in enumerate(lines)}
    prompt = tmp / f"{split}.md"
    prompt.write_text(PROMPT)
    report = optimize(prompt, path)
    (outcome,) = report.outcomes
    instructions = [i for i in outcome.instructions if not i["kept"]]
    covered, false, unsupported = set(), [], []
    for ins in instructions:
        text = ins["instruction"].lower()
        ok = bool(ins["evidence"])
        for ev in ins["evidence"]:
            line_no = int(ev["source"].rsplit(":", 1)[1])
            if ev["quote"] not in lines[line_no - 1]:
                ok = False
        if not ok:
            unsupported.append(ins["instruction"])
        matched = {lid for ev in ins["evidence"] for lid in labels[int(ev["source"].rsplit(":", 1)[1])]
                   if any(w in text for w in accept.get(lid, []))}
        covered |= matched
        if not matched:
            false.append(ins["instruction"])
    expected = set(accept) - losers
    prompt.write_text(report.new_text)
    again = optimize(prompt, path)
    return {"split": split, "trajectories": len(lines), "lessons": len(expected),
            "covered": sorted(covered & expected), "missed": sorted(expected - covered),
            "coverage": len(covered & expected) / len(expected), "instructions": len(instructions),
            "without_quote": len(unsupported), "false": false, "loser_written": sorted(covered & losers),
            "conflicts": outcome.conflicts, "second_run_changes": bool(again.changed),
            "written": [i["instruction"] for i in instructions]}


def speed(tmp: Path, runs: int) -> dict:
    rows = [line for name in ("dev", "heldout", "heldout2") for line in (DATA / f"{name}.jsonl").read_text().splitlines()]
    big = tmp / "1000.jsonl"
    big.write_text("\n".join(rows[i % len(rows)] for i in range(1000)) + "\n")
    prompt = tmp / "speed.md"
    out = {}

    def read_only():
        with big.open() as fp:
            for line in fp:
                json.loads(line)

    def timed(fn) -> float:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    out["json_read_s"] = timed(read_only)
    from langmem_cli.embed import embedders

    for label, model in (("minilm", "all-MiniLM-L6-v2"), ("words", "hash:64")):
        os.environ["LANGMEM_EMBEDDING_MODEL"] = model
        prompt.write_text(PROMPT)
        optimize(prompt, big)  # warm: model loaded, lexicon cached
        out[f"{label}_s"] = timed(lambda: optimize(prompt, big))
    embedders._cache.clear()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--split", default="all", choices=("dev", "heldout", "heldout2", "all"))
    args = ap.parse_args()
    print(f"load: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for split in (("dev", "heldout", "heldout2") if args.split == "all" else (args.split,)):
            print(json.dumps(evaluate(split, tmp), indent=1))
        s = speed(tmp, args.runs)
        print(json.dumps(s, indent=1))
        print(f"ratio minilm/json-read: {s['minilm_s'] / s['json_read_s']:.0f}x; words/json-read: "
              f"{s['words_s'] / s['json_read_s']:.0f}x")
    print(f"load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
