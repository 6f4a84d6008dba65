"""The MCP server (official ``mcp`` SDK) exposing MemoryTools over stdio.

Tools carry annotations (title, read-only and destructive hints), ``action`` is an enum of the
enabled actions, and arguments that do not validate get one short line (field: problem) instead
of pydantic's multi-line text with a documentation URL.
"""

# No `from __future__ import annotations`: the SDK reads the tool signatures at run time, and
# `Action` is a local type.

import json
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from langmem_cli.jobs.memory_tools import ACTIONS, MAX_CONTENT_CHARS, MemoryTools, ToolInputError


def short_validation_error(tool: str, exc: Any, enabled: tuple[str, ...]) -> str:
    """One line for a pydantic ValidationError on a tool's arguments."""
    parts = []
    for error in exc.errors()[:5]:
        field = ".".join(str(p) for p in error.get("loc", ())) or "arguments"
        value = error.get("input")
        if field == "action" and isinstance(value, str):
            if value in ACTIONS:
                parts.append(f"action {value!r} is not enabled on this server (enabled: {', '.join(enabled)})")
            else:
                parts.append(f"unknown action {value!r}: use {', '.join(enabled)}")
        else:
            parts.append(f"{field}: {error.get('msg', 'invalid')}")
    return f"invalid arguments for {tool}: " + "; ".join(parts)


def build_server(tools: MemoryTools):
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations
    from pydantic import ValidationError

    from langmem_cli import __version__
    from langmem_cli.errors import LangmemError

    class Server(MCPServer):
        async def call_tool(self, name, arguments, context=None):
            try:
                return await super().call_tool(name, arguments, context)
            except ToolError as exc:
                if isinstance(exc.__cause__, ValidationError):
                    raise ToolError(short_validation_error(name, exc.__cause__, tools.actions)) from exc.__cause__
                raise

    server = Server(
        name="langmem",
        version=__version__,
        instructions=(
            f"Long-term memory for namespace {tools.namespace}. Search it before answering questions about "
            "the user; save durable facts, preferences and decisions with manage_memory."
        ),
        log_level="WARNING",
    )

    def guarded(fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ToolInputError as exc:
            raise ToolError(str(exc)) from None
        except LangmemError as exc:  # store errors (e.g. database locked): the server keeps running
            raise ToolError(str(exc)) from None

    if TYPE_CHECKING:
        Action: TypeAlias = str  # one of tools.actions (known only at run time)
    else:
        Action = Literal[tuple(tools.actions)]  # the enum a client sees: only the enabled actions
    default_action = "create" if "create" in tools.actions else tools.actions[0]
    manage_title = "Save, update or delete a memory" if "delete" in tools.actions else "Save or update a memory"

    @server.tool(
        title=manage_title,
        description=(
            "Create, update or delete a long-term memory. action: create (content required; returns the new id), "
            "update (id and the full new content; returns the id of the new version, use it from then on), "
            "delete (id; the memory is no longer valid and leaves searches). Enabled actions: "
            + ", ".join(tools.actions) + ". "
            f"Content: {'text' if tools.schema.is_text else 'a JSON object of kind ' + tools.schema.name}, "
            f"at most {MAX_CONTENT_CHARS} characters. Old versions and deleted memories stay in the history."
        ),
        annotations=ToolAnnotations(
            title=manage_title, read_only_hint=False, destructive_hint="delete" in tools.actions,
            idempotent_hint=False, open_world_hint=False,
        ),
    )
    def manage_memory(content: str | dict[str, Any] | None = None, action: Action = default_action,
                      id: str | None = None) -> dict[str, Any]:
        return guarded(tools.manage, content, action, id)

    @server.tool(
        title="Search memories",
        description="Search long-term memories (hybrid: meaning + keywords) that are true now, or at as_of "
                    "(ISO 8601 date). Returns ids, content, scores and timestamps. With context=N, each hit "
                    "also brings what was said: the quoted message(s) from its transcript with N messages "
                    "around them (status 'missing' or 'changed' when the file moved or changed; the stored "
                    "quote is kept).",
        annotations=ToolAnnotations(title="Search memories", read_only_hint=True, destructive_hint=False,
                                    idempotent_hint=True, open_world_hint=False),
    )
    def search_memory(query: str, limit: int = 10, offset: int = 0, filter: dict[str, Any] | None = None,
                      as_of: str | None = None, context: int | None = None) -> list[dict[str, Any]]:
        return guarded(tools.search, query, limit, offset, filter, as_of, context)

    @server.resource("langmem://profile", name="profile", mime_type="application/json",
                     description="The profile document(s) of this namespace (read-only).")
    def profile() -> str:
        return json.dumps(tools.profile(), ensure_ascii=False)

    return server
