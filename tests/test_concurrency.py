"""Several OS processes writing to one database at once: nothing lost, nothing locked, nothing corrupt."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time

from langmem_cli import Store
from langmem_cli.embed.hash_embedder import HashEmbedder

WRITE_SECONDS = 3.0
# Wide enough that two of the ~hundreds of near-identical texts written here (they differ in two
# words) do not get the same vector: with hash:64 that sometimes happened, and
# the vector probe below then found the twin first.
WIDE_HASH = "hash:1024"

# A writer through the Python API: single puts, small batches, reads in between, and now and
# then a fresh Store (a new connection that checks migrations). Prints the texts it wrote.
API_WORKER = r"""
import json, sys, time
from langmem_cli import Store
from langmem_cli.core.records import NewMemory

db, name, start, stop = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
while time.time() < start:
    time.sleep(0.005)
written, failures, n = [], 0, 0
store = Store.open(db, embedding_model="hash:1024")
while n < 3 or time.time() < stop:  # at least a few writes, however slow the machine is today
    n += 1
    try:
        if n % 7 == 0:
            store.close()
            store = Store.open(db, embedding_model="hash:1024")
        if n % 3 == 0:
            texts = [f"{name} batch {n} item {i} zq{name}x{n}x{i}" for i in range(3)]
            store.put_many([NewMemory(f"proc/{name}", t) for t in texts])
            written.extend(texts)
        else:
            text = f"{name} single {n} zq{name}x{n}"
            store.put(f"proc/{name}", text, metadata={"n": n})
            written.append(text)
        if n % 5 == 0:
            store.search(f"{name} single", namespace=f"proc/{name}", limit=3)
    except Exception as exc:  # report, keep going: the test checks stderr
        failures += 1
        print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
store.close()
print(json.dumps({"written": written, "failures": failures}))
"""

# A writer through the command line: `python -m langmem_cli put` in a loop.
CLI_WORKER = r"""
import json, subprocess, sys, time

db, name, start, stop = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
while time.time() < start:
    time.sleep(0.005)
written, failures, n = [], 0, 0
while n < 3 or time.time() < stop:  # at least a few writes, however slow the machine is today
    n += 1
    text = f"{name} cli {n} zq{name}x{n}"
    p = subprocess.run([sys.executable, "-m", "langmem_cli", "--db", db, "put", text, "-n", f"proc/{name}"],
                       capture_output=True, text=True)
    sys.stderr.write(p.stderr)
    if p.returncode == 0 and json.loads(p.stdout)["text"] == text:
        written.append(text)
    else:
        failures += 1
print(json.dumps({"written": written, "failures": failures}))
"""


def test_four_processes_write_at_once(tmp_path):
    db = tmp_path / "shared.db"  # not created beforehand: the workers race to create and migrate it
    env = {**os.environ, "LANGMEM_EMBEDDING_MODEL": WIDE_HASH, "LANGMEM_DB": str(db)}
    start = time.time() + 1.5  # after every interpreter has imported what it needs
    stop = start + WRITE_SECONDS
    workers = [("a", API_WORKER), ("b", API_WORKER), ("c", API_WORKER), ("d", CLI_WORKER)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(db), name, str(start), str(stop)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        for name, script in workers
    ]
    results = {}
    for (name, _), p in zip(workers, procs):
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, f"worker {name} exited {p.returncode}:\n{err}"
        assert "database is locked" not in err and "locked" not in err, f"worker {name}:\n{err}"
        assert "Traceback" not in err and "error" not in err.lower(), f"worker {name}:\n{err}"
        results[name] = json.loads(out.strip().splitlines()[-1])

    for name, r in results.items():
        assert r["failures"] == 0, name
        assert r["written"], f"worker {name} wrote nothing"
    assert len(results["d"]["written"]) >= 1
    expected = sorted(t for r in results.values() for t in r["written"])

    with Store.open(db, embedder=HashEmbedder.from_name(WIDE_HASH)) as store:
        assert store.integrity_check() == "ok"
        assert store.count() == len(expected)
        assert sorted(m.text for m in store.list(limit=None)) == expected
        assert store._query("SELECT count(*) FROM history WHERE action = 'insert'")[0][0] == len(expected)
        assert store._query("SELECT count(*) FROM memories_fts")[0][0] == len(expected)
        assert [r[0] for r in store._query("SELECT name FROM _migrations")] == store.stats()["migrations"]
        assert len(store.stats()["migrations"]) == len(set(store.stats()["migrations"]))
        for name in results:
            assert store.count(namespace=f"proc/{name}") == len(results[name]["written"])
        # every text is findable, by its unique token and by vector
        probe = results["a"]["written"][-1]
        token = probe.split()[-1]
        assert [h.memory.text for h in store.search(token, mode="keyword")] == [probe]
        assert store.search(probe, mode="vector")[0].memory.text == probe
        assert store._query("PRAGMA journal_mode")[0][0] == "wal"


def test_open_waits_while_another_connection_holds_the_file(db_path):
    """SQLite refuses a journal-mode switch at once (no busy handler) while another connection
    holds a write lock, as when several processes create the database together: open must wait."""
    db_path.touch(mode=0o600)
    holder = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # rollback-journal mode: the file is not WAL yet
    holder.execute("CREATE TABLE placeholder (x)")
    release = threading.Timer(0.3, lambda: holder.execute("ROLLBACK"))
    release.start()
    started = time.monotonic()
    try:
        with Store.open(db_path, embedder=HashEmbedder(64)) as store:
            store.put("a", "written after the wait")
            assert store._query("PRAGMA journal_mode")[0][0] == "wal"
            assert store.count() == 1
    finally:
        release.join()
        holder.close()
    assert time.monotonic() - started >= 0.25
