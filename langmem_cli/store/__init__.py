"""SQLite store through sqlite-utils: migrations, memories, history, runs, search."""

from langmem_cli.store.store import Store

__all__ = ["Store"]
