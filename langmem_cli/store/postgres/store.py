"""The Store on PostgreSQL + pgvector: connection, transactions and writes.

Reads are in reads.py, purge in purge.py (both on the typed base in base.py); runs, prompts, marks and
history in store/repos/; search in store/search.py over retrievers.py. Every write is one
transaction; a lost connection rolls it back (the server does) and surfaces as
ConnectionLostError (exit 69), so a re-run redoes exactly the unit that was lost.
"""

from __future__ import annotations

import contextlib
from typing import Any, Collection, ContextManager, Iterator, Sequence

from langmem_cli import config
from langmem_cli.core.namespaces import validate
from langmem_cli.core.records import Memory, NewMemory
from langmem_cli.core.render import canonical_json
from langmem_cli.core.timestamps import now
from langmem_cli.errors import BusyError, DatabaseError, NotFoundError, UsageError
from langmem_cli.store.base import OnCommit, embed_missing
from langmem_cli.store.pending import PendingVectors
from langmem_cli.store.plan import Planner
from langmem_cli.store.postgres import schema
from langmem_cli.store.postgres.clauses import (
    MEMORY_COLUMNS,
    Vector,
    register_vector,
    row_to_memory,
    where_clause,
)
from langmem_cli.store.postgres.connection import connect
from langmem_cli.store.postgres.purge import PurgeMixin
from langmem_cli.store.postgres.reads import ReadMixin
from langmem_cli.store.postgres.retrievers import PostgresRetrievers
from langmem_cli.store.postgres.runner import PostgresRunner
from langmem_cli.store.postgres.url import mask, scrub
from langmem_cli.store.repos import Bookkeeping, History, Repositories, Vectors, WatchState
from langmem_cli.store.repos.history import Change

_INSERT = (
    "INSERT INTO memories (id, namespace, kind, content, text, content_hash, metadata, source, created_at, "
    "updated_at, embedding_model, embedding, valid_from, valid_until, superseded_by) "
    "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
)


def _pg_text(text: str) -> str:
    # PostgreSQL text cannot hold NUL; the JSON content keeps it (escaped), the searchable text drops it.
    return text.replace("\x00", "")


class PostgresStore(ReadMixin, PurgeMixin):
    """A langmem database on a PostgreSQL server with pgvector."""

    def __init__(self, url: str, embedding_model: str | None = None, embedder=None, run_id: str | None = None):
        self.url = url
        self.embedding_model = embedder.name if embedder is not None else config.embedding_model_name(embedding_model)
        self._embedder = embedder
        self.run_id = run_id
        self._pending_vectors = PendingVectors()
        self.conn = connect(url)
        self.runner = PostgresRunner(self.conn, url)
        try:
            with self._errors():
                if schema.pending(self.conn):
                    self._migrate()
                register_vector(self.conn)
                self.caps = schema.capabilities(self.conn)
        except BaseException:
            self.conn.close()
            raise
        self._retrievers = PostgresRetrievers(self.runner, self.caps, self.embedding_model, self.get_many)
        current_run = lambda: self.run_id  # noqa: E731 - read when a row records it
        self.repos = Repositories(Bookkeeping(self.runner, current_run, scrub=lambda text: scrub(text, url)),
                                   WatchState(self.runner, current_run, offset_column="byte_offset"),
                                   History(self.runner, current_run), Vectors(self.runner))

    def _migrate(self) -> None:
        import psycopg

        try:
            schema.apply(self.conn)
        except (psycopg.errors.UndefinedFile, psycopg.errors.FeatureNotSupported) as exc:
            raise DatabaseError(
                f"{self.location} has no pgvector extension (langmem needs it: install pgvector on the "
                f"server; {str(exc).splitlines()[0]})"
            ) from None
        except psycopg.errors.InsufficientPrivilege as exc:
            raise DatabaseError(
                f"cannot create langmem's tables or the vector extension on {self.location}: "
                f"{str(exc).splitlines()[0]} (a superuser can run CREATE EXTENSION vector once)"
            ) from None

    @classmethod
    def connect(cls, url: str, **kwargs: Any) -> "PostgresStore":
        return cls(str(url), **kwargs)

    # -- plumbing --------------------------------------------------------------
    @property
    def location(self) -> str:
        return mask(self.url)

    @property
    def path(self) -> str:  # what SQLite-era callers print
        return self.location

    @property
    def embedder(self):
        if self._embedder is None:  # opened without one: the default the package root registered
            from langmem_cli.core import interfaces

            if interfaces.default_embedder is None:
                raise UsageError("no embedder: open the store with embedder=...")
            self._embedder = interfaces.default_embedder(self.embedding_model)
        return self._embedder

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()

    def _errors(self):
        return self.runner.errors()

    def _q(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.runner.query(sql, params)

    def transaction(self) -> ContextManager[None]:
        return self.runner.transaction()

    @property
    def retrievers(self) -> PostgresRetrievers:
        return self._retrievers

    def ensure_vector_index(self, dim: int | None = None) -> bool:
        """The HNSW index for the current model's vectors (see PostgresRetrievers)."""
        return self._retrievers.ensure_vector_index(dim)

    @contextlib.contextmanager
    def claim(self, namespace: str, conversation_hash: str) -> Iterator[None]:
        """A session advisory lock per conversation: waits while another session holds it; the
        server releases it if this session dies."""
        key = schema.lock_key(f"claim:{namespace}\0{conversation_hash}")
        self._q("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                self._q("SELECT pg_advisory_unlock(%s)", (key,))

    @contextlib.contextmanager
    def run_lock(self, name: str = "consolidate") -> Iterator[None]:
        """An exclusive lock across hosts: a PostgreSQL session advisory lock, released at the end
        (or by the server when this session dies). BusyError (exit 75) if another holds it."""
        key = schema.lock_key(f"run:{name}")
        if not self._q("SELECT pg_try_advisory_lock(%s)", (key,))[0][0]:
            raise BusyError(f"another {name} run holds the lock on {self.location}; try again later")
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                self._q("SELECT pg_advisory_unlock(%s)", (key,))

    # -- embeddings ------------------------------------------------------------
    def _vectors_for(self, items: list[tuple[str, str]]) -> list[Any]:
        """Vectors for (content_hash, text) pairs; hashes already embedded are not re-encoded."""
        known: dict[str, Any] = self._pending_vectors.take(h for h, _ in items)
        hashes = sorted({h for h, _ in items} - set(known))
        for start in range(0, len(hashes), 1000):
            chunk = hashes[start : start + 1000]
            for h, vector in self._q(
                "SELECT DISTINCT ON (content_hash) content_hash, embedding FROM memories "
                "WHERE embedding_model = %s AND embedding IS NOT NULL AND content_hash = ANY(%s)",
                (self.embedding_model, chunk),
            ):
                known[h] = vector
        return embed_missing(self.embedder, items, known)

    def precompute_embeddings(self, memories: Sequence[Memory]) -> None:
        vectors = self._vectors_for([(m.content_hash, m.text) for m in memories])
        self._pending_vectors.add((m.content_hash, v) for m, v in zip(memories, vectors))

    # -- writes ----------------------------------------------------------------
    def _insert_rows(self, memories: list[Memory], vectors: list[Any]) -> None:
        import psycopg

        rows = [
            (m.id, m.namespace, m.kind, canonical_json(m.content), _pg_text(m.text), m.content_hash,
             canonical_json(m.metadata), m.source, m.created_at, m.updated_at, m.embedding_model,
             None if v is None else Vector(v), m.valid_from, m.valid_until, m.superseded_by)
            for m, v in zip(memories, vectors)
        ]
        if not rows:
            return
        try:
            with self.conn.cursor() as cur:
                cur.executemany(_INSERT, rows)
        except psycopg.errors.UniqueViolation as exc:
            raise UsageError(f"a memory with one of these ids already exists ({str(exc).splitlines()[0]})") from None

    def _record_many(self, entries: list[tuple[str, str, str, Memory | None, Memory | None, str | None]]) -> None:
        """History rows, sent in one pipelined batch (a bulk import writes one per memory)."""
        self.repos.history.record([Change(*entry) for entry in entries])

    def put_many(self, items: Sequence[NewMemory], record_history: bool = True,
                 without_history: Collection[str] = ()) -> list[Memory]:
        memories = [self.prepare(item) for item in items]
        if not memories:
            return []
        vectors = self._vectors_for([(m.content_hash, m.text) for m in memories])
        skip = set(without_history)
        with self.transaction():
            self._insert_rows(memories, vectors)
            if record_history:
                self._record_many([("insert", m.id, m.namespace, None, m, m.source) for m in memories if m.id not in skip])
        return memories

    def _locked(self, memory_id: str) -> Memory:
        rows = self.conn.execute(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE id = %s FOR UPDATE", (memory_id,)).fetchall()
        if not rows:
            raise NotFoundError(f"no memory with id {memory_id}")
        return row_to_memory(rows[0])

    def update(self, memory_id: str, content: Any, kind: str | None = None, metadata: dict | None = None,
               source: str | None = "cli") -> Memory:
        current = self.get(memory_id)
        new = self._replacement(current, content, kind, current.metadata if metadata is None else metadata, source,
                                current.id)
        [vector] = self._vectors_for([(new.content_hash, new.text)])
        with self.transaction():
            before = self._locked(memory_id)
            new.created_at, new.valid_from, new.valid_until = before.created_at, before.valid_from, before.valid_until
            new.superseded_by = before.superseded_by
            self.conn.execute(
                "UPDATE memories SET kind=%s, content=%s, text=%s, content_hash=%s, metadata=%s, source=%s, "
                "updated_at=%s, embedding_model=%s, embedding=%s WHERE id=%s",
                (new.kind, canonical_json(new.content), _pg_text(new.text), new.content_hash,
                 canonical_json(new.metadata), new.source, new.updated_at, new.embedding_model, Vector(vector), new.id),
            )
            self._record("update", new.id, new.namespace, before, new, source)
        return new

    def _replacement(self, before: Memory, content: Any, kind: str | None, metadata: dict, source: str | None,
                     new_id: str | None) -> Memory:
        new = self.prepare(NewMemory(before.namespace, content, kind or before.kind, metadata, source, new_id))
        new.updated_at = now()
        return new

    def delete(self, memory_id: str, source: str | None = "cli") -> Memory:
        with self.transaction():
            memory = self._locked(memory_id)
            self.conn.execute("DELETE FROM memories WHERE id = %s", (memory_id,))
            self._record("delete", memory.id, memory.namespace, memory, None, source)
        return memory

    def delete_where(self, namespace: str | None = None, prefix: str | None = None, kinds: list[str] | None = None,
                     source: str | None = "cli") -> int:
        if namespace is None and prefix is None:
            raise UsageError("bulk delete needs a namespace or a prefix")
        where, params = where_clause(namespace, prefix, kinds, include_expired=True)
        with self.transaction():
            rows = self.conn.execute(
                f"SELECT {MEMORY_COLUMNS} FROM memories WHERE {where} ORDER BY seq FOR UPDATE", params).fetchall()
            gone = [row_to_memory(row) for row in rows]
            self._record_many([("delete", m.id, m.namespace, m, None, source) for m in gone])
            self.conn.execute(f"DELETE FROM memories WHERE {where}", params)
        return len(rows)

    def offer_embeddings(self, vectors) -> None:
        self._pending_vectors.add(vectors.items())

    def apply_operations(self, namespace: str, operations: Sequence[Any], source: str | None,
                         on_commit: OnCommit | None = None) -> dict[str, list[Memory]]:
        """As on SQLite (the plan is store/plan.py's): updates supersede, deletes invalidate.
        The targets are locked (FOR UPDATE) and checked unchanged before anything is written, so
        two hosts closing the same memory cannot both succeed."""
        validate(namespace)
        plan = Planner(self.get_many, self.prepare).plan(namespace, operations, source)
        fresh = plan.inserts + plan.replacements
        vectors = self._vectors_for([(m.content_hash, m.text) for m in fresh])
        with self.transaction():
            ids = [before.id for before, _, _ in plan.closed]
            locked = {r[0]: r[1] for r in self.conn.execute(
                "SELECT id, valid_until FROM memories WHERE id = ANY(%s) ORDER BY id FOR UPDATE", (ids,))}
            for before, after, action in plan.closed:
                if before.id not in locked or locked[before.id] != before.valid_until:
                    raise NotFoundError(f"memory {before.id} changed or was deleted meanwhile; nothing was applied")
                self.conn.execute("UPDATE memories SET valid_until = %s, superseded_by = %s, updated_at = %s WHERE id = %s",
                                  (after.valid_until, after.superseded_by, after.updated_at, after.id))
                self._record(action, after.id, after.namespace, before, after, source)
            for before, after in plan.annotated:  # the same fact, more provenance: in place
                self.conn.execute("UPDATE memories SET metadata = %s, updated_at = %s WHERE id = %s",
                                  (canonical_json(after.metadata), after.updated_at, after.id))
                self._record("update", after.id, after.namespace, before, after, source)
            self._insert_rows(fresh, vectors)
            self._record_many([("insert", m.id, m.namespace, None, m, source) for m in fresh])
            result = plan.result()
            if on_commit is not None:
                on_commit(result)
        return result
