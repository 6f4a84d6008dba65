"""LoCoMo extraction benchmark: fact recall of the stored memories (see ../shared/data/README.md).

For each sample, its sessions are extracted in order (one conversation per session, each turn a
message named after its speaker, so its transcript line reads "Speaker: text") into one namespace, through the project's own extract job.
A gold fact (LoCoMo's `observation`) is recalled if some memory has cosine >= 0.6 with it under
all-MiniLM-L6-v2 (normalised embeddings).

    python bench/locomo_extract.py [--data PATH] [--sessions N] [--model M] [--chunk-tokens T]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from locomo import DEFAULT_DATA  # noqa: E402

THRESHOLD = 0.6


def conversations_of(sample: dict, max_sessions: int | None):
    """The sample's sessions as the `conversations` JSONL format (ISO dates, speakers as message names;
    see locomo_e2e.conversation_records), read back by the project's own reader."""
    import io

    from locomo_e2e import conversation_records

    from langmem_cli.formats.read import read_conversations

    sample_id = str(sample.get("sample_id", "sample"))
    lines, _ = conversation_records(sample)
    if max_sessions is not None:
        lines = [line for line in lines if json.loads(line)["session"] <= max_sessions]
    data = io.BytesIO("".join(line + "\n" for line in lines).encode())
    for conversation in read_conversations(f"{sample_id}.jsonl", "conversations", stream=data):
        yield conversation.metadata["session"], conversation


def gold_facts(sample: dict, max_sessions: int | None) -> list[str]:
    facts = []
    for key, by_speaker in (sample.get("observation") or {}).items():
        try:
            n = int(key.split("_")[1])
        except (IndexError, ValueError):
            continue
        if max_sessions is not None and n > max_sessions:
            continue
        for items in by_speaker.values():
            facts.extend(item[0] for item in items if item and isinstance(item[0], str))
    return facts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sessions", type=int, default=None)
    parser.add_argument("--samples", type=int, default=None, help="only the first N samples")
    parser.add_argument("--model", default=None, help="litellm model (default: local, the offline extractor)")
    parser.add_argument("--api-base", default=None)
    parser.add_argument("--chunk-tokens", type=int, default=None)
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--show-closed", action="store_true", help="print each closed memory and what closed it")
    args = parser.parse_args()

    os.environ.setdefault("LANGMEM_THREADS", "2")
    from langmem_cli import Store, config
    from langmem_cli.core.schemas import BUILTIN
    from langmem_cli.embed.embedders import get_embedder
    from langmem_cli.jobs.extract import ExtractOptions, extract_one
    from langmem_cli.llm.litellm_client import LiteLLMClient

    config.apply_runtime_env()
    samples = json.loads(args.data.read_text())[: args.samples]
    db = args.db or Path(tempfile.mkdtemp(prefix="locomo-extract-")) / "m.db"
    store = Store.open(db, embedding_model="all-MiniLM-L6-v2")
    model = config.llm_model(args.model)
    client = None if model == config.DEFAULT_MODEL else LiteLLMClient(model, api_base=args.api_base)
    opts = ExtractOptions(schemas={"memory": BUILTIN["memory"]}, top_k=args.top_k)
    if args.chunk_tokens:
        opts.chunk_tokens = args.chunk_tokens
    embedder = get_embedder("all-MiniLM-L6-v2")

    recalled = total = words = sessions_done = failed = 0
    support: list[tuple[float, str]] = []  # (support, memory) per stored memory
    closed: list[tuple[str, str]] = []  # (memory, the memory that closed it): offline update detection
    calls = prompt_tokens = completion_tokens = 0
    seconds = 0.0
    for sample in samples:
        namespace = "locomo/" + str(sample.get("sample_id", "sample"))
        for n, conversation in conversations_of(sample, args.sessions):
            start = time.perf_counter()
            result = extract_one(store, client, conversation, namespace, opts)
            seconds += time.perf_counter() - start
            sessions_done += 1
            failed += result.status == "failed"
            calls += result.usage.calls
            prompt_tokens += result.usage.prompt_tokens
            completion_tokens += result.usage.completion_tokens
            print(f"{namespace} session {n}: {result.status} {len(result.operations)} ops "
                  f"{result.usage.calls} calls {result.seconds:.1f} s {result.error or ''}", file=sys.stderr)
        memories = store.list(namespace=namespace, limit=None)
        every = {m.id: m for m in store.list(namespace=namespace, limit=None, include_expired=True)}
        closed += [(m.text, every[m.superseded_by].text if m.superseded_by in every else "")
                   for m in every.values() if m.valid_until is not None]
        # a turn as the conversation shows it: "Speaker: text", with the session's date
        turns = [f"{m.speaker}: {m.content} ({c.started_at or ''})" for _, c in conversations_of(sample, args.sessions)
                 for m in c.messages if m.role == "user"]
        support += supported(embedder, memories, turns)
        facts = gold_facts(sample, args.sessions)
        words += sum(len(m.text.split()) for m in memories)
        if facts and memories:
            sims = embedder.embed(facts) @ embedder.embed([m.text for m in memories]).T
            recalled += int((sims.max(axis=1) >= THRESHOLD).sum())
        total += len(facts)
    print("| model | sessions | gold facts | fact recall | memory words per sample | LLM calls per session | "
          "prompt tokens per session | completion tokens per session | seconds per session | failed sessions |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    per = max(sessions_done, 1)
    print(f"| {model} | {args.sessions or 'all'} | {total} | {100 * recalled / max(total, 1):.1f} | "
          f"{words / max(len(samples), 1):.0f} | {calls / per:.2f} | {prompt_tokens / per:.0f} | "
          f"{completion_tokens / per:.0f} | {seconds / per:.1f} | {failed} |")
    share = sum(1 for s, _ in support if s >= SUPPORTED) / max(len(support), 1)
    print(f"fact recall: {100 * recalled / max(total, 1):.1f} %")
    print(f"memory words per sample: {words / max(len(samples), 1):.0f}")
    print(f"supported: {100 * share:.1f} % of {len(support)} memories")
    print(f"seconds per session: {seconds / per:.2f}")
    print(f"closed by a later statement: {len(closed)}")
    if args.show_closed:
        for old, new in closed:
            print(f"  {old}\n    -> {new}")
    print("least supported:")
    for value, text in sorted(support)[:5]:
        print(f"  {value:.2f}  {text}")
    return 0


SUPPORTED = 0.6  # a sentence is supported when close to a turn (cosine) or mostly made of its words


def supported(embedder, memories, turns: list[str]) -> list[tuple[float, str]]:
    """Per memory, the support of its least supported sentence: the best over the conversation's
    turns of max(cosine, share of the sentence's content words found in the turn)."""
    import re

    from langmem_cli.core.grounding import content_words

    if not memories or not turns:
        return []
    turn_words = [content_words(t) for t in turns]
    turn_vectors = embedder.embed(turns)
    out = []
    for m in memories:
        parts = [p for p in re.split(r"(?<=[.!?])\s+", m.text) if p.strip()] or [m.text]
        cos = (embedder.embed(parts) @ turn_vectors.T).max(axis=1)
        worst = 1.0
        for part, c in zip(parts, cos):
            mine = content_words(part)
            overlap = max((len(mine & t) / len(mine) for t in turn_words), default=0.0) if mine else 1.0
            worst = min(worst, max(float(c), overlap))
        out.append((worst, m.text))
    return out


if __name__ == "__main__":
    raise SystemExit(main())
