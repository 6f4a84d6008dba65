"""Store methods for grounded extraction and consolidation (issue 11): run counts, the failures of
consolidation clusters (parking), the nearest memory of a namespace. Mixed into ``SQLiteStore``."""

from __future__ import annotations

from typing import Any

from langmem_cli.core.render import canonical_json
from langmem_cli.core.timestamps import now as _now


class GroundingMarks:
    """Needs ``transaction()``, ``db`` (sqlite_utils) and ``vector_index()`` of the Store."""

    def record_run_counts(self, run_id: str | None, counts: dict[str, Any]) -> None:
        """Keep a run's summary counts (and the grounding gate's rejections) in ``runs``."""
        if not run_id:
            return
        keep = {k: v for k, v in counts.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        with self.transaction():
            self.db["runs"].update(run_id, {"rejected": int(counts.get("rejected") or 0), "counts": canonical_json(keep)})

    # consolidation clusters that failed: counted, and parked after PARK_AFTER failures
    def cluster_failures(self, cluster: str) -> dict[str, Any] | None:
        rows = list(self.db["consolidate_marks"].rows_where("cluster = ?", [cluster]))
        return rows[0] if rows else None

    def record_cluster_failure(self, cluster: str, namespace: str, error: str, park_after: int) -> bool:
        """Count one more failure of a cluster; True when it is now parked (not sent again until it changes)."""
        with self.transaction():  # read and write in one transaction: two runs count both failures
            before = self.cluster_failures(cluster)
            failures = (before["failures"] if before else 0) + 1
            parked = failures >= park_after
            self.db["consolidate_marks"].upsert({"cluster": cluster, "namespace": namespace, "failures": failures,
                                                 "last_error": error[:500], "parked": int(parked), "at": _now()},
                                                pk="cluster")
        return parked

    def clear_cluster_failures(self, cluster: str) -> None:
        with self.transaction():
            self.db["consolidate_marks"].delete_where("cluster = ?", [cluster])
