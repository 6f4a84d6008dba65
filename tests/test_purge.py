"""Forgetting that forgets (issue 16.3): ``delete --purge`` erases the content everywhere in the
file (memories, FTS5 shadow tables, history, free pages, WAL), keeps a content-free tombstone,
and gives the space back; ``vacuum`` reclaims space after ordinary deletes."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

MARKER = b"zanzibarquokka"


def secret_text(n_words: int = 60_000, seed: int = 7) -> str:
    """About 1 MB of text with many distinct words that all contain the marker."""
    rng = random.Random(seed)
    return " ".join(f"{MARKER.decode()}{rng.randrange(10**9)}" for _ in range(n_words))


def file_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (db, Path(f"{db}-wal"), Path(f"{db}-journal")) if p.exists())


def fts_bytes(db: Path) -> bytes:
    with sqlite3.connect(db) as conn:
        return b"".join(bytes(r[0]) for r in conn.execute("SELECT block FROM memories_fts_data") if r[0])


def size(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())


@pytest.fixture
def secret(cli, tmp_path):
    f = tmp_path / "secret.txt"
    f.write_text(secret_text())
    cli.put("a small memory that stays", "-n", "acme/alice")
    m = cli.json("put", "--file", f, "-n", "acme/alice")
    cli("put", "bob likes tea", "-n", "acme/bob")
    return m


def test_plain_delete_keeps_the_text_in_history_and_the_file(cli, db_path, secret):
    cli("delete", secret["id"])
    assert MARKER in file_bytes(db_path)  # what history is for; --purge is the way out
    assert MARKER.decode() in cli("history", secret["id"], "--json").stdout


def test_purge_erases_the_text_from_every_byte_and_shrinks_the_file(cli, db_path, secret):
    assert MARKER in file_bytes(db_path) and MARKER in fts_bytes(db_path)
    grown = size(db_path)
    result = cli.json("delete", "--purge", secret["id"])
    assert result["deleted"] == 1 and result["tombstones"] == 1 and result["history"] == 1
    assert MARKER not in file_bytes(db_path)
    assert MARKER not in fts_bytes(db_path)
    assert size(db_path) < grown / 3
    assert result["size_after"] == size(db_path) < result["size_before"]
    # the tombstone: id, time, run, source; no content
    [*trail, tomb] = cli.json("history", secret["id"])
    assert tomb["action"] == "purge" and tomb["before"] is None and tomb["after"] is None
    assert tomb["source"] == "cli" and tomb["run_id"] and tomb["at"]
    assert all(e["before"] is None and e["after"] is None for e in trail)
    # the rest is untouched and still found
    assert [m["text"] for m in cli.json("list", "-n", "acme/alice")] == ["a small memory that stays"]
    assert cli.json("search", "tea", "--mode", "keyword")[0]["text"] == "bob likes tea"
    assert cli.json("search", MARKER.decode(), "--mode", "keyword") == []
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.execute("INSERT INTO memories_fts (memories_fts) VALUES ('integrity-check')")


def test_purge_of_a_memory_deleted_earlier(cli, db_path, secret):
    cli("delete", secret["id"])
    result = cli.json("delete", "--purge", secret["id"])
    assert result["deleted"] == 0 and result["tombstones"] == 1 and result["history"] == 2
    assert MARKER not in file_bytes(db_path)


def test_bulk_purge_by_namespace_and_prefix(cli, db_path, secret):
    cli("delete", "--purge", "-n", "acme/alice", code=2)  # needs --yes
    assert MARKER in file_bytes(db_path)
    result = cli.json("delete", "--purge", "-n", "acme/alice", "--yes")
    assert result["deleted"] == 2 and result["tombstones"] == 2
    assert MARKER not in file_bytes(db_path)
    assert [m["namespace"] for m in cli.json("list", "--prefix", "acme")] == ["acme/bob"]
    assert cli.json("delete", "--purge", "--prefix", "acme", "--yes")["tombstones"] == 3


def test_purge_of_an_unknown_id_changes_nothing(cli, secret):
    result = cli("delete", "--purge", secret["id"], "no-such-id", code=3)
    assert "no memory or history with id no-such-id" in result.stderr
    assert cli.json("get", secret["id"])["id"] == secret["id"]


def test_vacuum_reclaims_space_after_a_plain_delete(cli, db_path, tmp_path):
    f = tmp_path / "big.txt"
    f.write_text(secret_text(20_000))
    m = cli.json("put", "--file", f, "-n", "x")
    cli("delete", m["id"])
    before = size(db_path)
    result = cli.json("vacuum")
    assert result["size_before"] == before > result["size_after"] == size(db_path)


def test_store_api_purge(store, db_path):
    m = store.put("ns", secret_text(5_000))
    store.search(MARKER.decode(), mode="keyword")
    store.search(MARKER.decode(), mode="keyword")  # warm: the in-memory keyword index holds it
    store.purge([m.id])
    assert store.search(MARKER.decode(), mode="keyword") == []
    assert MARKER not in file_bytes(db_path)
    assert store.history(m.id)[-1].action == "purge"


def test_purge_entries_round_trip_through_export_and_import(cli, cli_for, tmp_path, secret):
    cli("delete", "--purge", secret["id"])
    out = tmp_path / "e.jsonl"
    cli("export", "--history", "-o", out)
    other = cli_for(tmp_path / "other.db")
    other("import", out)
    assert other.json("history", secret["id"])[-1]["action"] == "purge"
