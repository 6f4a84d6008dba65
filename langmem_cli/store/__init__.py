"""SQLite store through sqlite-utils: migrations, memories, history, runs, search."""

from __future__ import annotations

__all__ = ["Store"]


def __getattr__(name: str):
    # Lazy: the CLI imports light submodules (records_sql, search.MODES) at start-up, and
    # `langmem --help` should not pay for sqlite-utils and numpy.
    if name == "Store":
        from langmem_cli.store.store import Store

        return Store
    raise AttributeError(name)
