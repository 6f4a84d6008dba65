"""Asking a model once more for the quotes of memories whose quotes were not in the transcript."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from langmem_cli.core.extraction import QUOTES
from langmem_cli.core.grounding import Rejected
from langmem_cli.core.llm import ChatClient, LLMError, Usage, structured_call

ASK = """You proposed these memories, but their quotes are not words of the transcript:
{items}

For each memory, in the same order, copy the exact words of a person's message in the transcript that say it (verbatim, as written), or give an empty list when the transcript does not say it.

<transcript>
{transcript}
</transcript>

Answer with JSON only: {{"quotes": [["exact words"], ...]}} (one list per memory)."""


class QuoteReply(BaseModel):
    quotes: list[list[str]]


def requote(client: ChatClient, transcript: str, rejected: list[Rejected], *, usage: Usage | None = None,
            max_chars: int = 24000) -> dict[int, list[str]]:
    """{id(candidate): quotes} from one more call (plus validation retries); {} if the model fails."""
    items = "\n".join(f"{n}. {r.candidate.text} (quoted: {r.candidate.quotes!r})" for n, r in enumerate(rejected, start=1))
    schema: dict[str, Any] = {"type": "object", "properties": {"quotes": {"type": "array", "items": QUOTES,
                              "minItems": len(rejected), "maxItems": len(rejected)}}, "required": ["quotes"]}

    def check(reply: QuoteReply) -> None:
        if len(reply.quotes) != len(rejected):
            raise ValueError(f"give {len(rejected)} lists of quotes, one per memory, not {len(reply.quotes)}")

    messages = [{"role": "user", "content": ASK.format(items=items, transcript=transcript[-max_chars:])}]
    try:
        reply = structured_call(client, messages, QuoteReply, retries=1, usage=usage, check=check, schema=schema,
                                name="QuoteReply")
    except LLMError:
        return {}
    return {id(r.candidate): [q for q in quotes if isinstance(q, str)] for r, quotes in zip(rejected, reply.quotes)}
