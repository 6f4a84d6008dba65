"""The grounding gate against scripted model replies: how many invented memories get through, how
many grounded ones are refused. Every fixture transcript, through the real extract job.

    python bench/grounding_scripted.py

Per conversation the scripted model (fake/bench) proposes
- grounded memories: the statements a person made (the offline extractor's rewrites, quoting the
  sentence) and hand-written paraphrases for two fixtures, as a capable model would write them;
- invented memories of four sorts: text of tool output, system prompts and assistant messages
  quoted as evidence; a plausible fact that no message says, quoting a real user sentence; a
  fact with a made-up quote; a grounded statement turned into its negation.
A re-ask for missing quotes is answered with no quotes. Prints the rejection rate of each group.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "transcripts"
PARAPHRASES = {
    "messages.jsonl": [("Alice is vegetarian and does not eat eggs", "I'm vegetarian, and I don't eat eggs either"),
                       ("Alice works late shifts as a nurse at St. Mary's", "I work late shifts as a nurse at St. Mary's"),
                       ("Sam, Alice's partner, hates coriander", "Sam hates coriander"),
                       ("Alice's dog Biscuit gets the leftovers", "our dog Biscuit gets the leftovers")],
    "conversations.jsonl": [("The user adopted a grey tabby cat called Pixel", "a grey tabby called Pixel"),
                            ("The user prefers bullet points to long paragraphs", "I prefer bullet points over long paragraphs")],
}


def proposals(conversation, name: str):
    from langmem_cli.core.grounding import eligible
    from langmem_cli.core.statements import statements

    grounded = [(c.text, c.quotes) for c in statements(conversation)][:4]
    texts = " ".join(m.content for m in conversation.messages)
    grounded += [(t, [q]) for t, q in PARAPHRASES.get(name, []) if q in texts][:4]
    allowed = eligible(conversation.messages)
    invented = []
    for m, ok in zip(conversation.messages, allowed):
        first = re.split(r"(?<=[.!?])\s+", " ".join(m.content.split()))[0][:150]
        if not ok and len(first) > 15 and not any(first in u.content for u, a in zip(conversation.messages, allowed) if a):
            invented.append((first, [first]))  # tool output, system text, an assistant's own claim
    user = next((m.content for m, ok in zip(conversation.messages, allowed) if ok and m.role == "user"), "")
    if user:
        invented.append(("The user has a sweet tooth and loves chocolate", [user[:120]]))
    invented.append(("The user lives in Porto with three cats", ["I live in Porto with my three cats"]))
    if grounded:
        text = grounded[0][0]
        negated = re.sub(r"\b(is|was|has|loves|likes|went|works|keeps|rides)\b", r"\1 not", text, count=1)
        if negated != text:
            invented.append((negated, grounded[0][1]))
    return grounded[:4], invented[:4]


def measure() -> tuple[dict[str, list[int]], list[tuple[str, str]]]:
    """{"grounded": [proposed, rejected], "invented": [proposed, not stored]}, and what went wrong."""
    from langmem_cli import Store
    from langmem_cli.core.schemas import BUILTIN
    from langmem_cli.embed.hash_embedder import HashEmbedder
    from langmem_cli.formats import read_conversations
    from langmem_cli.jobs.extract import ExtractOptions, extract_one
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the scripted model is test code
    from support.fake_llm import SCRIPT, register

    register()
    from langmem_cli.llm.litellm_client import LiteLLMClient

    store = Store.open(Path(tempfile.mkdtemp()) / "g.db", embedder=HashEmbedder(256))
    client = LiteLLMClient("fake/bench")
    opts = ExtractOptions(schemas={"memory": BUILTIN["memory"]}, chunk_tokens=100_000, retries=0)
    counts = {"grounded": [0, 0], "invented": [0, 0]}  # [proposed, rejected]
    leaks = []
    for path in sorted(FIXTURES.iterdir()):
        for n, conversation in enumerate(read_conversations(str(path))):
            grounded, invented = proposals(conversation, path.name)
            ops = [{"action": "insert", "id": None, "content": t, "quotes": q} for t, q in grounded + invented]
            SCRIPT.reset([{"json": {"operations": ops}}, {"json": {"quotes": []}}], auto=False)
            result = extract_one(store, client, conversation, f"g/{path.stem}/{n}", opts)
            if result.status == "failed":
                raise RuntimeError(f"{path.name}: {result.error}")
            refused = {r.candidate.text: r.reason for r in result.rejected}
            stored = {m.text for m in store.list(namespace=f"g/{path.stem}/{n}", limit=None)}
            counts["grounded"][0] += len(grounded)
            counts["grounded"][1] += sum(1 for t, _ in grounded if t in refused)
            counts["invented"][0] += len(invented)
            counts["invented"][1] += sum(1 for t, _ in invented if t not in stored)
            leaks += [(path.name, "stored: " + t) for t, _ in invented if t in stored]
            leaks += [(path.name, f"refused: {t} ({refused[t]})") for t, _ in grounded if t in refused]
    SCRIPT.reset()
    return counts, leaks


def main() -> int:
    counts, leaks = measure()
    for group, (proposed, rejected) in counts.items():
        print(f"{group} memories proposed: {proposed}, {'rejected' if group == 'grounded' else 'not stored'}: "
              f"{rejected} ({100 * rejected / max(proposed, 1):.0f} %)")
    for name, text in leaks:
        print(f"  {name}: {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
