"""Hierarchical namespaces written like paths: ``org/user_123/app``."""

from __future__ import annotations

import re

from langmem_cli.errors import UsageError

MAX_LENGTH = 255
_SEGMENT = re.compile(r"^[A-Za-z0-9_.@:+=-]+$")


def validate(namespace: str) -> str:
    """Return the namespace if it is valid, else raise a one-line UsageError."""
    if not isinstance(namespace, str) or not namespace:
        raise UsageError("invalid namespace '': it must not be empty")
    if len(namespace) > MAX_LENGTH:
        raise UsageError(f"invalid namespace: longer than {MAX_LENGTH} characters")
    for segment in namespace.split("/"):
        if not segment:
            raise UsageError(
                f"invalid namespace {namespace!r}: empty segment (no leading, trailing or double '/')"
            )
        if segment in (".", ".."):
            raise UsageError(f"invalid namespace {namespace!r}: '.' and '..' are not segments")
        if not _SEGMENT.match(segment):
            raise UsageError(
                f"invalid namespace {namespace!r}: segments use letters, digits and _ . @ : + = -"
            )
    return namespace


def is_under(namespace: str, prefix: str) -> bool:
    """True if ``namespace`` equals ``prefix`` or lies below it (segment-wise)."""
    return namespace == prefix or namespace.startswith(prefix.rstrip("/") + "/")


def like_pattern(prefix: str) -> str:
    """A LIKE pattern (ESCAPE '\\') matching the namespaces strictly below ``prefix``."""
    escaped = prefix.rstrip("/").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "/%"
