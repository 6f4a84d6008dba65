"""The SQL runner of the PostgreSQL backend: one autocommit connection, ``%s`` parameters, nested
transactions (an inner one joins the outer), psycopg errors as langmem's one-line errors (a lost
connection: ConnectionLostError, exit 69). Repositories and retrievers are handed one."""

from __future__ import annotations

import contextlib
from typing import Any, Iterable, Iterator, Sequence

from langmem_cli.store.postgres.clauses import Vector
from langmem_cli.store.postgres.connection import pg_errors


class PostgresRunner:
    dialect = "postgres"
    insertion_order = "seq"

    def __init__(self, conn: Any, url: str) -> None:
        self.conn = conn
        self.url = url
        self._depth = 0

    def errors(self) -> contextlib.AbstractContextManager[None]:
        return pg_errors(self.url, self.conn)

    def sql(self, text: str) -> str:
        """``?`` parameters as psycopg's ``%s`` (portable SQL holds no other ``?`` nor ``%``)."""
        return text.replace("?", "%s")

    def lock(self, name: str) -> None:
        """A transaction-scoped advisory lock on ``name``: released at commit or rollback."""
        from langmem_cli.store.postgres.schema import lock_key

        self.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(name),))

    @contextlib.contextmanager
    def fresh(self) -> Iterator["PostgresRunner"]:
        from langmem_cli.store.postgres.connection import connect

        conn = connect(self.url)
        try:
            yield PostgresRunner(conn, self.url)
        finally:
            conn.close()

    def query(self, sql: Any, params: Sequence[Any] = ()) -> list[tuple]:
        with self.errors():
            return self.conn.execute(sql, params).fetchall()

    @contextlib.contextmanager
    def pipeline(self) -> Iterator[None]:
        """Statements ``send`` inside the block go to the server at once and run there while the
        caller goes on (psycopg's pipeline mode); their rows are read after the block. Without
        pipeline support in libpq they simply run when sent."""
        import psycopg

        if not psycopg.Pipeline.is_supported():
            yield
            return
        with self.errors(), self.conn.pipeline():
            yield

    def send(self, sql: Any, params: Sequence[Any] = ()) -> Any:
        """Send one statement (inside ``pipeline``); ``rows`` of what this returns, after it."""
        with self.errors():
            cursor = self.conn.cursor()
            cursor.execute(sql, params)
            return cursor

    def rows(self, sent: Any) -> list[tuple]:
        with self.errors():
            return sent.fetchall()

    def execute(self, sql: Any, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        with self.errors():
            return self.conn.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """One pipelined batch."""
        rows = list(rows)
        if not rows:
            return
        with self.errors(), self.conn.cursor() as cur:
            cur.executemany(sql, rows)

    def vector(self, values: Any) -> Vector:
        return Vector(values)

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """``column = ANY(%s)`` and its one parameter."""
        return f"{column} = ANY(%s)", [list(values)]

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        with self.errors():
            with self.conn.transaction():
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0
