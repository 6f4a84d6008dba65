from __future__ import annotations

import typer

from langmem_cli.cli.options import JsonOpt, state


def stats(ctx: typer.Context, json_mode: JsonOpt = None) -> None:
    """Counts, sizes and the embedding models of the database."""
    st = state(ctx, json_mode)
    info = st.store().stats()

    def human(console) -> None:
        from rich.table import Table

        table = Table(show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column()
        for key, value in info.items():
            if isinstance(value, dict):
                value = ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
            elif isinstance(value, list):
                value = str(len(value))
            table.add_row(key, str(value))
        console.print(table)
        if info["needs_reindex"]:
            console.print(f"{info['needs_reindex']} memories are not embedded with {info['embedding_model']}: run `langmem reindex`")

    st.output.data(info, human)
