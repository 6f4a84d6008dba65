from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

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
    open_input,
    state,
)
from langmem_cli.cli.output import memory_table
from langmem_cli.core.filters import parse_filters
from langmem_cli.errors import InvalidInputError, UsageError
from langmem_cli.store.base import VECTOR_WEIGHT
from langmem_cli.store.search import SearchMode


def _batch_query(obj: Any, location: str, defaults: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """(id, search arguments) of one --queries line, validated by core.lines.QueryLine."""
    from langmem_cli.core.lines import query_line

    try:
        q = query_line(obj)
    except ValueError as exc:
        raise InvalidInputError(str(exc), location=location) from None
    args = dict(defaults)
    for key in ("namespace", "prefix", "limit", "offset", "mode", "vector_weight", "neighbor_weight", "as_of",
                "include_expired"):
        if getattr(q, key) is not None:
            args[key] = getattr(q, key)
    if q.kind is not None:
        args["kinds"] = q.kind if isinstance(q.kind, list) else [q.kind]
    if q.filter is not None:
        f = q.filter
        try:
            args["filters"] = parse_filters([f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in f.items()]
                                            if isinstance(f, dict) else f)
        except UsageError as exc:
            raise InvalidInputError(str(exc), location=location) from None
    return q.id, args


def search(
    ctx: typer.Context,
    query: Annotated[Optional[str], typer.Argument(help="What to look for.", show_default=False)] = None,
    mode: Annotated[SearchMode, typer.Option("--mode", help="hybrid (vector + BM25, fused), vector or keyword.")] = "hybrid",
    namespace: NamespaceOpt = None,
    prefix: PrefixOpt = None,
    kind: KindOpt = None,
    filter: FilterOpt = None,
    limit: LimitOpt = 10,
    offset: OffsetOpt = 0,
    vector_weight: Annotated[float, typer.Option("--vector-weight", min=0.0, max=1.0, help="Hybrid: share of the vector score (the rest is BM25).")] = VECTOR_WEIGHT,
    neighbor_weight: Annotated[Optional[float], typer.Option("--neighbor-weight", min=0.0, help="Boost a memory by this share of the best score one message away in its conversation (and half this share of the best two away); 0 = off. Default: 0.4 in hybrid mode, 0 otherwise.", show_default=False)] = None,
    rerank: Annotated[bool, typer.Option("--rerank/--no-rerank", help="Hybrid: re-rank after fusion (neighbours, time questions, people named, diversity).")] = True,
    as_of: AsOfOpt = None,
    include_expired: IncludeExpiredOpt = False,
    context: Annotated[Optional[int], typer.Option("--context", min=0, help="Bring each hit's evidence: the quoted message(s) read back from the transcript, with N messages around them (says so when the file moved or changed).", show_default=False)] = None,
    queries: Annotated[Optional[Path], typer.Option("--queries", help="Batch: a JSONL file (or -) of queries; one result line per query.")] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON object per result line.")] = False,
    json_mode: JsonOpt = None,
) -> None:
    """Search memories valid now, or --as-of DATE (hybrid by default). Scores are shown with the results."""
    st = state(ctx, json_mode)
    defaults: dict[str, Any] = {"mode": mode, "namespace": namespace, "prefix": prefix, "kinds": kind,
                "filters": parse_filters(filter or []), "limit": limit, "offset": offset,
                "vector_weight": vector_weight, "neighbor_weight": neighbor_weight, "as_of": as_of,
                "include_expired": include_expired, "rerank": rerank}
    store = st.store()
    if queries is not None:
        if query is not None:
            raise UsageError("give a QUERY or --queries, not both")
        _run_batch(st, store, queries, defaults, context)
        return
    if query is None:
        raise UsageError("missing QUERY (or --queries FILE)")
    hits = store.search(query, **defaults)
    with_context = None if context is None else _with_context(hits, context)
    rows = hits if with_context is None else with_context
    if jsonl:
        st.output.jsonl(rows)
        return
    st.output.data(rows, lambda c: _print_hits(c, hits, with_context))


def _with_context(hits, n: int) -> list[dict[str, Any]]:
    from langmem_cli.jobs.evidence import with_context

    return with_context(hits, n)


def _print_hits(console, hits, rows: list[dict[str, Any]] | None) -> None:
    if not hits:
        console.print("no results")
        return
    console.print(memory_table([h.memory for h in hits], scores=[h.score for h in hits]))
    if rows is None:
        return
    from rich.markup import escape

    for number, row in enumerate(rows, start=1):
        console.print(f"[bold]{number}. {escape(row['id'])}[/bold]  {escape(_clip(row['text']))}")
        if not row["context"]:
            console.print("   no evidence recorded (typed in or imported without it)")
        for entry in row["context"]:
            console.print(f"   [dim]{escape(entry['conversation'] or entry['file'])}[/dim]")
            if entry["status"] != "ok":
                console.print(f"   [yellow]{escape(entry['note'])}[/yellow]")
                for q in entry["quotes"]:
                    console.print(f"   > (message {q['message']}) {escape(str(q['quote']))}")
                continue
            for turn in entry["turns"]:
                mark = ">" if turn["quoted"] else " "
                who = turn["speaker"] or turn["role"]
                console.print(f"   {mark} [{turn['message']}] {escape(str(who))}: {escape(_clip(turn['text'], 400))}",
                              style=None if turn["quoted"] else "dim")


def _clip(text: str, width: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _run_batch(st, store, queries: Path, defaults: dict[str, Any], context: int | None = None) -> None:
    """Validate every line first (file:line on error), then answer each: one JSON line per query."""
    from langmem_cli.core.lines import loads

    parsed = []
    with open_input(queries) as (handle, name):
        number = 0
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                location = f"{name}:{number}"
                try:
                    obj = loads(line, number)
                except ValueError as exc:
                    raise InvalidInputError(f"invalid JSON: {exc}", location=location) from None
                qid, args = _batch_query(obj, location, defaults)
                parsed.append((obj if isinstance(obj, str) else obj["query"], qid, args, location))
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"invalid UTF-8 ({exc.reason})", location=f"{name}:{number + 1}") from None
    for text, qid, args, location in parsed:
        try:
            hits = store.search(text, **args)
        except UsageError as exc:
            raise InvalidInputError(str(exc), location=location) from None
        st.output.jsonl([{"id": qid, "query": text, "results": hits if context is None else _with_context(hits, context)}])
