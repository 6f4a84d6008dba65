from __future__ import annotations

from typing import Any, List, Optional

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import JsonOpt, KindOpt, NamespaceOpt, PrefixOpt, resolve_id, state
from langmem_cli.errors import NotFoundError, UsageError


def delete(
    ctx: typer.Context,
    ids: Annotated[Optional[List[str]], typer.Argument(help="Memory ids to delete (or unique prefixes of 8+ characters).", show_default=False)] = None,
    namespace: NamespaceOpt = None,
    prefix: PrefixOpt = None,
    kind: KindOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm a bulk delete (namespace or prefix).")] = False,
    purge: Annotated[bool, typer.Option("--purge", help="Also erase the content from history (a tombstone stays) "
                                        "and reclaim the space: the privacy path. Works on deleted memories too.")] = False,
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
        ids = list(dict.fromkeys(resolve_id(store, i) for i in ids))  # a repeated id is deleted once, not reported missing
        if purge:
            with st.run("delete", {"ids": ids, "purge": True}) as store:
                result = store.purge(ids, reclaim=False)
            return _report_purge(st, store, result)
        missing = [i for i in ids if i not in store.get_many(ids)]
        if missing:
            raise NotFoundError(f"no memory with id {missing[0]}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
        with st.run("delete", {"ids": ids}) as store, store.transaction():
            for memory_id in ids:
                store.delete(memory_id)
        count = len(ids)
    else:
        n = store.count(namespace, prefix, kind)
        if not yes:
            raise UsageError(f"refusing to {'purge' if purge else 'delete'} {n} memories without --yes")
        arguments = {"namespace": namespace, "prefix": prefix, "kind": kind}
        if purge:
            with st.run("delete", {**arguments, "purge": True}) as store:
                result = store.purge_where(namespace, prefix, kind, reclaim=False)
            return _report_purge(st, store, result)
        with st.run("delete", arguments) as store:
            count = store.delete_where(namespace, prefix, kind)
    st.output.data({"deleted": count}, lambda c: c.print(f"deleted {count} memor{'y' if count == 1 else 'ies'}"))


def _report_purge(st, store, result: dict[str, Any]) -> None:
    """Reclaim the space (after the run is recorded, so its row is rewritten too) and report."""
    from langmem_cli.errors import DatabaseError

    try:
        result.update(store.vacuum())
    except DatabaseError as exc:
        raise DatabaseError(f"purged {result['tombstones']} memories, but the space was not reclaimed ({exc}); "
                            "run `langmem vacuum` when no other process uses the database") from None
    n = result["tombstones"]
    st.output.data({"deleted": result["memories"], **result}, lambda c: c.print(
        f"purged {n} memor{'y' if n == 1 else 'ies'}: {result['memories']} deleted, content erased from "
        f"{result['history']} history entries (a purge entry stays); file {size(result['size_before'])} -> "
        f"{size(result['size_after'])}"))


def size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def vacuum(ctx: typer.Context, json_mode: JsonOpt = None) -> None:
    """Give the space of deleted memories back to the file system (rewrites the file)."""
    st = state(ctx, json_mode)
    result = st.store().vacuum()
    st.output.data(result, lambda c: c.print(f"file {size(result['size_before'])} -> {size(result['size_after'])}"))
