"""Update benchmark (issue 23): the offline extractor must DETECT change (unlike
bench/knowledge_update.py, which tells the store which memory an update replaces).

    python bench/updates.py [--split dev|heldout] [--orders 3] [--people N] [--model all-MiniLM-L6-v2|hash]

Conversations from bench/data/updates-<split>.jsonl (written by bench/updates_gen.py) are written
as transcript files in three formats (OpenAI messages, a ChatGPT export, a Claude Code session), one
file per session, each person in their own namespace. They are extracted with the default offline
extractor, first in date order, then in shuffled orders (one store per order). Reported:
- changed: facts that changed whose old version is closed (a memory naming the old value exists and
  none naming it without the new value is current) and whose new version is current;
- unchanged: facts that never changed still current;
- not extracted: facts the extractor did not keep at all (no memory names them; not counted above);
- same current set: orders whose current memories (texts) equal the date order's; and the same up
  to how the person is named (a file read before the person gave their name says "the user");
- fragments: stored memories that end in a colon, ask something or are under four words.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]


def write_messages(path: Path, session: dict) -> None:
    with open(path, "w") as f:
        for role, text in session["turns"]:
            f.write(json.dumps({"role": role, "content": text, "timestamp": session["date"]}) + "\n")


def write_chatgpt(path: Path, session: dict) -> None:
    stamp = datetime.fromisoformat(session["date"].replace("Z", "+00:00")).timestamp()
    mapping = {"root": {"id": "root", "message": None, "parent": None, "children": []}}
    parent = "root"
    for n, (role, text) in enumerate(session["turns"]):
        node = f"n{n}"
        mapping[parent]["children"].append(node)
        mapping[node] = {"id": node, "parent": parent, "children": [], "message": {
            "id": node, "author": {"role": role, "name": None, "metadata": {}}, "create_time": stamp + n,
            "content": {"content_type": "text", "parts": [text]}, "status": "finished_successfully",
            "metadata": {}, "recipient": "all"}}
        parent = node
    conversation = {"title": "chat", "create_time": stamp, "update_time": stamp + len(session["turns"]),
                    "id": str(uuid.uuid4()), "current_node": parent, "mapping": mapping}
    path.write_text(json.dumps([conversation]))


def write_claude_code(path: Path, session: dict) -> None:
    sid = str(uuid.uuid4())
    parent = None
    with open(path, "w") as f:
        for n, (role, text) in enumerate(session["turns"]):
            this = str(uuid.uuid4())
            stamp = session["date"].replace("Z", f".{n:03d}Z")
            message = {"role": "user", "content": text} if role == "user" else {
                "role": "assistant", "model": "claude-sonnet-4", "type": "message", "id": f"msg_{n}",
                "content": [{"type": "text", "text": text}]}
            f.write(json.dumps({"parentUuid": parent, "isSidechain": False, "userType": "external",
                                "cwd": "/home/me/project", "sessionId": sid, "version": "1.0.24", "type": role,
                                "message": message, "uuid": this, "timestamp": stamp}) + "\n")
            parent = this


WRITERS = {"messages": (write_messages, "jsonl"), "chatgpt": (write_chatgpt, "json"),
           "claude-code": (write_claude_code, "jsonl")}


def files_for(people: list[dict], folder: Path) -> list[tuple[str, Path, str]]:
    """(namespace, path, date) of every session file."""
    out = []
    for n, p in enumerate(people):
        for s, session in enumerate(p["sessions"]):
            writer, ext = WRITERS[session["format"]]
            path = folder / f"p{n:02d}-s{s}.{ext}"
            writer(path, session)
            out.append((f"bench/p{n:02d}", path, session["date"]))
    return out


FRAGMENT = re.compile(r"(?::|:\.)$|\?|^\S+(?:\s+\S+){0,2}[.!]?$")


def extract(files: list[tuple[str, Path, str]], db: Path, embedder) -> float:
    from langmem_cli.core.schemas import BUILTIN
    from langmem_cli.formats.read import read_conversations
    from langmem_cli.jobs.extract import ExtractOptions, run_extract
    from langmem_cli.store import open_store

    started = time.perf_counter()
    with open_store(db, embedder=embedder) as store:
        for namespace, path, _ in files:
            conversations = list(read_conversations(str(path)))
            run_extract(store, None, conversations, ExtractOptions(namespace=namespace,
                                                                   schemas={"memory": BUILTIN["memory"]}))
    return time.perf_counter() - started


def has(text: str, key: str) -> bool:
    return re.search(r"(?<![\w-])" + re.escape(key.lower()) + r"(?![\w-])", text.lower()) is not None


def diagnose(store, namespace: str, every: list, old: str, new: str) -> str:
    """Why a change was missed (dev splits only, with --show): the new statement's and the old
    memory's subjects as the detector reads them, whether the old memory was among the new one's
    nearest, and the detector's verdict on the pair."""
    import numpy as np

    from langmem_cli.core import updates
    from langmem_cli.jobs.updates import NEIGHBOURS

    olds = [m for m in every if has(m.text, old) and not has(m.text, new)]
    news = [m for m in every if has(m.text, new)]
    if not olds or not news:
        return "not extracted"
    a, b = olds[0], news[0]
    names = updates.subject_names([m.text for m in every])
    vectors = {m.id: v for m, v in store.embedded(namespace, include_expired=True)}
    others = [m for m in every if m.id != b.id and m.id in vectors]
    ranked = sorted(others, key=lambda m: -float(np.dot(vectors[m.id], vectors[b.id])))
    near = a.id in {m.id for m in ranked[:NEIGHBOURS]}
    ra, rb = updates.read(a.text, names), updates.read(b.text, names)
    verdict = updates.relation(a.text, b.text, float(np.dot(vectors[a.id], vectors[b.id])), False, (ra, rb))
    return (f"subjects {ra.subject!r}/{rb.subject!r} primary {sorted(ra.primary)}/{sorted(rb.primary)} "
            f"cue {rb.cue} ends {rb.ends} named {sorted(rb.named)} near {near} verdict {verdict}")


def measure(people: list[dict], db: Path, embedder) -> dict:
    from langmem_cli.store import open_store

    out = {"changed": 0, "changed_ok": 0, "changed_missing": 0, "unchanged": 0, "unchanged_ok": 0,
           "unchanged_missing": 0, "memories": 0, "fragments": 0, "failures": [], "current": {}}
    with open_store(db, embedder=embedder) as store:
        for n, p in enumerate(people):
            namespace = f"bench/p{n:02d}"
            every = store.list(namespace=namespace, limit=None, include_expired=True)
            current = [m for m in store.list(namespace=namespace, limit=None)]
            out["current"][namespace] = sorted(m.text for m in current)
            out["memories"] += len(every)
            out["fragments"] += sum(1 for m in every if FRAGMENT.search(m.text.strip()))
            for fact in p["changed"]:
                old, new = fact["old"], fact["new"]
                if not any(has(m.text, old) and not has(m.text, new) for m in every) or \
                        not any(has(m.text, new) for m in every):
                    out["changed_missing"] += 1
                    out["failures"].append({"namespace": namespace, "attribute": fact["attribute"], "old": old, "new": new,
                                            "not extracted": [m.text for m in every if has(m.text, old) or has(m.text, new)]})
                    continue
                out["changed"] += 1
                stale = [m.text for m in current if has(m.text, old) and not has(m.text, new)]
                fresh = [m.text for m in current if has(m.text, new)]
                closed = [m for m in every if m.valid_until and has(m.text, old)]
                if not stale and fresh and closed:
                    out["changed_ok"] += 1
                else:
                    out["failures"].append({"namespace": namespace, "attribute": fact["attribute"], "old": old,
                                            "new": new, "stale": stale, "fresh": fresh,
                                            "why": diagnose(store, namespace, every, old, new)})
            for fact in p["unchanged"]:
                key = fact["key"]
                if not any(has(m.text, key) for m in every):
                    out["unchanged_missing"] += 1
                    continue
                out["unchanged"] += 1
                if any(has(m.text, key) for m in current):
                    out["unchanged_ok"] += 1
                else:
                    out["failures"].append({"namespace": namespace, "attribute": fact["attribute"], "lost": key})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="dev", choices=["dev", "heldout", "dev2", "heldout2", "dev3", "heldout3", "dev4", "dev5", "dev6", "dev7", "dev8", "dev9"])
    parser.add_argument("--orders", type=int, default=3, help="shuffled orders besides the date order")
    parser.add_argument("--people", type=int, default=0, help="only the first N people (0: all)")
    parser.add_argument("--model", default="all-MiniLM-L6-v2", help="embedding model, or 'hash'")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--show", action="store_true", help="print the failures (dev only while tuning)")
    args = parser.parse_args()
    people = [json.loads(line) for line in open(HERE / "data" / f"updates-{args.split}.jsonl")]
    if args.people:
        people = people[:args.people]
    if args.model == "hash":
        from langmem_cli.embed.hash_embedder import HashEmbedder

        embedder = HashEmbedder(64)
    else:
        from langmem_cli.embed.embedders import get_embedder

        embedder = get_embedder(args.model)
        embedder.embed(["warm up"])
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = files_for(people, folder)
        dated = sorted(files, key=lambda f: f[2])
        orders = [("date order", dated), ("newest first", dated[::-1])]
        for k in range(args.orders):
            shuffled = list(files)
            rng.shuffle(shuffled)
            orders.append((f"shuffled {k + 1}", shuffled))
        results = []
        for label, order in orders:
            db = folder / f"{label.replace(' ', '-')}.db"
            seconds = extract(order, db, embedder)
            result = measure(people, db, embedder)
            result["label"], result["seconds"] = label, seconds
            results.append(result)
    reference = results[0]["current"]
    names = {f"bench/p{n:02d}": p["person"] for n, p in enumerate(people)}

    def unnamed(current: dict) -> dict:
        """The current set with the person's name and "the user" alike: a conversation read before
        the one where the person gives their name says "the user" (one name per person, issue 23
        item 4, applies from when the name is known)."""
        out = {}
        for namespace, texts in current.items():
            pattern = re.compile(r"\b(?:" + re.escape(names[namespace]) + r"|[Tt]he user)\b")
            out[namespace] = sorted(pattern.sub("<person>", t) for t in texts)
        return out

    for r in results:
        r["same_current"] = r["current"] == reference
        r["same_facts"] = unnamed(r["current"]) == unnamed(reference)
        changed = r["changed_ok"] / max(1, r["changed"])
        unchanged = r["unchanged_ok"] / max(1, r["unchanged"])
        print(f"{r['label']:>13}: changed {r['changed_ok']}/{r['changed']} = {changed:.1%} "
              f"(not extracted {r['changed_missing']}), unchanged {r['unchanged_ok']}/{r['unchanged']} = "
              f"{unchanged:.1%} (not extracted {r['unchanged_missing']}), same current set: {r['same_current']} "
              f"(up to the person's naming: {r['same_facts']}), "
              f"fragments {r['fragments']}/{r['memories']} = {r['fragments'] / max(1, r['memories']):.1%}, "
              f"{r['seconds'] / len(files):.3f} s/file")
        if args.show and args.split.startswith("dev"):
            for f in r["failures"]:
                print("   ", json.dumps(f))
    if args.show and args.split.startswith("dev"):
        for namespace, texts in reference.items():
            base = unnamed(reference)[namespace]
            diff = [(r["label"], sorted(set(unnamed(r["current"])[namespace]) ^ set(base))) for r in results[1:]
                    if unnamed(r["current"])[namespace] != base]
            for label, d in diff:
                print("   order", label, namespace, d)
    total = lambda key: sum(r[key] for r in results)  # noqa: E731
    print(json.dumps({
        "split": args.split, "people": len(people), "files": len(files), "orders": len(results),
        "model": args.model,
        "changed_closed_and_current": round(total("changed_ok") / max(1, total("changed")), 4),
        "unchanged_current": round(total("unchanged_ok") / max(1, total("unchanged")), 4),
        "same_current_set": round(sum(r["same_current"] for r in results) / len(results), 4),
        "same_current_set_up_to_naming": round(sum(r["same_facts"] for r in results) / len(results), 4),
        "fragments": round(total("fragments") / max(1, total("memories")), 4),
        "changed_not_extracted": total("changed_missing"), "unchanged_not_extracted": total("unchanged_missing"),
        "seconds_per_file_median": round(statistics.median(r["seconds"] / len(files) for r in results), 4),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores", "load": os.getloadavg()[0],
    }))


if __name__ == "__main__":
    main()
