"""Content of a memory -> the text that is indexed, and its content hash."""

from __future__ import annotations

import hashlib
import json
from typing import Any

TEXT_KINDS = ("memory", "turn")  # free text stored as {"content": text}; "turn": core/episodes.py


def canonical_json(value: Any) -> str:
    """The stored form. NaN and Infinity raise ValueError: they are not JSON, and strict parsers
    would reject what export and get print."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def content_hash(kind: str, content: Any) -> str:
    return hashlib.sha256(f"{kind}\n{canonical_json(content)}".encode("utf-8")).hexdigest()


def _flatten(value: Any, prefix: str, out: list[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            if value:
                out.append(f"{prefix}: " + ", ".join(_scalar(v) for v in value) if prefix else ", ".join(_scalar(v) for v in value))
        else:
            for item in value:
                _flatten(item, prefix, out)
    elif value is not None and value != "":
        out.append(f"{prefix}: {_scalar(value)}" if prefix else _scalar(value))


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def render(kind: str, content: Any) -> str:
    """Text for search and embedding: free text as is, structured content as ``key: value`` lines."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict) and set(content) == {"content"} and isinstance(content["content"], str):
        return content["content"]
    lines: list[str] = []
    _flatten(content, "", lines)
    return "\n".join(lines)


def normalize_content(kind: str, content: Any) -> Any:
    """Free-text kinds store ``{"content": text}`` (LangMem's Memory shape)."""
    if kind in TEXT_KINDS and isinstance(content, str):
        return {"content": content}
    return content
