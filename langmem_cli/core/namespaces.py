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


def slug(value: str, max_length: int = 64) -> str:
    """A namespace segment made from any text (the ``{name|slug}`` template filter): accents
    dropped, lower case, every run of other characters one ``-``, at most ``max_length``
    characters. Text with no Latin letter or digit at all becomes ``x`` + 8 hex digits of its
    SHA-256 (stable, distinct)."""
    import hashlib
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    out = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:max_length].strip("-")
    return out or "x" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def valid_segment(value: str) -> bool:
    return bool(_SEGMENT.match(value)) and value not in (".", "..")


def is_under(namespace: str, prefix: str) -> bool:
    """True if ``namespace`` equals ``prefix`` or lies below it (segment-wise)."""
    return namespace == prefix or namespace.startswith(prefix.rstrip("/") + "/")


def like_pattern(prefix: str) -> str:
    """A LIKE pattern (ESCAPE '\\') matching the namespaces strictly below ``prefix``."""
    escaped = prefix.rstrip("/").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "/%"
