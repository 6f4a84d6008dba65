"""The JSON lines langmem reads from users' files: ``import`` lines (memory and history records) and
``search --queries`` objects. Strict JSON (no NaN or Infinity, which strict parsers reject on the
way out), an optional UTF-8 byte order mark on the first line, and pydantic models whose errors
become one short message for ``file:line``."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Literal, Optional, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError, field_validator, model_validator

from langmem_cli.core.namespaces import validate
from langmem_cli.core.render import normalize_content, render
from langmem_cli.core.timestamps import as_of_moment, moment
from langmem_cli.core.untrusted import check_value
from langmem_cli.errors import LangmemError

BOM = "\ufeff"
VALIDITY_FIELDS = ("valid_from", "valid_until", "superseded_by")
HistoryAction = Literal["insert", "update", "delete", "supersede", "invalidate", "purge"]
HISTORY_ACTIONS: tuple[str, ...] = get_args(HistoryAction)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (use null or a number)")


def loads(line: str, number: int = 0) -> Any:
    """Parse one line: a BOM on the first line is skipped; NaN, Infinity and -Infinity are refused;
    lone surrogates and absurd nesting are refused (core.untrusted)."""
    if number <= 1 and line.startswith(BOM):
        line = line[1:]
    value = json.loads(line, parse_constant=_no_constant)
    check_value(value)
    return value


def message(exc: ValidationError) -> str:
    """One short line for a pydantic error: ``'field': what is wrong`` (no URL, no input echo;
    the alternatives of a union at one place are joined with "or")."""
    by_place: dict[str, list[str]] = {}
    for e in exc.errors():
        # drop the union member tags pydantic adds to the location (``str``, ``list[str]``, ...)
        where = ".".join(str(p) for p in e.get("loc", ()) if not _TYPE_TAG.fullmatch(str(p)))
        if e.get("type") == "missing":
            text = f"missing '{where}'"
        elif e.get("type") == "extra_forbidden":
            text = f"unknown key '{where}'"
        else:
            text = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        by_place.setdefault(where, []).append(text)
    parts = []
    for where, texts in list(by_place.items())[:3]:
        if texts[0].startswith(("missing '", "unknown key '")):
            parts.append(texts[0])
            continue
        text = " or ".join([texts[0], *(t.removeprefix("Input should be ") for t in texts[1:])])
        parts.append(f"'{where}': {text}" if where else text)
    return "; ".join(parts)


_TYPE_TAG = re.compile(r"str|int|float|bool|bytes|none|dict|list|[a-z-]+\[.*\]")


def _namespace(value: str) -> str:
    try:
        return validate(value)
    except LangmemError as exc:
        raise ValueError(str(exc)) from None


def _timestamp(value: Optional[str]) -> Optional[str]:
    if value is not None:
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not an ISO 8601 timestamp: {value[:40]!r}") from None
    return value


class MemoryLine(BaseModel):
    """A memory as ``export`` writes it; only namespace and content are required."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["memory"] = "memory"
    id: Optional[StrictStr] = Field(None, min_length=1, max_length=200)
    namespace: StrictStr
    kind: StrictStr = Field("memory", min_length=1)
    content: Any = Field(...)
    metadata: Optional[dict[str, Any]] = None
    source: Optional[StrictStr] = None
    created_at: Optional[StrictStr] = None
    updated_at: Optional[StrictStr] = None

    # issue 14: when the fact held (ISO 8601 date or date-time, kept as ``core.timestamps.moment``
    # normalises it) and the id of the memory that replaced it
    valid_from: Optional[str] = None
    valid_until: Optional[str] = None
    superseded_by: Optional[StrictStr] = Field(None, min_length=1)

    _check_namespace = field_validator("namespace")(_namespace)
    _check_times = field_validator("created_at", "updated_at")(_timestamp)

    @field_validator("valid_from", "valid_until", mode="before")
    @classmethod
    def _moment(cls, value: Any, info) -> Optional[str]:
        return None if value is None else moment(value, info.field_name)

    @model_validator(mode="after")
    def _content(self) -> "MemoryLine":
        self.content = normalize_content(self.kind, self.content)
        # The same rule as Store.prepare, checked here so that the error has its file:line.
        if self.content in (None, "", {}, []) or not render(self.kind, self.content).strip():
            raise ValueError("'content' is empty")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError("'valid_until' is before 'valid_from'")
        self.metadata = self.metadata or {}
        return self


class HistoryLine(BaseModel):
    """One history entry, as ``export --history`` writes it."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["history"]
    memory_id: StrictStr
    namespace: StrictStr
    action: HistoryAction
    before: Any = None
    after: Any = None
    at: StrictStr
    run_id: Optional[StrictStr] = None
    source: Optional[StrictStr] = None

    _check_at = field_validator("at")(_timestamp)


def import_record(value: Any) -> Union[MemoryLine, HistoryLine]:
    """The record of one import line; ``ValueError`` with a short message if it does not fit."""
    if not isinstance(value, dict):
        raise ValueError("each line must be a JSON object")
    kind = value.get("type", "memory")
    models: dict[str, type[MemoryLine] | type[HistoryLine]] = {"memory": MemoryLine, "history": HistoryLine}
    model = models.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise ValueError(f"unknown line type {kind!r} (memory or history)")
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise ValueError(message(exc)) from None


class QueryLine(BaseModel):
    """One ``search --queries`` object; a bare string is ``{"query": ...}``. Unset keys take the
    command line's values."""

    model_config = ConfigDict(extra="forbid")

    query: StrictStr = Field(..., min_length=1)
    id: Union[StrictStr, int, None] = None
    namespace: Optional[StrictStr] = None
    prefix: Optional[StrictStr] = None
    kind: Union[StrictStr, list[StrictStr], None] = None
    filter: Union[dict[str, Any], list[StrictStr], None] = None
    limit: Optional[int] = Field(None, ge=1)
    offset: Optional[int] = Field(None, ge=0)
    mode: Optional[Literal["hybrid", "vector", "keyword"]] = None
    vector_weight: Optional[float] = Field(None, ge=0.0, le=1.0)
    neighbor_weight: Optional[float] = Field(None, ge=0.0)
    as_of: Optional[StrictStr] = None
    include_expired: Optional[StrictBool] = None

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the query is empty")
        return value

    @field_validator("as_of")
    @classmethod
    def _as_of(cls, value: Optional[str]) -> Optional[str]:
        if value is not None:
            try:
                as_of_moment(value)
            except (ValueError, TypeError):
                raise ValueError(f"not an ISO 8601 date or date-time: {value!r}") from None
        return value

    @field_validator("namespace", "prefix")
    @classmethod
    def _ns(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else _namespace(value.rstrip("/") or value)


def query_line(value: Any) -> QueryLine:
    if isinstance(value, str):
        value = {"query": value}
    if not isinstance(value, dict):
        raise ValueError("each line must be a string or an object with a string 'query'")
    try:
        return QueryLine.model_validate(value)
    except ValidationError as exc:
        raise ValueError(message(exc)) from None
