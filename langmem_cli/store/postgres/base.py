"""What the parts of the PostgreSQL store share: the typed base that ReadMixin and PurgeMixin
build on.

``PostgresStore`` sets these attributes when it opens and implements the abstract methods; the
parts (store/postgres/reads.py, store/postgres/purge.py) may use exactly what is declared here
besides the ``Store`` interface, which makes their needs checkable (mypy) instead of written in
docstrings.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, ContextManager, Sequence

from langmem_cli.store.base import Store
from langmem_cli.store.postgres.runner import PostgresRunner
from langmem_cli.store.postgres.schema import Capabilities

if TYPE_CHECKING:
    import psycopg


class PostgresBase(Store):
    """A PostgreSQL database opened as a Store (see PostgresStore)."""

    #: the store's connection (autocommit; writes go through ``transaction()``)
    conn: "psycopg.Connection[Any]"
    #: the SQL runner the repositories and retrievers share
    runner: PostgresRunner
    #: what the server's pgvector can do
    caps: Capabilities

    @abc.abstractmethod
    def _q(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """All rows of one statement."""

    @abc.abstractmethod
    def _errors(self) -> ContextManager[None]:
        """Database errors raised inside become langmem's errors (store/postgres/connection.py)."""

    @abc.abstractmethod
    def ensure_vector_index(self, dim: int | None = None) -> bool:
        """The HNSW index for the current model's vectors."""
