"""Rows <-> records, and the WHERE clause shared by list, count, search and delete (PostgreSQL).

Scope semantics are SQLite's exactly: ``namespace`` is one namespace; ``prefix`` is the namespace
itself and everything below it segment-wise (``foo`` covers ``foo`` and ``foo/x``, never
``foobar``). The prefix is a byte range on the C-collated column (``foo/`` <= ns < ``foo0``,
'0' being the byte after '/'), which the b-tree index serves and in which ``_`` and ``%`` are
plain characters: no LIKE.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

from langmem_cli.core.filters import filter_candidates
from langmem_cli.core.namespaces import validate
from langmem_cli.core.records import HistoryEntry, Memory
from langmem_cli.core.timestamps import moment_for

MEMORY_COLUMNS = (
    "id, namespace, kind, content, text, content_hash, created_at, updated_at, source, metadata, "
    "embedding_model, valid_from, valid_until, superseded_by"
)
HISTORY_COLUMNS = "id, memory_id, namespace, action, before, after, at, run_id, source"


def row_to_memory(row: tuple) -> Memory:
    return Memory(
        id=row[0], namespace=row[1], kind=row[2], content=json.loads(row[3]), text=row[4], content_hash=row[5],
        created_at=row[6], updated_at=row[7], source=row[8], metadata=json.loads(row[9]) if row[9] else {},
        embedding_model=row[10], valid_from=row[11], valid_until=row[12], superseded_by=row[13],
    )


def row_to_history(row: tuple) -> HistoryEntry:
    return HistoryEntry(
        id=row[0], memory_id=row[1], namespace=row[2], action=row[3],
        before=json.loads(row[4]) if row[4] else None, after=json.loads(row[5]) if row[5] else None,
        at=row[6], run_id=row[7], source=row[8],
    )


def scope_clause(namespace: str | None = None, prefix: str | None = None, col: str = "namespace") -> tuple[list[str], list[Any]]:
    parts: list[str] = []
    params: list[Any] = []
    if namespace is not None:
        validate(namespace)
        parts.append(f"{col} = %s")
        params.append(namespace)
    if prefix is not None:
        prefix = prefix.rstrip("/")
        validate(prefix)
        parts.append(f"({col} = %s OR ({col} >= %s AND {col} < %s))")
        params.extend([prefix, prefix + "/", prefix + "0"])
    return parts, params


def _json_candidates(value: Any) -> list[str]:
    """jsonb literals a filter value matches, as SQLite's json_extract compares: a JSON true is
    1 there and false 0, so the number 1 also matches true."""
    out: list[str] = []
    for candidate in filter_candidates(value):
        out.append(json.dumps(candidate))
        if isinstance(candidate, (int, float)) and not isinstance(candidate, bool) and candidate in (0, 1):
            out.append("true" if candidate == 1 else "false")
    return list(dict.fromkeys(out))


def where_clause(
    namespace: str | None = None,
    prefix: str | None = None,
    kinds: list[str] | None = None,
    filters: list[tuple[str, Any]] | None = None,
    as_of: str | None = None,
    include_expired: bool = False,
    alias: str = "",
) -> tuple[str, list[Any]]:
    """SQL condition (without WHERE) and its parameters for the common filters and validity:
    memories valid now, at ``as_of``, or all with ``include_expired`` (``moment_for``, as SQLite)."""
    return where_at(namespace, prefix, kinds, filters, moment_for(as_of, include_expired), alias)


def where_at(
    namespace: str | None = None,
    prefix: str | None = None,
    kinds: list[str] | None = None,
    filters: list[tuple[str, Any]] | None = None,
    moment: str | None = None,
    alias: str = "",
) -> tuple[str, list[Any]]:
    """As ``where_clause``, for memories valid at ``moment`` (None: every memory)."""
    col = (alias + ".") if alias else ""
    parts, params = scope_clause(namespace, prefix, col + "namespace")
    if kinds:
        parts.append(f"{col}kind = ANY(%s)")
        params.append(list(kinds))
    for field, value in filters or []:
        path = field.split(".")
        candidates = _json_candidates(value)
        parts.append(
            f"(({col}content::jsonb #> %s::text[]) = ANY(%s::jsonb[]) "
            f"OR ({col}metadata::jsonb #> %s::text[]) = ANY(%s::jsonb[]))"
        )
        params.extend([path, candidates, path, candidates])
    if moment is not None:
        parts.append(f"({col}valid_from IS NULL OR {col}valid_from <= %s) AND ({col}valid_until IS NULL OR {col}valid_until > %s)")
        params.extend([moment, moment])
    return (" AND ".join(parts) or "TRUE"), params


class Vector:
    """A float32 vector sent to the server in pgvector's binary form (see register_vector)."""

    __slots__ = ("values",)

    def __init__(self, values: Any):
        self.values = np.asarray(values, dtype=">f4").ravel()


def register_vector(conn) -> None:
    """Binary dumper for Vector and a text loader (-> numpy float32) for the ``vector`` type."""
    from psycopg.adapt import Dumper, Loader
    from psycopg.pq import Format
    from psycopg.types import TypeInfo

    info = TypeInfo.fetch(conn, "vector")
    if info is None:
        return

    class VectorDumper(Dumper):
        format = Format.BINARY
        oid = info.oid

        def dump(self, obj: Vector) -> bytes:
            return struct.pack(">HH", obj.values.size, 0) + obj.values.tobytes()

    class VectorLoader(Loader):
        def load(self, data) -> np.ndarray:
            text = bytes(data)[1:-1]
            return np.array(text.split(b","), dtype=np.float32) if text else np.zeros(0, dtype=np.float32)

    conn.adapters.register_dumper(Vector, VectorDumper)
    conn.adapters.register_loader(info.oid, VectorLoader)
