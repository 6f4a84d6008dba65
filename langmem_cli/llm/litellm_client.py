"""The one LLM client: litellm (imported only here, only by LLM commands), with the offline
providers registered as litellm custom providers so every call takes the same path:

- ``local/smollm2-135m``: SmolLM2-135M-Instruct in process via llama-cpp-python;
- any provider named in ``LANGMEM_LITELLM_PROVIDERS`` (``PROVIDER=module:attribute``): the tests
  register their scripted model (tests/support/fake_llm.py) this way.
"""

from __future__ import annotations

import os
import re
from typing import Any

from langmem_cli import config
from langmem_cli.core.llm import Completion, ConfigurationError, ProviderError

DEFAULT_TIMEOUT = 120.0
RETRY_WAIT = 1.0  # seconds before the first retry after a provider failure (then doubling, jittered)
_registered = False
_custom: set[str] = {"local"}  # providers that run in process (no backoff, structured output)


def import_litellm():
    """Import litellm with its network price-map fetch and telemetry switched off."""
    global _registered
    from langmem_cli.llm.litellm_env import litellm_module

    litellm = litellm_module()
    litellm.drop_params = True
    if not _registered:
        from langmem_cli.llm.local_llm import LocalProvider

        handlers = {"local": LocalProvider(), **{name: _load_provider(name, target)
                                                 for name, target in config.litellm_providers().items()}}
        _custom.update(handlers)
        litellm.custom_provider_map = [
            *[p for p in litellm.custom_provider_map if p["provider"] not in handlers],
            *({"provider": name, "custom_handler": handler} for name, handler in handlers.items()),
        ]
        from litellm.utils import custom_llm_setup

        custom_llm_setup()
        _registered = True
    return litellm


def _load_provider(name: str, target: str):
    """The handler ``module:attribute`` names (a CustomLLM class is instantiated)."""
    import importlib

    module, _, attribute = target.partition(":")
    try:
        handler = getattr(importlib.import_module(module), attribute or "provider")
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"LANGMEM_LITELLM_PROVIDERS: cannot load {name}={target}: {exc}") from None
    return handler() if isinstance(handler, type) else handler


_SECRET = re.compile(r"(sk-[A-Za-z0-9_-]{6,}|key[=:]\s*\S+)", re.IGNORECASE)


def _scrub(text: str) -> str:
    """Never echo an API key back in an error message."""
    for name, value in os.environ.items():
        if value and len(value) >= 8 and ("KEY" in name or "TOKEN" in name or "SECRET" in name):
            text = text.replace(value, "***")
    return _SECRET.sub("***", text)


class _FormatRefused(Exception):
    pass


class LiteLLMClient:
    def __init__(self, model: str, api_base: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                 max_tokens: int = 1024, temperature: float = 0.0, retry_wait: float | None = None):
        self.model = model
        self.api_base = api_base
        self.timeout = timeout
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.litellm = import_litellm()
        provider = model.split("/", 1)[0] if "/" in model else ""
        self.custom = provider in _custom
        if not self.custom:
            self._check_provider()
        # Backoff before retrying a provider failure (core.llm.structured_call does the retrying,
        # so litellm's and the OpenAI SDK's own retries stay off: one bound, one backoff).
        self.retry_wait = (0.0 if self.custom else RETRY_WAIT) if retry_wait is None else retry_wait
        try:
            self.structured = self.custom or bool(self.litellm.supports_response_schema(model))
        except Exception:  # noqa: BLE001 - unknown models: fall back to JSON in text
            self.structured = False
        # How to ask for JSON, best first. OpenAI-compatible servers differ: most take json_schema,
        # llama-cpp-python's takes json_object with a schema; a server that refuses one format
        # (an error naming response_format) is asked with the next for the rest of the run.
        self._formats: list[str | None]
        if self.structured:
            self._formats = ["json_schema"]
        elif api_base:
            self._formats = ["json_schema", "json_object", None]
        else:
            self._formats = [None]

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any] | None, name: str) -> Completion:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "timeout": self.timeout,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "num_retries": 0,
        }
        if self.api_base:
            kwargs["api_base"] = self.api_base
        while True:
            try:
                return self._complete(kwargs, schema, name)
            except _FormatRefused:
                self._formats.pop(0)

    def _complete(self, kwargs: dict[str, Any], schema: dict[str, Any] | None, name: str) -> Completion:
        litellm = self.litellm
        kwargs = dict(kwargs)
        fmt = self._formats[0] if schema is not None else None
        if fmt == "json_schema":
            kwargs["response_format"] = {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": False}}
        elif fmt == "json_object":
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        if self.api_base and self.model.startswith("openai/") and not os.environ.get("OPENAI_API_KEY"):
            kwargs["api_key"] = "none"  # local OpenAI-compatible servers need no key
        try:
            response = litellm.completion(**kwargs)
        except Exception as exc:  # noqa: BLE001 - mapped to our three kinds of failure below
            if fmt is not None and len(self._formats) > 1 and any(
                word in str(exc) for word in ("response_format", "json_schema", "json_object")
            ):
                raise _FormatRefused() from None
            raise self._map_error(exc) from None
        usage = getattr(response, "usage", None)
        text = response.choices[0].message.content or ""
        cost = 0.0
        if not self.custom:
            try:
                cost = float(litellm.completion_cost(completion_response=response) or 0.0)
            except Exception:  # noqa: BLE001 - unknown price: cost 0
                cost = 0.0
        return Completion(
            text=text,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cost=cost,
        )

    def _check_provider(self) -> None:
        """An unknown provider cannot succeed on any retry: say what to fix before the first call."""
        try:
            self.litellm.get_llm_provider(self.model, api_base=self.api_base)
        except Exception as exc:  # noqa: BLE001 - litellm raises its BadRequestError (or others) here
            first = (_scrub(str(exc)).splitlines() or [type(exc).__name__])[0]
            if "provider" not in first.lower():
                return  # not litellm's "which provider?" answer: leave it to the first call
            raise ConfigurationError(
                f"--model {self.model}: unknown provider {self.model.split('/', 1)[0]!r}: give PROVIDER/MODEL as litellm "
                "names them (e.g. openai/gpt-4o-mini, anthropic/claude-3-5-haiku-latest, ollama/llama3.2), "
                "or local for the offline extractor", exit_code=2) from None

    def _map_error(self, exc: Exception) -> Exception:
        litellm = self.litellm
        text = _scrub(str(exc))
        first = text.splitlines()[0][:240] if text else type(exc).__name__
        lowered = text.lower()
        if isinstance(exc, (litellm.AuthenticationError, litellm.PermissionDeniedError)) or any(
            s in lowered for s in ("api_key", "api key", "credentials")
        ):
            return ConfigurationError(f"{self.model}: missing or invalid API key ({self._key_hint()})")
        if isinstance(exc, litellm.NotFoundError) or any(
            s in lowered for s in ("model_not_found", "does not exist", "unknown model", "invalid model",
                                   "llm provider not provided")
        ):
            return ConfigurationError(f"{self.model}: model not found (check the name given to --model): {first}")
        if isinstance(exc, litellm.Timeout):
            return ProviderError(f"{self.model}: timed out after {self.timeout:g} s")
        if (isinstance(exc, litellm.APIConnectionError) and not isinstance(exc, litellm.InternalServerError)) or any(
            s in lowered for s in ("connection error", "connection refused", "name or service not known", "connecterror")
        ):
            where = self.api_base or "the provider"
            return ConfigurationError(f"cannot reach {where} for {self.model}: {first}")
        if isinstance(exc, (litellm.RateLimitError, litellm.ServiceUnavailableError, litellm.InternalServerError,
                            litellm.BadRequestError, litellm.APIError)):
            return ProviderError(f"{self.model}: {type(exc).__name__}: {first}")
        return ProviderError(f"{self.model}: {type(exc).__name__}: {first}")

    def _key_hint(self) -> str:
        provider = self.model.split("/", 1)[0] if "/" in self.model else "openai"
        return f"set {provider.upper()}_API_KEY" if provider not in ("ollama", *_custom) else "check the server"
