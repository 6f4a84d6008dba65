from __future__ import annotations

import typer

from langmem_cli.cli.options import JsonOpt, PrefixOpt, state
from langmem_cli.cli.output import table


def namespaces(ctx: typer.Context, prefix: PrefixOpt = None, json_mode: JsonOpt = None) -> None:
    """List namespaces with their memory counts."""
    st = state(ctx, json_mode)
    rows = st.store().namespaces(prefix)

    def human(console) -> None:
        if not rows:
            console.print("no namespaces")
            return
        console.print(table(("namespace", "memories"), rows, right=["memories"]))

    st.output.data([{"namespace": n, "count": c} for n, c in rows], human)
