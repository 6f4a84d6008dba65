from __future__ import annotations

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import (
    AsOfOpt,
    FilterOpt,
    IncludeExpiredOpt,
    JsonOpt,
    KindOpt,
    LimitOpt,
    NamespaceOpt,
    OffsetOpt,
    PrefixOpt,
    state,
)
from langmem_cli.cli.output import memory_table
from langmem_cli.core.filters import parse_filters


def list_memories(
    ctx: typer.Context,
    namespace: NamespaceOpt = None,
    prefix: PrefixOpt = None,
    kind: KindOpt = None,
    filter: FilterOpt = None,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    as_of: AsOfOpt = None,
    include_expired: IncludeExpiredOpt = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON object per line.")] = False,
    json_mode: JsonOpt = None,
) -> None:
    """List memories valid now (or --as-of DATE), oldest first."""
    st = state(ctx, json_mode)
    filters = parse_filters(filter or [])
    store = st.store()
    memories = store.list(namespace, prefix, kind, filters, limit, offset, as_of=as_of, include_expired=include_expired)
    if len(memories) == limit:
        total = store.count(namespace, prefix, kind, filters, as_of=as_of, include_expired=include_expired)
        more = total - offset - len(memories)
        if more > 0:
            st.output.info(f"showing {offset + 1}-{offset + len(memories)} of {total}: {more} more "
                           f"(--offset {offset + len(memories)} for the next page, or a larger --limit)")
    if jsonl:
        st.output.jsonl(memories)
        return
    st.output.data(memories, lambda c: c.print(memory_table(memories)) if memories else c.print("no memories"))
