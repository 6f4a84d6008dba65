"""Float32 vector blobs and the in-process vector index used by search."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import numpy as np


def encode(vector: np.ndarray) -> bytes:
    """Little-endian float32 blob."""
    return np.asarray(vector, dtype="<f4").tobytes()


def decode(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4")


def _generation(conn: sqlite3.Connection) -> tuple[int, str | None]:
    """What changes when vectors may have changed: the newest history id, the last reindex."""
    return conn.execute(
        "SELECT (SELECT coalesce(max(id), 0) FROM history), (SELECT value FROM meta WHERE key = 'reindexed_at')"
    ).fetchone()


class RowFilter:
    """Namespace / kind / id masks over the rows of an in-memory index. The class using it has
    ``ids``, ``namespaces``, ``kinds``, ``alive``, ``position`` and the code caches below."""

    ids: list[str]
    namespaces: list[str]
    kinds: list[str]
    alive: np.ndarray
    position: dict[str, int]
    _ns_codes: np.ndarray | None
    _kind_codes: np.ndarray | None
    _ns_names: dict[str, int]
    _kind_names: dict[str, int]

    def _codes_dirty(self) -> None:
        self._ns_codes = None
        self._kind_codes = None

    # -- filtering -----------------------------------------------------------
    def _codes(self) -> tuple[np.ndarray, np.ndarray]:
        if self._ns_codes is None or self._kind_codes is None:
            self._ns_names, self._kind_names = {}, {}
            self._ns_codes = np.fromiter(
                (self._ns_names.setdefault(n, len(self._ns_names)) for n in self.namespaces),
                dtype=np.int32,
                count=len(self.namespaces),
            )
            self._kind_codes = np.fromiter(
                (self._kind_names.setdefault(k, len(self._kind_names)) for k in self.kinds),
                dtype=np.int32,
                count=len(self.kinds),
            )
        return self._ns_codes, self._kind_codes

    def mask(
        self,
        namespace: str | None = None,
        prefix: str | None = None,
        kinds: list[str] | None = None,
        allowed_ids: set[str] | None = None,
        excluded_ids: frozenset[str] | None = None,
    ) -> np.ndarray:
        from langmem_cli.core.namespaces import is_under

        ns_codes, kind_codes = self._codes()
        keep = self.alive.copy()
        if namespace is not None:
            code = self._ns_names.get(namespace, -1)
            keep &= ns_codes == code
        if prefix is not None:
            codes = [c for n, c in self._ns_names.items() if is_under(n, prefix)]
            keep &= np.isin(ns_codes, codes)
        if kinds:
            codes = [self._kind_names.get(k, -1) for k in kinds]
            keep &= np.isin(kind_codes, codes)
        if allowed_ids is not None:
            allowed = np.zeros(len(self.ids), dtype=bool)
            for mid in allowed_ids:
                pos = self.position.get(mid)
                if pos is not None:
                    allowed[pos] = True
            keep &= allowed
        if excluded_ids:
            keep &= self._included(excluded_ids)
        return keep

    def _included(self, excluded_ids: frozenset[str]) -> np.ndarray:
        """False at the rows of ``excluded_ids``; kept while the set and the rows stay the same
        (the store hands the same set object until validity or the data change)."""
        key = (id(excluded_ids), len(self.ids), getattr(self, "last_history_id", 0))
        cached = getattr(self, "_included_cache", None)
        if cached is not None and cached[0] == key and cached[1] is excluded_ids:
            return cached[2]
        included = np.ones(len(self.ids), dtype=bool)
        for mid in excluded_ids:
            pos = self.position.get(mid)
            if pos is not None:
                included[pos] = False
        self._included_cache = (key, excluded_ids, included)
        return included


@dataclass
class VectorIndex(RowFilter):
    """All vectors of one embedding model, held in memory for brute-force search.

    Kept fresh incrementally: every write to memories appends to ``history``, so the
    index remembers the last history id it has seen and applies only newer changes.
    """

    model: str
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    ids: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    alive: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    position: dict[str, int] = field(default_factory=dict)
    last_history_id: int = 0
    reindexed_at: str | None = None
    _ns_codes: np.ndarray | None = None
    _kind_codes: np.ndarray | None = None
    _ns_names: dict[str, int] = field(default_factory=dict)
    _kind_names: dict[str, int] = field(default_factory=dict)

    # -- loading -------------------------------------------------------------
    @classmethod
    def load(cls, conn: sqlite3.Connection, model: str) -> "VectorIndex":
        index = cls(model=model)
        # One consistent snapshot of memories + history (the caller's, if it is in a transaction).
        own = not conn.in_transaction
        if own:
            conn.execute("BEGIN")
        try:
            index.last_history_id, index.reindexed_at = _generation(conn)
            rows = conn.execute(
                "SELECT id, namespace, kind, embedding FROM memories "
                "WHERE embedding_model = ? AND embedding IS NOT NULL",
                (model,),
            ).fetchall()
        finally:
            if own:
                conn.execute("COMMIT")
        index._reset(rows)
        return index

    def _reset(self, rows: list[tuple[str, str, str, bytes]]) -> None:
        self.ids = [r[0] for r in rows]
        self.namespaces = [r[1] for r in rows]
        self.kinds = [r[2] for r in rows]
        if rows:
            self.matrix = np.frombuffer(b"".join(r[3] for r in rows), dtype="<f4").reshape(len(rows), -1).astype(np.float32, copy=True)
        else:
            self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.alive = np.ones(len(rows), dtype=bool)
        self.position = {mid: i for i, mid in enumerate(self.ids)}
        self._codes_dirty()

    def refresh(self, conn: sqlite3.Connection) -> None:
        """Apply changes recorded in history since the last load or refresh."""
        latest, reindexed_at = _generation(conn)
        if latest == self.last_history_id and reindexed_at == self.reindexed_at:
            return
        if reindexed_at != self.reindexed_at or latest < self.last_history_id or latest - self.last_history_id > 5000:
            fresh = VectorIndex.load(conn, self.model)
            self.__dict__.update(fresh.__dict__)
            return
        changed = {
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT memory_id FROM history WHERE id > ? AND id <= ?",
                (self.last_history_id, latest),
            )
        }
        self.last_history_id = latest
        for mid in changed:
            pos = self.position.pop(mid, None)
            if pos is not None:
                self.alive[pos] = False
        placeholders = ",".join("?" * len(changed))
        rows = conn.execute(
            f"SELECT id, namespace, kind, embedding FROM memories WHERE id IN ({placeholders}) "
            "AND embedding_model = ? AND embedding IS NOT NULL",
            (*changed, self.model),
        ).fetchall()
        if rows:
            new = np.frombuffer(b"".join(r[3] for r in rows), dtype="<f4").reshape(len(rows), -1)
            start = len(self.ids)
            self.matrix = new.astype(np.float32) if start == 0 else np.vstack([self.matrix, new])
            self.ids.extend(r[0] for r in rows)
            self.namespaces.extend(r[1] for r in rows)
            self.kinds.extend(r[2] for r in rows)
            self.alive = np.concatenate([self.alive, np.ones(len(rows), dtype=bool)])
            for i, r in enumerate(rows):
                self.position[r[0]] = start + i
        self._codes_dirty()
        if len(self.ids) > 1000 and (~self.alive).sum() > len(self.ids) // 5:
            self._compact()

    def _compact(self) -> None:
        keep = np.flatnonzero(self.alive)
        self.matrix = self.matrix[keep]
        self.ids = [self.ids[i] for i in keep]
        self.namespaces = [self.namespaces[i] for i in keep]
        self.kinds = [self.kinds[i] for i in keep]
        self.alive = np.ones(len(keep), dtype=bool)
        self.position = {mid: i for i, mid in enumerate(self.ids)}
        self._codes_dirty()

    # -- search --------------------------------------------------------------
    def top(self, query: np.ndarray, k: int, keep: np.ndarray | None = None) -> list[tuple[str, float]]:
        """The k ids with the highest cosine similarity (vectors are normalised)."""
        if not self.ids or k <= 0:
            return []
        if keep is None:
            keep = self.alive
        candidates = np.flatnonzero(keep)
        if candidates.size == 0:
            return []
        if candidates.size == len(self.ids):
            scores = self.matrix @ query
        else:
            scores = self.matrix[candidates] @ query if candidates.size < len(self.ids) // 4 else (self.matrix @ query)[candidates]
        k = min(k, scores.size)
        part = np.argpartition(-scores, k - 1)[:k]
        order = part[np.argsort(-scores[part], kind="stable")]
        positions = candidates[order]
        return [(self.ids[p], float(scores[o])) for p, o in zip(positions, order)]
