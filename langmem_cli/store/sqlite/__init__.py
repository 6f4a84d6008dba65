"""The SQLite backend (the default): one file, FTS5 keyword search, vectors searched in memory."""

from __future__ import annotations

__all__ = ["SQLiteStore"]


def __getattr__(name: str):
    # Lazy: importing a light submodule (db, records_sql) must not load sqlite-utils and numpy.
    if name == "SQLiteStore":
        from langmem_cli.store.sqlite.store import SQLiteStore

        return SQLiteStore
    raise AttributeError(name)
