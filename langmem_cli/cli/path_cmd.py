from __future__ import annotations

import typer

from langmem_cli.cli.options import JsonOpt, state


def path(ctx: typer.Context, json_mode: JsonOpt = None) -> None:
    """Print the database path."""
    st = state(ctx, json_mode)
    exists = None if isinstance(st.db, str) else st.db.exists()  # a server URL: not checked here
    if json_mode:
        st.output.data({"path": st.location, "exists": exists})
    else:
        st.output.text(st.location)
