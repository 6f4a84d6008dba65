"""Words of a text as the grounding gate and the offline extractor compare them. Pure."""

from __future__ import annotations

import re

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " ", "`": "'"})
_WORD = re.compile(r"[0-9]+(?:[.,:][0-9]+)*|[^\W\d_]+(?:'[^\W\d_]+)?")


def normalize(text: str) -> str:
    """Lower case, one space between words, one kind of quote character."""
    return " ".join(text.translate(_QUOTES).lower().split())


def words(text: str) -> list[str]:
    return _WORD.findall(text.translate(_QUOTES).lower())
