"""The name a namespace's user goes by, kept in each backend's ``meta`` table (key ``person:<namespace>``)."""

from __future__ import annotations

import abc
import json
from typing import Any, Iterable

from langmem_cli.core.namespaces import is_under

PERSON = "person:"


class People(abc.ABC):
    """The part of the Store interface about the person a namespace is about (issue 23: one name per person)."""

    @abc.abstractmethod
    def person_names(self, prefix: str | None = None) -> dict[str, dict[str, Any]]:
        """namespace -> {"name", "since", "source"}: the name its user goes by, for namespaces that have one."""

    @abc.abstractmethod
    def set_person_name(self, namespace: str, name: str, since: str | None, source: str) -> None:
        """Record the name the user of ``namespace`` goes by from ``since`` (ISO 8601 or None) on."""


def people(rows: Iterable[tuple[str, str]], prefix: str | None) -> dict[str, dict[str, Any]]:
    """{namespace: {"name", "since", "source"}} from (meta key, JSON value) rows, within ``prefix``."""
    out = {}
    for key, value in rows:
        namespace = key[len(PERSON):]
        if prefix is None or is_under(namespace, prefix):
            out[namespace] = json.loads(value)
    return out
