"""Relative dates ("yesterday", "last week", "next Monday") resolved against the date a message was
written. Pure: no I/O, never the clock of the job."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from langmem_cli.core.words import MONTHS, WEEKDAYS, words

# ISO 8601 first (what the readers give); a few plain written dates a user may put in metadata.
_FORMATS = ("%d %B %Y", "%d %B, %Y", "%B %d, %Y", "%B %d %Y")


def parse(value: str | None) -> datetime | None:
    """ISO 8601, or a plain written date ("8 May 2023", "May 8, 2023")."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        pass
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def iso(value: str | None) -> str | None:
    """ISO 8601 text of a date the reader gave, or None when it is not a date."""
    moment = parse(value)
    if moment is None:
        return None
    return value if _is_iso(value) else moment.isoformat()


def _is_iso(value: str | None) -> bool:
    if value is None:
        return False
    try:
        datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
        return True
    except (ValueError, TypeError, AttributeError):
        return False


def spell(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1].capitalize()} {day.year}"


def _month(day: date, delta: int) -> str:
    index = day.year * 12 + day.month - 1 + delta
    return f"{MONTHS[index % 12].capitalize()} {index // 12}"


def _weekday(day: date, name: str, direction: int) -> date:
    target = WEEKDAYS.index(name)
    shift = (target - day.weekday()) % 7
    if direction > 0:
        return day + timedelta(days=shift or 7)
    if direction < 0:
        return day - timedelta(days=((day.weekday() - target) % 7) or 7)
    return day + timedelta(days=shift)


_DAYS = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1, "last night": -1, "this morning": 0,
         "this afternoon": 0, "this evening": 0}
_NUMBERS = {w: n for n, w in enumerate("a two three four five six seven eight nine ten eleven twelve".split(), 1)} | {
    "one": 1, "twenty": 20}
_AGO = re.compile(r"\b(" + "|".join(_NUMBERS) + r"|\d+) (day|week|month|year)s? ago\b", re.I)
_WEEKDAY = re.compile(r"\b(last|next|this) (" + "|".join(WEEKDAYS) + r")\b", re.I)
_SPAN = re.compile(r"\b(last|next|this) (week|weekend|month|year)\b", re.I)
_DOUBLED = re.compile(r"\b(for|in|by|until|from|since|of|on|around) (?:in|on|around) ")
_DAY = re.compile(r"\b(" + "|".join(_DAYS) + r")\b", re.I)


def resolve(text: str, when: datetime | None) -> tuple[str, frozenset[str]]:
    """``text`` with relative dates made absolute, and the words the dates added."""
    if when is None:
        return text, frozenset()
    day = when.date()
    added: list[str] = []

    def put(value: str) -> str:
        added.append(value)
        return value

    def ago(m: re.Match) -> str:
        """ "five years ago" → "five years ago (2018)": how long ago it was, as said, and when."""
        n = int(m.group(1)) if m.group(1).isdigit() else _NUMBERS[m.group(1).lower()]
        unit = m.group(2).lower()
        if unit == "year":
            when = str(day.year - n)
        elif unit == "month":
            when = _month(day, -n)
        else:
            when = f"around {spell(day - timedelta(days=n * (7 if unit == 'week' else 1)))}"
        return f"{m.group(0)} ({put(when)})"

    def weekday(m: re.Match) -> str:
        which, name = m.group(1).lower(), m.group(2).lower()
        direction = {"last": -1, "next": 1}.get(which, 0)
        return put(f"on {name.capitalize()} {spell(_weekday(day, name, direction))}")

    def span(m: re.Match) -> str:
        which, unit = m.group(1).lower(), m.group(2).lower()
        delta = {"last": -1, "next": 1, "this": 0}[which]
        if unit == "year":
            return put(f"in {day.year + delta}")
        if unit == "month":
            return put(f"in {_month(day, delta)}")
        base = {"last": "the {} before", "next": "the {} after", "this": "the {} of"}[which].format(unit)
        return put(f"{base} {spell(day)}")

    def single(m: re.Match) -> str:
        return put(f"on {spell(day + timedelta(days=_DAYS[m.group(1).lower()]))}")

    text = _AGO.sub(ago, text)
    text = _WEEKDAY.sub(weekday, text)
    text = _SPAN.sub(span, text)
    text = _DAY.sub(single, text)
    text = _DOUBLED.sub(r"\1 ", text)  # "for next year" -> "for in 2025" -> "for 2025"
    return text, frozenset(w for value in added for w in words(value))
