"""The store interface (issue 15): one abstract Store, backends chosen by open_store."""

from __future__ import annotations

import inspect
import sys

import pytest

from langmem_cli.errors import UsageError
from langmem_cli.store import Store, is_url, open_store
from langmem_cli.store.base import Store as BaseStore
from langmem_cli.store.sqlite import SQLiteStore


def test_the_sqlite_backend_implements_every_method(store):
    assert Store is BaseStore and isinstance(store, Store) and isinstance(store, SQLiteStore)
    assert not inspect.isabstract(SQLiteStore)
    abstract = set(BaseStore.__abstractmethods__)
    assert {"put_many", "apply_operations", "retrievers", "iter_memories", "integrity_check", "transaction",
            "lineage"} <= abstract
    # issue 28: the Store is the sum of role interfaces; bookkeeping is written once (store/repos/)
    from langmem_cli.store.base import Bookkeeping, MemoryReader, MemoryWriter, Purger, Searcher

    assert all(issubclass(BaseStore, role) for role in (MemoryReader, MemoryWriter, Searcher, Bookkeeping, Purger))
    assert not {"start_run", "search", "watch_sources", "history", "add_history", "get"} & abstract
    assert len(abstract) < 30  # was 51 methods, one abstract class


def test_store_open_gives_the_default_embedder_lazily(db_path):
    with Store.open(db_path) as s:
        assert s.embedding_model == "hash:64" and s.location == str(db_path)
        assert s.embedder._loaded is None  # named, not loaded: list and get never load a model
        s.put("u/a", "hello")
        assert s.list() and s.embedder._loaded is not None


def test_a_postgres_url_goes_to_the_postgres_backend(monkeypatch, embedder):
    assert is_url("postgresql://u@localhost/db") and not is_url("/tmp/x.db")
    monkeypatch.setitem(sys.modules, "langmem_cli.store.postgres", None)  # as if not installed
    with pytest.raises(UsageError, match="PostgreSQL backend is not available"):
        open_store("postgresql://u@localhost/db", embedder=embedder)


def test_the_store_does_not_import_the_embedders():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "langmem_cli" / "store"
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("langmem_cli.embed"), path
