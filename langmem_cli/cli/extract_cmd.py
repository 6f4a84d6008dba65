from __future__ import annotations

from pathlib import Path
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
    parse_only: Annotated[bool, typer.Option("--parse-only", help="Only read the transcripts: print formats, conversations, messages and what was skipped (no model, no database).")] = False,
    *,
    shared: ExtractArgs,
) -> None:
    """Extract memories from chat transcripts with an LLM (one transaction per conversation)."""
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
    conversations = read_transcripts(out, files, fmt)
    plan_namespaces(conversations, opts)  # template errors before any model is loaded
    model_name = config.llm_model(model)
    client = make_client(model, api_base, timeout)
    arguments = {"files": files, "namespace": namespace, "schemas": list(opts.schemas), "profile": profile,
                 "dry_run": dry_run, "force": force}
    outcome = RunOutcome()
    with st.run("extract", arguments, model=model_name, outcome=outcome) as store:
        with out.progress("extracting", len(conversations)) as advance:
            report = run_extract(store, client, conversations, opts, progress=lambda r: advance(1))
        outcome.usage = report.usage
        if report.failed:
            outcome.status = "partial" if len(report.failed) < len(report.results) else "failed"
            outcome.error = "; ".join(f"{r.source}: {r.error}" for r in report.failed)
    _print(out, report, dry_run, model_name)
    if report.failed:
        raise typer.Exit(ExitCode.FAILURE)


def _print(out, report, dry_run: bool, model: str) -> None:
    summary = report.summary()
    if out.json:
        out.data({"model": model, **report.to_dict()})
    else:
        from rich.table import Table

        console = out.console
        if dry_run:
            for r in report.results:
                for op in r.operations:
                    target = f" {op.id}" if op.id else ""
                    console.print(f"[dry-run] {r.namespace} {op.action} {op.kind}{target}: {op.content}", markup=False)
        table = Table(title=f"extract ({model})")
        for key in ("conversations", "inserted", "updated", "deleted", "skipped", "failed", "calls", "prompt_tokens",
                    "completion_tokens", "cost", "seconds"):
            table.add_column(key.replace("_tokens", " tok").replace("completion", "compl."), justify="right")
        table.add_row(*[str(summary[k]) for k in ("conversations", "inserted", "updated", "deleted", "skipped", "failed",
                                                   "calls", "prompt_tokens", "completion_tokens")],
                      f"{summary['cost']:.4f}", f"{summary['seconds']:.1f}")
        console.print(table)
    for r in report.failed:
        out.warn(f"failed {r.source} ({r.namespace}): {r.error}")
    if report.failed:
        out.info("re-run the same command to retry only the failed conversations")
