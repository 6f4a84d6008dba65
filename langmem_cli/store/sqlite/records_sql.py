"""Rows <-> records, and the WHERE clause shared by list, count, search and delete."""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator

from sqlite_utils.utils import chunks

from langmem_cli.core.filters import filter_candidates
from langmem_cli.core.namespaces import like_pattern, validate
from langmem_cli.core.records import HistoryEntry, Memory

MEMORY_COLUMNS = (
    "id, namespace, kind, content, text, content_hash, created_at, updated_at, source, metadata, embedding_model, "
    "valid_from, valid_until, superseded_by"
)
HISTORY_COLUMNS = "id, memory_id, namespace, action, before, after, at, run_id, source"


def row_to_memory(row: tuple) -> Memory:
    return Memory(
        id=row[0],
        namespace=row[1],
        kind=row[2],
        content=json.loads(row[3]),
        text=row[4],
        content_hash=row[5],
        created_at=row[6],
        updated_at=row[7],
        source=row[8],
        metadata=json.loads(row[9]) if row[9] else {},
        embedding_model=row[10],
        valid_from=row[11],
        valid_until=row[12],
        superseded_by=row[13],
    )


def row_to_history(row: tuple) -> HistoryEntry:
    return HistoryEntry(
        id=row[0],
        memory_id=row[1],
        namespace=row[2],
        action=row[3],
        before=json.loads(row[4]) if row[4] else None,
        after=json.loads(row[5]) if row[5] else None,
        at=row[6],
        run_id=row[7],
        source=row[8],
    )


def json_path(field: str) -> str:
    return "$" + "".join('."' + part.replace('"', '\\"') + '"' for part in field.split("."))


def where_clause(
    namespace: str | None = None,
    prefix: str | None = None,
    kinds: list[str] | None = None,
    filters: list[tuple[str, Any]] | None = None,
    alias: str = "",
    moment: str | None = None,
) -> tuple[str, list[Any]]:
    """SQL condition (without WHERE) and parameters for the common filters; ``moment``: only
    memories valid then (``core.timestamps.moment_for``; None = every memory)."""
    col = (alias + ".") if alias else ""
    parts: list[str] = []
    params: list[Any] = []
    if namespace is not None:
        validate(namespace)
        parts.append(f"{col}namespace = ?")
        params.append(namespace)
    if prefix is not None:
        prefix = prefix.rstrip("/")
        validate(prefix)
        parts.append(f"({col}namespace = ? OR {col}namespace LIKE ? ESCAPE '\\')")
        params.extend([prefix, like_pattern(prefix)])
    if kinds:
        parts.append(f"{col}kind IN ({','.join('?' * len(kinds))})")
        params.extend(kinds)
    for field, value in filters or []:
        path = json_path(field)
        values = filter_candidates(value)
        marks = ",".join("?" * len(values))
        parts.append(f"(json_extract({col}content, ?) IN ({marks}) OR json_extract({col}metadata, ?) IN ({marks}))")
        params.extend([path, *values, path, *values])
    if moment is not None:
        parts.append(VALID_AT.format(col=col))
        params.extend([moment, moment])
    return (" AND ".join(parts) or "1"), params


def in_batches(values: Iterable[Any], size: int = 500) -> Iterator[tuple[list[Any], str]]:
    """(batch, "?,?,…") for ``IN (…)`` queries, at most ``size`` values a batch (sqlite_utils' chunks)."""
    for chunk in chunks(list(values), size):
        batch = list(chunk)
        yield batch, ",".join("?" * len(batch))


VALID_AT = "({col}valid_from IS NULL OR {col}valid_from <= ?) AND ({col}valid_until IS NULL OR {col}valid_until > ?)"
# Memories not valid at a moment: few (expired or future ones), found through the m010 indexes.
NOT_VALID_AT = "SELECT id FROM memories WHERE valid_until <= ? UNION SELECT id FROM memories WHERE valid_from > ?"
