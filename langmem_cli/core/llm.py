"""The LLM interface every LLM command uses: messages in, a validated pydantic object out.

Pure: the client that talks to a provider comes in as ``ChatClient`` (langmem_cli.llm implements it
over litellm). JSON is extracted robustly from the reply; when validation fails the error is
sent back and the call retried at once; when the provider fails (timeout, 5xx, rate limit) the same
request is retried after an exponential backoff with jitter (tenacity). Both share one bound.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from tenacity import RetryCallState, Retrying, wait_exponential_jitter

from langmem_cli.errors import LangmemError

T = TypeVar("T", bound=BaseModel)


class LLMError(LangmemError):
    """A call that could not produce a valid answer (after retries) or a provider failure."""


class ProviderError(LLMError):
    """Transient provider trouble (timeout, 5xx, rate limit): may be retried."""


class ConfigurationError(LLMError):
    """Missing API key, unknown model, unreachable server: retrying will not help."""


@dataclass
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0


class ChatClient(Protocol):
    model: str
    # Seconds before the first retry after a provider failure (doubling, with jitter, capped at
    # RETRY_WAIT_MAX); 0 for in-process models, where waiting does not help.
    retry_wait: float

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any] | None, name: str) -> Completion: ...


@dataclass
class Usage:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    retries: int = 0

    def add(self, completion: Completion) -> None:
        self.calls += 1
        self.prompt_tokens += completion.prompt_tokens
        self.completion_tokens += completion.completion_tokens
        self.cost += completion.cost

    def merge(self, other: "Usage") -> None:
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost += other.cost
        self.retries += other.retries

    def to_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "cost": round(self.cost, 6), "retries": self.retries}


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def extract_json(text: str) -> Any:
    """The first JSON object or array in ``text`` (code fences and chatter around it ignored)."""
    text = text.strip()
    candidates = [text] + [m.group(1).strip() for m in _FENCE.finditer(text)]
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            pass
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "{[":
            try:
                value, _ = decoder.raw_decode(text[i:])
                return value
            except ValueError:
                continue
    raise ValueError("no JSON object found in the reply")


def _short(error: Exception | None) -> str:
    if isinstance(error, ValidationError):
        parts = []
        for e in error.errors()[:8]:
            loc = ".".join(str(p) for p in e.get("loc", ()))
            parts.append(f"{loc}: {e.get('msg')}" if loc else str(e.get("msg")))
        return "; ".join(parts)
    return str(error).splitlines()[0][:300] if str(error) else type(error).__name__


RETRY_WAIT_MAX = 30.0


def provider_backoff(initial: float) -> Callable[[int], float]:
    """Seconds to wait before retry ``n`` (1-based) after a provider failure: exponential
    (``initial`` * 2^(n-1), at most RETRY_WAIT_MAX) plus up to ``initial`` of random jitter."""
    wait = wait_exponential_jitter(multiplier=initial, max=RETRY_WAIT_MAX, jitter=initial)

    def seconds(n: int) -> float:
        if initial <= 0:
            return 0.0
        state = RetryCallState(Retrying(), None, (), {})
        state.attempt_number = n
        return float(wait(state))

    return seconds


def structured_call(
    client: ChatClient,
    messages: list[dict[str, str]],
    output: type[T],
    *,
    retries: int = 2,
    usage: Usage | None = None,
    check: Callable[[T], None] | None = None,
    schema: dict[str, Any] | None = None,
    name: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Ask for ``output``; validate (and ``check``, which raises ValueError); retry with the error.

    At most ``1 + retries`` calls. Provider errors (timeouts, 5xx) count as attempts too and are
    retried after ``provider_backoff(client.retry_wait)`` seconds.
    """
    usage = usage if usage is not None else Usage()
    schema = schema if schema is not None else output.model_json_schema()
    name = name or output.__name__
    conversation = list(messages)
    last_error: Exception | None = None
    backoff = provider_backoff(float(getattr(client, "retry_wait", 1.0)))
    provider_failures = 0
    for attempt in range(retries + 1):
        if attempt:
            usage.retries += 1
            if isinstance(last_error, ProviderError):
                sleep(backoff(provider_failures))
        try:
            completion = client.complete(conversation, schema, name)
        except ProviderError as exc:
            last_error = exc
            provider_failures += 1
            continue
        usage.add(completion)
        try:
            value = output.model_validate(extract_json(completion.text))
            if check is not None:
                check(value)
            return value
        except (ValueError, ValidationError) as exc:
            last_error = exc
            conversation = list(messages) + [
                {"role": "assistant", "content": completion.text[:4000]},
                {"role": "user", "content": f"That reply was not valid: {_short(exc)}. "
                 "Answer again with only a JSON object that follows the schema."},
            ]
    raise LLMError(f"no valid answer from {client.model} after {retries + 1} attempts: {_short(last_error)}")
