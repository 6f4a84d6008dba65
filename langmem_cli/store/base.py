"""The Store interface: every read and write of langmem's data, whatever the database.

Callers (jobs, the CLI, the MCP server, transfer, the Python API) use only the methods listed
here; the SQL lives in one backend package per database (``store/sqlite``, ``store/postgres``).
A backend never decides what to remember: it keeps what it is given.

Conventions shared by every backend:
- timestamps are ISO 8601 text in UTC (``core.timestamps.now()``);
- ``valid_from`` / ``valid_until`` (issue 14): a memory is *current* at moment T when
  ``valid_from`` is NULL or <= T and ``valid_until`` is NULL or > T. Reads (list, count, search)
  return memories current now unless ``as_of`` (current at that moment) or ``include_expired``;
  ``get`` and ``get_many`` return any memory by id;
- writes are atomic: a method either writes everything or nothing; ``transaction()`` groups several
  calls into one (it nests: an inner ``transaction()`` joins the outer one);
- every change to a memory leaves a history entry (insert | update | delete), with ``run_id``.
"""

from __future__ import annotations

import abc
import json
import uuid
from typing import TYPE_CHECKING, Any, Callable, Collection, ContextManager, Iterator, Sequence

from langmem_cli.core.namespaces import validate
from langmem_cli.core.records import HistoryEntry, Memory, NewMemory, SearchHit
from langmem_cli.core.render import canonical_json, content_hash, normalize_content, render
from langmem_cli.core.timestamps import moment, now
from langmem_cli.errors import InvalidInputError, UsageError
from langmem_cli.store.repos import Repositories
from langmem_cli.store.repos.history import Change
from langmem_cli.store.retrievers import Query, Retrievers, Scope
from langmem_cli.store.search import SEARCH_MODES, VECTOR_WEIGHT

if TYPE_CHECKING:
    import numpy as np

    from langmem_cli.core.interfaces import Embedder
    from langmem_cli.core.watch import Lease, Progress, SourceState

__all__ = ["Store", "MemoryReader", "MemoryWriter", "Searcher", "Bookkeeping", "Purger", "NewMemory",
           "SEARCH_MODES", "VECTOR_WEIGHT", "OnCommit"]


# Called inside apply_operations' transaction with its result ({"inserted", "updated",
# "deleted", "superseded", "invalidated"} -> memories); may call other store methods (they join it).
OnCommit = Callable[[dict[str, list[Memory]]], None]


def embed_missing(embedder: "Embedder", items: Sequence[tuple[str, str]], known: dict[str, Any],
                  convert: Callable[[Any], Any] = lambda vector: vector) -> list[Any]:
    """Vectors for (content_hash, text) pairs: ``known`` ones (already stored or offered) as they
    are, the others embedded once per hash (``convert``: to the backend's form)."""
    todo: dict[str, str] = {}
    for h, text in items:
        if h not in known:
            todo.setdefault(h, text)
    if todo:
        for h, vector in zip(todo, embedder.embed(list(todo.values()))):
            known[h] = convert(vector)
    return [known[h] for h, _ in items]


class MemoryWriter(abc.ABC):
    """Writing memories: inserts, a user's edits and erasures, a model's operations (supersede,
    invalidate), imported history, and re-embedding."""

    embedding_model: str
    run_id: str | None
    repos: Repositories

    def put(self, namespace: str, content: Any, kind: str = "memory", metadata: dict | None = None,
            source: str | None = "cli", id: str | None = None, valid_from: str | None = None,
            valid_until: str | None = None) -> Memory:
        return self.put_many([NewMemory(namespace, content, kind, metadata or {}, source, id,
                                        valid_from=valid_from, valid_until=valid_until)])[0]

    @abc.abstractmethod
    def put_many(self, items: Sequence[NewMemory], record_history: bool = True,
                 without_history: Collection[str] = ()) -> list[Memory]:
        """Insert memories in one transaction (embedding first, outside the write lock).
        ``without_history``: ids whose insert is not recorded (their history is imported)."""

    @abc.abstractmethod
    def update(self, memory_id: str, content: Any, kind: str | None = None, metadata: dict | None = None,
               source: str | None = "cli") -> Memory:
        """Overwrite a memory's content in place (a user's edit; history keeps the old one)."""

    @abc.abstractmethod
    def delete(self, memory_id: str, source: str | None = "cli") -> Memory:
        """Erase one memory (a user's command: the row goes, history keeps it)."""

    @abc.abstractmethod
    def delete_where(self, namespace: str | None = None, prefix: str | None = None,
                     kinds: list[str] | None = None, source: str | None = "cli") -> int:
        """Erase every memory of a namespace (or under a prefix), optionally of some kinds."""

    @abc.abstractmethod
    def apply_operations(self, namespace: str, operations: Sequence[Any], source: str | None,
                         on_commit: OnCommit | None = None) -> dict[str, list[Memory]]:
        """Apply a model's decisions (``core.extraction.Operation``: action, kind, content, id,
        metadata, valid_from) to ``namespace`` in one transaction. An insert adds a memory; an
        update *supersedes* its target (the old row stays with ``valid_until`` and
        ``superseded_by``; a new row holds the new content); a delete *invalidates* (sets
        ``valid_until``). A target outside ``namespace`` or gone meanwhile rolls everything back.
        Returns {"inserted", "updated", "deleted", "superseded", "invalidated"}: lists of memories
        ("updated" = the new rows, "deleted" = the invalidated ones, for callers' counts)."""

    def add_history(self, entries: Sequence[HistoryEntry]) -> list[HistoryEntry]:
        """Append history entries as given (import); an entry already present (same memory_id,
        action and ``at``) is skipped. Returns those added."""
        return self.repos.history.add_history(entries)

    def _record(self, action: str, memory_id: str, namespace: str, before: Memory | None, after: Memory | None,
                source: str | None) -> None:
        """One history entry, inside the caller's transaction."""
        self.repos.history.record([Change(action, memory_id, namespace, before, after, source)])

    def prepare(self, item: NewMemory) -> Memory:
        """Validate and normalise what a caller gives (the same rule for every backend)."""
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
        if content in (None, "", {}, []) or (isinstance(content, dict) and content.get("content", None) == ""
                                             and len(content) == 1):
            raise UsageError("content is empty")
        text = render(item.kind, content)
        if not text.strip():
            raise UsageError("content renders to empty text")
        try:
            valid_from = None if item.valid_from is None else moment(item.valid_from, "valid_from")
            valid_until = None if item.valid_until is None else moment(item.valid_until, "valid_until")
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if valid_from and valid_until and valid_until < valid_from:
            raise UsageError("valid_until is before valid_from")
        stamp = now()
        return Memory(
            id=item.id or str(uuid.uuid4()), namespace=item.namespace, kind=item.kind, content=content, text=text,
            content_hash=content_hash(item.kind, content), created_at=item.created_at or stamp,
            updated_at=item.updated_at or item.created_at or stamp, source=item.source,
            metadata=dict(item.metadata or {}), embedding_model=self.embedding_model,
            valid_from=valid_from, valid_until=valid_until, superseded_by=item.superseded_by,
        )

    def precompute_embeddings(self, memories: Sequence[Memory]) -> None:
        """Optional: embed ahead, outside a transaction, what writes inside it will need."""

    def offer_embeddings(self, vectors: dict[str, "np.ndarray"]) -> None:
        """Optional: vectors a caller already computed with this store's embedder ({content hash:
        vector}), so writes of that content need not embed it again."""

    @abc.abstractmethod
    def reindex(self, batch_size: int = 256, force: bool = False,
                progress: Callable[[int, int], None] | None = None) -> int:
        """Re-embed memories whose vector is missing or from another model. Returns how many."""


class MemoryReader(abc.ABC):
    """Reading memories, their history and supersede chains, and the store's statistics."""

    repos: Repositories

    def get(self, memory_id: str) -> Memory:
        """Any memory by id, current or not; NotFoundError if there is none."""
        from langmem_cli.errors import NotFoundError

        found = self.get_many([memory_id]).get(memory_id)
        if found is None:
            raise NotFoundError(f"no memory with id {memory_id}")
        return found

    @abc.abstractmethod
    def get_many(self, ids: Sequence[str]) -> dict[str, Memory]: ...

    @abc.abstractmethod
    def list(self, namespace: str | None = None, prefix: str | None = None, kinds: list[str] | None = None,
             filters: list[tuple[str, Any]] | None = None, limit: int | None = 50, offset: int = 0,
             order: str = "created_at", as_of: str | None = None, include_expired: bool = False) -> list[Memory]:
        """``order``: created_at | updated_at | rowid (insertion order)."""

    @abc.abstractmethod
    def count(self, namespace: str | None = None, prefix: str | None = None, kinds: list[str] | None = None,
              filters: list[tuple[str, Any]] | None = None, as_of: str | None = None,
              include_expired: bool = False) -> int: ...

    @abc.abstractmethod
    def has_content(self, namespace: str, content_hash: str, kind: str | None = None,
                    include_expired: bool = True) -> bool:
        """Whether ``namespace`` holds a memory with this content (hash from ``core.render``)."""

    @abc.abstractmethod
    def iter_memories(self, namespace: str | None = None, prefix: str | None = None) -> Iterator[Memory]:
        """Every memory (expired ones too) in (created_at, id) order: export."""

    @abc.abstractmethod
    def iter_history(self, namespace: str | None = None, prefix: str | None = None) -> Iterator[HistoryEntry]:
        """Every history entry in order: export."""

    def history(self, memory_id: str) -> list[HistoryEntry]:
        """One memory's history, oldest first; NotFoundError if it has none."""
        return self.repos.history.history(memory_id)

    @abc.abstractmethod
    def lineage(self, memory_id: str) -> list[Memory]:
        """The supersede chain through ``memory_id``: the memories it replaced and those that
        replaced it, oldest first (just the memory when it was never superseded)."""

    def chain_history(self, memory_id: str) -> list[HistoryEntry]:
        """The history of a memory and of its supersede chain, in the order it happened (an
        erased memory: its own history)."""
        from langmem_cli.errors import NotFoundError

        try:
            ids = [m.id for m in self.lineage(memory_id)]
        except NotFoundError:
            ids = [memory_id]
        if len(ids) == 1:
            return self.history(memory_id)
        return sorted((e for i in ids for e in self.history(i)), key=lambda e: (e.at, e.id))

    @abc.abstractmethod
    def namespaces(self, prefix: str | None = None) -> list[tuple[str, int]]:
        """(namespace, number of memories) in name order."""

    @abc.abstractmethod
    def stats(self) -> dict[str, Any]: ...

    @abc.abstractmethod
    def embedding(self, memory_id: str) -> "np.ndarray | None": ...

    @abc.abstractmethod
    def embedded(self, namespace: str, include_expired: bool = False) -> list[tuple[Memory, "np.ndarray"]]:
        """The memories of ``namespace`` with a vector of the current model, insertion order
        (consolidation clusters them)."""


class Searcher(abc.ABC):
    """Search (store/search.py, the same for every backend) over the backend's retrievers."""

    @property
    @abc.abstractmethod
    def embedder(self) -> "Embedder":
        """The embedder handed in at opening (loaded on first use)."""

    @property
    @abc.abstractmethod
    def retrievers(self) -> Retrievers:
        """The backend's retrievers (store/retrievers.py), which the one search (store/search.py) asks."""

    def search(self, query: str, *, mode: str = "hybrid", namespace: str | None = None,
               prefix: str | None = None, kinds: list[str] | None = None,
               filters: list[tuple[str, Any]] | None = None, limit: int = 10, offset: int = 0,
               vector_weight: float = VECTOR_WEIGHT, neighbor_weight: float | None = None,
               as_of: str | None = None, include_expired: bool = False, rerank: bool = True) -> list[SearchHit]:
        """Hybrid (fused, then ``core.rerank`` unless not ``rerank``), vector or keyword search
        (store/search.py, the same for every backend)."""
        from langmem_cli.core.timestamps import moment_for
        from langmem_cli.store import search as one_search

        for name in (namespace, None if prefix is None else prefix.rstrip("/")):
            if name is not None:
                validate(name)
        scope = Scope(namespace, prefix, kinds, filters, moment_for(as_of, include_expired))
        return one_search.search(self.retrievers, Query(query, self.embedder), scope, mode=mode, limit=limit,
                                 offset=offset, vector_weight=vector_weight, neighbor_weight=neighbor_weight,
                                 rerank_hits=rerank)

    def nearest(self, namespace: str, vectors: Any, kinds: list[str] | None = None) -> list[tuple[str | None, float]]:
        """For each normalised vector: the most similar current memory of ``namespace`` and its cosine
        ((None, 0.0) when there is none). Exact, the same for every backend."""
        from langmem_cli.core.timestamps import moment_for
        from langmem_cli.store import search as one_search

        return one_search.nearest(self.retrievers, Scope(namespace, kinds=kinds, moment=moment_for(None, False)),
                                  vectors)

    def prepare_search(self) -> None:
        """Optional: start loading search indexes in the background (long-lived processes)."""


class Bookkeeping(abc.ABC):
    """Runs, prompt versions, processed conversations, consolidation marks and `langmem watch`
    state: written once in store/repos/ over the backend's SQL runner."""

    run_id: str | None

    #: the repositories the backend built over its runner (set when it opens)
    repos: Repositories

    def start_run(self, command: str, arguments: dict[str, Any] | None = None, model: str | None = None) -> str:
        """Record a run (status "running"), make it the store's ``run_id``, return its id."""
        self.run_id = self.repos.bookkeeping.start_run(command, arguments, model)
        return self.run_id

    def finish_run(self, run_id: str, status: str, error: str | None = None, prompt_tokens: int = 0,
                   completion_tokens: int = 0, cost: float = 0.0) -> None:
        return self.repos.bookkeeping.finish_run(run_id, status, error, prompt_tokens, completion_tokens, cost)

    def get_run(self, run_id: str) -> dict[str, Any]:
        return self.repos.bookkeeping.get_run(run_id)

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest runs, newest first."""
        return self.repos.bookkeeping.runs(limit)

    def record_prompt_version(self, name: str, text: str, kind: str, trajectories: int, rationale: str,
                              changed: bool) -> dict[str, Any]:
        return self.repos.bookkeeping.record_prompt_version(name, text, kind, trajectories, rationale, changed)

    def prompt_versions(self, name: str) -> list[dict[str, Any]]:
        return self.repos.bookkeeping.prompt_versions(name)

    def ids_with_prefix(self, prefix: str, limit: int = 10) -> list[str]:
        """Memory ids that start with ``prefix`` (sorted, at most ``limit``): short ids."""
        return self.repos.bookkeeping.ids_with_prefix(prefix, limit)

    def person_names(self, prefix: str | None = None) -> dict[str, dict[str, Any]]:
        """namespace -> {"name", "since", "source"}: the name its user goes by, for namespaces that have one."""
        return self.repos.bookkeeping.person_names(prefix)

    def set_person_name(self, namespace: str, name: str, since: str | None, source: str) -> None:
        """Record the name the user of ``namespace`` goes by from ``since`` (ISO 8601 or None) on."""
        return self.repos.bookkeeping.set_person_name(namespace, name, since, source)

    @abc.abstractmethod
    def claim(self, namespace: str, conversation_hash: str) -> ContextManager[None]:
        """Hold a conversation (namespace + content hash) while it is extracted; another claimant
        waits. Released when the block ends or the process dies."""

    def is_processed(self, namespace: str, conversation_hash: str) -> bool:
        return self.repos.bookkeeping.is_processed(namespace, conversation_hash)

    def mark_processed(self, namespace: str, conversation_hash: str, source: str | None,
                       counts: dict[str, int]) -> None:
        """Mark a conversation extracted (joins the current transaction, e.g. apply_operations')."""
        return self.repos.bookkeeping.mark_processed(namespace, conversation_hash, source, counts)

    def consolidation_marks(self, namespace: str) -> dict[str, str]:
        """memory id -> the content hash it had when consolidation last considered it."""
        return self.repos.bookkeeping.consolidation_marks(namespace)

    def mark_consolidated(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Record (memory id, content hash) pairs as considered by consolidation."""
        return self.repos.bookkeeping.mark_consolidated(pairs)

    def unmark_consolidated(self, ids: Sequence[str]) -> None:
        return self.repos.bookkeeping.unmark_consolidated(ids)

    def record_run_counts(self, run_id: str | None, counts: dict[str, Any]) -> None:
        """Keep a run's summary counts (and the grounding gate's rejections) with the run."""
        return self.repos.bookkeeping.record_run_counts(run_id, counts)

    def cluster_failures(self, cluster: str) -> dict[str, Any] | None:
        """How often a consolidation cluster failed, and whether it is parked (None: never)."""
        return self.repos.bookkeeping.cluster_failures(cluster)

    def record_cluster_failure(self, cluster: str, namespace: str, error: str, park_after: int) -> bool:
        """Count one more failure of a cluster; True when it is now parked."""
        return self.repos.bookkeeping.record_cluster_failure(cluster, namespace, error, park_after)

    def clear_cluster_failures(self, cluster: str) -> None:
        return self.repos.bookkeeping.clear_cluster_failures(cluster)

    def watch_sources(self) -> dict[str, "SourceState"]:
        """path -> the state a source file was in when everything in it had been extracted."""
        return self.repos.watch.watch_sources()

    def save_watch_source(self, path: str, state: "SourceState") -> None:
        return self.repos.watch.save_watch_source(path, state)

    def watch_progress(self, path: str) -> dict[str, "Progress"]:
        """conversation key -> what of that conversation of ``path`` has been extracted."""
        return self.repos.watch.watch_progress(path)

    def save_watch_progress(self, path: str, conversation: str, progress: "Progress") -> None:
        """Record a conversation's progress (joins the current transaction, e.g. apply_operations',
        so the memories and the progress are written together or not at all)."""
        return self.repos.watch.save_watch_progress(path, conversation, progress)

    def acquire_watch_lease(self, source: str, holder: str, host: str, pid: int, ttl: float,
                            alive: Callable[[int], bool]) -> bool:
        """Take or renew the lease on ``source`` for ``ttl`` seconds, atomically; False while another
        holder has it (``core.watch.lease_is_free``; ``alive(pid)`` tells whether a holder on this
        host still runs)."""
        return self.repos.watch.acquire_watch_lease(source, holder, host, pid, ttl, alive)

    def renew_watch_lease(self, source: str, holder: str, ttl: float) -> bool:
        """Extend ``holder``'s lease on ``source`` to ``ttl`` seconds from now; False when it does not
        hold it any more. For a heartbeat thread while the store is in use: it works on a short
        connection of its own, never in a transaction open on the store's (on SQLite a write
        waits for that one to end)."""
        return self.repos.watch.renew_watch_lease(source, holder, ttl)

    def release_watch_lease(self, source: str, holder: str) -> None:
        return self.repos.watch.release_watch_lease(source, holder)

    def watch_leases(self) -> list["Lease"]:
        return self.repos.watch.watch_leases()


class Purger(abc.ABC):
    """Forgetting that forgets (issue 16.3). Not abstract, so that a backend without them still
    opens; each backend should implement them."""

    def purge(self, ids: Sequence[str], source: str | None = "cli", reclaim: bool = True) -> dict[str, int]:
        """Delete these memories (live or deleted) and erase their content from history, keeping a
        content-free ``purge`` entry (the tombstone); with ``reclaim``, then ``vacuum``. Returns
        counts: memories, history (entries blanked), tombstones, and sizes after a reclaim."""
        raise UsageError(f"purge is not supported by the {type(self).__name__} backend yet")

    def purge_where(self, namespace: str | None = None, prefix: str | None = None, kinds: list[str] | None = None,
                    source: str | None = "cli", reclaim: bool = True) -> dict[str, int]:
        """``purge`` every memory (live or deleted) of a namespace or prefix, optionally of some kinds."""
        raise UsageError(f"purge is not supported by the {type(self).__name__} backend yet")

    def vacuum(self) -> dict[str, int]:
        """Give freed space back to the file system; {"size_before", "size_after"} in bytes."""
        raise UsageError(f"vacuum is not supported by the {type(self).__name__} backend yet")


class Store(MemoryReader, MemoryWriter, Searcher, Bookkeeping, Purger):
    """One langmem database: every role. Open with ``langmem_cli.store.open_store(url_or_path,
    embedder=...)`` (or ``Store.open(path)``); close it or use ``with``."""

    #: name of the embedding model whose vectors this store writes and searches
    embedding_model: str
    #: the current command's run (history entries and prompt versions carry it); None outside a run
    run_id: str | None

    # -- opening -----------------------------------------------------------------
    #: set by ``langmem_cli.store`` to its ``open_store`` (no import back from here)
    _opener: Callable[..., "Store"] | None = None

    @classmethod
    def open(cls, path_or_url: Any = None, **kwargs: Any) -> "Store":
        """Open a database by path or URL (``postgresql://...``); see ``store.open_store``."""
        if Store._opener is None:  # pragma: no cover - importing base means importing the package
            raise UsageError("langmem_cli.store is not initialised")
        return Store._opener(path_or_url, **kwargs)

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the data lives, for messages and ``stats`` (a path, or a URL without password)."""

    @property
    @abc.abstractmethod
    def embedder(self) -> "Embedder":
        """The embedder handed in at opening (loaded on first use)."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @abc.abstractmethod
    def transaction(self) -> ContextManager[None]:
        """One write transaction; store methods called inside join it. Rolled back on error."""

    @abc.abstractmethod
    def claim(self, namespace: str, conversation_hash: str) -> ContextManager[None]:
        """Hold a conversation (namespace + content hash) while it is extracted; another claimant
        waits. Released when the block ends or the process dies."""

    @abc.abstractmethod
    def run_lock(self, name: str = "consolidate") -> ContextManager[None]:
        """An exclusive lock for a named job across processes (on a server: across hosts), released
        when the block ends or the process dies. BusyError (exit 75) if another run holds it."""

    @abc.abstractmethod
    def integrity_check(self) -> str:
        """"ok", or the database's description of what is wrong."""

    def reindex(self, batch_size: int = 256, force: bool = False,
                progress: Callable[[int, int], None] | None = None) -> int:
        """Re-embed memories whose vector is missing or from another model (all with ``force``),
        a batch a transaction, then ``reindexed``. Returns how many."""
        ids = self.repos.vectors.stale(self.embedding_model, force)
        done = 0
        for start in range(0, len(ids), batch_size):
            memories = list(self.get_many(ids[start : start + batch_size]).values())
            self.repos.vectors.write(self.embedding_model, memories, self.embedder.embed([m.text for m in memories]))
            done += len(memories)
            if progress:
                progress(done, len(ids))
        self.reindexed()
        return done

    def reindexed(self) -> None:
        """After a reindex: the backend brings its search indexes up to date."""
