"""Grounded extraction and consolidation marks on PostgreSQL (issue 11), as on SQLite: a run's
counts, consolidation clusters that keep failing, and the nearest memory of a namespace. A mixin."""

from __future__ import annotations

from typing import Any

from langmem_cli.core.render import canonical_json
from langmem_cli.core.timestamps import now

MARK_COLUMNS = ("cluster", "namespace", "failures", "last_error", "parked", "at")


class GroundingMarksMixin:
    """Needs ``conn``, ``_q``, ``transaction()`` and ``embedding_model`` of PostgresStore."""

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
        with self.transaction():
            [(failures,)] = self.conn.execute(
                "INSERT INTO consolidate_marks (cluster, namespace, failures, last_error, parked, at) "
                "VALUES (%s, %s, 1, %s, 0, %s) ON CONFLICT (cluster) DO UPDATE SET "
                "failures = consolidate_marks.failures + 1, last_error = EXCLUDED.last_error, at = EXCLUDED.at "
                "RETURNING failures", (cluster, namespace, error[:500], now())).fetchall()
            parked = failures >= park_after
            if parked:
                self.conn.execute("UPDATE consolidate_marks SET parked = 1 WHERE cluster = %s", (cluster,))
        return parked

    def clear_cluster_failures(self, cluster: str) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM consolidate_marks WHERE cluster = %s", (cluster,))
