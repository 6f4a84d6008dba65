"""A scripted fake model for tests (like MockModel in simonw/llm's tests): ``--model fake/anything``.

It is not part of the package. tests/conftest.py registers it as the litellm custom provider
``fake`` through ``LANGMEM_LITELLM_PROVIDERS=fake=support.fake_llm:FakeProvider`` and puts tests/
on ``PYTHONPATH``, so subprocesses started by the tests (and the benchmarks, which do the same with
``register()``) find it by model name in a fresh interpreter.

It answers from a queue of replies, records every prompt, counts tokens (4 characters = 1
token), and can inject faults. In process, drive it through ``SCRIPT``; across processes, point
``LANGMEM_FAKE_SCRIPT`` at a JSON file ``{"replies": [...], "fault_rate": 0.3, "seed": 1,
"auto": true, "delay": 0.5}`` and ``LANGMEM_FAKE_LOG`` at a file that receives one JSON line per prompt.

A reply is a string (sent as is), ``{"json": value}`` (sent as JSON), or ``{"fault": KIND}``
with KIND one of ``malformed``, ``wrong_shape``, ``unknown_id``, ``timeout``, ``provider_error``.
With ``auto`` and an empty queue the fake answers validly by itself (see ``auto_reply``).
"""

from __future__ import annotations

import json
import os
import random
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from langmem_cli.llm.litellm_env import litellm_module

from support.fake_registry import PROVIDER, TESTS_DIR, register  # noqa: F401  (re-exported for the benchmarks)


def fake_script() -> str | None:
    return os.environ.get("LANGMEM_FAKE_SCRIPT") or None


def fake_log() -> str | None:
    return os.environ.get("LANGMEM_FAKE_LOG") or None

litellm = litellm_module()
CustomLLM = litellm.CustomLLM

FAULTS = ("malformed", "wrong_shape", "unknown_id", "timeout", "provider_error")


@dataclass
class FakeScript:
    replies: deque = field(default_factory=deque)
    prompts: list = field(default_factory=list)
    fault_rate: float = 0.0
    faults: tuple = FAULTS
    auto: bool = True
    seed: int = 0
    delay: float = 0.0  # seconds before each reply (tests of concurrent runs and Ctrl-C)
    _rng: random.Random | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self, replies=(), fault_rate: float = 0.0, auto: bool = True, seed: int = 0, faults=FAULTS,
              delay: float = 0.0) -> "FakeScript":
        self.delay = delay
        self.replies = deque(replies)
        self.prompts = []
        self.fault_rate = fault_rate
        self.auto = auto
        self.seed = seed
        self.faults = tuple(faults)
        self._rng = random.Random(seed)
        return self

    @property
    def rng(self) -> random.Random:
        if self._rng is None:
            self._rng = random.Random(self.seed)
        return self._rng


SCRIPT = FakeScript()
_loaded_from: str | None = None


def _load_env_script() -> None:
    global _loaded_from
    path = fake_script()
    if path and path != _loaded_from:
        data = json.loads(open(path, encoding="utf-8").read())
        SCRIPT.reset(data.get("replies", []), data.get("fault_rate", 0.0), data.get("auto", True),
                     data.get("seed", 0), data.get("faults", FAULTS), data.get("delay", 0.0))
        _loaded_from = path


def count_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def auto_reply(messages: list[dict], schema_name: str | None) -> Any:
    """A valid answer built from the prompt: one memory per user message of the transcript."""
    transcript = _section(messages, "<transcript>", "</transcript>")
    if schema_name == "ExtractReply":
        lines = [l.split(": ", 1)[1] for l in transcript.splitlines() if l.startswith("user: ")]
        return {"operations": [{"action": "insert", "kind": "memory", "content": l, "quotes": [l]} for l in lines[:5]]}
    if schema_name == "ProfileReply":
        return {"changed": True, "profile": {"notes": [l for l in transcript.splitlines()[:3]]}}
    if schema_name == "MergeReply":
        return {"operations": []}
    # optimize-prompt: by default nothing needs to change
    if schema_name == "MemoryUpdate":
        return {"update": False, "new_prompt": "", "rationale": "fake: no update"}
    if schema_name == "Reflection":
        return {"analysis": "fake analysis", "critique": "", "change_needed": False, "recommendations": "", "done": True}
    if schema_name == "MetaStep":
        return {"reasoning": "fake", "change_needed": False, "new_prompt": None}
    if schema_name == "Which":
        return {"prompts": [], "rationale": "fake"}
    return {}


def _section(messages: list[dict], start: str, end: str) -> str:
    for m in messages:
        content = str(m.get("content", ""))
        if start in content:
            return content.split(start, 1)[1].split(end, 1)[0].strip()
    return ""


def _fault_reply(kind: str, schema_name: str | None) -> str:
    if kind == "malformed":
        return '{"operations": [{"action": "insert", "content": "unterminated'
    if kind == "wrong_shape":
        return json.dumps({"facts": ["this is not the schema"], "operations": "none"})
    if kind == "unknown_id":
        return json.dumps({"operations": [{"action": "update", "id": "m999", "kind": "memory", "content": "x"},
                                          {"action": "delete", "id": "does-not-exist"}]})
    if kind == "timeout":
        raise litellm.Timeout(message="fake timeout", model="fake", llm_provider="fake")
    if kind == "provider_error":
        raise litellm.InternalServerError(message="fake provider error (HTTP 500)", model="fake", llm_provider="fake")
    raise ValueError(f"unknown fault {kind!r}")


class FakeProvider(CustomLLM):
    def completion(self, model, messages, api_base, custom_prompt_dict, model_response, print_verbose, encoding,
                   api_key, logging_obj, optional_params, *args, **kwargs):
        _load_env_script()
        response_format = optional_params.get("response_format") or {}
        schema_name = (response_format.get("json_schema") or {}).get("name")
        prompt_text = "\n".join(str(m.get("content", "")) for m in messages)
        with SCRIPT.lock:
            SCRIPT.prompts.append({"model": model, "messages": messages, "schema": schema_name})
            log = fake_log()
            if log:
                with open(log, "a", encoding="utf-8") as fp:
                    fp.write(json.dumps({"model": model, "schema": schema_name, "prompt_tokens": count_tokens(prompt_text)}) + "\n")
            reply = SCRIPT.replies.popleft() if SCRIPT.replies else None
            fault = None
            if reply is None and SCRIPT.fault_rate and SCRIPT.rng.random() < SCRIPT.fault_rate:
                fault = SCRIPT.rng.choice(SCRIPT.faults)
        if SCRIPT.delay:
            import time

            time.sleep(SCRIPT.delay)
        if isinstance(reply, dict) and "fault" in reply:
            fault = reply["fault"]
        if fault:
            text = _fault_reply(fault, schema_name)
        elif reply is None:
            if not SCRIPT.auto:
                raise litellm.InternalServerError(message="fake model: no scripted reply left", model="fake", llm_provider="fake")
            text = json.dumps(auto_reply(messages, schema_name))
        elif isinstance(reply, dict) and "json" in reply:
            text = json.dumps(reply["json"])
        else:
            text = str(reply)
        model_response.choices[0].message.content = text
        model_response.model = f"fake/{model}"
        model_response.usage = litellm.Usage(
            prompt_tokens=count_tokens(prompt_text), completion_tokens=count_tokens(text),
            total_tokens=count_tokens(prompt_text) + count_tokens(text),
        )
        return model_response
