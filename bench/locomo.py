"""LoCoMo retrieval benchmark: turn-level evidence recall@k (see ../shared/data/README.md).

Each sample's turns are imported through the project's own import path into namespace
``locomo/<sample_id>``; each question is answered with the project's own search.
Nothing from questions, answers or evidence is used at index time.

    python bench/locomo.py [--data PATH] [--mode hybrid|vector|keyword] [--db PATH]

Rows: each mode with re-ranking off and neighbours off ("fused"), then hybrid's default (neighbours,
time, people, diversity: ``core.rerank.DEFAULT``); R@10 per conversation follows, so that a change
is judged on each conversation, not only on their mean.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# ../shared/data next to the checkout (or next to a folder of worktrees holding it)
DEFAULT_DATA = next((p / "shared" / "data" / "locomo-dev.json" for p in HERE.parents
                     if (p / "shared" / "data" / "locomo-dev.json").exists()),
                    HERE.parent.parent / "shared" / "data" / "locomo-dev.json")
KS = (1, 5, 10, 20)


def sessions(conversation: dict):
    """(session number, date text, turns) in order."""
    numbers = sorted(int(m.group(1)) for k in conversation if (m := re.fullmatch(r"session_(\d+)", k)))
    for n in numbers:
        turns = conversation.get(f"session_{n}")
        if isinstance(turns, list) and turns:
            yield n, conversation.get(f"session_{n}_date_time", ""), turns


DATE_FORMATS = ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y", "%d %B, %Y", "%d %B %Y")


def iso_date(text: str | None) -> str | None:
    """LoCoMo's session date ("1:56 pm on 8 May, 2023") as ISO 8601 ("2023-05-08T13:56:00"); None if unreadable.

    The format is LoCoMo's: it is converted here, so the readers only ever see ISO 8601."""
    from datetime import datetime

    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime((text or "").strip(), fmt).isoformat()
        except ValueError:
            continue
    return None


def turn_text(turn: dict, date: str = "") -> str:
    """What is indexed: who said it, what was said, the image shared, and when."""
    text = f"{turn.get('speaker', '')}: {turn.get('text', '')}"
    if turn.get("blip_caption"):
        text += f" [shared an image: {turn['blip_caption']}]"
    if date:
        text += f" (on {date})"
    return text


def memory_lines(sample: dict) -> list[str]:
    """JSONL lines for `langmem import`: one memory per turn, in dialogue order.

    No explicit source: the import records each memory's source as file:line, which is what
    neighbour smoothing in search uses (adjacent lines = adjacent turns)."""
    sample_id = str(sample.get("sample_id", "sample"))
    namespace = "locomo/" + re.sub(r"[^A-Za-z0-9_.@:+=-]+", "_", sample_id)
    lines = []
    for n, date, turns in sessions(sample["conversation"]):
        for i, turn in enumerate(turns):
            lines.append(json.dumps({
                "id": f"{sample_id}/{turn['dia_id']}",
                "namespace": namespace,
                "content": turn_text(turn, date),
                "metadata": {"dia_id": turn["dia_id"], "session": n, "date": date, "turn": i},
            }))
    return lines


CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}


def evaluate(store, samples: list[dict], mode: str, **options) -> dict:
    recalls = {k: [] for k in KS}
    per_sample: dict[str, list[float]] = {}
    by_category: dict[int, list[float]] = {}  # R@10 per question, by LoCoMo category
    latencies = []
    for sample in samples:
        namespace = "locomo/" + re.sub(r"[^A-Za-z0-9_.@:+=-]+", "_", str(sample.get("sample_id", "sample")))
        for qa in sample.get("qa", []):
            evidence = set(qa.get("evidence") or [])
            if qa.get("category") == 5 or not evidence:
                continue
            start = time.perf_counter()
            hits = store.search(str(qa["question"]), mode=mode, namespace=namespace, limit=max(KS), **options)
            latencies.append(time.perf_counter() - start)
            found = [h.memory.metadata.get("dia_id") for h in hits]
            for k in KS:
                recalls[k].append(len(evidence & set(found[:k])) / len(evidence))
            by_category.setdefault(qa.get("category"), []).append(len(evidence & set(found[:10])) / len(evidence))
            per_sample.setdefault(str(sample.get("sample_id")), []).append(len(evidence & set(found[:10])) / len(evidence))
    return {
        "questions": len(recalls[1]),
        "categories": {c: (len(v), 100 * statistics.fmean(v)) for c, v in sorted(by_category.items(), key=str)},
        "samples": {s: (len(v), 100 * statistics.fmean(v)) for s, v in per_sample.items()},
        **{f"R@{k}": 100 * statistics.fmean(v) for k, v in recalls.items()},
        "median_ms": 1000 * statistics.median(latencies),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--mode", default="all", choices=["all", "hybrid", "vector", "keyword"])
    parser.add_argument("--db", type=Path, help="database to use (kept; default: a temporary one)")
    parser.add_argument("--neighbor-weight", type=float, default=None,
                        help="search's --neighbor-weight for the default row (default: search's own)")
    args = parser.parse_args()

    os.environ.setdefault("LANGMEM_THREADS", "1")
    from langmem_cli import Store, config
    from langmem_cli.store.transfer import import_lines

    config.apply_runtime_env()
    samples = json.loads(args.data.read_text())
    db = args.db or Path(tempfile.mkdtemp(prefix="locomo-")) / "locomo.db"
    store = Store.open(db)
    start = time.perf_counter()
    jsonl = db.with_suffix(".import.jsonl")
    jsonl.write_text("".join(line + "\n" for sample in samples for line in memory_lines(sample)))
    with open(jsonl, "rb") as handle:
        report = import_lines(store, handle, name=str(jsonl))
    print(f"imported {report.inserted} turns ({report.skipped} already present) in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    modes = ["vector", "keyword", "hybrid"] if args.mode == "all" else [args.mode]
    runs = [(f"{mode}, fused", mode, {"neighbor_weight": 0.0, "rerank": False}) for mode in modes]
    if "hybrid" in modes:
        # Each rule of core.rerank added in turn (the module's DEFAULT swapped in this process only),
        # so that each is judged on every conversation; "default" is what search does.
        from dataclasses import replace

        from langmem_cli.core import rerank

        default = rerank.DEFAULT if args.neighbor_weight is None else replace(rerank.DEFAULT, neighbor=args.neighbor_weight)
        steps = [("hybrid, + neighbours", replace(rerank.OFF, neighbor=default.neighbor)),
                 ("hybrid, + people", replace(rerank.OFF, neighbor=default.neighbor, person=default.person)),
                 ("hybrid, default (+ diversity)", default),
                 ("hybrid, default + time 0.1 (off by default)", replace(default, time=0.1))]
        runs += [(name, "hybrid", {"weights": weights}) for name, weights in steps]
    results = []
    for name, mode, options in runs:
        if "weights" in options:
            rerank.DEFAULT = options.pop("weights")
        results.append((name, evaluate(store, samples, mode, **options)))
    print("| search | questions | R@1 | R@5 | R@10 | R@20 | median ms/query |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results:
        print(f"| {name} | {r['questions']} | {r['R@1']:.1f} | {r['R@5']:.1f} | {r['R@10']:.1f} | "
              f"{r['R@20']:.1f} | {r['median_ms']:.1f} |")
    for title, key, label in (("R@10 by LoCoMo category (questions)", "categories", lambda c: f"{c} {CATEGORIES.get(c, '')}".strip()),
                              ("R@10 by conversation (questions)", "samples", str)):
        keys = list(results[0][1][key])
        print(f"\n{title}:\n")
        print("| search | " + " | ".join(label(c) for c in keys) + " |")
        print("|---|" + "---|" * len(keys))
        for name, r in results:
            print(f"| {name} | " + " | ".join(f"{r[key][c][1]:.1f} ({r[key][c][0]})" for c in keys) + " |")
    keys = list(results[0][1]["samples"])
    print("\nConversations raised / lowered (R@10) by each row against the row before:\n")
    for (_, before), (name, after) in zip(results, results[1:]):
        up = sum(after["samples"][k][1] > before["samples"][k][1] + 1e-9 for k in keys)
        down = sum(after["samples"][k][1] < before["samples"][k][1] - 1e-9 for k in keys)
        print(f"- {name}: {up} up, {down} down of {len(keys)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
