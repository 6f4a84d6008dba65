from __future__ import annotations

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import JsonOpt, state
from langmem_cli.cli.output import table, when
from langmem_cli.errors import NotFoundError


def chain_history(store, memory_id: str) -> list:
    """The history of a memory and of its supersede chain, in the order it happened."""
    try:
        ids = [m.id for m in store.lineage(memory_id)]
    except NotFoundError:  # erased: its own history only
        ids = [memory_id]
    if len(ids) == 1:
        return store.history(memory_id)
    return sorted((e for i in ids for e in store.history(i)), key=lambda e: (e.at, e.id))


def history(ctx: typer.Context, memory_id: Annotated[str, typer.Argument(help="Memory id.")], json_mode: JsonOpt = None) -> None:
    """Show how a memory changed: every insert, update and delete, and the memories it replaced
    or that replaced it (supersede), oldest first."""
    st = state(ctx, json_mode)
    entries = chain_history(st.store(), memory_id)

    def human(console) -> None:
        console.print(table(("at", "action", "memory", "text", "source", "run"), fold=True, rows=(
            (when(e.at), e.action, e.memory_id[:8], (e.after or e.before or {}).get("text", ""), e.source,
             (e.run_id or "")[:8])
            for e in entries)))

    st.output.data(entries, human)
