from __future__ import annotations

import json

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import JsonOpt, state


def get(ctx: typer.Context, memory_id: Annotated[str, typer.Argument(help="Memory id.")], json_mode: JsonOpt = None) -> None:
    """Show one memory."""
    st = state(ctx, json_mode)
    memory = st.store().get(memory_id)

    def human(console) -> None:
        from rich.table import Table

        table = Table(show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for key in ("id", "namespace", "kind", "text", "created_at", "updated_at", "source", "embedding_model"):
            table.add_row(key, str(getattr(memory, key) or ""))
        if memory.metadata:
            table.add_row("metadata", json.dumps(memory.metadata, ensure_ascii=False))
        if memory.kind != "memory":
            table.add_row("content", json.dumps(memory.content, ensure_ascii=False, indent=2))
        console.print(table)

    st.output.data(memory, human)
