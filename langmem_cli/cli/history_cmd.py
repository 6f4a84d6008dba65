from __future__ import annotations

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import JsonOpt, resolve_id, state
from langmem_cli.cli.output import table, when


def history(ctx: typer.Context, memory_id: Annotated[str, typer.Argument(help="Memory id, or a unique prefix of 8 or more characters.")], json_mode: JsonOpt = None) -> None:
    """Show how a memory changed: every insert, update and delete, and the memories it replaced
    or that replaced it (supersede), oldest first."""
    st = state(ctx, json_mode)
    store = st.store()
    entries = store.chain_history(resolve_id(store, memory_id))

    def human(console) -> None:
        console.print(table(("at", "action", "memory", "text", "source", "run"), fold=True, rows=(
            (when(e.at), e.action, e.memory_id[:8], (e.after or e.before or {}).get("text", ""), e.source,
             (e.run_id or "")[:8])
            for e in entries)))

    st.output.data(entries, human)
