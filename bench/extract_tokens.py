"""Prompt tokens per extract call with 100 vs 100,000 memories already in the namespace, and LLM
calls per chunk, with the scripted fake model (it counts tokens) and the hash embedder.

    python bench/extract_tokens.py [--sizes 100 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("tea coffee marathon Berlin Prague cat dog Pixel Mochi Rust Go Python sourdough bakery cello "
         "Japan April allergy penicillin school daughter son partner job Contoso Acme Spark DuckDB").split()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 100_000])
    args = parser.parse_args()
    os.environ["LANGMEM_EMBEDDING_MODEL"] = "hash:256"
    from langmem_cli import Store
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the scripted model is test code
    from support.fake_llm import SCRIPT, register

    register()
    from langmem_cli.llm.litellm_client import LiteLLMClient
    from langmem_cli.core.conversation import Conversation, Message
    from langmem_cli.core.schemas import BUILTIN
    from langmem_cli.jobs.extract import ExtractOptions, extract_one
    from langmem_cli.core.records import NewMemory

    rng = random.Random(0)
    client = LiteLLMClient("fake/counter")
    conversation = Conversation(
        [Message("user", "I moved from Prague to Berlin and my cat Pixel hates the new flat."),
         Message("assistant", "Cats need time; give Pixel a quiet room first."),
         Message("user", "Also I'm training for the Berlin marathon in September.")] * 8,
        {}, "bench:1")
    rows = []
    for size in args.sizes:
        db = Path(tempfile.mkdtemp()) / "m.db"
        store = Store.open(db)
        start = time.perf_counter()
        for base in range(0, size, 5000):
            store.put_many([NewMemory("bench/ns", " ".join(rng.choices(WORDS, k=12)) + f" #{i}")
                            for i in range(base, min(size, base + 5000))])
        fill = time.perf_counter() - start
        SCRIPT.reset()
        opts = ExtractOptions(schemas={"memory": BUILTIN["memory"]}, chunk_tokens=150)
        result = extract_one(store, client, conversation, "bench/ns", opts)
        # a first call for a chunk ends with the transcript; a retry ends with the error message
        chunks = sum(1 for p in SCRIPT.prompts if p["messages"][-1]["content"].startswith("<transcript>"))
        rows.append((size, result.usage.prompt_tokens / result.usage.calls, result.usage.calls, chunks, fill, result.status))
        store.close()
    print("| memories in namespace | prompt tokens per call | LLM calls | chunks | status |")
    print("|---|---|---|---|---|")
    for size, per_call, calls, chunks, fill, status in rows:
        print(f"| {size:,} | {per_call:.0f} | {calls} | {chunks} | {status} |")
    print(f"\nratio (largest / smallest): {rows[-1][1] / rows[0][1]:.3f} (target <= 1.2); "
          f"calls per chunk: {rows[-1][2] / rows[-1][3]:.2f} (target 1)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
