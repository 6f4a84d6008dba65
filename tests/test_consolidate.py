"""`langmem consolidate` with the scripted fake model, the cron lock, crashes; profile commands."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from support.fake_llm import SCRIPT
from langmem_cli.core.clustering import cluster

FAKE = ["--model", "fake/test"]
TEA = ["Alice likes green tea", "Alice likes green tea a lot", "Alice likes tea, green", "Alice drinks green tea daily"]
DOG = ["Bob has a dog", "Bob has a dog named Rex"]


@pytest.fixture(autouse=True)
def fake():
    SCRIPT.reset()
    yield SCRIPT
    SCRIPT.reset()


def fill(cli, namespace="u/a", texts=TEA + DOG + ["Carol plays cello"]):
    return {t: cli.put(t, "-n", namespace)["id"] for t in texts}


def test_clustering_groups_related_and_bounds_size():
    rng = np.random.default_rng(1)
    centers = rng.normal(size=(30, 64))
    vecs = np.repeat(centers, 5, axis=0) + 0.05 * rng.normal(size=(150, 64))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    groups = cluster(vecs, 0.9, max_size=3)
    assert groups and all(2 <= len(g) <= 3 for g in groups)
    assert all(len({i // 5 for i in g}) == 1 for g in groups)  # never mixes unrelated centers
    big = np.repeat(vecs, 40, axis=0)[:6000]  # the partitioned path
    assert all(len(g) <= 8 for g in cluster(big, 0.9, 8))


def test_merge_then_second_run_makes_no_call(cli, fake):
    fill(cli)
    report = cli.json("consolidate", "-n", "u/a", *FAKE, "--threshold", "0.5", "--dry-run", "--json")
    assert report["summary"]["clusters"] >= 1 and cli.json("list", "-n", "u/a", "--limit", "100").__len__() == 7
    assert len(fake.prompts) == report["summary"]["calls"]
    first = cli.json("consolidate", "-n", "u/a", *FAKE, "--threshold", "0.5", "--json")
    assert first["summary"]["failed"] == 0 and first["summary"]["calls"] >= 1
    again = cli.json("consolidate", "-n", "u/a", *FAKE, "--threshold", "0.5", "--json")
    assert again["summary"]["calls"] == 0 and again["summary"]["sent"] == 0
    assert again["summary"]["unchanged_since_last_run"] == again["summary"]["clusters"]
    full = cli.json("consolidate", "-n", "u/a", *FAKE, "--threshold", "0.5", "--full", "--json")
    assert full["summary"]["calls"] == full["summary"]["clusters"] > 0
    cli.put("Alice now prefers green tea over coffee", "-n", "u/a")
    newer = cli.json("consolidate", "-n", "u/a", *FAKE, "--threshold", "0.5", "--json")
    assert newer["summary"]["calls"] >= 1 and newer["summary"]["sent"] < full["summary"]["sent"] + 1


def test_operations_applied_in_history_with_run_id(cli, fake, db_path):
    fill(cli, texts=TEA)
    fake.replies.extend([json.dumps({"operations": [
        {"action": "update", "id": "c1", "content": "Alice drinks green tea every day"},
        {"action": "delete", "id": "c2"}, {"action": "delete", "id": "c3"}, {"action": "delete", "id": "c4"}]})])
    report = cli.json("consolidate", "-n", "u/a", *FAKE, "--threshold", "0.3", "--json")
    assert report["summary"]["updated"] == 1 and report["summary"]["deleted"] == 3, report
    left = cli.json("list", "-n", "u/a")
    assert [m["text"] for m in left] == ["Alice drinks green tea every day"]
    run = [r for r in cli.json("runs") if r["command"] == "consolidate"][0]
    history = cli.json("history", left[0]["id"])  # the chain: c1 inserted, superseded, its successor
    assert [h["action"] for h in history] == ["insert", "supersede", "insert"]
    assert history[-1]["run_id"] == run["id"] and history[-1]["memory_id"] == left[0]["id"]
    assert history[-1]["source"] == "consolidate"


def test_ids_outside_the_cluster_are_rejected_and_reported(cli, fake):
    fill(cli, texts=TEA)
    outsider = cli.put("Unrelated secret", "-n", "u/a")["id"]
    other_ns = cli.put("Alice likes green tea", "-n", "u/other")["id"]
    bad = json.dumps({"operations": [{"action": "delete", "id": outsider}, {"action": "delete", "id": "c9"}]})
    fake.replies.extend([bad] * 3)
    result = cli("consolidate", "-n", "u/a", *FAKE, "--threshold", "0.3", "--json", code=1)
    report = json.loads(result.stdout)
    assert report["summary"]["failed"] == 1 and "not in this cluster" in report["clusters"][0]["error"]
    assert len(cli.json("list", "-n", "u/a")) == 5 and cli.json("get", other_ns)
    assert "failed" in result.stderr


def test_max_llm_calls_leaves_the_rest_for_next_run(cli, fake):
    fill(cli, namespace="u/a", texts=TEA)
    fill(cli, namespace="u/b", texts=DOG + ["Bob has a dog called Rex"])
    first = cli.json("consolidate", "--all", *FAKE, "--threshold", "0.4", "--max-llm-calls", "1", "--json")
    assert first["summary"]["calls"] == 1 and first["summary"]["pending"] >= 1
    second = cli.json("consolidate", "--all", *FAKE, "--threshold", "0.4", "--json")
    assert second["summary"]["calls"] >= 1 and second["summary"]["pending"] == 0
    third = cli.json("consolidate", "--all", *FAKE, "--threshold", "0.4", "--json")
    assert third["summary"]["calls"] == 0


def test_profiles_are_not_clustered(cli, fake):
    cli.put('{"name": "Alice", "interests": ["tea"]}', "--kind", "profile", "-n", "u/a")
    cli.put('{"name": "Alice", "interests": ["green tea"]}', "--kind", "profile", "-n", "u/a")
    report = cli.json("consolidate", "-n", "u/a", *FAKE, "--threshold", "0.1", "--json")
    assert report["summary"]["memories"] == 0 and report["summary"]["calls"] == 0


def test_bad_scope_and_empty_store(cli, fake):
    assert "choose" in cli("consolidate", *FAKE, code=2).stderr
    result = cli("consolidate", "--all", *FAKE, "--json")
    assert "empty" in result.stderr
    cli.put("x y z", "-n", "u/a")
    assert "no memories in namespace u/zzz" in cli("consolidate", "-n", "u/zzz", *FAKE, code=3).stderr


def _holder_script(db_path: Path) -> str:
    return textwrap.dedent(f"""
        import sys, time
        from langmem_cli.jobs.consolidate import run_lock
        with run_lock({str(db_path)!r}):
            print("locked", flush=True)
            time.sleep(60)
    """)


def test_overlapping_run_exits_75_and_a_killed_holder_leaves_no_stale_lock(cli, fake, db_path):
    fill(cli, texts=TEA)
    proc = subprocess.Popen([sys.executable, "-c", _holder_script(db_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        result = cli("consolidate", "-n", "u/a", *FAKE, code=75)
        assert "another consolidate run holds the lock" in result.stderr and str(proc.pid) in result.stderr
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    cli("consolidate", "-n", "u/a", *FAKE, "--threshold", "0.3")  # the lock died with the process


def test_killed_mid_run_leaves_a_sound_database(tmp_path):
    """A consolidate process killed while it writes: integrity ok, history matches, re-run works."""
    db = tmp_path / "k.db"
    env = {**os.environ, "LANGMEM_DB": str(db), "LANGMEM_EMBEDDING_MODEL": "hash:64"}
    lines = [json.dumps({"namespace": f"k/{i % 20}", "content": f"Person {i % 20} likes colour {i % 3} and tea"})
             for i in range(400)]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    subprocess.run([sys.executable, "-m", "langmem_cli", "import", str(tmp_path / "in.jsonl")], env=env, check=True,
                   capture_output=True)
    slow = tmp_path / "script.json"
    replies = [{"json": {"operations": [{"action": "update", "id": "c1", "content": f"merged {i}"},
                                        {"action": "delete", "id": "c2"}]}} for i in range(200)]
    slow.write_text(json.dumps({"replies": replies, "auto": True}))
    proc = subprocess.Popen([sys.executable, "-m", "langmem_cli", "consolidate", "--all", "--model", "fake/x",
                             "--threshold", "0.3"], env={**env, "LANGMEM_FAKE_SCRIPT": str(slow)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    with sqlite3.connect(db) as conn:
        while time.time() < deadline and conn.execute("SELECT count(*) FROM history WHERE source='consolidate'").fetchone()[0] < 3:
            time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        live = {r[0] for r in conn.execute("SELECT id FROM memories")}
        last = dict(conn.execute(
            "SELECT memory_id, action FROM history h WHERE id = (SELECT max(id) FROM history WHERE memory_id = h.memory_id)"))
        assert {m for m, a in last.items() if a != "delete"} == live
        fts = conn.execute("SELECT count(*) FROM memories_fts").fetchone()[0]
        assert fts == len(live)
    again = subprocess.run([sys.executable, "-m", "langmem_cli", "consolidate", "--all", "--model", "fake/x",
                            "--threshold", "0.3", "--json"], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr


# -- profiles ------------------------------------------------------------------------------

EDITOR = textwrap.dedent("""
    import json, os, sys
    path = sys.argv[1]
    state = os.environ["EDIT_STATE"]
    n = int(open(state).read()) if os.path.exists(state) else 0
    open(state, "w").write(str(n + 1))
    doc = json.load(open(path))
    plan = os.environ["EDIT_PLAN"].split(",")
    step = plan[min(n, len(plan) - 1)]
    if step == "fail":
        sys.exit(3)
    if step == "invalid":
        doc["age"] = "not a number"
    else:
        doc.pop("age", None)
        doc["name"] = "Alicia"
    json.dump(doc, open(path, "w"))
""")


@pytest.fixture
def editor(tmp_path):
    script = tmp_path / "editor.py"
    script.write_text(EDITOR)
    return f"{sys.executable} {script}"


def test_show_profile(cli):
    assert cli("show-profile", "-n", "u/none").stdout.strip() == "[]"
    cli.put('{"name": "Alice", "interests": ["tea", "chess"]}', "--kind", "profile", "-n", "u/a")
    [doc] = cli.json("show-profile", "-n", "u/a")
    assert doc["content"] == {"name": "Alice", "interests": ["tea", "chess"]}
    tree = cli("show-profile", "-n", "u/a", "--no-json").stdout
    assert "name: Alice" in tree and "chess" in tree


def test_edit_profile_with_set_and_history(cli):
    doc = cli.put('{"name": "Alice"}', "--kind", "profile", "-n", "u/a")
    cli("edit-profile", "-n", "u/a", "--set", "location=Brno", "--set", 'languages=["cs", "en"]')
    assert cli.json("get", doc["id"])["content"] == {"name": "Alice", "location": "Brno", "languages": ["cs", "en"]}
    assert "age" in cli("edit-profile", "-n", "u/a", "--set", "age=old", code=4).stderr
    history = cli.json("show-profile", "-n", "u/a", "--history")
    assert [h["action"] for h in history] == ["insert", "update"] and history[1]["changed"] == ["languages", "location"]
    assert history[1]["source"] == "edit-profile"


def test_edit_profile_in_editor_reopens_on_invalid_and_saves(cli, editor, tmp_path):
    doc = cli.put('{"name": "Alice"}', "--kind", "profile", "-n", "u/a")
    env = {"EDITOR": editor, "EDIT_STATE": str(tmp_path / "n"), "EDIT_PLAN": "invalid,valid"}
    result = cli("edit-profile", "-n", "u/a", env=env)
    assert "not saved" in result.stderr
    assert (tmp_path / "n").read_text() == "2"
    assert cli.json("get", doc["id"])["content"] == {"name": "Alicia"}


def test_editor_that_fails_saves_nothing(cli, editor, tmp_path):
    doc = cli.put('{"name": "Alice"}', "--kind", "profile", "-n", "u/a")
    env = {"EDITOR": editor, "EDIT_STATE": str(tmp_path / "n"), "EDIT_PLAN": "fail"}
    assert "Editing failed; nothing saved" in cli("edit-profile", "-n", "u/a", env=env, code=1).stderr
    assert cli.json("get", doc["id"])["content"] == {"name": "Alice"}
    assert len(cli.json("history", doc["id"])) == 1
    assert "no profile in u/none" in cli("edit-profile", "-n", "u/none", "--set", "a=1", code=3).stderr
