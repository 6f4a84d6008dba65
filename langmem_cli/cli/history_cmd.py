from __future__ import annotations

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import JsonOpt, state


def history(ctx: typer.Context, memory_id: Annotated[str, typer.Argument(help="Memory id.")], json_mode: JsonOpt = None) -> None:
    """Show how a memory changed: every insert, update and delete."""
    st = state(ctx, json_mode)
    entries = st.store().history(memory_id)

    def human(console) -> None:
        from rich.table import Table

        table = Table()
        for col in ("at", "action", "text", "source", "run"):
            table.add_column(col, overflow="fold")
        for e in entries:
            text = (e.after or e.before or {}).get("text", "")
            table.add_row(e.at[:19].replace("T", " "), e.action, text, e.source or "", (e.run_id or "")[:8])
        console.print(table)

    st.output.data(entries, human)
