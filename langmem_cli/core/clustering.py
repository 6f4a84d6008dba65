"""Group memories into clusters of related ones by embedding similarity. Pure numpy.

Pairs with cosine >= threshold are linked and linked memories form a cluster (union-find), split
to at most ``max_size`` members. Small sets compare all pairs in blocks; large sets are first
partitioned by k-means (each vector placed in its two nearest cells, so pairs across a boundary
are still compared) and only pairs within a cell are compared: about n·cell_size work, not n².
"""

from __future__ import annotations

import numpy as np

ALL_PAIRS_LIMIT = 4000
CELL_SIZE = 400
BLOCK = 1024


class _UnionFind:
    def __init__(self, n: int):
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _link_all_pairs(vectors: np.ndarray, members: np.ndarray, threshold: float, uf: _UnionFind,
                    best: np.ndarray) -> None:
    sub = vectors[members]
    for start in range(0, len(members), BLOCK):
        sims = sub[start:start + BLOCK] @ sub.T
        rows, cols = np.nonzero(sims >= threshold)
        for r, c in zip(rows, cols):
            a, b = members[start + r], members[c]
            if a < b:
                uf.union(int(a), int(b))
                s = float(sims[r, c])
                best[a] = max(best[a], s)
                best[b] = max(best[b], s)


def kmeans(vectors: np.ndarray, k: int, iterations: int = 8, seed: int = 0) -> np.ndarray:
    """Centroids (k × d) of normalised vectors, by spherical k-means."""
    rng = np.random.default_rng(seed)
    centroids = vectors[rng.choice(len(vectors), size=k, replace=False)].copy()
    for _ in range(iterations):
        assign = np.argmax(vectors @ centroids.T, axis=1)
        for c in range(k):
            members = vectors[assign == c]
            if len(members):
                v = members.sum(axis=0)
                centroids[c] = v / max(np.linalg.norm(v), 1e-12)
    return centroids


def cluster(vectors: np.ndarray, threshold: float = 0.8, max_size: int = 8, seed: int = 0) -> list[list[int]]:
    """Clusters (lists of row indices, 2..max_size members) of related vectors; singletons left out."""
    n = len(vectors)
    if n < 2:
        return []
    vectors = np.asarray(vectors, dtype=np.float32)
    uf = _UnionFind(n)
    best = np.full(n, -1.0)
    if n <= ALL_PAIRS_LIMIT:
        _link_all_pairs(vectors, np.arange(n), threshold, uf, best)
    else:
        k = max(2, n // CELL_SIZE)
        centroids = kmeans(vectors, k, seed=seed)
        scores = vectors @ centroids.T
        top2 = np.argpartition(-scores, 1, axis=1)[:, :2]
        for c in range(k):
            members = np.flatnonzero((top2 == c).any(axis=1))
            if len(members) > 1:
                _link_all_pairs(vectors, members, threshold, uf, best)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        if best[i] >= threshold:
            groups.setdefault(uf.find(i), []).append(i)
    clusters: list[list[int]] = []
    for group in groups.values():
        if len(group) <= max_size:
            clusters.append(group)
            continue
        # Too big: split greedily around seeds, each member joining its most similar seed.
        remaining = list(group)
        while remaining:
            seed_i = remaining[0]
            sims = vectors[remaining] @ vectors[seed_i]
            order = [remaining[j] for j in np.argsort(-sims)]
            piece, remaining = order[:max_size], order[max_size:]
            if len(piece) > 1:
                clusters.append(sorted(piece))
    return [sorted(c) for c in clusters]
