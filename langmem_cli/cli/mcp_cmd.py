from __future__ import annotations

from typing import List, Optional

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import parse_pairs, state


def mcp(
    ctx: typer.Context,
    namespace: Annotated[str, typer.Option("--namespace", "-n", help="Namespace or template, e.g. memories/{user_id}; filled once at start.")] = "memories",
    var: Annotated[Optional[List[str]], typer.Option("--var", help="key=value for the template (else the environment); repeatable.")] = None,
    actions: Annotated[str, typer.Option("--actions", help="Enabled manage_memory actions, comma-separated.")] = "create,update,delete",
    kind: Annotated[str, typer.Option("--kind", help="Schema of the content: memory (text), episode, profile, PATH.json or module:Class.")] = "memory",
) -> None:
    """Serve manage_memory and search_memory to an agent over MCP (stdio)."""
    from langmem_cli.formats.schema_files import load_schema
    from langmem_cli.jobs.memory_tools import MemoryTools, namespace_from_template

    st = state(ctx)
    ns = namespace_from_template(namespace, parse_pairs(var, "--var"))
    schema = load_schema(kind)
    enabled = tuple(a.strip() for a in actions.split(",") if a.strip())
    store = st.store()
    tools = MemoryTools(store, ns, schema, enabled)
    store.embedder.embed(["warm up"])  # load the model now, not at the first call
    store.prepare_search()  # the keyword index builds in the background; no call waits for it
    from langmem_cli.mcp.server import build_server

    server = build_server(tools)
    with st.run("mcp", {"namespace": ns, "actions": list(enabled), "kind": schema.name}):
        server.run("stdio")
