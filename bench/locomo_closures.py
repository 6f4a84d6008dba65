"""Offline update detection on ordinary chat: every memory a later statement closed on LoCoMo (issue 23).

Extracts the LoCoMo dev conversations through the CLI exactly as bench/locomo_e2e.py does (one
`conversations` JSONL file per sample, `langmem extract -n locomo/{sample_id}`, the default offline
extractor), or reads the store a `bench/locomo_e2e.py --keep DIR` run left, and lists each closure
as (old memory, the memory that closed it, the turn it quotes). Reports the closures per
conversation and, for a precision figure, a reproducible random sample to judge by hand: each
pair has a key (a hash of both texts), and a judgement file (JSON: key -> "change" or "no change")
gives the judged precision of the closures of this run that were judged.

    python bench/locomo_closures.py --keep DIR [--extract] [--sample 60 --seed 1] [--judged FILE] [--all]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from locomo import DEFAULT_DATA  # noqa: E402
from locomo_e2e import conversation_records, langmem, namespace_of  # noqa: E402


def key_of(old: str, new: str) -> str:
    return hashlib.sha1(f"{old}\n{new}".encode()).hexdigest()[:10]


def closures(db: Path) -> tuple[dict[str, int], list[dict]]:
    """Memories per namespace and every closure: {namespace, key, old, new, quote, speaker}."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)  # read only: the store's own file, as left by extract
    rows = con.execute("select id, namespace, text, metadata, valid_until, superseded_by from memories").fetchall()
    con.close()
    by_id = {r[0]: r for r in rows}
    sizes: dict[str, int] = {}
    out = []
    for _id, namespace, text, metadata, until, successor in rows:
        sizes[namespace] = sizes.get(namespace, 0) + 1
        if until is None:
            continue
        new = by_id.get(successor)
        evidence = (json.loads(new[3] or "{}").get("evidence") or [{}])[0] if new else {}
        out.append({"namespace": namespace, "key": key_of(text, new[2] if new else ""), "old": text,
                    "new": new[2] if new else "", "quote": evidence.get("quote", ""),
                    "speaker": evidence.get("speaker", ""), "old_quote": ((json.loads(metadata or "{}")
                                                                           .get("evidence") or [{}])[0]).get("quote", "")})
    return sizes, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--keep", type=Path, required=True, help="directory with extract.db (made with --extract)")
    parser.add_argument("--extract", action="store_true", help="extract the conversations into DIR/extract.db first")
    parser.add_argument("--sample", type=int, default=0, help="print a random sample of this many closures")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--judged", type=Path, default=None, help="JSON: key -> 'change' | 'no change'")
    parser.add_argument("--all", action="store_true", help="print every closure")
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args()

    db = args.keep / "extract.db"
    if args.extract:
        import os

        os.environ.setdefault("LANGMEM_THREADS", "2")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        samples = json.loads(args.data.read_text())
        args.keep.mkdir(parents=True, exist_ok=True)
        for old in args.keep.glob("extract.db*"):
            old.unlink()
        files = []
        for sample in samples:
            lines, _ = conversation_records(sample)
            path = args.keep / f"{sample.get('sample_id')}.jsonl"
            path.write_text("".join(line + "\n" for line in lines))
            files.append(str(path))
        assert all(namespace_of(s) for s in samples)
        langmem(db, "extract", *files, "-n", "locomo/{sample_id}")
    sizes, found = closures(db)
    print("| conversation | memories | closed |")
    print("|---|---|---|")
    for namespace in sorted(sizes):
        print(f"| {namespace} | {sizes[namespace]} | {sum(1 for c in found if c['namespace'] == namespace)} |")
    print(f"| all | {sum(sizes.values())} | {len(found)} |")

    def show(c: dict) -> None:
        print(f"[{c['key']}] {c['namespace']}\n  OLD: {c['old']}\n  NEW: {c['new']}\n  SAID: {c['speaker']}: {c['quote']}")

    if args.all:
        for c in found:
            show(c)
    picked = random.Random(args.seed).sample(sorted(found, key=lambda c: c["key"]), min(args.sample, len(found)))
    if picked:
        print(f"\nrandom sample of {len(picked)} closures (seed {args.seed}):")
        for c in picked:
            show(c)
    if args.judged:
        judged = json.loads(args.judged.read_text())
        seen = [judged[c["key"]] for c in found if c["key"] in judged]
        true = sum(1 for v in seen if v == "change")
        print(f"\njudged: {len(seen)} of {len(found)} closures; true changes {true}, false {len(seen) - true}; "
              f"precision {100 * true / max(len(seen), 1):.1f} %"
              + (f"; estimated true closures {true / max(len(seen), 1) * len(found):.0f}" if seen else ""))
        if picked:
            missing = [c["key"] for c in picked if c["key"] not in judged]
            if missing:
                print(f"sample not judged yet: {len(missing)} ({', '.join(missing[:10])} …)")
    if args.json_out:
        args.json_out.write_text(json.dumps({"sizes": sizes, "closures": found}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
