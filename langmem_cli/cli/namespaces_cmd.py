from __future__ import annotations

import typer

from langmem_cli.cli.options import JsonOpt, PrefixOpt, state
from langmem_cli.cli.output import table


def namespaces(ctx: typer.Context, prefix: PrefixOpt = None, json_mode: JsonOpt = None) -> None:
    """List namespaces with their memory counts and the name their user goes by."""
    st = state(ctx, json_mode)
    store = st.store()
    rows = store.namespaces(prefix)
    people = store.person_names(prefix)

    def human(console) -> None:
        if not rows:
            console.print("no namespaces")
            return
        console.print(table(("namespace", "memories", "person"),
                            [(n, c, people.get(n, {}).get("name", "")) for n, c in rows], right=["memories"]))

    st.output.data([{"namespace": n, "count": c, **({"person": people[n]["name"]} if n in people else {})}
                    for n, c in rows], human)
