"""Grounded extraction and consolidation (issue 11) on PostgreSQL: run counts, failing
consolidation clusters (parked after a few failures), the nearest memory of a namespace.
A mixin of PostgresStore; the same behaviour as SQLite's ``grounding_marks``."""

from __future__ import annotations

from typing import Any

from langmem_cli.core.render import canonical_json
from langmem_cli.core.timestamps import now
from langmem_cli.store.postgres.clauses import Vector

MARK_COLUMNS = ("cluster", "namespace", "failures", "last_error", "parked", "at")


class GroundingMixin:
    def record_run_counts(self, run_id: str | None, counts: dict[str, Any]) -> None:
        if not run_id:
            return
        keep = {k: v for k, v in counts.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        with self.transaction():
            self.conn.execute("UPDATE runs SET rejected = %s, counts = %s WHERE id = %s",
                              (int(counts.get("rejected") or 0), canonical_json(keep), run_id))

    def cluster_failures(self, cluster: str) -> dict[str, Any] | None:
        rows = self._q(f"SELECT {', '.join(MARK_COLUMNS)} FROM consolidate_marks WHERE cluster = %s", (cluster,))
        return dict(zip(MARK_COLUMNS, rows[0])) if rows else None

    def record_cluster_failure(self, cluster: str, namespace: str, error: str, park_after: int) -> bool:
        """One more failure, counted in the database (two hosts failing the same cluster both count)."""
        with self.transaction():
            failures = self.conn.execute(
                "INSERT INTO consolidate_marks (cluster, namespace, failures, last_error, parked, at) "
                "VALUES (%s, %s, 1, %s, 0, %s) ON CONFLICT (cluster) DO UPDATE SET "
                "failures = consolidate_marks.failures + 1, namespace = excluded.namespace, "
                "last_error = excluded.last_error, at = excluded.at RETURNING failures",
                (cluster, namespace, error[:500], now())).fetchone()[0]
            parked = failures >= park_after
            self.conn.execute("UPDATE consolidate_marks SET parked = %s WHERE cluster = %s", (int(parked), cluster))
        return parked

    def clear_cluster_failures(self, cluster: str) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM consolidate_marks WHERE cluster = %s", (cluster,))

    def nearest(self, namespace: str, vectors, kinds: list[str] | None = None) -> list[tuple[str | None, float]]:
        """For each vector: the most similar memory of ``namespace`` (exact, as SQLite's in-memory
        index: any memory of the current model) and its inner product; (None, 0.0) when none."""
        from langmem_cli.store.postgres.clauses import where_clause
        from langmem_cli.store.postgres.search import exact_vector_ranking

        where, params = where_clause(namespace, kinds=kinds, include_expired=True)
        out: list[tuple[str | None, float]] = []
        for vector in vectors:
            top = exact_vector_ranking(self, Vector(vector), 1, where, params)
            out.append(top[0] if top else (None, 0.0))
        return out
