"""The ANN retriever of the SQLite backend: an HNSW index (usearch) in a file beside the database,
for global vector searches (store/search.py asks it only when a search is not scoped).

Files: ``<db>.ann`` (the usearch index: keys are the memories' rowids, vectors float16) and
``<db>.ann.json`` (what it holds: model, dimension, count, file size, and the *generation* it was
built at: the newest history id and the last reindex). Written to temporary names and renamed, the
description last: an interrupted build leaves the old pair or none, never a half-written one.

Freshness without rewriting the file at every write: every change to a memory appends to
``history``, so the memories changed since the index's generation (the *delta*) are known. A
search asks the index for candidates, drops those in the delta (their row may have changed) and
those not valid at the search's moment, scores the delta's current vectors exactly, and re-scores
every candidate with its exact float32 vector from the row. So a write is searchable at once and
scores are those of the exact path.

The index answers None (the search is then exact) when:
- the file is missing, unreadable, corrupt, or of another model: said once, and rebuilt in a
  background thread by a warm process (a long-lived one: its second search, or ``prepare``);
- the delta grows past ``REBUILD_AT``: rebuilt (folded) in the background, said once;
- too few current candidates remain after validity even with a deeper ask.
``langmem reindex`` rebuilds it in the foreground. One builder at a time per database (a lock file
beside it); others keep searching exactly.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from langmem_cli.store.retrievers import Query, Ranking
from langmem_cli.store.sqlite.records_sql import in_batches
from langmem_cli.store.sqlite.vectors import decode

# Below this many memories the exact path is fast and no index file is written.
MIN_ROWS = 50_000
# Rebuild when this many memories (or this share of them) changed since the index was built.
REBUILD_AT = 20_000
REBUILD_SHARE = 0.05
# HNSW parameters: graph degree, build and search depth (search depth 512: recall@10 0.96 at 1M,
# bench/ann_ef.py).
CONNECTIVITY = 16
EXPANSION_ADD = 64
EXPANSION_SEARCH = 512
# Candidates asked of the index for k results: k * FACTOR, at least MIN_ASK (+ the delta), deeper
# up to MAX_ASK;
# all are re-scored with their exact vectors, so a deeper ask buys recall.
FACTOR = 2
MIN_ASK = 100
MAX_ASK = 4096
BUILD_BATCH = 20_000
FORMAT = 1


def _usearch() -> Any:
    # onnxruntime (the on-device embedder) loaded after usearch's native library crashes the process
    # (segfault on import, usearch 2.26 + onnxruntime 1.2x): load it first when it is installed
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        pass
    from usearch.index import Index

    return Index


def available() -> bool:
    try:
        _usearch()
    except ImportError:
        return False
    return True


@dataclass
class Delta:
    """The memories changed since the index's generation, with their current vectors."""

    latest: int
    changed: frozenset[str]
    ids: list[str]
    matrix: np.ndarray


def notice_to_stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


class AnnRetriever:
    def __init__(self, runner: Any, db_path: Path, model: str, *, min_rows: int = MIN_ROWS,
                 background: bool = True, notice: Callable[[str], None] = notice_to_stderr) -> None:
        self.runner = runner
        self.path = Path(f"{db_path}.ann")
        self.meta_path = Path(f"{db_path}.ann.json")
        self.lock_path = Path(f"{db_path}.ann.lock")
        self.model = model
        self.min_rows = min_rows
        self.background = background
        self.notice = notice
        self.index: Any = None
        self.meta: dict[str, Any] | None = None
        self._stat: tuple[int, int] | None = None  # (size, mtime_ns) of the file loaded
        self._delta: Delta | None = None
        self._said: set[str] = set()
        self._builder: threading.Thread | None = None
        self._count: tuple[int, int] | None = None
        #: whether this process searches repeatedly (set by the retrievers: a second search, prepare)
        self.warm: Callable[[], bool] = lambda: True

    # -- the retriever -------------------------------------------------------------
    def top_k(self, query: Query, k: int, excluded: frozenset[str]) -> Ranking | None:
        """The k nearest current memories, or None when the exact path must answer."""
        if not available():
            return None
        latest, reindexed_at = self._generation()
        if not self._load(reindexed_at):
            return None
        assert self.meta is not None
        delta = self._changes(latest)
        if delta is None:
            return None
        vector = np.asarray(query.vector, dtype=np.float32)
        ask = min(len(self.index), max(FACTOR * k, MIN_ASK) + len(delta.changed))
        while True:
            hits = self._candidates(vector, ask, delta, excluded)
            if len(hits) >= k or ask >= min(len(self.index), MAX_ASK):
                break
            ask = min(len(self.index), MAX_ASK, ask * 4)
        if delta.ids:
            scores = delta.matrix @ vector
            hits.extend((i, float(s)) for i, s in zip(delta.ids, scores) if i not in excluded)
        if len(hits) < k and len(hits) < self._rows():
            return None  # too few current memories among the candidates: exact
        hits.sort(key=lambda h: -h[1])
        return hits[:k]

    def _candidates(self, vector: np.ndarray, ask: int, delta: Delta, excluded: frozenset[str]) -> Ranking:
        if ask <= 0:
            return []
        found = self.index.search(vector, ask)
        keys = [int(key) for key in np.asarray(found.keys).ravel()]
        out: list[tuple[str, float]] = []
        for chunk, marks in in_batches(keys):
            rows = self.runner.query(
                f"SELECT id, embedding FROM memories WHERE rowid IN ({marks}) AND embedding_model = ? "
                "AND embedding IS NOT NULL", [*chunk, self.model])
            rows = [r for r in rows if r[0] not in delta.changed and r[0] not in excluded]
            if rows:
                matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), -1)
                if matrix.shape[1] != vector.size:
                    continue
                out.extend((r[0], float(s)) for r, s in zip(rows, matrix @ vector))
        return out

    # -- freshness -------------------------------------------------------------------
    def _generation(self) -> tuple[int, str | None]:
        row = self.runner.query(
            "SELECT (SELECT coalesce(max(id), 0) FROM history), (SELECT value FROM meta WHERE key = 'reindexed_at')")[0]
        return int(row[0]), row[1]

    def _rows(self) -> int:
        """How many memories there are (cached until history moves)."""
        latest = self._generation()[0]
        if self._count is None or self._count[0] != latest:
            self._count = (latest, int(self.runner.query("SELECT count(*) FROM memories")[0][0]))
        return self._count[1]

    def _changes(self, latest: int) -> Delta | None:
        """The delta at history id ``latest`` (cached until it moves); None when it is too large."""
        assert self.meta is not None
        if self._delta is not None and self._delta.latest == latest:
            return self._delta
        since = int(self.meta["generation"][0])
        count = self.runner.query("SELECT count(*) FROM history WHERE id > ?", (since,))[0][0]
        limit = min(REBUILD_AT, max(1000, int(REBUILD_SHARE * self.meta["count"])))
        if count > 2 * limit:
            self._stale("has fallen behind the database", rebuild=True)
            return None
        changed = frozenset(r[0] for r in self.runner.query(
            "SELECT DISTINCT memory_id FROM history WHERE id > ?", (since,)))
        if len(changed) > limit:
            self._stale("has fallen behind the database", rebuild=True)
            return None
        ids: list[str] = []
        blobs: list[bytes] = []
        for chunk, marks in in_batches(changed):
            for mid, blob in self.runner.query(
                    f"SELECT id, embedding FROM memories WHERE id IN ({marks}) AND embedding_model = ? "
                    "AND embedding IS NOT NULL", [*chunk, self.model]):
                ids.append(mid)
                blobs.append(blob)
        dim = int(self.meta["dim"])
        matrix = (np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), -1) if blobs
                  else np.zeros((0, dim), dtype=np.float32))
        if matrix.shape[1] != dim:
            return None
        self._delta = Delta(latest, changed, ids, matrix)
        return self._delta

    # -- the file ----------------------------------------------------------------------
    def _load(self, reindexed_at: str | None) -> bool:
        """The index file viewed (memory-mapped) and checked; False (and a rebuild) when unusable."""
        try:
            stat = self.path.stat()
        except OSError:
            stat = None
        if self.index is not None and stat is not None and self._stat == (stat.st_size, stat.st_mtime_ns):
            if self.meta and self.meta.get("reindexed_at") == reindexed_at:
                return True
        self.index, self.meta, self._delta, self._stat = None, None, None, None
        if stat is None:
            if self._rows() >= self.min_rows:
                self._stale("is missing", rebuild=True)
            return False
        try:
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
            ok = (meta.get("format") == FORMAT and meta.get("size") == stat.st_size and isinstance(meta.get("count"), int)
                  and isinstance(meta.get("generation"), list))
        except (OSError, ValueError):
            meta, ok = None, False
        if not ok or meta is None:
            self._stale("is unreadable or corrupt", rebuild=True)
            return False
        if meta.get("model") != self.model or meta.get("reindexed_at") != reindexed_at:
            self._stale("was built for other vectors", rebuild=True)
            return False
        try:
            index = _usearch().restore(str(self.path), view=True)
        except (ValueError, RuntimeError, OSError):
            index = None
        if index is None or len(index) != meta["count"] or index.ndim != meta["dim"]:
            self._stale("is unreadable or corrupt", rebuild=True)
            return False
        index.expansion_search = EXPANSION_SEARCH
        self.index, self.meta, self._stat = index, meta, (stat.st_size, stat.st_mtime_ns)
        return True

    def _stale(self, why: str, rebuild: bool) -> None:
        """Say once why the index cannot answer; rebuild it in the background in a warm process
        (a one-shot command would only start a build its exit kills: it points to ``reindex``)."""
        building = rebuild and self.background and self.warm()
        if why not in self._said:
            self._said.add(why)
            what = "rebuilding it in the background" if building else "`langmem reindex` rebuilds it"
            self.notice(f"the vector index {self.path.name} {why}: searches are exact meanwhile; {what}")
        if building:
            self.start_build()

    @property
    def build_started(self) -> bool:
        """Whether this process has started a background build."""
        return self._builder is not None

    def start_build(self) -> None:
        if self._builder is not None and self._builder.is_alive():
            return
        self._builder = threading.Thread(target=self._build_quietly, name="langmem-ann", daemon=True)
        self._builder.start()

    def wait(self) -> None:
        """Wait for a background build (tests, benchmarks)."""
        if self._builder is not None:
            self._builder.join()

    def _build_quietly(self) -> None:
        from langmem_cli.store.sqlite import db as dbmod

        try:
            conn = dbmod.connect(Path(str(self.path)[: -len(".ann")]))
        except Exception:  # noqa: BLE001 - searches stay exact; the next one tries again
            return
        try:
            build(conn, self.path, self.meta_path, self.lock_path, self.model)
        except Exception:  # noqa: BLE001 - as above
            pass
        finally:
            conn.close()

    def rebuild(self, conn: Any = None) -> int | None:
        """Build the index now (``reindex``); the number of vectors, None when another process
        is building it or the store is below the minimum size."""
        if not available() or self._rows() < self.min_rows:
            self.remove()
            return None
        self.index = None
        return build(conn if conn is not None else self.runner.conn, self.path, self.meta_path, self.lock_path,
                     self.model)

    def remove(self) -> None:
        self.index, self.meta, self._delta, self._stat = None, None, None, None
        for path in (self.meta_path, self.path):
            with contextlib.suppress(OSError):
                path.unlink()


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[bool]:
    import fcntl

    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def build(conn: Any, path: Path, meta_path: Path, lock_path: Path, model: str) -> int | None:
    """Write the index of every vector of ``model`` (a consistent snapshot: what is written
    meanwhile is in the delta of the next search). None when another builder holds the lock."""
    Index = _usearch()
    with _exclusive(lock_path) as mine:
        if not mine:
            return None
        own = not conn.in_transaction
        if own:
            conn.execute("BEGIN")
        try:
            latest, reindexed_at = conn.execute(
                "SELECT (SELECT coalesce(max(id), 0) FROM history), "
                "(SELECT value FROM meta WHERE key = 'reindexed_at')").fetchone()
            cursor = conn.execute("SELECT rowid, embedding FROM memories WHERE embedding_model = ? "
                                  "AND embedding IS NOT NULL ORDER BY rowid", (model,))
            index = None
            dim = 0
            while rows := cursor.fetchmany(BUILD_BATCH):
                vectors = np.stack([decode(r[1]) for r in rows])
                if index is None:
                    dim = vectors.shape[1]
                    index = Index(ndim=dim, metric="ip", dtype="f16", connectivity=CONNECTIVITY,
                                  expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)
                index.add(np.fromiter((r[0] for r in rows), dtype=np.uint64, count=len(rows)), vectors,
                          threads=os.cpu_count() or 1)
        finally:
            if own:
                conn.execute("COMMIT")
        if index is None:
            for stale in (meta_path, path):
                with contextlib.suppress(OSError):
                    stale.unlink()
            return 0
        tmp = Path(f"{path}.tmp-{os.getpid()}")
        try:
            index.save(str(tmp))
            os.chmod(tmp, 0o600)
            with contextlib.suppress(OSError):
                meta_path.unlink()  # no description points at a file being replaced
            os.replace(tmp, path)
            meta = {"format": FORMAT, "model": model, "dim": dim, "count": len(index), "size": path.stat().st_size,
                    "generation": [int(latest), reindexed_at], "reindexed_at": reindexed_at}
            meta_tmp = Path(f"{meta_path}.tmp-{os.getpid()}")
            meta_tmp.write_text(json.dumps(meta), encoding="utf-8")
            os.chmod(meta_tmp, 0o600)
            os.replace(meta_tmp, meta_path)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        return len(index)
