"""The SQL runner of the SQLite backend: one connection, ``?`` parameters, nested transactions
(BEGIN IMMEDIATE: writers queue on the busy timeout) and sqlite3 errors as langmem's errors.
Repositories (store/repos/) and retrievers are handed one and use nothing else of the store."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from langmem_cli.store.sqlite import db as dbmod
from langmem_cli.store.sqlite.vectors import encode


class SQLiteRunner:
    dialect = "sqlite"
    insertion_order = "rowid"

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    def errors(self) -> contextlib.AbstractContextManager[None]:
        return dbmod.sqlite_errors(self.path)

    def sql(self, text: str) -> str:
        return text

    def lock(self, name: str) -> None:
        """SQLite's write transaction (BEGIN IMMEDIATE) already serialises writers."""

    @contextlib.contextmanager
    def fresh(self) -> Iterator["SQLiteRunner"]:
        conn = dbmod.connect(self.path)
        try:
            yield SQLiteRunner(conn, self.path)
        finally:
            conn.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with dbmod.sqlite_errors(self.path):
            return self.conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        with dbmod.sqlite_errors(self.path):
            return self.conn.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with dbmod.sqlite_errors(self.path):
            self.conn.executemany(sql, rows)

    def vector(self, values: Any) -> bytes:
        return encode(values)

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """``column IN (?, ...)`` and its parameters (callers batch long lists)."""
        return f"{column} IN ({','.join('?' * len(values))})", list(values)

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; an inner one joins the outer (a savepoint)."""
        with dbmod.sqlite_errors(self.path):
            if self.conn.in_transaction:
                self.conn.execute("SAVEPOINT inner_tx")
                try:
                    yield None
                except BaseException:
                    self.conn.execute("ROLLBACK TO inner_tx")
                    self.conn.execute("RELEASE inner_tx")
                    raise
                else:
                    self.conn.execute("RELEASE inner_tx")
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield None
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
