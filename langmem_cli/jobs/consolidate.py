"""Consolidation for nightly cron: cluster related memories, one LLM call per changed cluster,
one transaction per cluster. Incremental and safe to run from cron (a lock per database)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ContextManager, NamedTuple

import numpy as np

from langmem_cli.core.clustering import cluster
from langmem_cli.core.consolidation import consolidate_cluster
from langmem_cli.core.extraction import Existing, Operation
from langmem_cli.core.index_text import KEY as INDEX_TEXT
from langmem_cli.core.index_text import joined
from langmem_cli.core.llm import ConfigurationError, LLMError, Usage
from langmem_cli.core.schemas import BUILTIN, Schema
from langmem_cli.errors import ConnectionLostError, LangmemError, NotFoundError


class Candidate(NamedTuple):
    """A memory consolidation may cluster, with its vector and the content hash it had when
    consolidation last considered it (None: never)."""

    id: str
    kind: str
    content: Any
    text: str
    content_hash: str
    metadata: dict[str, Any]
    updated_at: str
    vector: np.ndarray
    marked_hash: str | None


def run_lock(db_path: Path) -> ContextManager[None]:
    """The consolidate lock of a SQLite file (``Store.run_lock`` is the backend-neutral one)."""
    from langmem_cli.store.sqlite.db import file_lock

    return file_lock(db_path, "consolidate")


PARK_AFTER = 2  # a cluster that failed this many runs is parked (not re-sent every night) until it changes


def cluster_key(members) -> str:
    """A cluster as it is now (ids and content hashes): a change to any member makes a new key."""
    import hashlib

    return hashlib.sha256("|".join(sorted(f"{r.id}:{r.content_hash}" for r in members)).encode()).hexdigest()[:32]


def _carry_evidence(ops: list[Operation], members) -> None:
    """A model's merge keeps the provenance of what it folds in: the evidence (and index text) of
    the memories it deletes goes to the memories it writes (updates and inserts) in the same reply."""
    evidence = {r.id: (r.metadata or {}).get("evidence") or [] for r in members}
    words = {r.id: (r.metadata or {}).get(INDEX_TEXT) for r in members}
    deleted = [op.id for op in ops if op.action == "delete"]
    dropped = [e for i in deleted for e in evidence.get(i, [])]
    if not dropped and not any(words.get(i) for i in deleted):
        return
    for op in ops:
        if op.action in ("update", "insert"):
            own = list(evidence.get(op.id, [])) if op.id else []
            op.metadata = {**(op.metadata or {}), "evidence": own + [e for e in dropped if e not in own]}
            found_by = joined(words.get(op.id) if op.id else None, *(words.get(i) for i in deleted))
            if found_by:  # and the words they were found by
                op.metadata[INDEX_TEXT] = found_by


def _settle(store, namespace: str, marks: dict[str, str], report: "ConsolidateReport", opts: "ConsolidateOptions",
            progress: Callable[["ClusterResult"], None] | None) -> None:
    """No model: a later memory that changes an earlier one closes it (jobs/updates.py), before
    clustering; contradictions nothing settles are reported once (a mark in their metadata)."""
    from langmem_cli.jobs.updates import settle_namespace

    ops, contradictions, marking = settle_namespace(store, namespace, marks, lambda m: left_alone(m.kind, m.metadata))
    if not ops and not contradictions:
        return
    # every operation settle_namespace proposes names its memory (a close) or the row it adds
    result = ClusterResult(namespace, [op.id or op.row_id or "" for op in ops], "pending", ops, contradictions=contradictions)
    report.results.append(result)
    if opts.dry_run:
        result.status = "dry-run"
    else:
        store.apply_operations(namespace, ops + marking, "consolidate")
        result.status = "applied" if ops else "unchanged"
    if progress:
        progress(result)


def _reported(members, a: str, b: str) -> bool:
    """Whether a contradiction between memories ``a`` and ``b`` was reported before (marked)."""
    meta = {r.id: r.metadata or {} for r in members}
    return b in (meta.get(a, {}).get("contradicts") or []) or a in (meta.get(b, {}).get("contradicts") or [])


def _offline(store, namespace: str, members, result: "ClusterResult", opts: "ConsolidateOptions") -> None:
    """No model: near-duplicates merged deterministically; possible contradictions reported once
    (marked in the newer memory's metadata), left as they are."""
    from langmem_cli.core.dedup import Member, merge_cluster

    found = merge_cluster([Member(r.id, r.kind, r.content, r.text, r.metadata or {}) for r in members])
    result.operations = found.operations
    result.contradictions = [c for c in found.contradictions if not _reported(members, c[0], c[1])]
    if opts.dry_run:
        result.status = "dry-run"
        return
    # members of a possible contradiction stay unmarked: a run with a model sends their cluster
    open_ids = {i for a, b, _ in found.contradictions for i in (a, b)}
    marked = [r for r in members if r.id not in open_ids]
    rows = {r.id: r for r in members}
    touched = {op.id for op in found.operations}
    marking = []
    for a, b, _ in result.contradictions:
        if b in touched or a in touched:
            continue
        r = rows[b]
        marking.append(Operation("update", r.kind, r.content, b, metadata={
            "contradicts": sorted({*((r.metadata or {}).get("contradicts") or []), a})}))
    store.apply_operations(namespace, found.operations + marking, "consolidate",
                           on_commit=lambda res, m=marked: _mark(store, m, res))
    if marking:
        store.unmark_consolidated(sorted(open_ids))
    result.status = "applied" if found.operations else "unchanged"


@dataclass
class ConsolidateOptions:
    namespace: str | None = None
    prefix: str | None = None
    all: bool = False
    instructions: str | None = None
    dry_run: bool = False
    full: bool = False
    threshold: float = 0.75
    max_cluster: int = 8
    max_llm_calls: int | None = None
    retries: int = 2


@dataclass
class ClusterResult:
    namespace: str
    ids: list[str]
    status: str  # applied | unchanged | failed | pending | dry-run
    operations: list[Operation] = field(default_factory=list)
    error: str | None = None
    contradictions: list[tuple[str, str, str]] = field(default_factory=list)  # offline: left for a model run

    def to_dict(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "ids": self.ids, "status": self.status,
                "operations": [o.to_dict() for o in self.operations], "error": self.error,
                "contradictions": [{"ids": [a, b], "why": why} for a, b, why in self.contradictions]}


@dataclass
class ConsolidateReport:
    namespaces: list[str] = field(default_factory=list)
    memories: int = 0
    clusters: int = 0  # clusters found
    clean: int = 0  # clusters with nothing new since the last run (not sent)
    results: list[ClusterResult] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    seconds_clustering: float = 0.0
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def ops(self, action: str) -> int:
        return sum(1 for r in self.results if r.status in ("applied", "dry-run") for o in r.operations
                   if ("delete" if o.action == "supersede" else o.action) == action)  # closed

    def summary(self) -> dict[str, Any]:
        return {
            "namespaces": len(self.namespaces), "memories": self.memories, "clusters": self.clusters,
            "unchanged_since_last_run": self.clean,
            "sent": len(self.results) - self.count("pending") - self.count("parked"),
            "inserted": self.ops("insert"), "updated": self.ops("update"), "deleted": self.ops("delete"),
            "failed": self.count("failed"), "parked": self.count("parked"), "pending": self.count("pending"),
            "contradictions": sum(len(r.contradictions) for r in self.results), **self.usage.to_dict(),
            "seconds_clustering": round(self.seconds_clustering, 2), "seconds": round(self.seconds, 2),
        }

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "clusters": [r.to_dict() for r in self.results]}


def is_profile(kind: str, metadata: dict[str, Any]) -> bool:
    return kind == "profile" or bool(metadata.get("profile"))


def left_alone(kind: str, metadata: dict[str, Any]) -> bool:
    """Never merged nor closed by consolidation: profiles (updated in place) and turns (episodes, kept
    word for word: what was said stays said)."""
    from langmem_cli.core.episodes import KIND

    return kind == KIND or is_profile(kind, metadata)


def scope_namespaces(store, opts: ConsolidateOptions) -> list[str]:
    if opts.namespace:
        names = [n for n, _ in store.namespaces() if n == opts.namespace]
        if not names:
            raise NotFoundError(f"no memories in namespace {opts.namespace}")
        return names
    names = [n for n, _ in store.namespaces(opts.prefix)]
    if opts.prefix and not names:
        raise NotFoundError(f"no namespace under {opts.prefix}")
    return names


def run_consolidate(store, client, opts: ConsolidateOptions, schemas: dict[str, Schema] | None = None,
                    progress: Callable[[ClusterResult], None] | None = None) -> ConsolidateReport:
    report = ConsolidateReport()
    started = time.perf_counter()
    schemas = dict(schemas or {})
    report.namespaces = scope_namespaces(store, opts)
    calls_left = opts.max_llm_calls
    for namespace in report.namespaces:
        t = time.perf_counter()
        marks = store.consolidation_marks(namespace)
        if client is None:
            _settle(store, namespace, marks, report, opts, progress)
        rows = [Candidate(m.id, m.kind, m.content, m.text, m.content_hash, m.metadata, m.updated_at, vector,
                          marks.get(m.id))
                for m, vector in store.embedded(namespace) if not left_alone(m.kind, m.metadata)]
        report.memories += len(rows)
        groups = cluster(np.stack([r.vector for r in rows]), opts.threshold, opts.max_cluster) if len(rows) > 1 else []
        report.clusters += len(groups)
        report.seconds_clustering += time.perf_counter() - t
        seen: list[tuple[str, str]] = []  # (id, hash) of memories considered in this namespace
        for group in groups:
            members = [rows[i] for i in group]
            if not opts.full and all(r.marked_hash == r.content_hash for r in members):
                report.clean += 1
                continue
            result = ClusterResult(namespace, [r.id for r in members], "pending")
            report.results.append(result)
            key = cluster_key(members)
            if client is None:
                _offline(store, namespace, members, result, opts)
                if progress:
                    progress(result)
                continue
            mark = store.cluster_failures(key)
            if mark and mark["parked"] and not opts.full:
                result.status, result.error = "parked", f"failed {mark['failures']} times: {mark['last_error']}"
                continue
            if calls_left is not None and calls_left <= 0:
                continue
            existing = [Existing(r.id, r.kind, r.content, r.text) for r in members]
            kinds = {r.kind for r in members}
            cluster_schemas = {k: s for k in kinds if (s := schemas.get(k) or BUILTIN.get(k))}
            usage = Usage()
            try:
                ops = consolidate_cluster(client, existing, {r.id: r.updated_at for r in members}, cluster_schemas,
                                          instructions=opts.instructions, retries=opts.retries, usage=usage)
                _carry_evidence(ops, members)
                result.operations = ops
                if opts.dry_run:
                    result.status = "dry-run"
                else:
                    store.apply_operations(namespace, ops, "consolidate",
                                           on_commit=lambda res, m=members: _mark(store, m, res))
                    result.status = "applied" if ops else "unchanged"
            except (ConfigurationError, ConnectionLostError):
                raise
            except (LLMError, LangmemError, ValueError) as exc:
                result.status, result.error, result.operations = "failed", str(exc), []
                if not opts.dry_run and store.record_cluster_failure(key, namespace, str(exc), PARK_AFTER):
                    result.error += f" (parked after {PARK_AFTER} failures: not sent again until it changes)"
            finally:
                report.usage.merge(usage)
                if calls_left is not None:
                    calls_left -= usage.calls
            if progress:
                progress(result)
        if not opts.dry_run:
            # Memories in no cluster count as considered too: a later newcomer similar to one of
            # them makes its cluster changed again.
            in_groups = {i for g in groups for i in g}
            seen = [(r.id, r.content_hash) for i, r in enumerate(rows) if i not in in_groups and r.marked_hash != r.content_hash]
            if seen:
                store.mark_consolidated(seen)
    report.seconds = time.perf_counter() - started
    return report


def _mark(store, members, result) -> None:
    kept = [(r.id, r.content_hash) for r in members if r.id not in {m.id for m in result["deleted"]}
            and r.id not in {m.id for m in result["updated"]}]
    fresh = [(m.id, m.content_hash) for m in result["inserted"] + result["updated"]]
    store.mark_consolidated(kept + fresh)
    store.unmark_consolidated([m.id for m in result["deleted"]])
