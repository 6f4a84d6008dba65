"""Active memory formation: the manage and search operations an agent calls during a
conversation (served over MCP by ``langmem mcp``). Every change goes through the Store, so history,
FTS and embeddings stay in sync, and records have the same format as those written by ``extract``.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from langmem_cli.core.extraction import Operation
from langmem_cli.core.schemas import Schema
from langmem_cli.core.timestamps import now
from langmem_cli.errors import LangmemError, NotFoundError, UsageError
from langmem_cli.jobs.extract import fill_namespace

ACTIONS = ("create", "update", "delete")
MAX_CONTENT_CHARS = 10_000  # one memory; larger content is refused
MAX_LIMIT = 100


class ToolInputError(LangmemError):
    """A tool call the server refuses: the message goes back to the agent, nothing is written."""


def namespace_from_template(template: str, variables: dict[str, str]) -> str:
    """Fill the template once at start, from --var first, then from the environment."""
    from langmem_cli.jobs.extract import template_fields

    env = {}
    for name in template_fields(template):
        for candidate in (name, name.upper(), f"LANGMEM_{name.upper()}"):
            if os.environ.get(candidate):
                env[name] = os.environ[candidate]
                break
    return fill_namespace(template, variables, env, "langmem mcp")


@dataclass
class MemoryTools:
    store: Any
    namespace: str
    schema: Schema
    actions: tuple[str, ...] = ACTIONS
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        unknown = [a for a in self.actions if a not in ACTIONS]
        if unknown or not self.actions:
            raise UsageError(f"unknown action(s) {', '.join(unknown) or '(none)'}: use {', '.join(ACTIONS)}")

    def _content(self, content: Any) -> Any:
        if content is None or (isinstance(content, str) and not content.strip()) or content in ({}, []):
            raise ToolInputError("content is empty")
        if isinstance(content, str) and not self.schema.is_text:
            try:
                content = json.loads(content)
            except ValueError:
                raise ToolInputError(f"content for kind {self.schema.name!r} must be a JSON object") from None
        size = len(content) if isinstance(content, str) else len(json.dumps(content, ensure_ascii=False))
        if size > MAX_CONTENT_CHARS:
            raise ToolInputError(f"content is {size} characters; the limit is {MAX_CONTENT_CHARS}")
        try:
            return self.schema.validate(content.strip() if isinstance(content, str) else content)
        except ValueError as exc:
            raise ToolInputError(f"content does not fit kind {self.schema.name!r}: {exc}") from None

    def _own(self, memory_id: str | None):
        if not memory_id:
            raise ToolInputError("this action needs the id of a memory")
        try:
            memory = self.store.get(memory_id)
        except NotFoundError:
            raise ToolInputError(f"no memory with id {memory_id} in namespace {self.namespace}") from None
        if memory.namespace != self.namespace:
            # Same message as unknown: do not reveal what other namespaces hold.
            raise ToolInputError(f"no memory with id {memory_id} in namespace {self.namespace}")
        return memory

    def manage(self, content: Any = None, action: str = "create", id: str | None = None) -> dict[str, Any]:
        if action not in ACTIONS:
            raise ToolInputError(f"unknown action {action!r}: use {', '.join(ACTIONS)}")
        if action not in self.actions:
            raise ToolInputError(f"action {action!r} is not enabled on this server (enabled: {', '.join(self.actions)})")
        with self.lock:
            if action == "create":
                if id:
                    raise ToolInputError("create takes no id (a new one is made)")
                memory = self.store.put(self.namespace, self._content(content), kind=self.schema.name, source="mcp")
                return {"action": "created", "id": memory.id}
            target = self._own(id)
            if target.valid_until is not None:
                later = f"; its current version is {target.superseded_by}" if target.superseded_by else ""
                raise ToolInputError(f"memory {target.id} is no longer valid{later}")
            # The agent is a model: its update supersedes (the old fact stays, closed now) and its
            # delete invalidates; only a user's `langmem delete` erases.
            if action == "delete":
                self.store.apply_operations(self.namespace, [Operation("delete", target.kind, None, target.id,
                                                                       valid_from=now())], source="mcp")
                return {"action": "invalidated", "id": target.id}
            if target.kind != self.schema.name:
                raise ToolInputError(f"memory {target.id} is of kind {target.kind!r}, this server writes {self.schema.name!r}")
            result = self.store.apply_operations(self.namespace, [Operation(
                "update", target.kind, self._content(content), target.id, valid_from=now())], source="mcp")
            new = result["updated"][0] if result["updated"] else target  # the same content: nothing to supersede
            return {"action": "updated", "id": new.id, **({"replaces": target.id} if new.id != target.id else {})}

    def search(self, query: str, limit: int = 10, offset: int = 0, filter: dict[str, Any] | None = None,
               as_of: str | None = None, context: int | None = None) -> list[dict[str, Any]]:
        """Hits of this namespace; with ``context`` (messages each side), each brings its evidence
        read back from the transcript (``jobs.evidence``)."""
        if not isinstance(query, str) or not query.strip():
            raise ToolInputError("query is empty")
        if context is not None and (isinstance(context, bool) or not isinstance(context, int) or context < 0):
            raise ToolInputError("context must be a whole number of messages, 0 or more")
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise ToolInputError(f"limit must be 1..{MAX_LIMIT} and offset at least 0")
        filters = []
        for key, value in (filter or {}).items():
            if not isinstance(key, str) or not key or isinstance(value, (dict, list)):
                raise ToolInputError("filter maps field names to plain values")
            filters.append((key, value))
        if as_of is not None and not isinstance(as_of, str):
            raise ToolInputError("as_of must be an ISO 8601 date or date-time")
        with self.lock:
            try:
                hits = self.store.search(query, namespace=self.namespace, filters=filters, limit=limit, offset=offset,
                                         as_of=as_of or None)
            except UsageError as exc:
                raise ToolInputError(str(exc)) from None
        rows = [
            {"id": h.memory.id, "kind": h.memory.kind, "content": h.memory.content, "text": h.memory.text,
             "score": round(h.score, 6), "created_at": h.memory.created_at, "updated_at": h.memory.updated_at,
             **{k: getattr(h.memory, k) for k in ("valid_from", "valid_until") if getattr(h.memory, k)}}
            for h in hits
        ]
        if context is not None:
            from langmem_cli.jobs.evidence import context_of

            for row, hit in zip(rows, hits):
                row["context"] = context_of(hit.memory.metadata.get("evidence") or [], context)
        return rows

    def profile(self) -> list[dict[str, Any]]:
        with self.lock:
            docs = self.store.list(namespace=self.namespace, kinds=["profile"], limit=10)
        return [{"id": m.id, "content": m.content, "updated_at": m.updated_at} for m in docs]
