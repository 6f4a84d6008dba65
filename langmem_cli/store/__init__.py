"""The store: one interface (``base.Store``) and its backends (``sqlite/``, ``postgres/``).

``open_store(path_or_url, embedder=...)`` opens the right backend; nothing outside this package
writes SQL. The embedder is handed in where the app is assembled (``cli/options.py``); the Python
API (``Store.open(path)``) gets the default one, registered by ``langmem_cli/__init__.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from langmem_cli.core.records import NewMemory
from langmem_cli.errors import UsageError
from langmem_cli.store.base import Store

if TYPE_CHECKING:
    from langmem_cli.core.interfaces import Embedder

__all__ = ["Store", "NewMemory", "open_store", "is_url"]

POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def is_url(target: Any) -> bool:
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def open_store(target: str | Path | None = None, *, embedder: "Embedder | None" = None,
               embedding_model: str | None = None, **kwargs: Any) -> Store:
    """Open a database: a file path (SQLite; None = the configured default) or a
    ``postgresql://`` URL. ``embedder`` (an ``Embedder``, typically loaded on first use) is what
    the store embeds with; without one, the default embedder for ``embedding_model``."""
    if embedder is None:
        from langmem_cli.core import interfaces

        if interfaces.default_embedder is None:
            raise UsageError("no embedder: open the store with embedder=...")
        embedder = interfaces.default_embedder(embedding_model)
    if is_url(target):
        try:
            from langmem_cli.store.postgres import PostgresStore
        except ImportError as exc:
            raise UsageError(f"the PostgreSQL backend is not available ({exc})") from None
        return getattr(PostgresStore, "connect", PostgresStore)(str(target), embedder=embedder, **kwargs)
    from langmem_cli import config
    from langmem_cli.store.sqlite import SQLiteStore

    return SQLiteStore(config.db_path(target), embedder=embedder, **kwargs)


Store._opener = staticmethod(open_store)  # Store.open(...) without importing this package from base
