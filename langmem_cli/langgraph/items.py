"""Memories as LangGraph items: namespace and key checks, what is visible now, ``Item`` values.

An item's key, TTL and index choice ride in ``metadata["langgraph"]`` (``META``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, TypeGuard, overload

from langgraph.store.base import InvalidNamespaceError, Item, SearchItem

from langmem_cli.core.namespaces import MAX_LENGTH
from langmem_cli.core.records import Memory
from langmem_cli.langgraph import mapping

SOURCE = "langgraph"
KIND = "memory"
META = "langgraph"  # metadata key of the item's key, TTL and index choice


def bound(name: str, value: Any, low: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return value


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@overload
def namespace_path(namespace: tuple[str, ...], allow_empty: Literal[False] = False) -> str: ...
@overload
def namespace_path(namespace: tuple[str, ...], allow_empty: bool) -> str | None: ...
def namespace_path(namespace: tuple[str, ...], allow_empty: bool = False) -> str | None:
    """The namespace path of a tuple, checked as LangGraph checks it (InvalidNamespaceError)."""
    if not isinstance(namespace, tuple):
        namespace = tuple(namespace)
    if not namespace:
        if allow_empty:
            return None
        raise InvalidNamespaceError("Namespace cannot be empty.")
    for label in namespace:
        if not isinstance(label, str):
            raise InvalidNamespaceError(f"Invalid namespace label '{label}' found in {namespace}. Namespace "
                                        f"labels must be strings, but got {type(label).__name__}.")
        if not label:
            raise InvalidNamespaceError(f"Namespace labels cannot be empty strings. Got {label} in {namespace}")
        if "." in label:
            raise InvalidNamespaceError(f"Invalid namespace label '{label}' found in {namespace}. Namespace "
                                        "labels cannot contain periods ('.').")
        if "\x00" in label:
            raise InvalidNamespaceError(f"Invalid namespace label '{label}' found in {namespace}. Namespace "
                                        "labels cannot contain NUL bytes ('\\x00').")
    path = mapping.to_path(namespace)
    if len(path) > MAX_LENGTH:
        raise InvalidNamespaceError(f"namespace {namespace} is too long: {len(path)} characters once escaped, "
                                    f"at most {MAX_LENGTH}")
    return path


def check_key(key: Any) -> str:
    if not isinstance(key, str):
        raise ValueError(f"key must be a string, got {type(key).__name__}")
    if not key:
        raise ValueError("key must not be empty")
    return key


def key_of(memory: Memory) -> str:
    meta = memory.metadata.get(META) if isinstance(memory.metadata, dict) else None
    if isinstance(meta, dict) and isinstance(meta.get("key"), str):
        return meta["key"]
    return memory.id  # a memory made by the CLI or an extraction: its id is its key


def is_current(memory: Memory | None, moment: str) -> TypeGuard[Memory]:
    if memory is None:
        return False
    if memory.valid_until is not None and memory.valid_until <= moment:
        return False
    if memory.valid_from is not None and memory.valid_from > moment:
        return False
    meta = memory.metadata.get(META) if isinstance(memory.metadata, dict) else None
    expires = meta.get("expires_at") if isinstance(meta, dict) else None
    return not (isinstance(expires, str) and expires <= moment)


def is_indexed(memory: Memory) -> bool:
    meta = memory.metadata.get(META) if isinstance(memory.metadata, dict) else None
    return not (isinstance(meta, dict) and meta.get("index") is False)


def to_item(memory: Memory) -> Item:
    return Item(namespace=mapping.to_tuple(memory.namespace), key=key_of(memory), value=_value(memory),
                created_at=stamp(memory.created_at), updated_at=stamp(memory.updated_at))


def to_search_item(memory: Memory, score: float | None) -> SearchItem:
    return SearchItem(namespace=mapping.to_tuple(memory.namespace), key=key_of(memory), value=_value(memory),
                      created_at=stamp(memory.created_at), updated_at=stamp(memory.updated_at), score=score)


def _value(memory: Memory) -> dict[str, Any]:
    return memory.content if isinstance(memory.content, dict) else {"content": memory.content}


def is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def expiry(minutes: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(minutes=float(minutes))).isoformat(timespec="microseconds")
