"""LoCoMo end to end: what `extract` keeps, asked through `search` (../shared/data/README.md, "End to end").

The user's path only, through the CLI, in subprocesses:
1. each sample's sessions are written as one `conversations` JSONL file (one record per session:
   {"messages", "date" (ISO 8601), "sample_id", "session"}; each turn a user message named after
   its speaker, " [shares an image: <caption>]" appended when the turn shares one);
2. `langmem extract FILES -n "locomo/{sample_id}"` (all sessions, the default offline extractor
   unless --model);
3. every question of category 1-4 through `langmem search --queries Q.jsonl` (top 10 of the
   sample's namespace).
Reference, in the same run and searched the same way: the raw turns imported as memories
(`"<speaker>: <text> (on <session date>)"` with `metadata.dia_id`), `langmem import`.

Reported over the questions: evidence R@10 (the turns the top-10 memories quote, from each
memory's `metadata.evidence[]` line/message, or the raw turn's own dia_id), answer found in the
top 10 (categories 1, 2, 4 whose answer has a content word: every content word of the gold answer among the words of the top-10
memory texts, a hit's `valid_from` adding its year, month name and day), words per sample of the
stored memories; per category and per conversation.

    python bench/locomo_e2e.py [--data PATH] [--samples N] [--keep DIR] [--model M] [--no-reference]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from locomo import CATEGORIES, DEFAULT_DATA, iso_date, memory_lines, sessions, turn_text  # noqa: E402

K = 10
STOP = frozenset("""a an the of in on at to for and or but is are was were be been it its this that with by from as
his her their he she they them him i me my you your we our us do did does has have had not no yes so what when where
who which how why""".split())
MONTHS = ("january february march april may june july august september october november december").split()
ANSWER_CATEGORIES = (1, 2, 4)


def answer_words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", str(text).lower())) - STOP


def namespace_of(sample: dict) -> str:
    return "locomo/" + re.sub(r"[^A-Za-z0-9_.@:+=-]+", "_", str(sample.get("sample_id", "sample")))


def conversation_records(sample: dict) -> tuple[list[str], dict[tuple[int, int], str]]:
    """The JSONL lines of a sample (one per session) and (line, message index) -> dia_id."""
    lines: list[str] = []
    where: dict[tuple[int, int], str] = {}
    for n, date, turns in sessions(sample["conversation"]):
        messages = []
        for turn in turns:
            text = str(turn.get("text") or "")
            if turn.get("blip_caption"):
                text += f" [shares an image: {turn['blip_caption']}]"
            if not text.strip():
                continue
            where[(len(lines) + 1, len(messages))] = turn["dia_id"]
            messages.append({"role": "user", "name": str(turn.get("speaker") or ""), "content": text})
        record = {"messages": messages, "sample_id": str(sample.get("sample_id", "sample")), "session": n}
        if iso_date(date):
            record["date"] = iso_date(date)
        lines.append(json.dumps(record, ensure_ascii=False))
    return lines, where


def langmem(db: Path, *args: str, stdin: str | None = None) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    done = subprocess.run([sys.executable, "-m", "langmem_cli", "--db", str(db), "--json", *args], env=env,
                          capture_output=True, text=True, input=stdin)
    if done.returncode != 0:
        raise SystemExit(f"langmem {' '.join(args[:2])} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def questions(samples: list[dict]) -> list[dict]:
    out = []
    for sample in samples:
        for n, qa in enumerate(sample.get("qa", [])):
            if qa.get("category") == 5:
                continue
            out.append({"id": f"{sample.get('sample_id')}#{n}", "sample": str(sample.get("sample_id")),
                        "namespace": namespace_of(sample), "query": str(qa["question"]),
                        "evidence": set(qa.get("evidence") or []), "answer": qa.get("answer"),
                        "category": qa.get("category")})
    return out


def date_words(value: str | None) -> set[str]:
    if not value:
        return set()
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return set()
    return {str(moment.year), MONTHS[moment.month - 1], str(moment.day)}


def search_all(db: Path, qs: list[dict], workdir: Path, label: str, options: tuple[str, ...] = ()) -> dict[str, list[dict]]:
    path = workdir / f"queries-{label}.jsonl"
    path.write_text("".join(json.dumps({"id": q["id"], "query": q["query"], "namespace": q["namespace"], "limit": K}) + "\n"
                            for q in qs))
    out = langmem(db, "search", "--queries", str(path), *options)
    results = {obj["id"]: obj["results"] for obj in map(json.loads, filter(None, out.splitlines()))}
    (workdir / f"results-{label}.json").write_text(json.dumps(results))  # for bench/locomo_diagnose.py
    return results


def quoted(hit: dict, where: dict[str, dict[tuple[int, int], str]], sample: str) -> set[str]:
    metadata = hit.get("metadata") or {}
    if metadata.get("dia_id"):
        return {metadata["dia_id"]}
    found = set()
    for e in metadata.get("evidence") or []:
        dia = where[sample].get((e.get("line"), e.get("message")))
        if dia:
            found.add(dia)
    return found


def score(qs: list[dict], results: dict[str, list[dict]], where: dict) -> dict[str, dict]:
    """Per question: evidence recall (None without evidence) and answer found (None outside 1, 2, 4)."""
    scores = {}
    for q in qs:
        hits = results.get(q["id"], [])[:K]
        recall = None
        if q["evidence"]:
            got = set().union(*(quoted(h, where, q["sample"]) for h in hits)) if hits else set()
            recall = len(q["evidence"] & got) / len(q["evidence"])
        found = None
        if q["category"] in ANSWER_CATEGORIES and answer_words(q["answer"]):  # ("Yes" has no content word)
            words: set[str] = set()
            for h in hits:
                words |= set(re.findall(r"[a-z0-9]+", str(h.get("text") or h.get("content") or "").lower()))
                words |= date_words(h.get("valid_from"))
            found = answer_words(q["answer"]) <= words
        scores[q["id"]] = {"recall": recall, "found": found}
    return scores


def words_per_namespace(db: Path, samples: list[dict], closed: bool = False, kind: str | None = None) -> dict[str, int]:
    """Words of the memories valid now (`langmem list`), per sample; ``closed``: closed ones too;
    ``kind``: that kind only (turns kept by ``--episodes`` are counted unless a kind is named)."""
    out = {}
    for sample in samples:
        memories = json.loads(langmem(db, "list", "-n", namespace_of(sample), "--limit", "1000000",
                                      *(["--include-expired"] if closed else []), *(["--kind", kind] if kind else [])) or "[]")
        out[str(sample.get("sample_id"))] = sum(len(str(m.get("text") or "").split()) for m in memories)
    return out


def size_of(db: Path) -> int:
    """Bytes on disk of a SQLite database and its side files (WAL, ANN index)."""
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file())


def mean(values) -> float:
    values = [float(v) for v in values if v is not None]
    return 100 * statistics.fmean(values) if values else float("nan")


def summarise(label: str, qs: list[dict], scores: dict, words: dict[str, int]) -> dict:
    row = {"label": label,
           "recall": mean(scores[q["id"]]["recall"] for q in qs),
           "found": mean(scores[q["id"]]["found"] for q in qs),
           "words": statistics.fmean(words.values()) if words else 0.0,
           "categories": {}, "samples": {}}
    for c in sorted({q["category"] for q in qs}):
        mine = [q for q in qs if q["category"] == c]
        row["categories"][c] = (len(mine), mean(scores[q["id"]]["recall"] for q in mine),
                                mean(scores[q["id"]]["found"] for q in mine))
    for s in sorted({q["sample"] for q in qs}):
        mine = [q for q in qs if q["sample"] == s]
        row["samples"][s] = (len(mine), mean(scores[q["id"]]["recall"] for q in mine),
                             mean(scores[q["id"]]["found"] for q in mine), words.get(s, 0))
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--samples", type=int, default=None, help="only the first N samples")
    parser.add_argument("--keep", type=Path, default=None, help="directory for the files and databases (kept)")
    parser.add_argument("--model", default=None, help="extract --model (default: the offline extractor)")
    parser.add_argument("--no-reference", action="store_true", help="skip the raw turns (for quick iteration only)")
    parser.add_argument("--json-out", type=Path, default=None, help="also write the figures as JSON")
    parser.add_argument("--episodes", action="store_true",
                        help="also extract with --episodes (the turns kept word for word beside the memories) and search that")
    parser.add_argument("--compare-search", default=None, metavar="OPTIONS",
                        help='also search both memories with these search options, e.g. "--no-rerank --neighbor-weight 0"')
    args = parser.parse_args()

    os.environ.setdefault("LANGMEM_THREADS", "2")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    samples = json.loads(args.data.read_text())[: args.samples]
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="locomo-e2e-"))
    workdir.mkdir(parents=True, exist_ok=True)
    qs = questions(samples)
    where: dict[str, dict[tuple[int, int], str]] = {}
    files = []
    for sample in samples:
        lines, where[str(sample.get("sample_id"))] = conversation_records(sample)
        path = workdir / f"{sample.get('sample_id')}.jsonl"
        path.write_text("".join(line + "\n" for line in lines))
        files.append(str(path))

    rows = []
    extracted = workdir / "extract.db"
    for old in workdir.glob("*.db*"):
        old.unlink()
    start = time.perf_counter()
    langmem(extracted, "extract", *files, "-n", "locomo/{sample_id}", *(["--model", args.model] if args.model else []))
    extract_seconds = time.perf_counter() - start
    start = time.perf_counter()
    results = search_all(extracted, qs, workdir, "extract")
    search_seconds = time.perf_counter() - start
    rows.append(summarise(f"`extract` ({args.model or 'local'})", qs, score(qs, results, where),
                          words_per_namespace(extracted, samples)))
    every = words_per_namespace(extracted, samples, closed=True)
    compare = tuple(shlex.split(args.compare_search)) if args.compare_search else ()
    if compare:
        results = search_all(extracted, qs, workdir, "extract-compare", compare)
        rows.append(summarise(f"`extract` ({args.model or 'local'}), search {' '.join(compare)}", qs,
                              score(qs, results, where), words_per_namespace(extracted, samples)))
    print(f"extract: {extract_seconds:.1f} s for {sum(len(list(sessions(s['conversation']))) for s in samples)} sessions; "
          f"search: {search_seconds:.1f} s for {len(qs)} questions", file=sys.stderr)
    costs = [("`extract`", extract_seconds, search_seconds, size_of(extracted))]
    if args.episodes:
        with_turns = workdir / "extract-episodes.db"
        start = time.perf_counter()
        langmem(with_turns, "extract", *files, "-n", "locomo/{sample_id}", "--episodes",
                *(["--model", args.model] if args.model else []))
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        results = search_all(with_turns, qs, workdir, "episodes")
        costs.append(("`extract --episodes`", seconds, time.perf_counter() - start, size_of(with_turns)))
        rows.append(summarise(f"`extract --episodes` ({args.model or 'local'}): memories and turns", qs,
                              score(qs, results, where), words_per_namespace(with_turns, samples)))
        memory_words = statistics.fmean(words_per_namespace(with_turns, samples, kind="memory").values())
        print(f"extract --episodes: memories {memory_words:,.0f} words per sample, turns "
              f"{rows[-1]['words'] - memory_words:,.0f}", file=sys.stderr)
    if not args.no_reference:
        raw = workdir / "raw.db"
        turns = workdir / "raw-turns.jsonl"
        turns.write_text("".join(line + "\n" for sample in samples for line in memory_lines(sample)))
        langmem(raw, "import", str(turns))
        results = search_all(raw, qs, workdir, "raw")
        rows.insert(0, summarise("raw turns", qs, score(qs, results, where), words_per_namespace(raw, samples)))
        if compare:
            results = search_all(raw, qs, workdir, "raw-compare", compare)
            rows.insert(1, summarise(f"raw turns, search {' '.join(compare)}", qs, score(qs, results, where),
                                     words_per_namespace(raw, samples)))

    answered = sum(1 for q in qs if q["category"] in ANSWER_CATEGORIES and answer_words(q["answer"]))
    print(f"\nLoCoMo end to end ({len(samples)} conversations, {len(qs)} questions, {answered} answer-scored), k={K}\n")
    print("| memory | evidence R@10 | answer found | words per sample |")
    print("|---|---|---|---|")
    base = rows[0]["words"] if not args.no_reference else None
    for r in rows:
        share = f" ({100 * r['words'] / base:.0f} %)" if base and r is not rows[0] else ""
        print(f"| {r['label']} | {r['recall']:.1f} | {r['found']:.1f} | {r['words']:,.0f}{share} |")
    print("\nBy category (questions): evidence R@10 / answer found\n")
    cats = sorted(rows[0]["categories"])
    print("| memory | " + " | ".join(f"{c} {CATEGORIES.get(c, '')} ({rows[0]['categories'][c][0]})" for c in cats) + " |")
    print("|---|" + "---|" * len(cats))
    for r in rows:
        print(f"| {r['label']} | " + " | ".join(
            f"{r['categories'][c][1]:.1f} / " + ("—" if c not in ANSWER_CATEGORIES else f"{r['categories'][c][2]:.1f}")
            for c in cats) + " |")
    print("\nBy conversation (questions): evidence R@10 / answer found / words\n")
    ids = sorted(rows[0]["samples"])
    print("| memory | " + " | ".join(f"{s} ({rows[0]['samples'][s][0]})" for s in ids) + " |")
    print("|---|" + "---|" * len(ids))
    for r in rows:
        print(f"| {r['label']} | " + " | ".join(
            f"{r['samples'][s][1]:.1f} / {r['samples'][s][2]:.1f} / {r['samples'][s][3]:,}" for s in ids) + " |")
    undated = statistics.fmean(sum(len(turn_text(t).split()) for _, _, turns in sessions(s["conversation"]) for t in turns)
                               for s in samples)
    memory_row = next((r for r in rows if r["label"].startswith("`extract` (")), None)
    print(f"\nThe raw turns without their date suffix: {undated:,.0f} words per sample"
          + (f"; extracted memory = {100 * memory_row['words'] / undated:.0f} % of that" if memory_row else ""))
    print(f"`extract`: words per sample of all memories, closed ones too: {statistics.fmean(every.values()):,.0f} ("
          + ", ".join(f"{k} {v:,}" for k, v in sorted(every.items())) + ")")
    print("\n| run | extract (s) | search (s, all questions) | disk (MB) |\n|---|---|---|---|")
    for label, extract_s, search_s, size in costs:
        print(f"| {label} | {extract_s:.1f} | {search_s:.1f} | {size / 1e6:.1f} |")
    if args.json_out:
        args.json_out.write_text(json.dumps(rows, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
