from __future__ import annotations

import typer

from langmem_cli.cli.options import JsonOpt, state


def path(ctx: typer.Context, json_mode: JsonOpt = None) -> None:
    """Print the database path."""
    st = state(ctx, json_mode)
    if json_mode:
        st.output.data({"path": str(st.db), "exists": st.db.exists()})
    else:
        st.output.text(str(st.db))
