"""Connecting to PostgreSQL and turning its errors into langmem's one-line errors."""

from __future__ import annotations

import contextlib
from typing import Iterator

from langmem_cli.errors import ConnectionLostError, DatabaseError
from langmem_cli.store.postgres.url import mask, scrub

__all__ = ["ConnectionLostError", "connect", "pg_errors", "translate"]

CONNECT_TIMEOUT_S = 10


def _psycopg():
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the `postgres` extra is not installed
        raise DatabaseError("a postgresql:// database needs psycopg: pip install 'langmem-cli[postgres]'") from None
    return psycopg


def connect(url: str):
    """An autocommit connection (writes open explicit transactions)."""
    psycopg = _psycopg()
    conninfo = "postgresql://" + url.split("://", 1)[1] if url.startswith("postgresql+psycopg://") else url
    try:
        # prepare_threshold=None: no server-side prepared statements, whose generic plans would
        # hide literal values from the planner (and break behind a transaction-pooling proxy).
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S, prepare_threshold=None,
                               application_name="langmem")
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot connect to {mask(url)}: {_first_line(exc, url)}") from None


def _first_line(exc: BaseException, url: str) -> str:
    text = str(exc).strip().splitlines()
    return scrub(text[0] if text else type(exc).__name__, url)


def translate(exc: BaseException, url: str, conn=None) -> DatabaseError:
    psycopg = _psycopg()
    where = mask(url)
    lost = conn is not None and (conn.closed or conn.broken)
    if lost or isinstance(exc, (psycopg.errors.AdminShutdown, psycopg.errors.ConnectionFailure)) or (
        isinstance(exc, psycopg.OperationalError) and "connection" in str(exc).lower()
    ):
        return ConnectionLostError(
            f"lost the connection to {where} ({_first_line(exc, url)}); the unfinished unit of work was rolled "
            "back: run the command again"
        )
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return DatabaseError(f"permission denied on {where}: {_first_line(exc, url)}")
    if isinstance(exc, (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled)):
        return DatabaseError(f"database {where} is busy: {_first_line(exc, url)}")
    return DatabaseError(f"database error on {where}: {_first_line(exc, url)}")


@contextlib.contextmanager
def pg_errors(url: str, conn=None) -> Iterator[None]:
    psycopg = _psycopg()
    try:
        yield
    except psycopg.Error as exc:
        raise translate(exc, url, conn) from None
