from __future__ import annotations

from typing import List, Optional

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import (
    ApiBaseOpt,
    JsonOpt,
    RetriesOpt,
    RunOutcome,
    TimeoutOpt,
    make_client,
    model_opt,
    read_instructions,
    state,
)
from langmem_cli.errors import ExitCode, UsageError


def consolidate(
    ctx: typer.Context,
    namespace: Annotated[Optional[str], typer.Option("--namespace", "-n", help="One namespace (exact).")] = None,
    prefix: Annotated[Optional[str], typer.Option("--prefix", help="A namespace and everything below it.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every namespace.")] = False,
    instructions: Annotated[Optional[str], typer.Option("--instructions", help="Extra instructions, or @FILE.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the operations; write nothing.")] = False,
    full: Annotated[bool, typer.Option("--full", help="Reconsider every cluster, not only changed ones.")] = False,
    threshold: Annotated[float, typer.Option("--threshold", min=0.0, max=1.0, help="Cosine similarity that links two memories.")] = 0.75,
    max_cluster: Annotated[int, typer.Option("--max-cluster", min=2, max=50, help="Most memories in one cluster.")] = 8,
    max_llm_calls: Annotated[Optional[int], typer.Option("--max-llm-calls", min=0, help="Stop after this many LLM calls; the rest waits for the next run.")] = None,
    schema: Annotated[Optional[List[str]], typer.Option("--schema", "-s", help="Schema of a custom kind (PATH.json or module:Class), so its memories can be rewritten.")] = None,
    model: Annotated[Optional[str], model_opt("merges near-duplicates inside each cluster deterministically (the fuller one kept, the other closed) and reports possible contradictions without touching them.")] = None,
    api_base: ApiBaseOpt = None,
    timeout: TimeoutOpt = 120.0,
    retries: RetriesOpt = 2,
    json_mode: JsonOpt = None,
    show_contradictions: Annotated[bool, typer.Option("--show-contradictions", help="List each possible contradiction left for a model run (default: their count).")] = False,
) -> None:
    """Merge duplicates, fold related memories, resolve contradictions (for nightly cron)."""
    from langmem_cli import config
    from langmem_cli.formats.schema_files import load_schemas
    from langmem_cli.jobs.consolidate import ConsolidateOptions, run_consolidate

    st = state(ctx, json_mode)
    if sum(bool(x) for x in (namespace, prefix, all_)) != 1:
        raise UsageError("choose what to consolidate: --namespace NS, --prefix P or --all")
    opts = ConsolidateOptions(namespace, prefix, all_, read_instructions(instructions), dry_run, full, threshold,
                              max_cluster, max_llm_calls, retries)
    schemas = load_schemas(schema) if schema else {}
    store = st.store()
    model_name = config.llm_model(model)
    with store.run_lock("consolidate"):  # a file lock on SQLite, an advisory lock on PostgreSQL
        if store.count() == 0:
            st.output.info("the store is empty: nothing to consolidate")
            if st.output.report_form == "json":
                st.output.data({"summary": {"memories": 0}, "clusters": []})
            elif st.output.report_form == "line":
                st.output.text(f"consolidate ({model_name}): 0 memories: nothing to consolidate")
            return
        client = make_client(model, api_base, timeout)
        outcome = RunOutcome()
        arguments = {"namespace": namespace, "prefix": prefix, "all": all_, "dry_run": dry_run, "full": full}
        with st.run("consolidate", arguments, model=model_name, outcome=outcome):
            with st.output.progress("consolidating", None) as advance:
                report = run_consolidate(store, client, opts, schemas, progress=lambda r: advance(1))
            outcome.usage = report.usage
            failed = report.count("failed")
            if failed:
                outcome.status = "partial"
                outcome.error = "; ".join(r.error or "" for r in report.results if r.status == "failed")
    _print(st.output, report, model_name, dry_run, show_contradictions)
    if failed:
        raise typer.Exit(ExitCode.FAILURE)


def _print(out, report, model: str, dry_run: bool, show_contradictions: bool = False) -> None:
    s = report.summary()
    form = out.report_form
    if form == "json":
        out.data({"model": model, **report.to_dict()})
    else:
        for r in report.results if form == "human" else ():
            if r.status in ("applied", "dry-run"):
                for op in r.operations:
                    out.console.print(f"{'[dry-run] ' if dry_run else ''}{r.namespace} {_change(op)}", markup=False)
        out.console.print(
            f"consolidate ({model}): {s['namespaces']} namespaces, {s['memories']} memories, {s['clusters']} clusters "
            f"({s['unchanged_since_last_run']} unchanged since last run), {s['sent']} sent: {s['inserted']} inserted, "
            f"{s['updated']} updated, {s['deleted']} closed, {s['failed']} failed, {s['parked']} parked, "
            f"{s['pending']} left for next run, {s['contradictions']} possible contradictions left for a model run; "
            f"{s['calls']} LLM calls, {s['prompt_tokens'] + s['completion_tokens']} tokens, ${s['cost']:.4f}, {s['seconds']:.1f} s",
            markup=False,
        )
    for r in report.results:
        if r.status == "failed":
            out.warn(f"cluster in {r.namespace} failed ({len(r.ids)} memories), skipped: {r.error}")
        for a, b, why in r.contradictions if show_contradictions else ():
            out.info(f"possible contradiction in {r.namespace} ({why}): {a} and {b}: left for a run with --model")
    if s["contradictions"] and not show_contradictions:
        # The same pairs come back every night until a run with a model settles them: a count, not a list.
        out.info(f"{s['contradictions']} possible contradictions left for a run with --model "
                 "(--show-contradictions lists them; --json has them)")


def _change(op) -> str:
    """One operation as the log shows it. Consolidation never erases: a dropped memory is closed,
    superseded by the one that carries its fact on, or invalidated."""
    if op.action == "supersede":  # a later memory changes this one (offline update detection)
        return f"supersede {op.id} by {op.superseded_by}"
    if op.action == "insert" and getattr(op, "row_id", None):
        return f"insert {op.row_id}: {op.content}"
    if op.action == "delete":
        successor = (op.metadata or {}).get("superseded_by")
        return f"supersede {op.id} by {successor}" if successor else f"invalidate {op.id}"
    text = op.content.get("content", op.content) if isinstance(op.content, dict) else op.content
    return f"{op.action} {op.id or '(new)'}{': ' + str(text) if text is not None else ''}"
