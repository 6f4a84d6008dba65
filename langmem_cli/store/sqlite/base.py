"""What the parts of the SQLite store share: the typed base that Validity and Purging build on.

``SQLiteStore`` sets these attributes when it opens and implements the abstract methods; the
parts (store/sqlite/validity.py, store/sqlite/purge.py) may use exactly what is declared here
besides the ``Store`` interface, which makes their needs checkable (mypy) instead of written in
docstrings.
"""

from __future__ import annotations

import abc
import sqlite3
from pathlib import Path
from typing import Any, Sequence

from langmem_cli.store.base import Store
from langmem_cli.store.sqlite.retrievers import SQLiteRetrievers
from langmem_cli.store.sqlite.runner import SQLiteRunner


class SQLiteBase(Store):
    """A SQLite database file opened as a Store (see SQLiteStore)."""

    #: the database file
    path: Path
    #: the store's connection (writes go through ``transaction()``)
    conn: sqlite3.Connection
    #: the SQL runner the repositories and retrievers share
    runner: SQLiteRunner

    @abc.abstractmethod
    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """All rows of one statement."""

    @property
    @abc.abstractmethod
    def retrievers(self) -> SQLiteRetrievers:
        """The SQLite retrievers (exact vectors, ANN index, FTS5 / in-memory keywords)."""
