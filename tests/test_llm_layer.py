"""The LLM layer: JSON extraction, validation with bounded retries, usage, the fake provider."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from langmem_cli.core.llm import LLMError, Usage, extract_json, structured_call
from langmem_cli.llm.litellm_client import LiteLLMClient


class Answer(BaseModel):
    value: int


pytestmark = pytest.mark.fake_script(auto=False)


@pytest.fixture(scope="module")
def client():
    return LiteLLMClient("fake/test", timeout=5)


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"value": 1}', {"value": 1}),
        ('Sure! Here it is:\n```json\n{"value": 2}\n```\nAnything else?', {"value": 2}),
        ('noise {"value": 3} trailing {"value": 4}', {"value": 3}),
        ("[1, 2]", [1, 2]),
    ],
)
def test_extract_json(text, expected):
    assert extract_json(text) == expected


def test_extract_json_rejects_text_without_json():
    with pytest.raises(ValueError):
        extract_json("no json here")


def test_valid_reply_takes_one_call(fake, client):
    fake.replies.extend(['{"value": 7}'])
    usage = Usage()
    assert structured_call(client, [{"role": "user", "content": "hi"}], Answer, usage=usage).value == 7
    assert usage.calls == 1 and usage.retries == 0
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert fake.prompts[0]["schema"] == "Answer"


def test_invalid_reply_is_sent_back_with_the_error(fake, client):
    fake.replies.extend(['{"value": "seven"}', '{"value": 7}'])
    usage = Usage()
    assert structured_call(client, [{"role": "user", "content": "hi"}], Answer, usage=usage).value == 7
    assert usage.calls == 2 and usage.retries == 1
    retry_messages = fake.prompts[1]["messages"]
    assert retry_messages[-2]["role"] == "assistant" and "seven" in retry_messages[-2]["content"]
    assert "value" in retry_messages[-1]["content"] and "not valid" in retry_messages[-1]["content"]


def test_retries_are_bounded(fake, client):
    fake.replies.extend([{"fault": "malformed"}] * 10)
    with pytest.raises(LLMError, match="after 3 attempts"):
        structured_call(client, [{"role": "user", "content": "hi"}], Answer, retries=2)
    assert len(fake.prompts) == 3


@pytest.mark.parametrize("fault", ["timeout", "provider_error"])
def test_provider_faults_are_retried_then_reported(fake, client, fault):
    fake.replies.extend([{"fault": fault}, '{"value": 1}'])
    assert structured_call(client, [{"role": "user", "content": "x"}], Answer).value == 1
    fake.replies.extend([{"fault": fault}] * 3)
    with pytest.raises(LLMError):
        structured_call(client, [{"role": "user", "content": "x"}], Answer, retries=2)


def test_check_failure_is_retried(fake, client):
    fake.replies.extend(['{"value": -1}', '{"value": 5}'])

    def positive(a: Answer) -> None:
        if a.value < 0:
            raise ValueError("value must be positive")

    assert structured_call(client, [{"role": "user", "content": "x"}], Answer, check=positive).value == 5
    assert "value must be positive" in fake.prompts[1]["messages"][-1]["content"]


def test_schema_is_sent_as_response_format(fake, client):
    fake.replies.extend([json.dumps({"value": 1})])
    structured_call(client, [{"role": "user", "content": "x"}], Answer)
    assert fake.prompts[-1]["schema"] == "Answer"


def test_missing_api_key_is_a_configuration_error(monkeypatch):
    from langmem_cli.core.llm import ConfigurationError

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client = LiteLLMClient("openai/gpt-4o-mini", timeout=5)
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        client.complete([{"role": "user", "content": "hi"}], None, "x")


def test_unreachable_server_names_the_url():
    from langmem_cli.core.llm import ConfigurationError

    client = LiteLLMClient("openai/some-model", api_base="http://127.0.0.1:9/v1", timeout=5)
    with pytest.raises(ConfigurationError, match="127.0.0.1:9"):
        client.complete([{"role": "user", "content": "hi"}], None, "x")
