"""Issue 11 and 16 around runs: offline consolidate, bad clusters skipped then parked, extract's
cost limit, the lock that spares a second run the same LLM calls, and Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_extract import FAKE, write_conversations

ROOT = Path(__file__).resolve().parent.parent


def evidence(tag: str) -> list[dict]:
    return [{"file": "t.jsonl", "conversation": tag, "message": 0, "line": 1, "role": "user", "speaker": "user",
             "quote": tag}]


def load(cli, tmp_path, rows: list[tuple[str, str]], namespace="u/a") -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"namespace": namespace, "content": text, "metadata": {"evidence": evidence(tag)}})
                            + "\n" for text, tag in rows))
    cli("import", path)


def test_offline_consolidate_merges_near_duplicates_and_reports_contradictions(cli, tmp_path):
    load(cli, tmp_path, [("Alice likes green tea", "e1"), ("Alice likes green tea every morning", "e2"),
                         ("Alice does not like green tea", "e3"), ("Bob plays the cello", "e4")])
    result = cli("consolidate", "-n", "u/a", "--threshold", "0.3", "--json")
    report = json.loads(result.stdout)
    assert report["model"] == "local" and report["summary"]["calls"] == 0
    assert report["summary"]["deleted"] == 1 and report["summary"]["contradictions"] == 1
    assert "possible contradiction" in result.stderr
    memories = {m["text"]: m for m in cli.json("list", "-n", "u/a")}
    assert "Alice likes green tea" not in memories and "Alice does not like green tea" in memories
    kept = memories["Alice likes green tea every morning"]
    assert {e["conversation"] for e in kept["metadata"]["evidence"]} == {"e1", "e2"}  # provenance of both
    [gone] = kept["metadata"]["merged_from"]
    own = [e["action"] for e in cli.json("history", gone) if e["memory_id"] == gone]
    assert own[-1] == "supersede"  # never destroyed: it held, then was merged
    assert cli.json("get", gone)["superseded_by"] == kept["id"]


def test_unknown_ids_skip_the_cluster_then_park_it_and_never_fail_the_others(cli, fake, tmp_path):
    load(cli, tmp_path, [("Alice likes green tea", "a"), ("Alice likes green tea a lot", "b")], "u/a")
    load(cli, tmp_path, [("Bob has a dog", "c"), ("Bob has a dog named Rex", "d")], "u/b")
    bad = {"json": {"operations": [{"action": "delete", "id": None}, {"action": "update", "id": "c7", "content": "x"}]}}
    good = {"json": {"operations": [{"action": "delete", "id": "c1"}]}}
    args = ["consolidate", "--all", *FAKE, "--threshold", "0.3", "--retries", "1", "--json"]
    for attempt in (1, 2):
        fake.reset([bad, bad, good] if attempt == 1 else [bad, bad])
        result = cli(*args, code=1)
        report = json.loads(result.stdout)
        statuses = sorted(c["status"] for c in report["clusters"])
        assert "failed" in statuses and "not in this cluster" in result.stderr
        if attempt == 1:
            assert "applied" in statuses  # the other cluster went through
    assert "parked" in result.stderr
    fake.reset([])
    third = cli.json(*args)
    assert third["summary"]["parked"] == 1 and third["summary"]["calls"] == 0  # not re-sent every night


def test_max_llm_calls_leaves_conversations_for_the_next_run(cli, fake, tmp_path):
    path = tmp_path / "many.jsonl"
    write_conversations(path, 5)
    first = cli.json("extract", path, "-n", "f/{user_id}", *FAKE, "--max-llm-calls", "2", "--json")
    assert first["summary"]["calls"] == 2 and first["summary"]["pending"] == 3
    second = cli.json("extract", path, "-n", "f/{user_id}", *FAKE, "--json")
    assert second["summary"]["skipped"] == 2 and second["summary"]["calls"] == 3


def test_many_calls_are_announced_before_the_run(cli, fake, tmp_path):
    path = tmp_path / "many.jsonl"
    write_conversations(path, 25)
    result = cli("extract", path, "-n", "f/{user_id}", *FAKE, "--dry-run", "--json")
    assert "about 25 LLM calls ahead" in result.stderr and "--max-llm-calls" in result.stderr


def _ctrl_c_as_at_a_terminal() -> None:
    # A job started in the background (`make test &`, nohup) inherits SIGINT ignored, and Python then
    # installs no KeyboardInterrupt handler: give the child the default, as a terminal would.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def langmem(*args, env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "langmem_cli", *map(str, args)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_ctrl_c_as_at_a_terminal)


def slow_env(tmp_path: Path, delay: float) -> dict[str, str]:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"replies": [], "auto": True, "delay": delay}))
    return {**os.environ, "LANGMEM_DB": str(tmp_path / "m.db"), "LANGMEM_EMBEDDING_MODEL": "hash:64",
            "LANGMEM_FAKE_SCRIPT": str(script), "LANGMEM_FAKE_LOG": str(tmp_path / "log.jsonl"),
            "PYTHONPATH": str(ROOT) + os.pathsep + str(ROOT / "tests")}  # tests/: the scripted model


def test_two_extracts_of_one_file_at_once_pay_once(tmp_path):
    path = tmp_path / "one.jsonl"
    write_conversations(path, 1)
    env = slow_env(tmp_path, 1.5)
    first = langmem("extract", path, "-n", "x", "--model", "fake/t", "--json", env=env)
    time.sleep(0.3)
    second = langmem("extract", path, "-n", "x", "--model", "fake/t", "--json", env=env)
    outs = [p.communicate(timeout=120) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outs
    reports = sorted((json.loads(out)["summary"] for out, _ in outs), key=lambda s: s["skipped"])
    assert reports[0]["inserted"] == 1 and reports[1]["skipped"] == 1 and reports[1]["calls"] == 0
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 1  # one LLM call in all


def test_ctrl_c_during_extract_says_what_was_kept(tmp_path):
    path = tmp_path / "many.jsonl"
    write_conversations(path, 6)
    env = slow_env(tmp_path, 0.7)
    proc = langmem("extract", path, "-n", "f/{user_id}", "--model", "fake/t", "--json", env=env)
    deadline = time.time() + 60
    log = tmp_path / "log.jsonl"
    while time.time() < deadline and (not log.exists() or len(log.read_text().splitlines()) < 3):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err
    assert "interrupted:" in err and "conversations were saved" in err and "run the same command again" in err
    report = json.loads(out)
    applied = [c for c in report["conversations"] if c["status"] == "applied"]
    assert applied and len(applied) < 6


@pytest.mark.parametrize("kind", ["insert"])
def test_extract_report_names_the_new_memories(cli, fake, tmp_path, kind):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"role": "user", "content": "I keep bees in my garden"}) + "\n")
    report = cli.json("extract", path, "-n", "u/a", *FAKE, "--json")
    [op] = report["conversations"][0]["operations"]
    assert op["action"] == kind and op["id"] and cli.json("get", op["id"])["text"] == "I keep bees in my garden"


def test_a_model_merge_keeps_the_evidence_of_what_it_folds_in(cli, fake, tmp_path):
    load(cli, tmp_path, [("Alice likes green tea", "e1"), ("Alice likes green tea a lot", "e2")])
    fake.reset([{"json": {"operations": [{"action": "update", "id": "c1", "content": "Alice loves green tea"},
                                         {"action": "delete", "id": "c2"}]}}])
    cli("consolidate", "-n", "u/a", *FAKE, "--threshold", "0.3")
    [kept] = cli.json("list", "-n", "u/a")
    assert kept["text"] == "Alice loves green tea"
    assert {e["conversation"] for e in kept["metadata"]["evidence"]} == {"e1", "e2"}


def test_optimize_prompt_says_local_is_not_a_model(cli, tmp_path):
    prompt = tmp_path / "p.md"
    prompt.write_text("You are helpful.\n")
    result = cli("optimize-prompt", prompt, "-t", ROOT / "fixtures" / "trajectories" / "support.jsonl",
                 "--model", "local", "--json")  # 'local' is no model: the offline optimizer runs (issue 26)
    assert json.loads(result.stdout)["kind"] == "lessons" and "Traceback" not in result.output
    result = cli("optimize-prompt", prompt, "-t", ROOT / "fixtures" / "trajectories" / "support.jsonl",
                 "--model", "local", "--kind", "gradient", code=7)
    assert "needs a model" in result.stderr and "Traceback" not in result.output
