"""Namespace templates: ``memories/{user_id}`` filled per conversation from --var and the
conversation's fields; ``{name|slug}`` makes a namespace segment of any text."""

from __future__ import annotations

import string
from typing import Any

from langmem_cli.core.namespaces import validate
from langmem_cli.errors import UsageError

TEMPLATE_FILTERS = ("slug",)  # {name|slug}: see core.namespaces.slug


def template_parts(template: str) -> list[tuple[str, list[str]]]:
    """(variable, filters) of each ``{variable|filter...}`` in a namespace template."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise UsageError(f"invalid namespace template {template!r}: {exc}") from None
    parts = []
    for field_ in fields:
        name, *filters = [p.strip() for p in field_.split("|")]
        if not name.isidentifier():
            raise UsageError(f"invalid namespace template {template!r}: {{{field_}}} is not a variable name")
        for f in filters:
            if f not in TEMPLATE_FILTERS:
                raise UsageError(f"invalid namespace template {template!r}: unknown filter {f!r} in {{{field_}}} "
                                 f"(filters: {', '.join(TEMPLATE_FILTERS)})")
        parts.append((name, filters))
    return parts


def template_fields(template: str) -> list[str]:
    """The variables a namespace template needs (its filters checked)."""
    return [name for name, _ in template_parts(template)]


def fill_namespace(template: str, variables: dict[str, str], metadata: dict[str, Any], where: str) -> str:
    """Fill ``{name}`` from --var first, then from the conversation's metadata; ``{name|slug}``
    makes a namespace segment of any text. An invalid result names the variable and its value."""
    from langmem_cli.core.namespaces import slug, valid_segment

    template_parts(template)  # syntax, names and filters
    filled: list[tuple[str, str]] = []  # (variable, the value that went in)
    out = []
    for literal, field_, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if field_ is None:
            continue
        name, *filters = [p.strip() for p in field_.split("|")]
        if name in variables:
            value = variables[name]
        elif metadata.get(name) not in (None, "") and isinstance(metadata.get(name), (str, int)):
            value = str(metadata[name])
        else:
            raise UsageError(f"{where}: namespace template {template!r} needs {{{name}}}: pass --var {name}=VALUE or give the conversation a {name!r} field")
        for f in filters:
            value = slug(value) if f == "slug" else value
        filled.append((field_, value))
        out.append(value)
    namespace = "".join(out)
    try:
        return validate(namespace)
    except UsageError as exc:
        bad = [(f, v) for f, v in filled if not all(valid_segment(seg) for seg in v.split("/"))]
        if bad:
            field_, value = bad[0]
            name = field_.split("|")[0].strip()
            raise UsageError(f"{where}: namespace template {template!r}: {{{field_}}} is {value!r}, which cannot be "
                             f"part of a namespace (letters, digits and _ . @ : + = -); {{{name}|slug}} makes one of it") from None
        raise UsageError(f"{where}: {exc}") from None
