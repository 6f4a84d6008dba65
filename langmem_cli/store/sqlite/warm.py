"""Warming a process for search without making any search wait.

A long-lived process (MCP server, Python API user, batch search) answers faster from in-memory
indexes: the vectors (``VectorIndex``) and the BM25 postings (``KeywordIndex``). ``Warmer`` loads
them in a daemon thread, on a connection of its own: the vectors first (a search that needs them
waits only for what is left of that load, which it would otherwise do itself), then the keyword
index, which no search ever waits for: FTS5 answers, with the same ranking, until it is ready.
"""

from __future__ import annotations

import threading
from pathlib import Path

from langmem_cli.store.sqlite.keyword_index import KeywordIndex
from langmem_cli.store.sqlite.vectors import VectorIndex


class Warmer:
    def __init__(self, path: Path, vector_model: str | None = None) -> None:
        self.path = path
        self.vector_model = vector_model
        self.vectors: VectorIndex | None = None
        self.keywords: KeywordIndex | None = None
        self._vectors_done = threading.Event()
        if vector_model is None:
            self._vectors_done.set()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="langmem-warm", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        from langmem_cli.store.sqlite.db import connect

        try:
            conn = connect(self.path)
        except Exception:  # noqa: BLE001 - the searches open the database themselves and report
            self._vectors_done.set()
            return
        try:
            if self.vector_model is not None:
                try:
                    self.vectors = VectorIndex.load(conn, self.vector_model)
                finally:
                    self._vectors_done.set()
            self.keywords = KeywordIndex.load(conn)
        except Exception:  # noqa: BLE001 - the searches fall back to loading or to FTS5
            pass
        finally:
            self._vectors_done.set()
            conn.close()

    def take_vectors(self, model: str) -> VectorIndex | None:
        """The vector index this warmer loads for ``model`` (waiting for the load), once."""
        if self.vector_model != model:
            return None
        self._vectors_done.wait()
        vectors, self.vectors, self.vector_model = self.vectors, None, None
        return vectors

    def ready(self) -> KeywordIndex | None:
        return self.keywords

    def wait(self) -> KeywordIndex | None:
        self.start()
        assert self._thread is not None
        self._thread.join()
        return self.keywords
