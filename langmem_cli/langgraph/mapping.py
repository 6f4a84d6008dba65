"""LangGraph's names and filters in this project's terms: pure functions, no LangGraph import.

- A namespace tuple maps to a namespace path, one segment per label. A label's characters the
  path syntax allows (letters, digits, ``_ @ : + -``) are kept; every other byte of its UTF-8 form,
  ``=`` included, is written ``=XX`` (hex), so the mapping is lossless and reversible.
- A key maps to a memory id: a UUID 5 of (namespace, key), the same in every process.
- Filters: ``{"field": value}`` or ``{"field": {"$op": value}}``; ``field`` may be a dotted path
  into nested objects. A field an item lacks matches no operator, ``$ne`` included; numbers
  compare as numbers, strings as strings, and a value of another type never matches a comparison.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Iterable, Mapping, Sequence

KEEP = re.compile(r"[A-Za-z0-9_@:+\-]")
ESCAPE = re.compile(r"=([0-9A-F]{2})")
# A fixed UUID namespace for the ids of keys: uuid5(KEYS, "<namespace path>\n<key>").
KEYS = uuid.UUID("5b3c1f0e-6f7a-4c55-9d87-2a4f0c6e9b11")
OPERATORS = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte")
_MISSING = object()


def encode_label(label: str) -> str:
    out = []
    for ch in label:
        if KEEP.fullmatch(ch):
            out.append(ch)
        else:
            out.extend(f"={b:02X}" for b in ch.encode("utf-8"))
    return "".join(out)


def decode_label(segment: str) -> str:
    """The inverse of ``encode_label``; a segment written by others (no escapes) comes back as is."""
    if "=" not in segment:
        return segment
    raw = bytearray()
    i = 0
    while i < len(segment):
        match = ESCAPE.match(segment, i)
        if match:
            raw.append(int(match.group(1), 16))
            i = match.end()
        else:
            raw.extend(segment[i].encode("utf-8"))
            i += 1
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return segment


def to_path(namespace: Sequence[str]) -> str:
    return "/".join(encode_label(label) for label in namespace)


def to_tuple(path: str) -> tuple[str, ...]:
    return tuple(decode_label(segment) for segment in path.split("/"))


def key_id(path: str, key: str) -> str:
    return str(uuid.uuid5(KEYS, f"{path}\n{key}"))


# -- filters ---------------------------------------------------------------------------
def check_filter(filter: Mapping[str, Any] | None) -> None:
    """ValueError for a filter this store cannot evaluate (before anything is read)."""
    if filter is None:
        return
    if not isinstance(filter, Mapping):
        raise ValueError(f"filter must be a dict of field -> value, got {type(filter).__name__}")
    for field, condition in filter.items():
        if not isinstance(field, str) or not field or not all(field.split(".")):
            raise ValueError(f"invalid filter field {field!r}: a field name or a dotted path")
        if _is_operator_map(condition):
            for op, operand in condition.items():
                if op not in OPERATORS:
                    raise ValueError(f"unknown filter operator {op!r} on {field!r}: use {', '.join(OPERATORS)}")
                if op not in ("$eq", "$ne") and not _comparable(operand):
                    raise ValueError(f"filter {field!r} {op} needs a number or a string, got {operand!r}")


def _is_operator_map(condition: Any) -> bool:
    return isinstance(condition, Mapping) and any(isinstance(k, str) and k.startswith("$") for k in condition)


def _comparable(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))


def lookup(value: Any, field: str) -> Any:
    """The value at a dotted path, or ``_MISSING``."""
    current = value
    for part in field.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        else:
            return _MISSING
    return current


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1 and "1" is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if _comparable(a) and _comparable(b):
        return isinstance(a, str) == isinstance(b, str) and a == b
    return type(a) is type(b) and a == b


def _compare(actual: Any, op: str, operand: Any) -> bool:
    if actual is _MISSING:
        return False
    if op == "$eq":
        return _equal(actual, operand)
    if op == "$ne":
        return not _equal(actual, operand)
    if not _comparable(actual) or isinstance(actual, str) != isinstance(operand, str):
        return False  # a number against a string (or a list, null, ...) never compares
    if op == "$gt":
        return actual > operand
    if op == "$gte":
        return actual >= operand
    if op == "$lt":
        return actual < operand
    return actual <= operand


def _condition(actual: Any, condition: Any) -> bool:
    if _is_operator_map(condition):
        return all(_compare(actual, op, operand) for op, operand in condition.items())
    if isinstance(condition, Mapping) and condition:
        # a nested object: each of its fields must match (as LangGraph's in-memory store does)
        return actual is not _MISSING and isinstance(actual, Mapping) and all(
            _condition(lookup(actual, k), v) for k, v in condition.items())
    return _compare(actual, "$eq", condition)


def matches(value: Any, filter: Mapping[str, Any] | None) -> bool:
    return not filter or all(_condition(lookup(value, field), cond) for field, cond in filter.items())


def prefilter(filter: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    """The equality conditions the store can narrow by (a superset of the matches: its filter
    also accepts the value's text form and metadata fields); ``matches`` decides."""
    out = []
    for field, condition in (filter or {}).items():
        if _is_operator_map(condition):
            condition = condition.get("$eq", _MISSING)
        if _comparable(condition):
            out.append((field, condition))
    return out


# -- namespace listing -------------------------------------------------------------------
def condition_matches(kind: str, path: Sequence[str], namespace: tuple[str, ...]) -> bool:
    if len(namespace) < len(path):
        return False
    pairs = zip(namespace, path) if kind == "prefix" else zip(reversed(namespace), reversed(path))
    return all(p == "*" or n == p for n, p in pairs)


def list_namespaces(namespaces: Iterable[tuple[str, ...]], conditions: Iterable[Any] | None,
                    max_depth: int | None, limit: int, offset: int) -> list[tuple[str, ...]]:
    conditions = list(conditions or ())
    found = set()
    for ns in namespaces:
        if all(condition_matches(c.match_type, c.path, ns) for c in conditions):
            found.add(ns[:max_depth] if max_depth is not None else ns)
    return sorted(found)[offset:offset + limit]
