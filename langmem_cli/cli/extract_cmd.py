from __future__ import annotations

from typing import List, Optional

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import (ApiBaseOpt, ExtractArgs, JsonOpt, ModelOpt, RetriesOpt, RunOutcome, TimeoutOpt,
                                     check_format, extract_option_group, make_client, state)
from langmem_cli.errors import ExitCode


@extract_option_group
def extract(
    ctx: typer.Context,
    files: Annotated[List[str], typer.Argument(help="Transcript files (JSON lines or JSON: OpenAI, LangChain, Claude Code, ChatGPT, Claude.ai, Codex, ShareGPT); - for stdin.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the operations; write nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Process conversations already processed.")] = False,
    model: ModelOpt = None,
    api_base: ApiBaseOpt = None,
    timeout: TimeoutOpt = 120.0,
    retries: RetriesOpt = 2,
    json_mode: JsonOpt = None,
    show_rejected: Annotated[bool, typer.Option("--show-rejected", help="Print the candidates the grounding gate refused, with the reason.")] = False,
    max_llm_calls: Annotated[Optional[int], typer.Option("--max-llm-calls", min=0, help="Stop before this many LLM calls are spent; the conversations left wait for the next run.")] = None,
    parse_only: Annotated[bool, typer.Option("--parse-only", help="Only read the transcripts: print formats, conversations, messages and what was skipped (no model, no database).")] = False,
    *,
    shared: ExtractArgs,
) -> None:
    """Extract memories from chat transcripts (one transaction per conversation). Without a model:
    the offline extractor "local"; every memory passes the grounding gate and keeps its evidence."""
    from langmem_cli.cli.parse_only import parse_only as print_parse_only, read_transcripts

    fmt, namespace, profile = shared.fmt, shared.namespace, shared.profile
    check_format(fmt)
    if parse_only:
        print_parse_only(state(ctx, json_mode).output, files, fmt)
        return
    from langmem_cli import config
    from langmem_cli.jobs.extract import plan_namespaces, run_extract

    st = state(ctx, json_mode)
    out = st.output
    opts = shared.options(retries, dry_run=dry_run, force=force)
    opts.max_llm_calls = max_llm_calls
    conversations = read_transcripts(out, files, fmt)
    plan_namespaces(conversations, opts)  # template errors before any model is loaded
    model_name = config.llm_model(model)
    client = make_client(model, api_base, timeout)
    arguments = {"files": files, "namespace": namespace, "schemas": list(opts.schemas), "profile": profile,
                 "dry_run": dry_run, "force": force}
    outcome = RunOutcome()
    from langmem_cli.jobs.extract import estimate_calls
    from langmem_cli.jobs.locks import extract_locks  # here: --parse-only loads no job module

    if client is not None:
        calls = estimate_calls(conversations, opts)
        if calls >= ESTIMATE_FROM:
            out.info(f"about {calls} LLM calls ahead ({len(conversations)} conversations, {opts.chunk_tokens}-token chunks)"
                     + (f"; --max-llm-calls {max_llm_calls} stops earlier" if max_llm_calls is not None else
                        "; --max-llm-calls N sets a limit"))
    with st.run("extract", arguments, model=model_name, outcome=outcome) as store, \
            extract_locks(store.path, conversations, opts.namespace) as locked:
        steps = estimate_calls(conversations, opts) if client is not None else len(conversations)
        with out.progress("extracting", steps) as advance:
            report = run_extract(store, client, conversations, opts, progress=lambda r: None,
                                 step=lambda n=1: advance(n), locked=locked)
        outcome.usage = report.usage
        store.record_run_counts(store.run_id, report.summary())
        if report.interrupted:
            outcome.status, outcome.error = "interrupted", report.kept_summary()
        if report.failed:
            outcome.status = "partial" if len(report.failed) < len(report.results) else "failed"
            outcome.error = "; ".join(f"{r.source}: {r.error}" for r in report.failed)
    _print(out, report, dry_run, model_name, show_rejected)
    if report.interrupted:
        raise typer.Exit(130)
    if report.failed:
        raise typer.Exit(ExitCode.FAILURE)


ESTIMATE_FROM = 20  # LLM calls from which extract says the estimate before starting


def _print(out, report, dry_run: bool, model: str, show_rejected: bool = False) -> None:
    summary = report.summary()
    if out.json:
        out.data({"model": model, "extractor": model, **report.to_dict()})
    else:
        from rich.table import Table

        console = out.console
        if dry_run:
            for r in report.results:
                for op in r.operations:
                    target = f" {op.id}" if op.id else ""
                    console.print(f"[dry-run] {r.namespace} {op.action} {op.kind}{target}: {op.content}", markup=False)
        table = Table(title=f"extract ({model})")
        for key in ("conversations", "inserted", "updated", "deleted", "rejected", "skipped", "failed", "calls",
                    "prompt_tokens", "completion_tokens", "cost", "seconds"):
            table.add_column(key.replace("_tokens", " tok").replace("completion", "compl."), justify="right")
        table.add_row(*[str(summary[k]) for k in ("conversations", "inserted", "updated", "deleted", "rejected", "skipped",
                                                   "failed", "calls", "prompt_tokens", "completion_tokens")],
                      f"{summary['cost']:.4f}", f"{summary['seconds']:.1f}")
        console.print(table)
    for r in report.results:
        for c in r.contradictions:  # kept both; reported by this run only (marked in the new memory)
            out.info(f"possible contradiction in {r.namespace} ({r.source}): {c['text']!r} and memory {c['ids'][1]}: "
                     "both kept (said at the same time; nothing tells which holds)")
    if show_rejected and not out.json:
        for r in report.results:
            for rej in r.rejected:
                out.console.print(f"rejected {r.source} ({r.namespace}): {rej.candidate.text} — {rej.reason}",
                                  markup=False, soft_wrap=True)
    if report.interrupted:
        out.warn(f"interrupted: {report.kept_summary()}")
    if report.pending:
        out.info(f"{report.pending} conversations left for the next run (--max-llm-calls reached)")
    if summary["inserted"] + summary["updated"] == 0 and not report.failed and summary["conversations"] > summary["skipped"]:
        out.info("nothing worth keeping was found: 0 memories stored")
    for r in report.failed:
        out.warn(f"failed {r.source} ({r.namespace}): {r.error}")
    if report.failed:
        out.info("re-run the same command to retry only the failed conversations")
