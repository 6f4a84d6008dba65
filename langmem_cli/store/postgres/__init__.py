"""The PostgreSQL + pgvector backend of the Store (``--db postgresql://...``).

Imported only for such URLs: it needs psycopg (the ``postgres`` extra)."""

from __future__ import annotations

__all__ = ["PostgresStore", "is_postgres_url", "mask"]

from langmem_cli.store.postgres.url import is_postgres_url, mask


def __getattr__(name: str):
    if name == "PostgresStore":
        from langmem_cli.store.postgres.store import PostgresStore

        return PostgresStore
    raise AttributeError(name)
