from __future__ import annotations

import typer

from langmem_cli.cli.options import JsonOpt, PrefixOpt, state


def namespaces(ctx: typer.Context, prefix: PrefixOpt = None, json_mode: JsonOpt = None) -> None:
    """List namespaces with their memory counts."""
    st = state(ctx, json_mode)
    rows = st.store().namespaces(prefix)

    def human(console) -> None:
        from rich.table import Table

        if not rows:
            console.print("no namespaces")
            return
        table = Table()
        table.add_column("namespace")
        table.add_column("memories", justify="right")
        for name, count in rows:
            table.add_row(name, str(count))
        console.print(table)

    st.output.data([{"namespace": n, "count": c} for n, c in rows], human)
