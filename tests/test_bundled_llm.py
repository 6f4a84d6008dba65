"""The bundled offline model (SmolLM2 through llama-cpp-python, the opt-in `local` extra) in process,
through the same litellm path as every provider. Assertions are on structure, not wording.
Skipped when llama-cpp-python is not installed; the HTTP provider path is tested without it in
test_http_provider.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "transcripts"
pytestmark = pytest.mark.llm


def check_report(report: dict, source_file: Path) -> None:
    summary = report["summary"]
    assert summary["failed"] == 0, report
    assert summary["calls"] >= 1 and summary["prompt_tokens"] > 0 and summary["completion_tokens"] > 0
    for conversation in report["conversations"]:
        assert conversation["status"] in ("applied", "unchanged")
        assert conversation["source"].startswith(f"{source_file}:")
        for op in conversation["operations"]:
            assert op["action"] == "insert" and op["kind"] == "memory"
            assert isinstance(op["content"]["content"], str) and op["content"]["content"].strip()


def test_extract_with_bundled_model_in_process(cli):
    path = FIXTURES / "messages.jsonl"
    report = json.loads(cli("extract", path, "-n", "local/alice", "--model", "local/smollm2-135m", "--json").stdout)
    assert report["model"] == "local/smollm2-135m"
    check_report(report, path)
    again = json.loads(cli("extract", path, "-n", "local/alice", "--model", "local/smollm2-135m", "--json").stdout)
    assert again["summary"]["skipped"] == 1 and again["summary"]["calls"] == 0
