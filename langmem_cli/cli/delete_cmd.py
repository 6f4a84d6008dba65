from __future__ import annotations

from typing import List, Optional

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import JsonOpt, KindOpt, NamespaceOpt, PrefixOpt, state
from langmem_cli.errors import UsageError


def delete(
    ctx: typer.Context,
    ids: Annotated[Optional[List[str]], typer.Argument(help="Memory ids to delete.", show_default=False)] = None,
    namespace: NamespaceOpt = None,
    prefix: PrefixOpt = None,
    kind: KindOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm a bulk delete (namespace or prefix).")] = False,
    json_mode: JsonOpt = None,
) -> None:
    """Delete memories by id, or all of a namespace (--namespace/--prefix with --yes)."""
    from langmem_cli.core.namespaces import validate

    st = state(ctx, json_mode)
    for given in (namespace, prefix):
        if given is not None:
            validate(given)  # names the invalid namespace ('' included)
    if ids and (namespace or prefix):
        raise UsageError("give ids or a namespace, not both")
    if not ids and not (namespace or prefix):
        raise UsageError("nothing to delete: give ids, or --namespace/--prefix with --yes")
    store = st.store()
    if ids:
        ids = list(dict.fromkeys(ids))  # a repeated id is deleted once, not reported missing
        missing = [i for i in ids if i not in store.get_many(ids)]
        if missing:
            from langmem_cli.errors import NotFoundError

            raise NotFoundError(f"no memory with id {missing[0]}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
        with st.run("delete", {"ids": ids}) as store, store.transaction():
            for memory_id in ids:
                store.delete(memory_id)
        count = len(ids)
    else:
        n = store.count(namespace, prefix, kind)
        if not yes:
            raise UsageError(f"refusing to delete {n} memories without --yes")
        with st.run("delete", {"namespace": namespace, "prefix": prefix, "kind": kind}) as store:
            count = store.delete_where(namespace, prefix, kind)
    st.output.data({"deleted": count}, lambda c: c.print(f"deleted {count} memor{'y' if count == 1 else 'ies'}"))
