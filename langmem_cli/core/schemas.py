"""Memory kinds (schemas): built-in ``memory``, ``episode`` and ``profile``, and custom ones.

A schema validates the content of a memory of its kind. Free-text kinds store
``{"content": text}``; structured kinds store the validated object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from pydantic import BaseModel, Field, ValidationError

# Bounds keep small local models from rambling: the grammar enforces them.
MAX_TEXT = 600
MAX_LIST = 8


class MemoryContent(BaseModel):
    """A free-text memory: one self-contained fact, preference, plan or event."""

    content: str = Field(min_length=1, max_length=MAX_TEXT)


class Episode(BaseModel):
    """An episode: what happened, what was thought, what was done, how it turned out."""

    observation: str = Field(max_length=MAX_TEXT, description="The situation or request.")
    thoughts: str = Field("", max_length=MAX_TEXT, description="The reasoning applied.")
    action: str = Field("", max_length=MAX_TEXT, description="What was done.")
    result: str = Field("", max_length=MAX_TEXT, description="The outcome, and what to repeat or avoid.")


class Profile(BaseModel):
    """A user profile: stable facts about the person, easy to read and edit."""

    name: str | None = Field(None, max_length=100)
    preferred_name: str | None = Field(None, max_length=100)
    age: int | None = Field(None, ge=0, le=150)
    occupation: str | None = Field(None, max_length=200)
    location: str | None = Field(None, max_length=200)
    languages: list[str] = Field(default_factory=list, max_length=MAX_LIST)
    interests: list[str] = Field(default_factory=list, max_length=MAX_LIST)
    preferences: list[str] = Field(default_factory=list, max_length=MAX_LIST)
    relationships: list[str] = Field(default_factory=list, max_length=MAX_LIST)
    notes: list[str] = Field(default_factory=list, max_length=MAX_LIST)


@dataclass
class Schema:
    name: str
    description: str
    json_schema: dict[str, Any]
    validator: Callable[[Any], Any]  # content -> normalised content (raises ValueError)
    is_text: bool = False

    def validate(self, content: Any) -> Any:
        if self.is_text and isinstance(content, str):
            content = {"content": content}
        return self.validator(content)


def from_model(name: str, model: type[BaseModel], is_text: bool = False) -> Schema:
    def validate(content: Any) -> Any:
        try:
            return model.model_validate(content).model_dump(mode="json", exclude_defaults=not is_text)
        except ValidationError as exc:
            raise ValueError(validation_message(exc)) from None

    return Schema(name, (model.__doc__ or name).strip().splitlines()[0], model.model_json_schema(), validate, is_text)


def from_json_schema(name: str, schema: dict[str, Any]) -> Schema:
    """A schema given as JSON Schema (validated with the jsonschema library)."""
    import jsonschema

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ValueError(f"invalid JSON Schema: {exc.message}") from None
    validator = jsonschema.Draft202012Validator(schema)

    def validate(content: Any) -> Any:
        errors = sorted(validator.iter_errors(content), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            where = ".".join(str(p) for p in e.path)
            raise ValueError(f"{where + ': ' if where else ''}{e.message}")
        return content

    return Schema(name, schema.get("description") or schema.get("title") or name, schema, validate, False)


def validation_message(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors()[:5]:
        loc = ".".join(str(p) for p in e.get("loc", ()))
        parts.append(f"{loc}: {e.get('msg')}" if loc else str(e.get("msg")))
    return "; ".join(parts)


BUILTIN: dict[str, Schema] = {
    "memory": from_model("memory", MemoryContent, is_text=True),
    "episode": from_model("episode", Episode),
    "profile": from_model("profile", Profile),
}
