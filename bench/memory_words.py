"""Where the words of a namespace's memories go (issues 23/24: the same facts in fewer words).

    python bench/memory_words.py DB [--namespace PREFIX] [--all] [--show N]

DB: a store written by `bench/locomo_extract.py --db DB` or `bench/locomo_e2e.py --keep DIR`
(DIR/extract.db). For the memories valid now (``--all``: closed ones too), per namespace and in
total: words per memory, and the words that carry no fact of their own, by kind:

- filler: common English fillers, hedges and interjections (``FILLERS`` below) still in the text;
- reaction: a clause that only reacts ("it was awesome", "that sounds great") inside a statement;
- about the other: a statement that is only about the person spoken to ("… is proud of you");
- attributed: "X says …" (no first person: an opinion or a generalisation, or a fact about someone else);
- restated: a memory whose text is close (cosine >= 0.8) to an earlier memory of the namespace
  (``--show`` prints pairs), split by whether the two come from one conversation or two;
- one turn: memories quoting the same message as another memory (one thing said in several memories);
- long: memories over 24 words.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from langmem_cli.core.grounding import content_words  # noqa: E402

# common English fillers, hedges and interjections: words and fixed phrases that carry no fact of
# their own in a statement; a general list, not fitted to data
FILLERS = frozenset("""really actually just so totally literally basically honestly truly pretty super kinda
definitely seriously um uh hmm oh wow haha lol omg yeah gosh""".split()) | frozenset(
    {"i think", "i guess", "i mean", "you know", "kind of", "sort of"})

REACTION = re.compile(r"(?:^|[,;–—-]\s*|\band\s+)(?:it|that|this)(?:'s| is| was| sounds?| looks?| seems?)\s+(?:so\s+|really\s+|such\s+)?"
                      r"(?:an?\s+)?\w+(?:\s+\w+)?[!.…]*(?=$|[,;–—-])", re.I)
CLOSE = 0.8


def analyse(memories: list, embed) -> dict:
    out: dict = defaultdict(int)
    out["memories"] = len(memories)
    texts = [m.text for m in memories]
    out["words"] = sum(len(t.split()) for t in texts)
    out["median"] = statistics.median([len(t.split()) for t in texts]) if texts else 0
    for t in texts:
        tokens = re.findall(r"[\w']+", t.lower())
        joined = " " + " ".join(tokens) + " "
        out["filler"] += sum(joined.count(f" {f} ") * len(f.split()) for f in FILLERS)
        for m in REACTION.finditer(t):
            out["reaction"] += len(m.group(0).split())
        if re.search(r"\byou(?:'re|r|rs)?\b", t, re.I) and not re.search(r"\b(?:I|my|me)\b", t):
            mine = content_words(t)
            if len(mine) <= 4:
                out["about the other"] += len(t.split())
        if re.match(r"^[A-Z][\w ]*? says ", t) or t.startswith("The user says "):
            out["attributed"] += len(t.split())
            out["attributed memories"] += 1
        if len(t.split()) > 24:
            out["long"] += len(t.split())
            out["long memories"] += 1
    by_message = defaultdict(list)
    for m in memories:
        for e in (m.metadata or {}).get("evidence") or []:
            by_message[(e.get("conversation"), e.get("message"))].append(m.id)
            break
    for ids in by_message.values():
        if len(ids) > 1:
            out["one turn memories"] += len(ids)
            out["one turn"] += sum(len(m.text.split()) for m in memories if m.id in ids[1:])
    if texts:
        vectors = embed(texts)
        sims = vectors @ vectors.T
        order = sorted(range(len(memories)), key=lambda i: memories[i].valid_from or "")
        seen: list[int] = []
        pairs = []
        for i in order:
            best = max(seen, key=lambda j: sims[i, j], default=None)
            if best is not None and sims[i, best] >= CLOSE:
                same = _conv(memories[i]) == _conv(memories[best])
                key = "restated, one conversation" if same else "restated, two conversations"
                out[key] += len(texts[i].split())
                out[key + " memories"] += 1
                pairs.append((float(sims[i, best]), texts[best], texts[i]))
            seen.append(i)
        out["pairs"] = pairs
    return out


def _conv(memory) -> str | None:
    evidence = (memory.metadata or {}).get("evidence") or [{}]
    return evidence[0].get("conversation")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--namespace", default="")
    parser.add_argument("--all", action="store_true", help="closed memories too")
    parser.add_argument("--show", type=int, default=0, help="print N restated pairs per namespace")
    args = parser.parse_args()
    from langmem_cli import Store

    store = Store.open(args.db, embedding_model="all-MiniLM-L6-v2")

    def embed(texts):
        return np.asarray(store.embedder.embed(texts))

    namespaces = sorted(ns for ns, _ in store.namespaces() if ns.startswith(args.namespace))
    keys = ["filler", "reaction", "about the other", "attributed", "restated, one conversation",
            "restated, two conversations", "one turn", "long"]
    total: dict = defaultdict(int)
    print("| namespace | memories | words | median words | " + " | ".join(keys) + " |")
    print("|---" * (4 + len(keys)) + "|")
    for ns in namespaces:
        memories = store.list(namespace=ns, limit=None, include_expired=args.all)
        a = analyse(memories, embed)
        for k, v in a.items():
            if k != "pairs" and k != "median":
                total[k] += v
        cells = [f"{a[k]} ({100 * a[k] / max(a['words'], 1):.0f} %)" for k in keys]
        print(f"| {ns} | {a['memories']} | {a['words']} | {a['median']} | " + " | ".join(cells) + " |")
        for sim, first, again in a.get("pairs", [])[: args.show]:
            print(f"    {sim:.2f}  {first}\n          {again}", file=sys.stderr)
    cells = [f"{total[k]} ({100 * total[k] / max(total['words'], 1):.0f} %)" for k in keys]
    print(f"| all | {total['memories']} | {total['words']} | | " + " | ".join(cells) + " |")
    print(f"memories counted: attributed {total['attributed memories']}, restated in one conversation "
          f"{total['restated, one conversation memories']}, in two {total['restated, two conversations memories']}, "
          f"quoting a message another memory quotes {total['one turn memories']}, long {total['long memories']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
