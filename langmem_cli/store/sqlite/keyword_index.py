"""An in-memory BM25 index that ranks exactly like SQLite FTS5's ``bm25()``, for warm processes.

FTS5 scores every matching row before it sorts, which costs ~2 µs a match: tens of ms when a
query matches 10k+ memories. Here the postings live in numpy arrays and a query is a few
vectorised operations. Tokens come from FTS5 itself (its ``fts5vocab`` instance table, and an
in-memory FTS5 table with the same ``porter`` tokenizer for new texts and queries), so the terms,
and hence the scores, are the same. Kept fresh from ``history`` like the vector index.
"""

from __future__ import annotations

import itertools
import sqlite3
from dataclasses import dataclass, field

import numpy as np

from langmem_cli.core.keywords import discriminating
from langmem_cli.store.sqlite.records_sql import in_batches
from langmem_cli.store.sqlite.vectors import RowFilter, _generation

K1 = 1.2
B = 0.75


class Tokenizer:
    """FTS5's porter/unicode61 tokenizer, through a private in-memory FTS5 table."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        self.conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter')")
        self.conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")

    def tokens(self, texts: list[str]) -> list[tuple[str, int]]:
        """(term, index of the text) for every token of every text."""
        with self.conn:
            self.conn.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", enumerate(texts))
            rows = self.conn.execute("SELECT term, doc FROM v").fetchall()
            self.conn.execute("DELETE FROM t")
        return rows


@dataclass
class KeywordIndex(RowFilter):
    ids: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    alive: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    position: dict[str, int] = field(default_factory=dict)
    lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    postings: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    last_history_id: int = 0
    reindexed_at: str | None = None
    tokenizer: Tokenizer = field(default_factory=Tokenizer)
    _ns_codes: np.ndarray | None = None
    _kind_codes: np.ndarray | None = None
    _ns_names: dict[str, int] = field(default_factory=dict)
    _kind_names: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> "KeywordIndex":
        index = cls()
        own = not conn.in_transaction
        if own:
            conn.execute("BEGIN")
        try:
            index.last_history_id, index.reindexed_at = _generation(conn)
            rows = conn.execute("SELECT rowid, id, namespace, kind FROM memories ORDER BY rowid").fetchall()
            # One row per term, its documents joined by SQLite (fts5vocab returns instances sorted
            # by term, so GROUP BY needs no sort): ~10x faster than a Python loop over instances.
            grouped = conn.execute("SELECT term, group_concat(doc) FROM memories_fts_instance GROUP BY term").fetchall()
        finally:
            if own:
                conn.execute("COMMIT")
        index.ids = [r[1] for r in rows]
        index.namespaces = [r[2] for r in rows]
        index.kinds = [r[3] for r in rows]
        index.alive = np.ones(len(rows), dtype=bool)
        index.position = {mid: i for i, mid in enumerate(index.ids)}
        index.postings, index.lengths = _postings(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
                                                  grouped)
        return index

    def _add(self, instances: list[tuple[str, int]]) -> None:
        """Add (term, position) token instances (sorted by term, as fts5vocab returns them)."""
        if not instances:
            return
        positions = np.fromiter((p for _, p in instances), dtype=np.int64, count=len(instances))
        self.lengths += np.bincount(positions, minlength=len(self.lengths)).astype(np.float32)
        for term, group in itertools.groupby(sorted(instances), key=lambda x: x[0]):
            docs, tf = np.unique(np.fromiter((p for _, p in group), dtype=np.int64), return_counts=True)
            old = self.postings.get(term)
            if old is None:
                self.postings[term] = (docs.astype(np.int32), tf.astype(np.float32))
            else:
                self.postings[term] = (np.concatenate([old[0], docs.astype(np.int32)]),
                                       np.concatenate([old[1], tf.astype(np.float32)]))

    def refresh(self, conn: sqlite3.Connection) -> None:
        latest, reindexed_at = _generation(conn)
        if latest == self.last_history_id:
            return
        if latest < self.last_history_id or latest - self.last_history_id > 5000 or (
            len(self.ids) > 1000 and (~self.alive).sum() > len(self.ids) // 5
        ):
            self.__dict__.update(KeywordIndex.load(conn).__dict__)
            return
        changed = [r[0] for r in conn.execute(
            "SELECT DISTINCT memory_id FROM history WHERE id > ? AND id <= ?", (self.last_history_id, latest))]
        self.last_history_id, self.reindexed_at = latest, reindexed_at
        for mid in changed:
            pos = self.position.pop(mid, None)
            if pos is not None:
                self.alive[pos] = False
        rows = []
        for chunk, marks in in_batches(changed):
            rows += conn.execute(f"SELECT id, namespace, kind, keyword_text FROM memories WHERE id IN ({marks})", chunk).fetchall()
        if not rows:
            return
        first = len(self.ids)
        self.ids.extend(r[0] for r in rows)
        self.namespaces.extend(r[1] for r in rows)
        self.kinds.extend(r[2] for r in rows)
        self.alive = np.concatenate([self.alive, np.ones(len(rows), dtype=bool)])
        self.lengths = np.concatenate([self.lengths, np.zeros(len(rows), dtype=np.float32)])
        for i, r in enumerate(rows):
            self.position[r[0]] = first + i
        self._add([(term, first + doc) for term, doc in self.tokenizer.tokens([r[3] for r in rows])])
        self._codes_dirty()

    def query_terms(self, words: list[str]) -> list[str]:
        """The FTS5 terms of the query words (stemmed like the index), without duplicates."""
        seen: dict[str, None] = {}
        for term, _ in sorted(self.tokenizer.tokens(words), key=lambda x: x[1]):
            seen.setdefault(term, None)
        return list(seen)

    def live_postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        entry = self.postings.get(term)
        if entry is None:
            return None
        docs, tf = entry
        live = self.alive[docs]
        return (docs[live], tf[live]) if live.any() else None

    def top(self, words: list[str], k: int, keep: np.ndarray, scoped: bool = False) -> list[tuple[str, float]]:
        """(id, -bm25) best first over the rows in ``keep``: FTS5's formula and statistics.
        ``scoped``: ``keep`` is a search's scope, whose too common terms are left out
        (``core.keywords.discriminating``, as the FTS5 path does)."""
        n_rows = int(self.alive.sum())
        if n_rows == 0 or k <= 0:
            return []
        avgdl = float(self.lengths[self.alive].sum()) / n_rows
        query = self.query_terms(words)
        postings = {term: entry for term in query if (entry := self.live_postings(term)) is not None}
        if scoped:  # a term with no postings counts as found in no memory, as on the FTS5 path
            in_scope = self.alive & keep
            df = {term: int(in_scope[docs].sum()) for term, (docs, _) in postings.items()}
            chosen = discriminating(query, df, int(in_scope.sum()))
            postings = {term: postings[term] for term in chosen if term in postings}
        scores = np.zeros(len(self.ids), dtype=np.float64)
        hit = np.zeros(len(self.ids), dtype=bool)
        for docs, tf in postings.values():
            idf = np.log((n_rows - docs.size + 0.5) / (docs.size + 0.5))
            if idf <= 0.0:
                idf = 1e-6
            dl = self.lengths[docs]
            scores += np.bincount(
                docs, weights=idf * (tf * (K1 + 1.0)) / (tf + K1 * (1.0 - B + B * dl / avgdl)), minlength=len(scores))
            hit[docs] = True
        candidates = np.flatnonzero(hit & keep)
        if candidates.size == 0:
            return []
        k = min(k, candidates.size)
        part = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        order = part[np.lexsort((part, -scores[part]))]
        return [(self.ids[p], float(scores[p])) for p in order]


def _postings(rowids: np.ndarray, grouped: list[tuple[str, str]]) -> tuple[dict, np.ndarray]:
    """term -> (positions, term frequencies), and the length of every document, from
    (term, "rowid,rowid,...") rows; ``rowids`` sorted, position i holds rowid ``rowids[i]``."""
    n = len(rowids)
    if not grouped or n == 0:
        return {}, np.zeros(n, dtype=np.float32)
    terms = [g[0] for g in grouped]
    counts = np.fromiter((g[1].count(",") + 1 for g in grouped), dtype=np.int64, count=len(grouped))
    docs = np.fromstring(",".join(g[1] for g in grouped), dtype=np.int64, sep=",")  # parsed in C
    term_of = np.repeat(np.arange(len(terms), dtype=np.int64), counts)
    if rowids[0] >= 0 and rowids[-1] < 8 * n + 1_000_000:
        lookup = np.full(int(rowids[-1]) + 2, -1, dtype=np.int64)  # rowid -> position; -1: no memory row
        lookup[rowids] = np.arange(n)
        pos = lookup[np.clip(docs, 0, len(lookup) - 1)]
    else:  # sparse rowids: binary search instead of a table
        pos = np.minimum(np.searchsorted(rowids, docs), n - 1)
        pos[rowids[pos] != docs] = -1
    known = pos >= 0  # an FTS row without a memory row cannot be searched
    keys = term_of[known] * n + pos[known]
    if keys.size and not np.all(keys[1:] >= keys[:-1]):
        keys.sort()
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if keys.size else np.zeros(0, dtype=np.int64)
    unique = keys[starts]
    tf = np.diff(np.append(starts, keys.size)).astype(np.float32)
    at = (unique % n).astype(np.int32)
    bounds = np.searchsorted(unique // n, np.arange(len(terms) + 1))
    postings = {terms[t]: (at[bounds[t]:bounds[t + 1]], tf[bounds[t]:bounds[t + 1]])
                for t in np.flatnonzero(bounds[1:] > bounds[:-1])}
    lengths = np.bincount(at, weights=tf, minlength=n).astype(np.float32)
    return postings, lengths

