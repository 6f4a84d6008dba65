"""Resolve ``--schema`` values: a built-in name, a JSON Schema file, or ``module:Class``."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

from langmem_cli.core.schemas import BUILTIN, Schema, from_json_schema, from_model
from langmem_cli.errors import InvalidInputError, UsageError


def _kind_name(raw: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", raw).strip("_").lower()
    return name or "custom"


def load_schema(spec: str) -> Schema:
    if spec in BUILTIN:
        return BUILTIN[spec]
    path = Path(spec)
    if spec.endswith(".json") or path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(f"cannot read schema {spec}: {exc.strerror}") from None
        except ValueError as exc:
            raise InvalidInputError(f"not JSON: {exc}", location=spec) from None
        if not isinstance(data, dict):
            raise InvalidInputError("a JSON Schema must be an object", location=spec)
        try:
            return from_json_schema(_kind_name(data.get("title") or path.stem), data)
        except ValueError as exc:
            raise InvalidInputError(str(exc), location=spec) from None
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise UsageError(f"cannot import schema {spec}: {exc}") from None
        from pydantic import BaseModel

        if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            raise UsageError(f"schema {spec} is not a pydantic model class")
        return from_model(_kind_name(attr), cls)
    raise UsageError(f"unknown schema {spec!r}: use {', '.join(BUILTIN)}, a JSON Schema file, or module:Class")


def load_schemas(specs: list[str] | None) -> dict[str, Schema]:
    schemas: dict[str, Schema] = {}
    for spec in specs or ["memory"]:
        schema = load_schema(spec)
        if schema.name in schemas:
            raise UsageError(f"schema {schema.name!r} given twice")
        schemas[schema.name] = schema
    return schemas
