"""The SQLite backend: memories, history and search in one file (sqlite-utils, FTS5, in-memory vectors)."""

from __future__ import annotations

import builtins
import sqlite3
from pathlib import Path
from typing import Any, Collection, ContextManager, Iterator, Sequence

import sqlite_utils

from langmem_cli.core.namespaces import validate
from langmem_cli.core.records import HistoryEntry, Memory, NewMemory
from langmem_cli.core.render import canonical_json
from langmem_cli.core.timestamps import moment_for, now
from langmem_cli.errors import NotFoundError, UsageError
from langmem_cli.store.base import OnCommit, embed_missing
from langmem_cli.store.pending import PendingVectors
from langmem_cli.store.plan import Planner
from langmem_cli.store.repos import Bookkeeping, History, Repositories, Vectors, WatchState
from langmem_cli.store.sqlite import db as dbmod
from langmem_cli.store.sqlite import migrations
from langmem_cli.store.sqlite.ann import MIN_ROWS as ANN_MIN_ROWS
from langmem_cli.store.sqlite.ann import AnnRetriever
from langmem_cli.store.sqlite.keyword_index import KeywordIndex
from langmem_cli.store.sqlite.purge import Purging
from langmem_cli.store.sqlite.records_sql import (
    HISTORY_COLUMNS,
    MEMORY_COLUMNS,
    row_to_history,
    row_to_memory,
    where_clause,
)
from langmem_cli.store.sqlite.retrievers import SQLiteRetrievers
from langmem_cli.store.sqlite.runner import SQLiteRunner
from langmem_cli.store.sqlite.validity import Validity
from langmem_cli.store.sqlite.vectors import VectorIndex, decode, encode

INSERT_MEMORY = (
    "INSERT INTO memories (id, namespace, kind, content, text, content_hash, metadata, source, created_at, "
    "updated_at, embedding_model, embedding, valid_from, valid_until, superseded_by) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def chunks(items: Sequence[Any], size: int = 500) -> Iterator[list[Any]]:
    """Batches for ``IN (…)`` queries (sqlite_utils' chunks)."""
    for chunk in sqlite_utils.utils.chunks(items, size):
        yield list(chunk)


class SQLiteStore(Purging, Validity):
    """A langmem SQLite database file."""

    def __init__(self, path: Path, embedder, run_id: str | None = None, ann_min_rows: int = ANN_MIN_ROWS,
                 ann_background: bool = True):
        self.path = Path(path)
        self._embedder = embedder
        self.embedding_model = embedder.name
        self.run_id = run_id
        self._pending_vectors = PendingVectors()
        self.conn = dbmod.connect(self.path)
        self.db = sqlite_utils.Database(self.conn)
        with dbmod.sqlite_errors(self.path):
            if migrations.pending(self.db):
                migrations.apply(self.db)
        self.runner = SQLiteRunner(self.conn, self.path)
        current_run = lambda: self.run_id  # noqa: E731 - read when a row records it
        self.repos = Repositories(Bookkeeping(self.runner, current_run), WatchState(self.runner, current_run),
                                   History(self.runner, current_run), Vectors(self.runner))
        self.ann = AnnRetriever(self.runner, self.path, self.embedding_model, min_rows=ann_min_rows,
                                    background=ann_background)
        self._retrievers = SQLiteRetrievers(self.runner, self.embedding_model, self.get_many, self.ann)

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def embedder(self):
        return self._embedder

    def close(self) -> None:
        self.conn.close()

    def transaction(self) -> ContextManager[None]:
        """One write transaction (BEGIN IMMEDIATE: writers queue on the busy timeout)."""
        return self.runner.transaction()

    def run_lock(self, name: str = "consolidate"):
        return dbmod.file_lock(self.path, name)

    def claim(self, namespace: str, conversation_hash: str) -> ContextManager[None]:
        return dbmod.byte_lock(self.path, "extract", f"{namespace}\0{conversation_hash}")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.runner.query(sql, params)

    # -- history ---------------------------------------------------------------
    def iter_history(self, namespace: str | None = None, prefix: str | None = None) -> Iterator[HistoryEntry]:
        where, params = where_clause(namespace, prefix)
        for row in self._query(f"SELECT {HISTORY_COLUMNS} FROM history WHERE {where} ORDER BY id", params):
            yield row_to_history(row)

    # -- embeddings ------------------------------------------------------------
    def _vectors_for(self, items: list[tuple[str, str]]) -> list[bytes]:
        """Blobs for (content_hash, text) pairs; hashes already embedded are not re-encoded."""
        known: dict[str, bytes] = self._pending_vectors.take(h for h, _ in items)
        hashes = sorted({h for h, _ in items} - set(known))
        for chunk in chunks(hashes):
            known.update(self._query(
                f"SELECT content_hash, embedding FROM memories WHERE embedding_model = ? AND embedding IS NOT NULL "
                f"AND content_hash IN ({','.join('?' * len(chunk))}) GROUP BY content_hash",
                (self.embedding_model, *chunk),
            ))
        return embed_missing(self.embedder, items, known, encode)

    def offer_embeddings(self, vectors) -> None:
        self._pending_vectors.add((h, encode(v)) for h, v in vectors.items())

    def precompute_embeddings(self, memories: Sequence[Memory]) -> None:
        blobs = self._vectors_for([(m.content_hash, m.text) for m in memories])
        self._pending_vectors.add((m.content_hash, b) for m, b in zip(memories, blobs))

    def embedding(self, memory_id: str):
        rows = self._query("SELECT embedding FROM memories WHERE id = ?", (memory_id,))
        if not rows:
            raise NotFoundError(f"no memory with id {memory_id}")
        return None if rows[0][0] is None else decode(rows[0][0])

    def embedded(self, namespace: str, include_expired: bool = False):
        where, params = where_clause(namespace, moment=moment_for(None, include_expired))
        rows = self._query(f"SELECT {MEMORY_COLUMNS}, embedding FROM memories WHERE {where} "
                           "AND embedding_model = ? AND embedding IS NOT NULL ORDER BY rowid",
                           (*params, self.embedding_model))
        return [(row_to_memory(r), decode(r[-1])) for r in rows]

    # -- writes ----------------------------------------------------------------
    def _insert_rows(self, memories: list[Memory], blobs: list[bytes]) -> None:
        self.conn.executemany(INSERT_MEMORY, [
            (m.id, m.namespace, m.kind, canonical_json(m.content), m.text, m.content_hash, canonical_json(m.metadata),
             m.source, m.created_at, m.updated_at, m.embedding_model, blob, m.valid_from, m.valid_until,
             m.superseded_by)
            for m, blob in zip(memories, blobs)
        ])

    def put_many(self, items: Sequence[NewMemory], record_history: bool = True,
                 without_history: Collection[str] = ()) -> list[Memory]:
        """Insert memories in one transaction (embedding first, outside the write lock)."""
        memories = [self.prepare(item) for item in items]
        if not memories:
            return []
        blobs = self._vectors_for([(m.content_hash, m.text) for m in memories])
        with self.transaction():
            try:
                self._insert_rows(memories, blobs)
            except sqlite3.IntegrityError as exc:
                raise UsageError(f"a memory with one of these ids already exists ({exc})") from exc
            if record_history:
                for m in memories:
                    if m.id not in without_history:
                        self._record("insert", m.id, m.namespace, None, m, m.source)
        return memories

    def update(self, memory_id: str, content: Any, kind: str | None = None, metadata: dict | None = None,
               source: str | None = "cli") -> Memory:
        before = self.get(memory_id)
        new = self._updated(before, content, kind, metadata, source)
        [blob] = self._vectors_for([(new.content_hash, new.text)])
        with self.transaction():
            self._write_update(before, new, blob)
        return new

    def _updated(self, before: Memory, content: Any, kind: str | None, metadata: dict | None,
                 source: str | None) -> Memory:
        new = self.prepare(NewMemory(before.namespace, content, kind or before.kind,
                                     before.metadata if metadata is None else metadata, source, before.id,
                                     before.created_at, valid_from=before.valid_from,
                                     valid_until=before.valid_until))
        new.superseded_by = before.superseded_by
        new.updated_at = now()
        return new

    def _write_update(self, before: Memory, new: Memory, blob: bytes) -> None:
        cursor = self.conn.execute(
            "UPDATE memories SET kind=?, content=?, text=?, content_hash=?, metadata=?, source=?, updated_at=?, "
            "embedding_model=?, embedding=?, valid_from=?, valid_until=?, superseded_by=? WHERE id=?",
            (new.kind, canonical_json(new.content), new.text, new.content_hash, canonical_json(new.metadata),
             new.source, new.updated_at, new.embedding_model, blob, new.valid_from, new.valid_until,
             new.superseded_by, new.id),
        )
        if cursor.rowcount != 1:
            raise NotFoundError(f"no memory with id {new.id}")
        self._record("update", new.id, new.namespace, before, new, new.source)

    def _erase(self, memory: Memory, source: str | None) -> None:
        if self.conn.execute("DELETE FROM memories WHERE id = ?", (memory.id,)).rowcount != 1:
            raise NotFoundError(f"no memory with id {memory.id}")
        self._record("delete", memory.id, memory.namespace, memory, None, source)

    def delete(self, memory_id: str, source: str | None = "cli") -> Memory:
        with self.transaction():
            memory = self.get(memory_id)
            self._erase(memory, source)
        return memory

    def delete_where(self, namespace: str | None = None, prefix: str | None = None, kinds: list[str] | None = None,
                     source: str | None = "cli") -> int:
        if namespace is None and prefix is None:
            raise UsageError("bulk delete needs a namespace or a prefix")
        where, params = where_clause(namespace, prefix, kinds)
        with self.transaction():
            rows = self._query(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE {where}", params)
            for row in rows:
                m = row_to_memory(row)
                self._record("delete", m.id, m.namespace, m, None, source)
            self.conn.execute(f"DELETE FROM memories WHERE {where}", params)
        return len(rows)

    def apply_operations(self, namespace: str, operations: Sequence[Any], source: str | None,
                         on_commit: OnCommit | None = None) -> dict[str, list[Memory]]:
        validate(namespace)
        plan = Planner(self.get_many, self.prepare).plan(namespace, operations, source)
        fresh = plan.inserts + plan.replacements
        blobs = self._vectors_for([(m.content_hash, m.text) for m in fresh])
        with self.transaction():
            for before, after, action in plan.closed:
                self._write_close(before, after, action, source)
            for before, after in plan.annotated:
                self._write_metadata(before, after, source)
            self._insert_rows(fresh, blobs)
            for m in fresh:
                self._record("insert", m.id, m.namespace, None, m, source)
            result = plan.result()
            if on_commit is not None:
                on_commit(result)
        return result

    # -- reads -----------------------------------------------------------------
    def get_many(self, ids: Sequence[str]) -> dict[str, Memory]:
        out: dict[str, Memory] = {}
        for chunk in chunks(list(ids)):
            for row in self._query(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE id IN ({','.join('?' * len(chunk))})",
                                   chunk):
                out[row[0]] = row_to_memory(row)
        return out

    def list(self, namespace: str | None = None, prefix: str | None = None, kinds: list[str] | None = None,
             filters: list[tuple[str, Any]] | None = None, limit: int | None = 50, offset: int = 0,
             order: str = "created_at", as_of: str | None = None, include_expired: bool = False) -> list[Memory]:
        where, params = where_clause(namespace, prefix, kinds, filters, moment=moment_for(as_of, include_expired))
        order_by = {"created_at": "created_at, rowid", "updated_at": "updated_at, rowid", "rowid": "rowid"}[order]
        sql = f"SELECT {MEMORY_COLUMNS} FROM memories WHERE {where} ORDER BY {order_by}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params = [*params, limit, offset]
        return [row_to_memory(r) for r in self._query(sql, params)]

    def count(self, namespace: str | None = None, prefix: str | None = None, kinds: builtins.list[str] | None = None,
              filters: builtins.list[tuple[str, Any]] | None = None, as_of: str | None = None,
              include_expired: bool = False) -> int:
        where, params = where_clause(namespace, prefix, kinds, filters, moment=moment_for(as_of, include_expired))
        return self._query(f"SELECT count(*) FROM memories WHERE {where}", params)[0][0]

    def has_content(self, namespace: str, content_hash: str, kind: str | None = None,
                    include_expired: bool = True) -> bool:
        where, params = where_clause(namespace, kinds=[kind] if kind else None,
                                     moment=moment_for(None, include_expired))
        return bool(self._query(f"SELECT 1 FROM memories WHERE {where} AND content_hash = ? LIMIT 1",
                                (*params, content_hash)))

    def iter_memories(self, namespace: str | None = None, prefix: str | None = None) -> Iterator[Memory]:
        where, params = where_clause(namespace, prefix)
        for row in self._query(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE {where} ORDER BY created_at, id", params):
            yield row_to_memory(row)

    def namespaces(self, prefix: str | None = None) -> builtins.list[tuple[str, int]]:
        where, params = where_clause(prefix=prefix)
        return [(r[0], r[1]) for r in self._query(
            f"SELECT namespace, count(*) FROM memories WHERE {where} GROUP BY namespace ORDER BY namespace", params
        )]

    # -- search ----------------------------------------------------------------
    @property
    def retrievers(self) -> SQLiteRetrievers:
        return self._retrievers

    def vector_index(self) -> VectorIndex:
        return self._retrievers.vector_index()

    def keyword_index(self, wait: bool = False) -> KeywordIndex | None:
        return self._retrievers.keyword_index(wait)

    def prepare_search(self) -> None:
        """Load the vectors, then the keyword index, in a background thread (store/sqlite/warm.py).
        No search waits for the keyword index (FTS5 answers until it is ready); one that needs
        the vectors meanwhile waits only for the rest of their load."""
        self._retrievers.prepare()

    # -- maintenance -----------------------------------------------------------
    def reindexed(self) -> None:
        """After a reindex: the in-memory indexes are stale, the ANN file is rebuilt now."""
        self._retrievers.reset()
        self._retrievers.rebuild_ann()

    # -- maintenance -----------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        return {"path": str(self.path), "size_bytes": self.path.stat().st_size if self.path.exists() else 0,
                **self.repos.bookkeeping.counts(self.embedding_model),
                "migrations": [r[0] for r in self._query("SELECT name FROM _migrations ORDER BY rowid")],
                "people": {ns: p["name"] for ns, p in self.person_names().items()}}

    def integrity_check(self) -> str:
        return self._query("PRAGMA integrity_check")[0][0]
