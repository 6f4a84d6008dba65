"""The bundled offline model, in process and behind a real OpenAI-compatible HTTP server on
127.0.0.1 (llama-cpp-python's server), through the same litellm path. Assertions are on
structure, not wording."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")
from langmem_cli.llm.local_llm import weights_path  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "transcripts"
pytestmark = pytest.mark.llm


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "w") as fp:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(weights_path("smollm2-135m")),
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--model_alias", "smollm2"],
            stdout=fp, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail(f"llama-cpp server did not start: {log.read_text()[-2000:]}")
                time.sleep(0.5)
        yield base, log
    finally:
        proc.terminate()
        proc.wait(timeout=30)


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


def test_extract_over_http_server(cli, server):
    base, log = server
    path = FIXTURES / "messages.jsonl"
    result = cli("extract", path, "-n", "http/alice", "--model", "openai/smollm2", "--api-base", base, "--json")
    report = json.loads(result.stdout)
    check_report(report, path)
    assert "POST /v1/chat/completions" in log.read_text()
    stored = cli.json("list", "-n", "http/alice")
    assert len(stored) == report["summary"]["inserted"]
    run = [r for r in cli.json("runs") if r["command"] == "extract"][0]
    assert run["model"] == "openai/smollm2" and run["prompt_tokens"] == report["summary"]["prompt_tokens"]


def test_unreachable_server_is_one_clear_error(cli):
    path = FIXTURES / "messages.jsonl"
    result = cli("extract", path, "--model", "openai/smollm2", "--api-base", f"http://127.0.0.1:{free_port()}/v1", code=1)
    assert "cannot reach http://127.0.0.1:" in result.stderr and "Traceback" not in result.output
    assert cli.json("list") == []


def test_extract_with_bundled_model_in_process(cli):
    path = FIXTURES / "messages.jsonl"
    report = json.loads(cli("extract", path, "-n", "local/alice", "--json").stdout)
    assert report["model"] == "local/smollm2-135m"
    check_report(report, path)
    again = json.loads(cli("extract", path, "-n", "local/alice", "--json").stdout)
    assert again["summary"]["skipped"] == 1 and again["summary"]["calls"] == 0
