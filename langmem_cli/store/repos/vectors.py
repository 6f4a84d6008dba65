"""Re-embedding (``reindex``), the same on every backend: which memories need a vector of the
current model, and writing the new vectors (each backend's runner encodes them)."""

from __future__ import annotations

from typing import Any, Sequence

from langmem_cli.core.records import Memory
from langmem_cli.core.timestamps import now
from langmem_cli.store.repos.runner import Runner


class Vectors:
    def __init__(self, runner: Runner) -> None:
        self.db = runner

    def stale(self, model: str, force: bool = False) -> list[str]:
        """Ids of the memories without a vector of ``model`` (every memory with ``force``), in
        insertion order."""
        cond = "1 = 1" if force else "embedding_model IS NULL OR embedding_model <> ? OR embedding IS NULL"
        return [r[0] for r in self.db.query(
            self.db.sql(f"SELECT id FROM memories WHERE {cond} ORDER BY {self.db.insertion_order}"),
            [] if force else [model])]

    def write(self, model: str, memories: Sequence[Memory], vectors: Sequence[Any]) -> None:
        """The memories' new vectors and the time of the reindex, in one transaction."""
        with self.db.transaction():
            self.db.executemany(self.db.sql("UPDATE memories SET embedding_model = ?, embedding = ? WHERE id = ?"),
                                [(model, self.db.vector(v), m.id) for m, v in zip(memories, vectors)])
            self.db.execute(self.db.sql("INSERT INTO meta (key, value) VALUES ('reindexed_at', ?) "
                                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value"), (now(),))
