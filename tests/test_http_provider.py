"""The `--api-base` path for real: litellm and the OpenAI SDK talk HTTP to a real server on
127.0.0.1 (tests/support/openai_server.py) whose replies are scripted. No llama-cpp needed.

Covers: extract and optimize-prompt end to end; how JSON is asked for (json_schema, then
json_object with the schema, then JSON in the text); retries with backoff on provider failures;
timeouts; unreachable servers; an API key never shown, even when the server echoes it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from pydantic import BaseModel
from support.openai_server import closed_port

from langmem_cli.core.llm import ConfigurationError, LLMError, Usage, structured_call
from langmem_cli.llm.litellm_client import LiteLLMClient

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TRANSCRIPT = FIXTURES / "transcripts" / "messages.jsonl"
MODEL = "openai/scripted"
SECRET = "sk-test-SECRET-987654321"


class Answer(BaseModel):
    value: int


ASK = [{"role": "user", "content": "give me a value"}]


@pytest.fixture
def client(openai_server):
    return LiteLLMClient(MODEL, api_base=openai_server.base, timeout=5)


def formats(server) -> list:
    return [(body.get("response_format") or {}).get("type") for body in server.completions()]


FACTS = ["Alice is vegetarian and does not eat eggs", "Alice works late shifts as a nurse at St. Mary's"]
QUOTES = ["I'm vegetarian, and I don't eat eggs either", "I work late shifts as a nurse at St. Mary's"]


def test_extract_over_http(cli, openai_server):
    openai_server.reset([{"json": {"operations": [{"action": "insert", "id": None, "content": f, "quotes": [q]}
                                                  for f, q in zip(FACTS, QUOTES)]}}])
    result = cli("extract", TRANSCRIPT, "-n", "http/alice", "--model", MODEL, "--api-base", openai_server.base, "--json")
    report = json.loads(result.stdout)
    summary = report["summary"]
    assert summary["failed"] == 0 and summary["inserted"] == 2, report
    assert summary["calls"] == len(openai_server.completions()) >= 1
    assert summary["prompt_tokens"] > 0 and summary["completion_tokens"] > 0
    body = openai_server.completions()[0]
    assert body["model"] == "scripted" and formats(openai_server)[0] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "ExtractReply"
    assert any("<transcript>" in m["content"] for m in body["messages"])
    assert sorted(m["text"] for m in cli.json("list", "-n", "http/alice")) == FACTS
    run = [r for r in cli.json("runs") if r["command"] == "extract"][0]
    assert run["model"] == MODEL and run["prompt_tokens"] == summary["prompt_tokens"]
    again = json.loads(cli("extract", TRANSCRIPT, "-n", "http/alice", "--model", MODEL, "--api-base",
                           openai_server.base, "--json").stdout)
    assert again["summary"]["skipped"] == 1 and again["summary"]["calls"] == 0


def test_optimize_prompt_over_http(cli, openai_server, tmp_path):
    prompt = tmp_path / "p.md"
    prompt.write_text("You are a helpful support assistant.\n")
    report = cli.json("optimize-prompt", prompt, "-t", FIXTURES / "trajectories" / "support.jsonl",
                      "--kind", "prompt_memory", "--model", MODEL, "--api-base", openai_server.base, "--json")
    assert report["calls"] == len(openai_server.completions()) >= 1 and report["changed"] is False


def test_json_schema_refused_then_json_object_with_schema(openai_server, client):
    openai_server.reset(['{"value": 1}', '{"value": 2}'], refuse=("json_schema",))
    assert structured_call(client, ASK, Answer).value == 1
    assert formats(openai_server) == ["json_schema", "json_object"]
    assert openai_server.completions()[1]["response_format"]["schema"]["title"] == "Answer"
    assert structured_call(client, ASK, Answer).value == 2  # remembered for the rest of the run
    assert formats(openai_server) == ["json_schema", "json_object", "json_object"]


def test_both_formats_refused_then_json_in_the_text(openai_server, client):
    openai_server.reset(['Sure! Here it is:\n```json\n{"value": 3}\n```\nAnything else?'],
                        refuse=("json_schema", "json_object"))
    usage = Usage()
    assert structured_call(client, ASK, Answer, usage=usage).value == 3
    assert formats(openai_server) == ["json_schema", "json_object", None]
    assert usage.calls == 1 and usage.retries == 0  # refusals are not attempts


def test_invalid_reply_is_asked_again_at_once(openai_server, client):
    openai_server.reset(['{"value": "seven"}', '{"value": 7}'])
    sleeps: list[float] = []
    assert structured_call(client, ASK, Answer, sleep=sleeps.append).value == 7
    assert sleeps == []  # a validation failure is re-asked without waiting
    retry = openai_server.completions()[1]["messages"]
    assert retry[-2]["role"] == "assistant" and "seven" in retry[-2]["content"]
    assert "not valid" in retry[-1]["content"]


def test_provider_failures_are_retried_with_backoff_and_jitter(openai_server, client):
    openai_server.reset([{"status": 500, "error": "overloaded"}, {"status": 429, "error": "rate limited"},
                         '{"value": 4}'])
    sleeps: list[float] = []
    usage = Usage()
    assert structured_call(client, ASK, Answer, usage=usage, sleep=sleeps.append).value == 4
    assert len(openai_server.completions()) == 3 and usage.retries == 2
    assert len(sleeps) == 2 and 1.0 <= sleeps[0] <= 2.0 and 2.0 <= sleeps[1] <= 3.0  # 1 s, 2 s, + jitter
    assert openai_server.completions()[2]["messages"] == ASK  # the same request again, not a re-ask


def test_provider_failures_are_bounded(openai_server, client):
    openai_server.reset([{"status": 503, "error": "down"}] * 5)
    with pytest.raises(LLMError, match="after 3 attempts"):
        structured_call(client, ASK, Answer, retries=2, sleep=lambda s: None)
    assert len(openai_server.completions()) == 3  # no hidden retries in litellm or the SDK


def test_timeout_is_retried_then_reported(openai_server):
    client = LiteLLMClient(MODEL, api_base=openai_server.base, timeout=1)
    openai_server.reset([{"json": {"value": 5}, "delay": 3}, '{"value": 6}'])
    assert structured_call(client, ASK, Answer, sleep=lambda s: None).value == 6
    openai_server.reset([{"json": {"value": 5}, "delay": 3}] * 2)
    with pytest.raises(LLMError, match="timed out after 1 s"):
        structured_call(client, ASK, Answer, retries=1, sleep=lambda s: None)


def test_real_waits_happen(openai_server):
    client = LiteLLMClient(MODEL, api_base=openai_server.base, timeout=5, retry_wait=0.3)
    openai_server.reset([{"status": 502, "error": "bad gateway"}, '{"value": 8}'])
    import time

    start = time.monotonic()
    assert structured_call(client, ASK, Answer).value == 8
    assert time.monotonic() - start >= 0.3


def test_unreachable_server_is_one_clear_error(cli):
    result = cli("extract", TRANSCRIPT, "--model", MODEL, "--api-base", f"http://127.0.0.1:{closed_port()}/v1", code=1)
    assert "cannot reach http://127.0.0.1:" in result.stderr and "Traceback" not in result.output
    assert cli.json("list") == []


def test_api_key_sent_to_the_server_but_never_shown(cli, openai_server, db_path):
    openai_server.reset([{"status": 401, "error": f"Incorrect API key provided: {SECRET}. You can find yours at ..."}])
    result = cli("extract", TRANSCRIPT, "-n", "u/a", "--model", MODEL, "--api-base", openai_server.base,
                 env={"OPENAI_API_KEY": SECRET}, code=1)
    assert openai_server.requests[0]["headers"].get("authorization") == f"Bearer {SECRET}"
    assert "missing or invalid API key" in result.stderr
    openai_server.reset([{"status": 500, "error": f"upstream said: key={SECRET}"}] * 3)
    result2 = cli("consolidate", "--all", "--model", MODEL, "--api-base", openai_server.base,
                  env={"OPENAI_API_KEY": SECRET}, code=None)
    for r in (result, result2):
        assert SECRET not in r.stdout and SECRET not in r.stderr
    conn = sqlite3.connect(db_path)
    assert SECRET not in "\n".join(conn.iterdump())
    conn.close()


def test_no_key_means_a_placeholder_not_an_error(openai_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client = LiteLLMClient(MODEL, api_base=openai_server.base, timeout=5)
    openai_server.reset(['{"value": 9}'])
    assert structured_call(client, ASK, Answer).value == 9
    assert openai_server.requests[0]["headers"].get("authorization") == "Bearer none"


def test_unknown_model_is_a_configuration_error(openai_server, client):
    openai_server.reset([{"status": 404, "error": "The model `scripted` does not exist"}])
    with pytest.raises(ConfigurationError, match="model not found"):
        structured_call(client, ASK, Answer)
