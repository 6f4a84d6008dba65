"""The Store: every read and write of memories goes through here (CLI, Python API, MCP)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

import sqlite_utils

from langmem_cli import config
from langmem_cli.core.namespaces import validate
from langmem_cli.core.records import HistoryEntry, Memory, SearchHit
from langmem_cli.core.render import canonical_json, content_hash, normalize_content, render
from langmem_cli.errors import InvalidInputError, NotFoundError, UsageError
from langmem_cli.store import db as dbmod
from langmem_cli.store import migrations
from langmem_cli.store.purge import Purging
from langmem_cli.store.records_sql import (
    MEMORY_COLUMNS,
    in_batches,
    row_to_history,
    row_to_memory,
    where_clause,
)
from langmem_cli.store.vectors import VectorIndex, decode, encode


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


@dataclass
class NewMemory:
    """What a caller gives to insert: content is text (free-text kinds) or a JSON value."""

    namespace: str
    content: Any
    kind: str = "memory"
    metadata: dict[str, Any] = field(default_factory=dict)
    source: str | None = "cli"
    id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class Store(Purging):
    """A langmem SQLite database. Open with ``Store.open(path)``; close or use ``with``."""

    def __init__(self, path: Path, embedding_model: str | None = None, embedder=None, run_id: str | None = None):
        self.path = Path(path)
        self.embedding_model = embedder.name if embedder is not None else config.embedding_model_name(embedding_model)
        self._embedder = embedder
        self.run_id = run_id
        self.conn = dbmod.connect(self.path)
        self.db = sqlite_utils.Database(self.conn)
        with dbmod.sqlite_errors(self.path):
            if migrations.pending(self.db):
                migrations.apply(self.db)
        self._index: VectorIndex | None = None
        self._keywords = None  # warm.Warmer: started by the second search or prepare_search()
        self.searches = 0

    @classmethod
    def open(cls, path: str | Path | None = None, **kwargs) -> "Store":
        return cls(config.db_path(path), **kwargs)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------
    @property
    def embedder(self):
        if self._embedder is None:
            from langmem_cli.embed.embedders import get_embedder

            self._embedder = get_embedder(self.embedding_model)
        return self._embedder

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: writers queue on the busy timeout)."""
        with dbmod.sqlite_errors(self.path):
            if self.conn.in_transaction:
                with self.db.atomic():
                    yield self.conn
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with dbmod.sqlite_errors(self.path):
            return self.conn.execute(sql, params).fetchall()

    # -- runs ------------------------------------------------------------------
    def start_run(self, command: str, arguments: dict[str, Any] | None = None, model: str | None = None) -> str:
        run_id = str(uuid.uuid4())
        with self.transaction():
            self.db["runs"].insert(
                {
                    "id": run_id,
                    "command": command,
                    "arguments": canonical_json(arguments or {}),
                    "model": model,
                    "status": "running",
                    "started_at": now(),
                }
            )
        self.run_id = run_id
        return run_id

    def finish_run(
        self,
        run_id: str,
        status: str,
        error: str | None = None,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        cost: float = 0.0,
    ) -> None:
        with self.transaction():
            self.db["runs"].update(
                run_id,
                {
                    "status": status,
                    "error": error,
                    "ended_at": now(),
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "cost": cost,
                },
            )

    def get_run(self, run_id: str) -> dict[str, Any]:
        rows = list(self.db["runs"].rows_where("id = ?", [run_id]))
        if not rows:
            raise NotFoundError(f"no run with id {run_id}")
        return rows[0]

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(self.db["runs"].rows_where(order_by="started_at desc", limit=limit))

    # -- history ---------------------------------------------------------------
    def _record(self, action: str, memory_id: str, namespace: str, before: Memory | None, after: Memory | None, source: str | None) -> None:
        self.conn.execute(
            "INSERT INTO history (memory_id, namespace, action, before, after, at, run_id, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                memory_id,
                namespace,
                action,
                canonical_json(before.to_dict()) if before else None,
                canonical_json(after.to_dict()) if after else None,
                now(),
                self.run_id,
                source,
            ),
        )

    def history(self, memory_id: str) -> list[HistoryEntry]:
        rows = self._query(
            "SELECT id, memory_id, namespace, action, before, after, at, run_id, source FROM history "
            "WHERE memory_id = ? ORDER BY id",
            (memory_id,),
        )
        if not rows:
            raise NotFoundError(f"no history for memory {memory_id}")
        return [row_to_history(r) for r in rows]

    # -- embeddings ------------------------------------------------------------
    def _vectors_for(self, items: list[tuple[str, str]]) -> list[bytes]:
        """Blobs for (content_hash, text) pairs; hashes already embedded are not re-encoded."""
        hashes = sorted({h for h, _ in items})
        known: dict[str, bytes] = {}
        for chunk, marks in in_batches(hashes):
            for h, blob in self._query(
                "SELECT content_hash, embedding FROM memories WHERE embedding_model = ? AND embedding IS NOT NULL "
                f"AND content_hash IN ({marks}) GROUP BY content_hash",
                (self.embedding_model, *chunk),
            ):
                known[h] = blob
        todo: dict[str, str] = {}
        for h, text in items:
            if h not in known:
                todo.setdefault(h, text)
        if todo:
            vectors = self.embedder.embed(list(todo.values()))
            for h, vector in zip(todo, vectors):
                known[h] = encode(vector)
        return [known[h] for h, _ in items]

    # -- writes ----------------------------------------------------------------
    def _prepare(self, item: NewMemory) -> Memory:
        validate(item.namespace)
        if not item.kind or not isinstance(item.kind, str):
            raise UsageError("kind must be a non-empty name")
        # The canonical form (sorted keys) is what the database keeps; render the text from it
        # too, so that text, export and import agree whatever key order the caller used.
        try:
            content = json.loads(canonical_json(normalize_content(item.kind, item.content)))
            canonical_json(item.metadata or {})
        except ValueError as exc:  # NaN or Infinity (json's own message names neither)
            raise InvalidInputError("content and metadata must be JSON: NaN and Infinity are not") from exc
        if content in (None, "", {}, []) or (isinstance(content, dict) and content.get("content", None) == "" and len(content) == 1):
            raise UsageError("content is empty")
        text = render(item.kind, content)
        if not text.strip():
            raise UsageError("content renders to empty text")
        stamp = now()
        return Memory(
            id=item.id or str(uuid.uuid4()),
            namespace=item.namespace,
            kind=item.kind,
            content=content,
            text=text,
            content_hash=content_hash(item.kind, content),
            created_at=item.created_at or stamp,
            updated_at=item.updated_at or item.created_at or stamp,
            source=item.source,
            metadata=dict(item.metadata or {}),
            embedding_model=self.embedding_model,
        )

    def _insert_rows(self, memories: list[Memory], blobs: list[bytes]) -> None:
        self.conn.executemany(
            "INSERT INTO memories (id, namespace, kind, content, text, content_hash, metadata, source, "
            "created_at, updated_at, embedding_model, embedding) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    m.id, m.namespace, m.kind, canonical_json(m.content), m.text, m.content_hash,
                    canonical_json(m.metadata), m.source, m.created_at, m.updated_at, m.embedding_model, blob,
                )
                for m, blob in zip(memories, blobs)
            ],
        )

    def put(self, namespace: str, content: Any, kind: str = "memory", metadata: dict | None = None, source: str | None = "cli", id: str | None = None) -> Memory:
        return self.put_many([NewMemory(namespace, content, kind, metadata or {}, source, id)])[0]

    def put_many(self, items: Sequence[NewMemory], record_history: bool = True) -> list[Memory]:
        """Insert memories in one transaction (embedding first, outside the write lock)."""
        memories = [self._prepare(item) for item in items]
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
                    self._record("insert", m.id, m.namespace, None, m, m.source)
        return memories

    def update(self, memory_id: str, content: Any, kind: str | None = None, metadata: dict | None = None, source: str | None = "cli") -> Memory:
        before = self.get(memory_id)
        new = self._updated(before, content, kind, metadata, source)
        [blob] = self._vectors_for([(new.content_hash, new.text)])
        with self.transaction():
            self._write_update(before, new, blob)
        return new

    def _updated(self, before: Memory, content: Any, kind: str | None, metadata: dict | None, source: str | None) -> Memory:
        new = self._prepare(
            NewMemory(before.namespace, content, kind or before.kind, before.metadata if metadata is None else metadata,
                      source, before.id, before.created_at)
        )
        new.updated_at = now()
        return new

    def _write_update(self, before: Memory, new: Memory, blob: bytes) -> None:
        cursor = self.conn.execute(
            "UPDATE memories SET kind=?, content=?, text=?, content_hash=?, metadata=?, source=?, updated_at=?, "
            "embedding_model=?, embedding=? WHERE id=?",
            (new.kind, canonical_json(new.content), new.text, new.content_hash, canonical_json(new.metadata),
             new.source, new.updated_at, new.embedding_model, blob, new.id),
        )
        if cursor.rowcount != 1:
            raise NotFoundError(f"no memory with id {new.id}")
        self._record("update", new.id, new.namespace, before, new, new.source)

    def apply_operations(self, namespace: str, operations: Sequence[Any], source: str | None,
                         on_commit=None) -> dict[str, list[Memory]]:
        """Apply insert/update/delete operations (objects with action, kind, content, id) in one
        transaction. Updates and deletes must target memories of ``namespace``; anything else,
        or a target deleted meanwhile, rolls the whole batch back. ``on_commit(conn, result)`` runs
        inside the same transaction (e.g. to mark a conversation processed)."""
        validate(namespace)
        targets = self.get_many([op.id for op in operations if op.action in ("update", "delete")])
        inserts: list[Memory] = []
        updates: list[tuple[Memory, Memory]] = []
        deletes: list[Memory] = []
        for op in operations:
            if op.action == "insert":
                inserts.append(self._prepare(NewMemory(namespace, op.content, op.kind, getattr(op, "metadata", None) or {}, source)))
                continue
            target = targets.get(op.id)
            if target is None or target.namespace != namespace:
                raise NotFoundError(f"no memory with id {op.id} in namespace {namespace}")
            if op.action == "update":
                updates.append((target, self._updated(target, op.content, op.kind, None, source)))
            elif op.action == "delete":
                deletes.append(target)
            else:
                raise UsageError(f"unknown operation {op.action!r}")
        fresh = inserts + [new for _, new in updates]
        blobs = self._vectors_for([(m.content_hash, m.text) for m in fresh])
        with self.transaction():
            self._insert_rows(inserts, blobs[: len(inserts)])
            for m in inserts:
                self._record("insert", m.id, m.namespace, None, m, source)
            for (before, new), blob in zip(updates, blobs[len(inserts):]):
                self._write_update(before, new, blob)
            for m in deletes:
                if self.conn.execute("DELETE FROM memories WHERE id = ?", (m.id,)).rowcount != 1:
                    raise NotFoundError(f"no memory with id {m.id}")
                self._record("delete", m.id, m.namespace, m, None, source)
            result = {"inserted": inserts, "updated": [new for _, new in updates], "deleted": deletes}
            if on_commit is not None:
                on_commit(self.conn, result)
        return result

    # -- procedural memory: prompt versions --------------------------------------
    def record_prompt_version(self, name: str, text: str, kind: str, trajectories: int, rationale: str,
                              changed: bool) -> dict[str, Any]:
        import hashlib

        row = {"name": name, "hash": hashlib.sha256(text.encode("utf-8")).hexdigest()[:12], "text": text, "kind": kind,
               "trajectories": trajectories, "rationale": rationale, "changed": int(changed), "run_id": self.run_id,
               "at": now()}
        with self.transaction():
            self.db["prompt_versions"].insert(row)
        return row

    def prompt_versions(self, name: str) -> list[dict[str, Any]]:
        return list(self.db["prompt_versions"].rows_where("name = ?", [name], order_by="id"))

    # -- processed conversations -------------------------------------------------
    def is_processed(self, namespace: str, conversation_hash: str) -> bool:
        return bool(self._query(
            "SELECT 1 FROM processed WHERE namespace = ? AND conversation_hash = ?", (namespace, conversation_hash)
        ))

    def mark_processed(self, conn, namespace: str, conversation_hash: str, source: str | None, counts: dict[str, int]) -> None:
        conn.execute(
            "INSERT INTO processed (namespace, conversation_hash, source, run_id, at, inserted, updated, deleted) "
            "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(namespace, conversation_hash) DO UPDATE SET "
            "source=excluded.source, run_id=excluded.run_id, at=excluded.at, inserted=excluded.inserted, "
            "updated=excluded.updated, deleted=excluded.deleted",
            (namespace, conversation_hash, source, self.run_id, now(), counts.get("inserted", 0),
             counts.get("updated", 0), counts.get("deleted", 0)),
        )

    def delete(self, memory_id: str, source: str | None = "cli") -> Memory:
        with self.transaction():
            memory = self.get(memory_id)
            self.conn.execute("DELETE FROM memories WHERE id = ?", (memory_id,))
            self._record("delete", memory.id, memory.namespace, memory, None, source)
        return memory

    def delete_where(self, namespace: str | None = None, prefix: str | None = None, kinds: list[str] | None = None, source: str | None = "cli") -> int:
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

    # -- reads -----------------------------------------------------------------
    def get(self, memory_id: str) -> Memory:
        rows = self._query(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE id = ?", (memory_id,))
        if not rows:
            raise NotFoundError(f"no memory with id {memory_id}")
        return row_to_memory(rows[0])

    def get_many(self, ids: Sequence[str]) -> dict[str, Memory]:
        out: dict[str, Memory] = {}
        for chunk, marks in in_batches(ids):
            for row in self._query(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE id IN ({marks})", chunk):
                out[row[0]] = row_to_memory(row)
        return out

    def list(self, namespace: str | None = None, prefix: str | None = None, kinds: list[str] | None = None,
             filters: list[tuple[str, Any]] | None = None, limit: int | None = 50, offset: int = 0,
             order: str = "created_at") -> list[Memory]:
        where, params = where_clause(namespace, prefix, kinds, filters)
        order_by = {"created_at": "created_at, rowid", "updated_at": "updated_at, rowid", "rowid": "rowid"}[order]
        sql = f"SELECT {MEMORY_COLUMNS} FROM memories WHERE {where} ORDER BY {order_by}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params = [*params, limit, offset]
        return [row_to_memory(r) for r in self._query(sql, params)]

    def count(self, namespace: str | None = None, prefix: str | None = None, kinds: list[str] | None = None,
              filters: list[tuple[str, Any]] | None = None) -> int:
        where, params = where_clause(namespace, prefix, kinds, filters)
        return self._query(f"SELECT count(*) FROM memories WHERE {where}", params)[0][0]

    def namespaces(self, prefix: str | None = None) -> list[tuple[str, int]]:
        where, params = where_clause(prefix=prefix)
        return [(r[0], r[1]) for r in self._query(
            f"SELECT namespace, count(*) FROM memories WHERE {where} GROUP BY namespace ORDER BY namespace", params
        )]

    def stats(self) -> dict[str, Any]:
        q = self._query
        by_model = {m or "none": n for m, n in q("SELECT embedding_model, count(*) FROM memories GROUP BY embedding_model")}
        return {
            "path": str(self.path),
            "size_bytes": self.path.stat().st_size if self.path.exists() else 0,
            "memories": q("SELECT count(*) FROM memories")[0][0],
            "namespaces": q("SELECT count(DISTINCT namespace) FROM memories")[0][0],
            "kinds": {k: n for k, n in q("SELECT kind, count(*) FROM memories GROUP BY kind ORDER BY kind")},
            "history_entries": q("SELECT count(*) FROM history")[0][0],
            "runs": q("SELECT count(*) FROM runs")[0][0],
            "embedding_models": by_model,
            "embedding_model": self.embedding_model,
            "needs_reindex": sum(n for m, n in by_model.items() if m != self.embedding_model),
            "migrations": [r[0] for r in q("SELECT name FROM _migrations ORDER BY rowid")],
        }

    # -- search ----------------------------------------------------------------
    def vector_index(self) -> VectorIndex:
        with dbmod.sqlite_errors(self.path):
            if self._index is None and self._keywords is not None:
                self._index = self._keywords.take_vectors(self.embedding_model)  # being loaded by prepare_search
            if self._index is None or self._index.model != self.embedding_model:
                self._index = VectorIndex.load(self.conn, self.embedding_model)
            else:
                self._index.refresh(self.conn)
        return self._index

    def keyword_index(self, wait: bool = False):
        """The in-memory BM25 index (same ranking as FTS5), kept fresh; None while a background
        thread still builds it (``wait=True``: wait for it). See ``prepare_search``."""
        self.prepare_search()
        index = self._keywords.wait() if wait else self._keywords.ready()
        if index is not None:
            with dbmod.sqlite_errors(self.path):
                index.refresh(self.conn)
        return index

    def prepare_search(self) -> None:
        """Load the search indexes in a background thread (store/warm.py): long-lived processes
        call this at start, otherwise the second search does. No search waits for the keyword
        index; one that needs the vectors meanwhile waits only for the rest of their load."""
        from langmem_cli.store.warm import Warmer

        if self._keywords is None:
            self._keywords = Warmer(self.path, self.embedding_model if self._index is None else None)
        self._keywords.start()

    def search(self, query: str, **kwargs) -> list[SearchHit]:
        from langmem_cli.store.search import search

        return search(self, query, **kwargs)

    # -- maintenance -----------------------------------------------------------
    def reindex(self, batch_size: int = 256, force: bool = False, progress=None) -> int:
        """Re-embed memories whose vector is missing or from another model. Returns how many."""
        cond = "1" if force else "embedding_model IS NULL OR embedding_model != ? OR embedding IS NULL"
        params: list[Any] = [] if force else [self.embedding_model]
        ids = [r[0] for r in self._query(f"SELECT id FROM memories WHERE {cond} ORDER BY rowid", params)]
        done = 0
        for start in range(0, len(ids), batch_size):
            chunk = self.get_many(ids[start : start + batch_size])
            memories = list(chunk.values())
            texts = [m.text for m in memories]
            vectors = self.embedder.embed(texts)
            with self.transaction():
                self.conn.executemany(
                    "UPDATE memories SET embedding_model = ?, embedding = ? WHERE id = ?",
                    [(self.embedding_model, encode(v), m.id) for m, v in zip(memories, vectors)],
                )
                self.conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('reindexed_at', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (now(),),
                )
            done += len(memories)
            if progress:
                progress(done, len(ids))
        self._index = None
        return done

    def embedding(self, memory_id: str):
        rows = self._query("SELECT embedding FROM memories WHERE id = ?", (memory_id,))
        if not rows:
            raise NotFoundError(f"no memory with id {memory_id}")
        return None if rows[0][0] is None else decode(rows[0][0])

    def integrity_check(self) -> str:
        return self._query("PRAGMA integrity_check")[0][0]

