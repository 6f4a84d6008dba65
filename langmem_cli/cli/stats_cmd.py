from __future__ import annotations

import typer

from langmem_cli.cli.options import JsonOpt, state
from langmem_cli.cli.output import pairs_table


def stats(ctx: typer.Context, json_mode: JsonOpt = None) -> None:
    """Counts, sizes and the embedding models of the database."""
    st = state(ctx, json_mode)
    info = st.store().stats()

    def human(console) -> None:
        def shown(value):
            if isinstance(value, dict):
                return ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
            return len(value) if isinstance(value, list) else value

        console.print(pairs_table((key, shown(value)) for key, value in info.items()))
        if info["needs_reindex"]:
            console.print(f"{info['needs_reindex']} memories are not embedded with {info['embedding_model']}: run `langmem reindex`")

    st.output.data(info, human)
