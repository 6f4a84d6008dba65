from __future__ import annotations

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import JsonOpt, state


def reindex(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", help="Re-embed every memory, not only those from another model.")] = False,
    json_mode: JsonOpt = None,
) -> None:
    """Re-embed memories whose vectors come from another model (or all with --force)."""
    st = state(ctx, json_mode)
    store = st.store()
    todo = store.count() if force else store.stats()["needs_reindex"]
    with st.output.progress("embedding", todo) as advance, st.run("reindex", {"force": force}) as store:
        last = [0]

        def step(done: int, total: int) -> None:
            advance(done - last[0])
            last[0] = done

        count = store.reindex(force=force, progress=step)
    st.output.data({"reindexed": count, "embedding_model": store.embedding_model},
                   lambda c: c.print(f"re-embedded {count} memories with {store.embedding_model}"))
