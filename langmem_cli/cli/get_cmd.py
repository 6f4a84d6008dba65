from __future__ import annotations

import json

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import JsonOpt, resolve_id, state
from langmem_cli.cli.output import pairs_table


def get(ctx: typer.Context, memory_id: Annotated[str, typer.Argument(help="Memory id, or a unique prefix of 8 or more characters.")], json_mode: JsonOpt = None) -> None:
    """Show one memory."""
    st = state(ctx, json_mode)
    store = st.store()
    memory = store.get(resolve_id(store, memory_id))

    def human(console) -> None:
        pairs = [(key, getattr(memory, key) or "") for key in
                 ("id", "namespace", "kind", "text", "created_at", "updated_at", "source", "embedding_model")]
        pairs += [(key, getattr(memory, key)) for key in ("valid_from", "valid_until", "superseded_by")
                  if getattr(memory, key)]
        if memory.metadata:
            pairs.append(("metadata", json.dumps(memory.metadata, ensure_ascii=False)))
        if memory.kind != "memory":
            pairs.append(("content", json.dumps(memory.content, ensure_ascii=False, indent=2)))
        console.print(pairs_table(pairs))

    st.output.data(memory, human)
