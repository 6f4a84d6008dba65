"""``LangmemStore``: a LangGraph ``BaseStore`` over this project's store (SQLite file or PostgreSQL).

Every item is an ordinary memory (kind ``memory``, source ``langgraph``): ``langmem list``,
``search`` and ``export`` show it. Its namespace tuple becomes a namespace path
(``mapping.to_path``), its key a deterministic id (``mapping.key_id``); the key, the TTL and the
item's index choice ride in ``metadata["langgraph"]``. Only the Store's public methods are used.

Semantics where LangGraph's own stores differ (stated and tested):
- a filter on a field an item lacks never matches (``$ne`` included); numbers compare as numbers;
- ``limit``/``offset`` are exact at any depth; negative ones are refused (ValueError);
- an expired item is never returned, swept or not;
- ``delete`` (a model's decision, e.g. LangMem's tool) invalidates: the memory stays with
  ``valid_until`` (``langmem list --include-expired``); only ``langmem delete``/``purge`` erase;
- a ``query`` runs the project's hybrid search (vectors + BM25); ``score`` is its fused score.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
from langgraph.store.base import (
    BaseStore,
    GetOp,
    IndexConfig,
    Item,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
)
from langgraph.store.base.embed import get_text_at_path, tokenize_path

from langmem_cli.core.extraction import Operation
from langmem_cli.core.records import Memory, NewMemory
from langmem_cli.core.render import canonical_json, content_hash
from langmem_cli.core.timestamps import now
from langmem_cli.errors import LangmemError, UsageError
from langmem_cli.langgraph import items, mapping
from langmem_cli.langgraph.embedding import CallerEmbedder
from langmem_cli.langgraph.sweeper import Sweeper
from langmem_cli.store import open_store
from langmem_cli.store.base import SEARCH_MODES

PAGE = 200  # rows read at a time when a filter is checked here


class LangmemStore(BaseStore):
    """A LangGraph store on a langmem database: ``LangmemStore("memories.db")`` or
    ``LangmemStore("postgresql://...")``, optionally with ``index`` (dims, embed, fields) and
    ``ttl`` (default_ttl, refresh_on_read, sweep_interval_minutes). ``search_mode``: how a query
    ranks: "hybrid" (vectors + BM25, the default), "vector" or "keyword". Thread- and asyncio-safe."""

    supports_ttl = True

    def __init__(self, conn: str | Path, *, index: IndexConfig | None = None, ttl: TTLConfig | None = None,
                 search_mode: str = "hybrid", embedder: Any = None) -> None:
        if search_mode not in SEARCH_MODES:
            raise ValueError(f"search_mode must be one of {', '.join(SEARCH_MODES)}, got {search_mode!r}")
        self.search_mode = search_mode
        self.index_config = index.copy() if index else None
        self.ttl_config = ttl.copy() if ttl else None
        self._fields = self._default_fields(self.index_config)
        if embedder is None and self.index_config and self.index_config.get("embed") is not None:
            if "dims" not in self.index_config:
                raise ValueError("index: dims is required with embed")
            embedder = CallerEmbedder(self.index_config["embed"], self.index_config["dims"])
        self._store = open_store(conn, embedder=embedder)
        if self.index_config and "dims" in self.index_config and self.index_config.get("embed") is None:
            if self._store.embedder.dim != self.index_config["dims"]:
                self._store.close()
                raise ValueError(f"index dims={self.index_config['dims']}, but the on-device model "
                                 f"{self._store.embedding_model} has {self._store.embedder.dim}: pass embed=... "
                                 "or drop dims")
        self._lock = threading.RLock()
        self._sweeper = Sweeper(self.sweep_ttl)
        self._closed = False

    @staticmethod
    def _default_fields(index: IndexConfig | None) -> list[str]:
        if not index:
            return ["$"]
        given: dict[str, Any] = dict(index)  # "text_fields": the older name of "fields"
        fields = given.get("fields") or given.get("text_fields") or ["$"]
        for field in fields:
            tokenize_path(field)  # raises on a malformed path
        return list(fields)

    @classmethod
    @contextlib.contextmanager
    def from_conn_string(cls, conn_string: str | Path, *, index: IndexConfig | None = None,
                         ttl: TTLConfig | None = None, search_mode: str = "hybrid") -> Iterator["LangmemStore"]:
        store = cls(conn_string, index=index, ttl=ttl, search_mode=search_mode)
        try:
            yield store
        finally:
            store.close()

    def setup(self) -> None:
        """Nothing left to do: opening the database creates or migrates its tables."""

    @property
    def store(self):
        """The project's Store underneath (for ``langmem_cli`` calls on the same database)."""
        return self._store

    def close(self) -> None:
        self.stop_ttl_sweeper(timeout=5)
        with self._lock:
            if not self._closed:
                self._closed = True
                self._store.close()

    def __enter__(self) -> "LangmemStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- batches ---------------------------------------------------------------------
    def batch(self, ops: Iterable[Op]) -> list[Result]:
        ops = list(ops)
        results: list[Result] = [None] * len(ops)
        with self._lock:
            if self._closed:
                raise RuntimeError("this LangmemStore is closed")
            i = 0
            while i < len(ops):
                op = ops[i]
                if isinstance(op, PutOp):
                    j = i
                    while j < len(ops) and isinstance(ops[j], PutOp):
                        j += 1
                    self._put_all([put for put in ops[i:j] if isinstance(put, PutOp)])  # all of them
                    i = j
                    continue
                if isinstance(op, GetOp):
                    results[i] = self._get(op)
                elif isinstance(op, SearchOp):
                    results[i] = self._search(op)
                elif isinstance(op, ListNamespacesOp):
                    results[i] = self._list_namespaces(op)
                else:
                    raise ValueError(f"unknown operation {type(op).__name__}")
                i += 1
        return results

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        ops = list(ops)
        return await asyncio.get_running_loop().run_in_executor(None, self.batch, ops)

    # -- finding memories -----------------------------------------------------------------
    def _find(self, path: str, key: str) -> Memory | None:
        """The memory of (namespace, key), current or not."""
        return self._find_many([(path, key)]).get((path, key))

    def _find_many(self, targets: list[tuple[str, str]]) -> dict[tuple[str, str], Memory]:
        ids = {mapping.key_id(path, key): (path, key) for path, key in targets}
        out = {ids[mid]: m for mid, m in self._store.get_many(list(ids)).items()}
        foreign = [key for path, key in targets if (path, key) not in out and items.is_uuid(key)]
        if foreign:  # a memory the CLI or an extraction made: its id is its key
            wanted = set(targets)
            for m in self._store.get_many(foreign).values():
                if (m.namespace, m.id) in wanted and items.key_of(m) == m.id:
                    out[(m.namespace, m.id)] = m
        return out

    # -- TTL -------------------------------------------------------------------------
    def _refresh_wanted(self, requested: bool | None) -> bool:
        if requested is not None:
            return requested
        return (self.ttl_config or {}).get("refresh_on_read", True)

    def _refreshed(self, memory: Memory) -> Memory:
        meta = memory.metadata.get(items.META) if isinstance(memory.metadata, dict) else None
        if not isinstance(meta, dict) or not meta.get("ttl"):
            return memory
        metadata = dict(memory.metadata)
        metadata[items.META] = {**meta, "expires_at": items.expiry(meta["ttl"])}
        return self._store.update(memory.id, memory.content, kind=memory.kind, metadata=metadata, source=items.SOURCE)

    def start_ttl_sweeper(self, sweep_interval_minutes: float | None = None) -> concurrent.futures.Future:
        """Sweep every ``sweep_interval_minutes`` (else the TTL config's, else 5) in a thread."""
        minutes = sweep_interval_minutes or (self.ttl_config or {}).get("sweep_interval_minutes") or 5
        return self._sweeper.start(float(minutes))

    def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        return self._sweeper.stop(timeout)

    def sweep_ttl(self) -> int:
        """Erase the items whose TTL has run out; how many."""
        with self._lock:
            moment = now()
            rows = self._store.list(filters=[(f"{items.META}.expiring", "yes")], limit=None, include_expired=True)
            gone = [m for m in rows if not items.is_current(m, moment) and isinstance(m.metadata.get(items.META), dict)
                    and isinstance(m.metadata[items.META].get("expires_at"), str)
                    and m.metadata[items.META]["expires_at"] <= moment]
            if gone:
                with self._store.transaction():
                    for m in gone:
                        self._store.delete(m.id, source=items.SOURCE)
            return len(gone)

    # -- get ---------------------------------------------------------------------------
    def _get(self, op: GetOp) -> Item | None:
        path = items.namespace_path(op.namespace)
        memory = self._find(path, items.check_key(op.key))
        if not items.is_current(memory, now()):
            return None
        if self._refresh_wanted(op.refresh_ttl):
            memory = self._refreshed(memory)
        return items.to_item(memory)

    # -- put and delete ------------------------------------------------------------------
    def _put_all(self, ops: list[PutOp]) -> None:
        """Every value is checked (and embedded where the adapter chooses the text) before
        anything is written; the new keys are then inserted in one transaction."""
        latest: dict[tuple[str, str], PutOp] = {}
        for op in ops:  # the last put to a key in one batch wins
            latest[(items.namespace_path(op.namespace), items.check_key(op.key))] = op
        prepared = {target: (None if op.value is None else self._prepare(*target, op))
                    for target, op in latest.items()}
        self._embed_fields([ready for ready in prepared.values() if ready is not None])
        inserts: list[tuple[NewMemory, np.ndarray | None]] = []
        moment = now()
        found = self._find_many(list(prepared))
        for (path, key), ready in prepared.items():
            existing = found.get((path, key))
            if ready is None:
                if items.is_current(existing, moment):
                    self._store.apply_operations(path, [Operation("delete", existing.kind, id=existing.id)], items.SOURCE)
                continue
            new, vector = ready
            if existing is not None and items.is_current(existing, moment):
                self._offer(new, vector)
                # the memory's other metadata (e.g. an extraction's evidence) stays
                metadata = {**(existing.metadata if isinstance(existing.metadata, dict) else {}), **new.metadata}
                self._store.update(existing.id, new.content, kind=items.KIND, metadata=metadata, source=items.SOURCE)
            else:
                if existing is not None:  # deleted or expired: the key starts again
                    self._store.delete(existing.id, source=items.SOURCE)
                inserts.append((new, vector))
        if inserts:
            for new, vector in inserts:
                self._offer(new, vector)
            try:
                self._store.put_many([new for new, _ in inserts])
            except UsageError:
                # another process wrote one of these keys meanwhile: one at a time, as updates
                for new, _ in inserts:
                    self._insert_or_update(new)

    def _insert_or_update(self, new: NewMemory) -> None:
        try:
            self._store.put_many([new])
        except UsageError:
            assert new.id is not None  # _prepare gives every put its key's id
            self._store.update(new.id, new.content, kind=items.KIND, metadata=new.metadata, source=items.SOURCE)

    def _embed_fields(self, prepared: list[list]) -> None:
        """Replace the texts chosen by ``index``/``fields`` by their vectors, in one embed call
        ("" and index=False: a zero vector, which no query ranks)."""
        texts = [ready[1] for ready in prepared if isinstance(ready[1], str) and ready[1].strip()]
        vectors = iter(self._store.embedder.embed(texts)) if texts else iter(())
        for ready in prepared:
            if isinstance(ready[1], str):
                ready[1] = (next(vectors) if ready[1].strip()
                            else np.zeros(self._store.embedder.dim, dtype=np.float32))

    def _prepare(self, path: str, key: str, op: PutOp) -> list:
        """[the memory to write, what to embed]: None (the store embeds the rendered text), a text
        from the index's fields, or "" (nothing to embed)."""
        value = op.value
        if not isinstance(value, dict):
            raise ValueError(f"value must be a dict (or None to delete), got {type(value).__name__}")
        try:
            value = json.loads(canonical_json(value))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"value of {key!r} is not JSON-serialisable: {exc}") from None
        meta: dict[str, Any] = {"key": key}
        ttl = op.ttl
        if ttl is not None:
            if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0:
                raise ValueError(f"ttl must be a positive number of minutes (or None), got {ttl!r}")
            meta.update(ttl=ttl, expires_at=items.expiry(ttl), expiring="yes")
        new = NewMemory(path, value, items.KIND, {items.META: meta}, items.SOURCE, id=mapping.key_id(path, key))
        try:
            self._store.prepare(new)
        except LangmemError as exc:  # e.g. a value with no text at all ({} or only empty fields)
            raise ValueError(f"value of {key!r} cannot be stored: {exc}") from None
        text: str | None = None
        if op.index is False:
            meta["index"] = False
            text = ""
        else:
            fields = list(op.index) if op.index else self._fields
            if fields != ["$"]:
                if op.index:
                    meta["index"] = fields
                text = "\n".join(t for field in fields for t in get_text_at_path(value, tokenize_path(field)) if t)
        return [new, text]

    def _offer(self, new: NewMemory, vector: np.ndarray | None) -> None:
        if vector is not None:
            self._store.offer_embeddings({content_hash(items.KIND, new.content): vector})

    # -- search --------------------------------------------------------------------------
    def _search(self, op: SearchOp) -> list[SearchItem]:
        limit = items.bound("limit", op.limit, 0)
        offset = items.bound("offset", op.offset, 0)
        mapping.check_filter(op.filter)
        prefix = items.namespace_path(tuple(op.namespace_prefix), allow_empty=True)
        want = limit + offset
        if limit == 0:
            return []
        moment = now()
        narrow = mapping.prefilter(op.filter)

        def keep(m: Memory) -> bool:
            return items.is_current(m, moment) and mapping.matches(items.to_item(m).value, op.filter)

        scored: list[tuple[Memory, float | None]]
        if op.query and op.query.strip():
            scored = self._ranked(op.query, prefix, narrow, want, keep)
        else:
            scored = [(m, None) for m in self._newest(prefix, narrow, want, keep)]
        page = scored[offset:want]
        if self._refresh_wanted(op.refresh_ttl):
            page = [(self._refreshed(m), s) for m, s in page]
        return [items.to_search_item(m, s) for m, s in page]

    def _ranked(self, query: str, prefix: str | None, narrow, want: int, keep) -> list[tuple[Memory, float | None]]:
        """The project's hybrid search, asked for more until ``want`` rows pass the checks here."""
        asked = max(want, 10)
        while True:
            hits = self._store.search(query, mode=self.search_mode, prefix=prefix, filters=narrow or None,
                                      limit=asked)
            kept: list[tuple[Memory, float | None]] = [(h.memory, h.score) for h in hits
                                                        if keep(h.memory) and items.is_indexed(h.memory)]
            if len(kept) >= want or len(hits) < asked:
                return kept
            asked *= 4

    def _newest(self, prefix: str | None, narrow, want: int, keep) -> list[Memory]:
        """Most recently updated first, read from the end a page at a time."""
        end = self._store.count(prefix=prefix, filters=narrow or None)
        kept: list[Memory] = []
        size = max(PAGE, want)
        while end > 0 and len(kept) < want:
            start = max(0, end - size)
            rows = self._store.list(prefix=prefix, filters=narrow or None, limit=end - start, offset=start,
                                    order="updated_at")
            kept.extend(m for m in reversed(rows) if keep(m))
            end = start
        return kept

    # -- namespaces ----------------------------------------------------------------------
    def _list_namespaces(self, op: ListNamespacesOp) -> list[tuple[str, ...]]:
        limit = items.bound("limit", op.limit, 0)
        offset = items.bound("offset", op.offset, 0)
        if op.max_depth is not None:
            items.bound("max_depth", op.max_depth, 1)
        fixed: list[str] = []
        for condition in op.match_conditions or ():
            if condition.match_type not in ("prefix", "suffix"):
                raise ValueError(f"unknown match type {condition.match_type!r}: prefix or suffix")
            labels = tuple(condition.path)
            items.namespace_path(tuple(label for label in labels if label != "*"), allow_empty=True)
            if condition.match_type == "prefix" and not fixed:
                for label in labels:
                    if label == "*":
                        break
                    fixed.append(label)
        base = mapping.to_path(fixed) if fixed else None
        found = [mapping.to_tuple(ns) for ns, count in self._store.namespaces(prefix=base)
                 if count and self._store.count(namespace=ns) > 0]
        return mapping.list_namespaces(found, op.match_conditions, op.max_depth, limit, offset)


