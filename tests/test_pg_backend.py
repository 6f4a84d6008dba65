"""What only the PostgreSQL backend has to prove: prefix scope without the LIKE trap, exactly k
rows from a namespace-scoped search, migrations racing, advisory locks, a lost connection, and
passwords never shown. Runs on both real servers (pgserver: PG 16 + pgvector 0.6; embedded-
postgres: PG 18 + pgvector 0.8)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import psycopg
import pytest

from langmem_cli.embed.hash_embedder import HashEmbedder
from langmem_cli.errors import DatabaseError, ExitCode
from langmem_cli.store.postgres.connection import ConnectionLostError
from langmem_cli.store.postgres.store import PostgresStore

ROOT = Path(__file__).resolve().parent.parent


def open_pg(url: str, dim: int = 64) -> PostgresStore:
    return PostgresStore(url, embedder=HashEmbedder(dim))


def test_prefix_is_a_namespace_path_and_like_metacharacters_are_literal(pg_url: str) -> None:
    names = ["foo", "foo/x", "foo/x/y", "foobar", "foo_bar", "fooXbar", "fo_o", "fooo", "foo.x", "foo-"]
    with open_pg(pg_url) as store:
        for name in names:
            store.put(name, f"a memory in {name}")
        assert sorted(m.namespace for m in store.list(prefix="foo")) == ["foo", "foo/x", "foo/x/y"]
        assert sorted(m.namespace for m in store.list(prefix="foo/")) == ["foo", "foo/x", "foo/x/y"]
        assert [m.namespace for m in store.list(prefix="foo_bar")] == ["foo_bar"]
        assert [m.namespace for m in store.list(prefix="fo_o")] == ["fo_o"]
        assert [m.namespace for m in store.list(prefix="fo_o/")] == ["fo_o"]
        assert store.count(prefix="foo/x") == 2
        assert [n for n, _ in store.namespaces(prefix="foo")] == ["foo", "foo/x", "foo/x/y"]
        hits = store.search("memory", prefix="foo", limit=20)
        assert sorted(h.memory.namespace for h in hits) == ["foo", "foo/x", "foo/x/y"]
        assert store.delete_where(prefix="foo/x") == 2
        assert "foobar" in {n for n, _ in store.namespaces()}
        plan = "\n".join(r[0] for r in store.conn.execute(
            "EXPLAIN SELECT id FROM memories WHERE namespace = 'foo' OR (namespace >= 'foo/' AND namespace < 'foo0')"))
        assert "LIKE" not in plan and "~~" not in plan


@pytest.fixture
def hundred_namespaces(pg_url: str):
    """3,000 memories in 100 namespaces, and their vectors as numpy rows."""
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(400)]
    with open_pg(pg_url) as store:
        from langmem_cli.core.records import NewMemory

        items = [NewMemory(f"team/ns{i % 100:03d}", " ".join(rng.choice(words, 6)) + f" #{i}") for i in range(3000)]
        store.put_many(items, record_history=False)
        assert store.ensure_vector_index()
        yield store


def _exact(store: PostgresStore, query: str, namespace: str | None, k: int) -> list[str]:
    memories = store.list(namespace=namespace, limit=None, order="rowid")
    matrix = np.stack([store.embedding(m.id) for m in memories])
    scores = matrix @ store.embedder.embed([query])[0]
    order = np.argsort(-scores, kind="stable")[:k]
    return [memories[i].id for i in order]


def test_namespace_scoped_search_returns_exactly_the_top_k(hundred_namespaces: PostgresStore) -> None:
    store = hundred_namespaces
    for n in (0, 17, 42, 99):
        namespace = f"team/ns{n:03d}"
        hits = store.search("w1 w2 w3 w5 w8", mode="vector", namespace=namespace, limit=10)
        assert len(hits) == 10
        assert [h.memory.id for h in hits] == _exact(store, "w1 w2 w3 w5 w8", namespace, 10)
        assert {h.memory.namespace for h in hits} == {namespace}
        assert len(store.search("w1 w2", namespace=namespace, limit=10)) == 10  # hybrid too


def test_global_search_goes_through_hnsw_with_high_recall(hundred_namespaces: PostgresStore) -> None:
    store = hundred_namespaces
    recalls = []
    for q in ("w1 w7 w9", "w33 w2", "w100 w200 w300", "w4"):
        got = [h.memory.id for h in store.search(q, mode="vector", limit=10)]
        assert len(got) == 10
        recalls.append(len(set(got) & set(_exact(store, q, None, 10))) / 10)
    assert np.mean(recalls) >= 0.9
    index = store.conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname LIKE 'memories_hnsw_%'").fetchone()[0]
    assert "hnsw" in index and ("halfvec" in index) == store.caps.halfvec


def test_migrations_race_from_several_processes(pg_url: str) -> None:
    code = (
        "import sys; from langmem_cli.embed.hash_embedder import HashEmbedder;"
        "from langmem_cli.store.postgres.store import PostgresStore;"
        "s = PostgresStore(sys.argv[1], embedder=HashEmbedder(64)); s.put('race/a', 'x' + sys.argv[2]); s.close()"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, pg_url, str(i)], cwd=ROOT, stderr=subprocess.PIPE)
             for i in range(4)]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    with open_pg(pg_url) as store:
        assert store.count() == 4
        versions = store.conn.execute("SELECT count(*) FROM langmem_migrations").fetchone()[0]
        assert versions == len(__import__("langmem_cli.store.postgres.schema", fromlist=["x"]).MIGRATIONS)


def test_consolidate_lock_is_an_advisory_lock_across_sessions(pg_url: str) -> None:
    from langmem_cli.errors import BusyError

    with open_pg(pg_url) as one, open_pg(pg_url) as two:
        with one.run_lock("consolidate"):
            with pytest.raises(BusyError) as caught:
                with two.run_lock("consolidate"):
                    pass
            assert caught.value.exit_code == ExitCode.TEMPFAIL
        with two.run_lock("consolidate"):
            pass


def _kill_backend(url: str, pid: int) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_lost_mid_unit_rolls_it_back_and_a_rerun_completes(pg_url: str) -> None:
    from langmem_cli.core.extraction import Operation

    store = open_pg(pg_url)
    keep = store.put("lost/ns", "already here")
    ops = [Operation(action="insert", kind="memory", content={"content": f"fact {i}"}) for i in range(3)]

    def die(result):  # inside the transaction, after the rows are written
        _kill_backend(pg_url, store.conn.info.backend_pid)

    with pytest.raises(ConnectionLostError) as caught:
        store.apply_operations("lost/ns", ops, source="t", on_commit=die)
    assert caught.value.exit_code == ExitCode.UNAVAILABLE == 69
    assert "rolled back" in str(caught.value) and "\n" not in str(caught.value)
    store.close()
    with open_pg(pg_url) as again:
        assert [m.id for m in again.list(namespace="lost/ns")] == [keep.id]
        again.apply_operations("lost/ns", ops, source="t")
        assert again.count(namespace="lost/ns") == 4


def test_password_never_shown(pg_pool) -> None:
    server = pg_pool.get("pgserver")
    url = server.database_url(password="Sup3r-s3cret")
    with open_pg(url) as store:
        assert "Sup3r-s3cret" not in str(store.stats()) and "***" in store.location
        run = store.start_run("x", {})
        store.finish_run(run, "failed", error=f"boom while talking to {url}")
        assert "Sup3r-s3cret" not in str(store.runs())
    bad = url.replace("/t", "/missing_t", 1)
    with pytest.raises(DatabaseError) as caught:
        open_pg(bad)
    assert "Sup3r-s3cret" not in str(caught.value) and "***" in str(caught.value)


def test_writers_in_several_processes_lose_nothing(pg_url: str) -> None:
    code = (
        "import sys; from langmem_cli.embed.hash_embedder import HashEmbedder;"
        "from langmem_cli.store.postgres.store import PostgresStore;"
        "s = PostgresStore(sys.argv[1], embedder=HashEmbedder(64));"
        "[s.put(f'w/{sys.argv[2]}', f'writer {sys.argv[2]} note {i}') for i in range(60)];"
        "m = s.put('w/shared', 'to edit ' + sys.argv[2]);"
        "[s.update(m.id, f'edited {i} by {sys.argv[2]}') for i in range(10)]; s.close()"
    )
    with open_pg(pg_url):
        pass  # schema first, so the writers race on data, not on migrations (tested above)
    procs = [subprocess.Popen([sys.executable, "-c", code, pg_url, str(i)], cwd=ROOT, stderr=subprocess.PIPE)
             for i in range(4)]
    errors = [p.communicate(timeout=300)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    with open_pg(pg_url) as store:
        assert store.count(prefix="w") == 4 * 61
        assert store.conn.execute("SELECT count(*) FROM history").fetchone()[0] == 4 * 61 + 4 * 10
        assert store.integrity_check() == "ok"


def test_a_common_keyword_does_not_select_candidates_alone(pg_url: str) -> None:
    """Issue 28: ts_rank reads every row it ranks; a word in most memories would make a global
    keyword search rank them all. Rows holding a rarer query word are the candidates (ranked
    with every word); with fewer than k of them, every match competes as before."""
    from langmem_cli.core.records import NewMemory

    with open_pg(pg_url) as store:
        store.put_many([NewMemory(f"k/{i % 5}", f"Alice note number {i} about the weather") for i in range(400)]
                       + [NewMemory("k/0", f"Alice went to Zanzibar, trip {i}") for i in range(2)])
        store.runner.execute("ANALYZE memories")
        store.retrievers.forget_statistics()
        top = store.search("Alice Zanzibar", mode="keyword", limit=2)
        assert len(top) == 2 and all("Zanzibar" in h.memory.text for h in top)
        wide = store.search("Alice Zanzibar", mode="keyword", limit=20)  # only 2 rare rows: all compete
        assert len(wide) == 20 and all("Zanzibar" in h.memory.text for h in wide[:2])
