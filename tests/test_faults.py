"""Reliability and security: a faulty model on consolidate, several processes on one database,
kill -9 at random points, no network, no leaked API key, private database files."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support.fake_llm import FAULTS
from support.openai_server import closed_port

PY = sys.executable
HASH = "hash:64"


pytestmark = pytest.mark.usefixtures("fake")


def env_for(db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LANGMEM_FAKE_SCRIPT", "LANGMEM_DEBUG", "OPENAI_API_KEY")}
    env.update({"LANGMEM_DB": str(db), "LANGMEM_EMBEDDING_MODEL": HASH, "HF_HUB_OFFLINE": "1"})
    env.update(extra)
    return env


def langmem(*args, env, timeout=120, prefix=()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, PY, "-m", "langmem_cli", *map(str, args)], env=env, capture_output=True,
                          text=True, timeout=timeout)


def assert_sound(db: Path) -> tuple[set[str], sqlite3.Connection]:
    """integrity ok; the last history action of every id agrees with the memories table; FTS in step."""
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    live = {r[0] for r in conn.execute("SELECT id FROM memories")}
    last = dict(conn.execute(
        "SELECT memory_id, action FROM history h WHERE id = (SELECT max(id) FROM history WHERE memory_id = h.memory_id)"))
    assert {m for m, a in last.items() if a != "delete"} == live
    assert conn.execute("SELECT count(*) FROM memories_fts").fetchone()[0] == len(live)
    return live, conn


# -- 1. a faulty model on consolidate ----------------------------------------------------------

N_CLUSTERS = 50
HALF = json.dumps({"operations": [{"action": "update", "id": "c1", "content": "HALF APPLIED"},
                                  {"action": "delete", "id": "c7"}]})  # first op valid, second not


def merge_reply(n: int) -> dict:
    return {"json": {"operations": [{"action": "update", "id": "c1", "content": f"merged reply {n}"},
                                     {"action": "delete", "id": "c2"}]}}


def faulty_replies(n: int, rate: float, seed: int) -> list:
    rng = random.Random(seed)
    kinds = [*FAULTS, "half"]
    out = []
    for i in range(n):
        if rng.random() < rate:
            kind = rng.choice(kinds)
            out.append(HALF if kind == "half" else {"fault": kind})
        else:
            out.append(merge_reply(i))
    return out


def test_faulty_model_on_consolidate_applies_whole_clusters_or_none(cli, fake, tmp_path):
    src = tmp_path / "pairs.jsonl"
    with src.open("w") as fp:
        for j in range(N_CLUSTERS):
            for text in (f"Member {j} enjoys hiking in the mountains", f"Member {j} enjoys hiking in the mountains often"):
                fp.write(json.dumps({"namespace": f"c/{j}", "content": text}) + "\n")
    cli("import", src)
    retries = 1
    budget = N_CLUSTERS * (1 + retries)
    fake.reset(faulty_replies(budget, 0.3, seed=3), auto=False)
    args = ["consolidate", "--all", "--model", "fake/x", "--threshold", "0.5", "--retries", retries, "--json"]
    result = cli(*args, code=None)
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    assert len(report["clusters"]) == N_CLUSTERS and report["summary"]["clusters"] == N_CLUSTERS
    statuses = [c["status"] for c in report["clusters"]]
    assert set(statuses) <= {"applied", "failed"}, statuses
    failed = [c for c in report["clusters"] if c["status"] == "failed"]
    applied = [c for c in report["clusters"] if c["status"] == "applied"]
    assert failed and applied
    assert result.exit_code == 1 and "failed" in result.stderr
    assert len(fake.prompts) <= budget  # retries bounded (provider errors count as attempts)
    assert all(c["error"] for c in failed)

    alive = {m["id"]: m for m in cli.json("list", "--limit", "100000")}
    for c in applied:
        keep, gone = c["ids"]  # superseded and invalidated, not overwritten and erased (issue 14)
        assert keep not in alive and gone not in alive
        successor = cli.json("get", keep)["superseded_by"]
        assert alive[successor]["text"].startswith("merged reply ")
        assert [h["action"] for h in cli.json("history", keep)] == ["insert", "supersede", "insert"]
        assert [h["action"] for h in cli.json("history", gone)] == ["insert", "invalidate"]
    for c in failed:  # never half-applied
        assert all(i in alive and not alive[i]["text"].startswith(("merged", "HALF")) for i in c["ids"])
        assert all([h["action"] for h in cli.json("history", i)] == ["insert"] for i in c["ids"])
    assert len(alive) == N_CLUSTERS * 2 - len(applied)
    assert not any("HALF" in m["text"] for m in alive.values())
    run = [r for r in cli.json("runs") if r["command"] == "consolidate"][0]
    assert run["status"] == "partial" and run["error"]

    # faults off: the failed clusters are done, the applied ones are not sent again
    fake.reset([merge_reply(1000 + i) for i in range(len(failed))], auto=False)
    again = json.loads(cli(*args).stdout)
    assert again["summary"]["failed"] == 0 and len(fake.prompts) == len(failed)
    assert sorted(sorted(c["ids"]) for c in again["clusters"]) == sorted(sorted(c["ids"]) for c in failed)
    memories = cli.json("list", "--limit", "100000")
    assert len(memories) == N_CLUSTERS
    assert sorted(m["namespace"] for m in memories) == sorted(f"c/{j}" for j in range(N_CLUSTERS))
    texts = [m["text"] for m in memories]
    assert len(set(texts)) == N_CLUSTERS and all(t.startswith("merged reply ") for t in texts)
    fake.reset(auto=False)
    assert json.loads(cli(*args).stdout)["summary"]["calls"] == 0 and fake.prompts == []


# -- 2. four processes on one database ------------------------------------------------------

def write_transcript(path: Path, tag: str, n: int) -> list[str]:
    facts = [f"{tag} fact {i} code zq{tag}x{i}" for i in range(n)]
    path.write_text("".join(json.dumps({"messages": [{"role": "user", "content": f},
                                                      {"role": "assistant", "content": "Noted."}]}) + "\n"
                            for f in facts))
    return facts


def test_four_processes_extract_put_search_at_once(tmp_path):
    db = tmp_path / "shared.db"
    env = env_for(db)
    assert langmem("vacuum", env=env).returncode == 0  # created once (a writing command; stats would refuse a missing file); the workers then race on it
    deadline = time.time() + 5.0
    written: dict[str, list[str]] = {}
    problems: list[str] = []
    runs: dict[str, int] = {}

    def run(name: str, args: list, expect: list[str]) -> None:
        p = langmem(*args, env=env)
        runs[name] = runs.get(name, 0) + 1
        if p.returncode != 0 or "locked" in p.stderr or "Traceback" in p.stderr:
            problems.append(f"{name} {args[:2]}: exit {p.returncode}: {p.stderr[-800:]}")
        else:
            written.setdefault(name, []).extend(expect)

    def extractor(name: str) -> None:
        k = 0
        while time.time() < deadline:
            path = tmp_path / f"{name}-{k}.jsonl"
            facts = write_transcript(path, f"{name}f{k}", 120)
            run(name, ["extract", path, "-n", f"w/{name}", "--model", "fake/x", "--top-k", "3"], facts)
            k += 1

    def putter(name: str) -> None:
        k = 0
        while time.time() < deadline:
            text = f"{name} put {k} zq{name}p{k}"
            run(name, ["put", text, "-n", f"w/{name}"], [text])
            k += 1

    def searcher(name: str) -> None:
        k = 0
        while time.time() < deadline:
            run(name, ["search", f"fact {k}", "--limit", "5"], [])
            run(name, ["list", "--limit", "5"], [])
            k += 1

    threads = [threading.Thread(target=f, args=(n,)) for f, n in
               ((extractor, "ea"), (extractor, "eb"), (putter, "pa"), (searcher, "sa"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not problems, "\n".join(problems)
    assert all(runs.get(n) for n in ("ea", "eb", "pa", "sa")) and written["ea"] and written["pa"]
    live, conn = assert_sound(db)
    expected = sorted(t for ts in written.values() for t in ts)
    assert sorted(r[0] for r in conn.execute("SELECT text FROM memories")) == expected  # nothing lost, nothing doubled
    for name in ("ea", "eb", "pa"):
        count = conn.execute("SELECT count(*) FROM memories WHERE namespace = ?", (f"w/{name}",)).fetchone()[0]
        assert count == len(written.get(name, []))
    assert conn.execute("SELECT count(*) FROM runs WHERE status != 'ok'").fetchone()[0] == 0
    conn.close()


# -- 3. kill -9 at random points --------------------------------------------------------------

def kill_at_random(procs: list[tuple[subprocess.Popen, Path, float]], command: str, limit: float = 60) -> None:
    """kill -9 each process ``delay`` seconds after its run started (its row in ``runs``)."""
    started: dict[int, float] = {}
    conns = [sqlite3.connect(f"file:{db}?mode=ro", uri=True) for _, db, _ in procs]
    end = time.time() + limit
    try:
        while len(started) < len(procs) and time.time() < end:
            for i, ((proc, _, _), conn) in enumerate(zip(procs, conns)):
                if i in started:
                    continue
                assert proc.poll() is None, f"{command} exited {proc.returncode} before its run started"
                try:
                    if conn.execute("SELECT 1 FROM runs WHERE command = ? AND status = 'running'", (command,)).fetchone():
                        started[i] = time.time()
                except sqlite3.OperationalError:
                    pass
            time.sleep(0.01)
    finally:
        for conn in conns:
            conn.close()
    assert len(started) == len(procs), f"{command} never started"
    for i in sorted(started, key=lambda i: started[i] + procs[i][2]):
        proc, _, delay = procs[i]
        time.sleep(max(0.0, started[i] + delay - time.time()))
        assert proc.poll() is None, f"{command} finished before the kill at {delay:.2f} s: make the workload bigger"
        proc.kill()
        proc.wait()


SEEDS = (11, 22, 33)


def rerun_until_sound(procs, args, **env):
    """Re-run the killed command on each database at once; each must finish without failures and
    leave a sound database: yields (db, live memories, connection) for the test's own checks."""
    reruns = [(db, subprocess.Popen([PY, "-m", "langmem_cli", *args, "--json"], env=env_for(db, **env),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
              for _, db, _ in procs]
    for db, p in reruns:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert json.loads(out)["summary"]["failed"] == 0
        live, conn = assert_sound(db)
        yield db, live, conn


def test_kill_9_extract_at_random_points(tmp_path):
    from langmem_cli import Store
    from langmem_cli.embed.hash_embedder import HashEmbedder

    src = tmp_path / "many.jsonl"
    facts = write_transcript(src, "k", 300)
    procs = []
    for seed in SEEDS:
        db = tmp_path / f"x{seed}" / "m.db"
        Store.open(db, embedder=HashEmbedder(64)).close()
        p = subprocess.Popen([PY, "-m", "langmem_cli", "extract", src, "-n", "x/u", "--model", "fake/x", "--top-k", "3"],
                             env=env_for(db), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append((p, db, random.Random(seed).uniform(0.05, 0.7)))
    kill_at_random(procs, "extract")
    for db, live, conn in rerun_until_sound(procs, ["extract", src, "-n", "x/u", "--model", "fake/x", "--top-k", "3"]):
        texts = [r[0] for r in conn.execute("SELECT text FROM memories")]
        assert sorted(texts) == sorted(facts)  # each conversation's fact exactly once
        assert conn.execute("SELECT count(*) FROM processed").fetchone()[0] == 300
        conn.close()


def test_kill_9_consolidate_at_random_points(tmp_path):
    src = tmp_path / "in.jsonl"
    with src.open("w") as fp:
        for j in range(300):
            for c in range(6):
                fp.write(json.dumps({"namespace": f"k/{j}", "content": f"Person {j} likes tea and colour {c}"}) + "\n")
    template = tmp_path / "template.db"
    assert langmem("import", src, env=env_for(template)).returncode == 0
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"replies": [merge_reply(i) for i in range(400)], "auto": True}))
    args = ["consolidate", "--all", "--model", "fake/x", "--threshold", "0.3"]
    procs = []
    for seed in SEEDS:
        db = tmp_path / f"c{seed}" / "m.db"
        db.parent.mkdir()
        shutil.copy(template, db)
        p = subprocess.Popen([PY, "-m", "langmem_cli", *args], env=env_for(db, LANGMEM_FAKE_SCRIPT=str(script)),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append((p, db, random.Random(seed).uniform(0.05, 0.6)))
    kill_at_random(procs, "consolidate")
    for _, db, _ in procs:
        live, conn = assert_sound(db)
        acts = dict(conn.execute("SELECT action, count(*) FROM history WHERE source = 'consolidate' GROUP BY action"))
        current = {r[0] for r in conn.execute("SELECT id FROM memories WHERE valid_until IS NULL")}
        # every merge supersedes c1 (a new row holds the merge) and invalidates c2 in one
        # transaction: never one without the others
        merges = acts.get("supersede", 0)
        assert acts.get("invalidate", 0) == acts.get("insert", 0) == merges == 1800 - len(current), acts
        assert len(live) == 1800 + merges
        conn.close()
    for db, live, conn in rerun_until_sound(procs, args, LANGMEM_FAKE_SCRIPT=str(script)):
        dupes = conn.execute("SELECT namespace, content_hash, count(*) FROM memories WHERE valid_until IS NULL "
                             "GROUP BY 1, 2 HAVING count(*) > 1").fetchall()
        assert dupes == []
        assert conn.execute("SELECT count(*) FROM consolidated WHERE memory_id NOT IN (SELECT id FROM memories)").fetchone()[0] == 0
        # every memory is recorded as considered at its current content: a third run would send nothing
        stale = conn.execute("SELECT count(*) FROM memories m LEFT JOIN consolidated c ON c.memory_id = m.id "
                             "WHERE c.content_hash IS NOT m.content_hash AND m.valid_until IS NULL").fetchone()[0]
        assert stale == 0
        conn.close()


# -- 4. no network -----------------------------------------------------------------------------

# Logs every attempt to open a network connection or resolve a name (the audit hooks of CPython).
AUDIT = """
import os, sys
def _hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname"):
        family = getattr(args[0], "family", None) if event == "socket.connect" else None
        if family is not None and int(family) == 1:  # AF_UNIX
            return
        with open(os.environ["NET_AUDIT_LOG"], "a") as fp:
            fp.write(f"{event} {args!r}\\n")
sys.addaudithook(_hook)
"""


@pytest.fixture
def no_net(tmp_path):
    if not shutil.which("unshare"):
        pytest.skip("unshare is not installed")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"`unshare -n` is not permitted here: {probe.stderr.strip()}")
    hooks = tmp_path / "audit"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(AUDIT)
    log = tmp_path / "net.log"
    # the audit hook first; then the caller's path (this tree, and tests/ for the scripted model)
    path = os.pathsep.join(p for p in (str(hooks), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "NET_AUDIT_LOG": str(log)}, log


def test_offline_commands_work_without_network(tmp_path, no_net):
    extra, log = no_net
    env = env_for(tmp_path / "off.db", **extra)
    src = tmp_path / "t.jsonl"
    facts = write_transcript(src, "off", 3)
    p = langmem("put", "Alice likes green tea", "-n", "u/a", env=env, prefix=("unshare", "-n"))
    assert p.returncode == 0, p.stderr
    commands = (["search", "green tea"], ["extract", src, "-n", "u/a", "--model", "fake/x"], ["list"],
                ["consolidate", "--all", "--model", "fake/x"])
    procs = [(args, subprocess.Popen(["unshare", "-n", PY, "-m", "langmem_cli", *map(str, args)], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)) for args in commands]
    for args, proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and "Traceback" not in err, f"{args}: {err}"
    p = langmem("search", "tea", env=env, prefix=("unshare", "-n"))
    assert json.loads(p.stdout)[0]["text"] == "Alice likes green tea"
    assert {m["text"] for m in json.loads(langmem("list", env=env).stdout)} == {"Alice likes green tea", *facts}
    assert not log.exists(), log.read_text()  # no telemetry, no price-map fetch, no DNS


@pytest.mark.model
def test_real_embedding_model_without_network(tmp_path, no_net, model_cache_dir):
    extra, log = no_net
    env = env_for(tmp_path / "real.db", LANGMEM_EMBEDDING_MODEL="all-MiniLM-L6-v2",
                  LANGMEM_CACHE_DIR=str(model_cache_dir), **extra)
    for text in ("My cat Tom sleeps on the sofa", "The quarterly report is due on Friday"):
        p = langmem("put", text, "-n", "u/a", env=env, prefix=("unshare", "-n"), timeout=300)
        assert p.returncode == 0, p.stderr
    p = langmem("search", "pet animal", "-n", "u/a", env=env, prefix=("unshare", "-n"))
    assert p.returncode == 0, p.stderr
    hits = json.loads(p.stdout)
    assert hits[0]["text"] == "My cat Tom sleeps on the sofa" and hits[0]["embedding_model"] == "all-MiniLM-L6-v2"
    assert not log.exists(), log.read_text()


@pytest.mark.model
def test_demo_path_without_network_and_without_an_llm(tmp_path, no_net, model_cache_dir):
    """`make demo`'s main job: extract with the offline extractor `local` (no LLM, no llama-cpp) and the
    real embedding model, then search, with no network at all."""
    extra, log = no_net
    env = env_for(tmp_path / "demo.db", LANGMEM_EMBEDDING_MODEL="all-MiniLM-L6-v2",
                  LANGMEM_CACHE_DIR=str(model_cache_dir), **extra)
    env.pop("LANGMEM_MODEL", None)
    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "transcripts"
    p = langmem("extract", fixtures / "messages.jsonl", "-n", "demo/dana", "--json", env=env,
                prefix=("unshare", "-n"), timeout=600)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert report["model"] == "local" and report["summary"]["calls"] == 0 and report["summary"]["inserted"] >= 3
    assert "llama_cpp" not in p.stderr
    p = langmem("search", "food", "-n", "demo/dana", env=env, prefix=("unshare", "-n"))
    assert p.returncode == 0, p.stderr
    assert not log.exists(), log.read_text()


# -- 5. the API key never leaks -------------------------------------------------------------------

SECRET = "sk-test-SECRET-123456789"


def test_api_key_never_leaks(tmp_path):
    home = tmp_path / "dbdir"
    db = home / "m.db"
    env = env_for(db, OPENAI_API_KEY=SECRET)
    src = tmp_path / "t.jsonl"
    write_transcript(src, "leak", 2)
    assert langmem("put", "Alice likes green tea", "-n", "u/a", env=env).returncode == 0
    assert langmem("put", "Alice likes green tea a lot", "-n", "u/a", env=env).returncode == 0
    base = f"http://127.0.0.1:{closed_port()}/v1"
    model = ["--model", "openai/gpt-4o-mini", "--timeout", "5"]
    outputs = []
    offline = bool(shutil.which("unshare")) and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0
    attempts = [  # each run imports litellm (seconds of CPU): few, in parallel
        (["-v", "extract", src, "-n", "u/a", *model, "--api-base", base, "--json"], {}),
        (["consolidate", "--all", *model, "--api-base", base, "--threshold", "0.3"], {"LANGMEM_DEBUG": "1"}),
    ]
    if offline:  # without --api-base: the real endpoint, unreachable in an empty network namespace
        attempts.append((["extract", src, "-n", "u/a", *model], {}))

    def attempt(args, more):
        p = langmem(*args, env={**env, **more}, timeout=120,
                    prefix=("unshare", "-n") if offline and "--api-base" not in args else ())
        outputs.append((args, more, p))

    threads = [threading.Thread(target=attempt, args=a) for a in attempts]  # in parallel: each takes seconds
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert len(outputs) == len(attempts)
    for args, more, p in outputs:
        assert p.returncode != 0, (args, p.stdout, p.stderr)
        assert "Traceback" not in p.stderr or more.get("LANGMEM_DEBUG")
    for args, _, p in outputs:
        assert SECRET not in p.stdout and SECRET not in p.stderr, (args, p.stderr)
    assert any("127.0.0.1" in p.stderr for _, _, p in outputs)  # the errors do say what went wrong
    conn = sqlite3.connect(db)
    dump = "\n".join(conn.iterdump())
    for table in ("runs", "history", "memories", "processed"):
        for row in conn.execute(f"SELECT * FROM {table}"):
            assert not any(SECRET in str(v) for v in row), (table, row)
    errors = [r[0] for r in conn.execute("SELECT error FROM runs WHERE command IN ('extract', 'consolidate') AND status = 'failed'")]
    assert len(errors) == len(attempts) and all("cannot reach" in e for e in errors), errors  # recorded, scrubbed
    conn.close()
    assert SECRET not in dump
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET.encode() not in data, path


# -- 6. private files ---------------------------------------------------------------------------

HOLD = """
import os, sys, json
os.umask(0o022)
from langmem_cli import Store
from langmem_cli.embed.hash_embedder import HashEmbedder
store = Store.open(sys.argv[1], embedder=HashEmbedder(64))
store.put("u/a", "a private memory")
modes = {s: oct(os.stat(sys.argv[1] + s).st_mode & 0o777) for s in ("", "-wal", "-shm") if os.path.exists(sys.argv[1] + s)}
print(json.dumps(modes))
store.close()
"""


def test_database_files_are_private_under_umask_022(tmp_path):
    db = tmp_path / "new" / "m.db"
    p = subprocess.run([PY, "-c", HOLD, str(db)], capture_output=True, text=True, env=env_for(db))
    assert p.returncode == 0, p.stderr
    modes = json.loads(p.stdout)
    assert set(modes) == {"", "-wal", "-shm"} and set(modes.values()) == {"0o600"}, modes

    db2 = tmp_path / "cli" / "m.db"
    p = subprocess.run([PY, "-m", "langmem_cli", "put", "secret", "-n", "u/a"], env=env_for(db2), capture_output=True,
                       text=True, preexec_fn=lambda: os.umask(0o022))
    assert p.returncode == 0, p.stderr
    assert stat.S_IMODE(db2.stat().st_mode) == 0o600
    lock = ("import os; os.umask(0o022); from langmem_cli.jobs.consolidate import run_lock\n"
            f"with run_lock({str(db2)!r}): pass")
    p = subprocess.run([PY, "-c", lock], env=env_for(db2), capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert Path(str(db2) + ".consolidate.lock").exists()
    for side in db2.parent.iterdir():
        assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0, side
    # sidecars made while another process holds the database open
    conn = sqlite3.connect(db2)
    conn.execute("SELECT count(*) FROM memories").fetchone()
    p = subprocess.run([PY, "-m", "langmem_cli", "put", "another", "-n", "u/a"], env=env_for(db2), capture_output=True,
                       text=True, preexec_fn=lambda: os.umask(0o022))
    assert p.returncode == 0, p.stderr
    for suffix in ("", "-wal", "-shm"):
        path = Path(str(db2) + suffix)
        assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600, (path, oct(path.stat().st_mode))
    conn.close()
