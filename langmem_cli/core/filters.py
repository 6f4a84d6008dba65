"""``--filter field=value`` on content or metadata: parsing, shared by the CLI and every backend."""

from __future__ import annotations

import json
from typing import Any, Iterable

from langmem_cli.errors import UsageError


def parse_filter_value(value: str) -> Any:
    """``3`` -> 3, ``true`` -> 1 (as SQLite's JSON stores it), anything else stays a string."""
    if value in ("true", "false"):
        return 1 if value == "true" else 0
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    return parsed if isinstance(parsed, (int, float)) and not isinstance(parsed, bool) else value


def parse_filters(items: Iterable[str]) -> list[tuple[str, Any]]:
    out = []
    for item in items:
        if "=" not in item:
            raise UsageError(f"invalid filter {item!r}: use field=value")
        key, value = item.split("=", 1)
        key = key.strip()
        if not key or not all(part for part in key.split(".")):
            raise UsageError(f"invalid filter {item!r}: empty field name")
        # Kept as typed: where_clause matches the text itself or its parsed value, so that
        # `a=1` finds both content {"a": 1} and metadata {"a": "1"} (metadata from the CLI is text).
        out.append((key, value))
    return out


def filter_candidates(value: Any) -> list[Any]:
    """The values a filter matches: a string as is and as parsed (``3`` -> "3" and 3)."""
    if isinstance(value, str):
        parsed = parse_filter_value(value)
        return [value] if parsed == value else [value, parsed]
    return [value]
