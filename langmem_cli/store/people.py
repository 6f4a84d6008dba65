"""The name a namespace's user goes by, kept in each backend's ``meta`` table (key ``person:<namespace>``)."""

from __future__ import annotations

import json
from typing import Any, Iterable

from langmem_cli.core.namespaces import is_under

PERSON = "person:"


def people(rows: Iterable[tuple[str, str]], prefix: str | None) -> dict[str, dict[str, Any]]:
    """{namespace: {"name", "since", "source"}} from (meta key, JSON value) rows, within ``prefix``."""
    out = {}
    for key, value in rows:
        namespace = key[len(PERSON):]
        if prefix is None or is_under(namespace, prefix):
            out[namespace] = json.loads(value)
    return out
