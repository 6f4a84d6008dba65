"""The MCP server (official ``mcp`` SDK) exposing MemoryTools over stdio."""

from __future__ import annotations

import json
from typing import Any

from langmem_cli.jobs.memory_tools import MAX_CONTENT_CHARS, MemoryTools, ToolInputError


def build_server(tools: MemoryTools):
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    from langmem_cli import __version__
    from langmem_cli.errors import LangmemError

    server = MCPServer(
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

    @server.tool(
        description=(
            "Create, update or delete a long-term memory. action: create (content required; returns the new id), "
            "update (id and the full new content), delete (id). Enabled actions: " + ", ".join(tools.actions) + ". "
            f"Content: {'text' if tools.schema.is_text else 'a JSON object of kind ' + tools.schema.name}, "
            f"at most {MAX_CONTENT_CHARS} characters."
        )
    )
    def manage_memory(content: str | dict[str, Any] | None = None, action: str = "create", id: str | None = None) -> dict[str, Any]:
        return guarded(tools.manage, content, action, id)

    @server.tool(description="Search long-term memories (hybrid: meaning + keywords). Returns ids, content, scores and timestamps.")
    def search_memory(query: str, limit: int = 10, offset: int = 0, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return guarded(tools.search, query, limit, offset, filter)

    @server.resource("langmem://profile", name="profile", mime_type="application/json",
                     description="The profile document(s) of this namespace (read-only).")
    def profile() -> str:
        return json.dumps(tools.profile(), ensure_ascii=False)

    return server
