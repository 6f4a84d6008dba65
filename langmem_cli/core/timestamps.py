"""Timestamps as langmem keeps them: ISO 8601 text in UTC, comparable as text."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def moment(value: str, name: str = "date") -> str:
    """An ISO 8601 date (kept as ``YYYY-MM-DD``) or date-time (turned into UTC; naive means UTC).

    Both forms compare correctly as text: a date sorts before every time of that day. Raises
    ValueError with a one-line message for anything else."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be an ISO 8601 date or date-time")
    text = value.strip()
    try:
        if _DATE.match(text):
            return date.fromisoformat(text).isoformat()
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} is not an ISO 8601 date or date-time: {text[:40]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    parsed = parsed.astimezone(timezone.utc)
    return parsed.isoformat(timespec="microseconds" if parsed.microsecond else "seconds")


def as_of_moment(value: str) -> str:
    """A ``--as-of`` value: a date means the end of that day (what held on that day)."""
    text = moment(value, "as-of")
    return f"{text}T23:59:59.999999+00:00" if _DATE.match(text) else text


def moment_for(as_of: str | None, include_expired: bool) -> str | None:
    """The moment reads filter on: None (every memory), ``as_of``, or now (the default)."""
    from langmem_cli.errors import UsageError

    if include_expired:
        return None
    try:
        return as_of_moment(as_of) if as_of else now()
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def try_moment(value: object) -> str | None:
    """``moment(value)``, or None when ``value`` is missing or not ISO 8601 (a transcript's
    free-text date: the fact's time is then unknown rather than wrong)."""
    if not isinstance(value, str):
        return None
    try:
        return moment(value)
    except ValueError:
        return None
