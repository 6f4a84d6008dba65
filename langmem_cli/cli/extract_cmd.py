from __future__ import annotations

from typing import List, Optional

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import (
    ApiBaseOpt,
    ExtractArgs,
    JsonOpt,
    RetriesOpt,
    RunOutcome,
    TimeoutOpt,
    check_format,
    extract_option_group,
    make_client,
    model_opt,
    state,
)
from langmem_cli.errors import ExitCode, LangmemError, UsageError


@extract_option_group
def extract(
    ctx: typer.Context,
    files: Annotated[List[str], typer.Argument(help="Transcript files (JSON lines or JSON: OpenAI, LangChain, Claude Code, ChatGPT, Claude.ai, Codex, ShareGPT) and folders (read recursively, see --glob); - for stdin.")],
    glob: Annotated[Optional[List[str]], typer.Option("--glob", help="File names to read in folders; repeatable. Default: *.jsonl and *.json.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the operations; write nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Process conversations already processed.")] = False,
    model: Annotated[Optional[str], model_opt("the offline extractor keeps what people said about themselves (rewritten, with its quote), no LLM.")] = None,
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
    from langmem_cli.cli.parse_only import parse_only as print_parse_only
    from langmem_cli.cli.parse_only import read_transcripts

    fmt, namespace, profile = shared.fmt, shared.namespace, shared.profile
    check_format(fmt)
    files = expand_folders(files, glob)
    if parse_only:
        print_parse_only(state(ctx, json_mode).output, files, fmt)
        return
    from langmem_cli import config
    from langmem_cli.jobs.extract import Unreadable, plan_namespaces, run_extract

    st = state(ctx, json_mode)
    out = st.output
    opts = shared.options(retries, dry_run=dry_run, force=force)
    opts.max_llm_calls = max_llm_calls
    unreadable: list[Unreadable] = []  # files that could not be read: listed, the rest extracted
    conversations = read_transcripts(out, files, fmt, failures=unreadable)
    if unreadable and len(unreadable) == len(files) and not conversations:
        # Nothing could be read: the command fails as one bad file always did (exit 2 or 4), no run recorded.
        for failure in unreadable[1:]:
            out.warn(f"cannot extract {failure['error']}")
        raise LangmemError(unreadable[0]["error"], exit_code=unreadable[0]["exit_code"])
    for failure in unreadable:
        out.warn(f"skipped {failure['error']}")
    plan_namespaces(conversations, opts)  # template errors before any model is loaded
    model_name = config.llm_model(model)
    client = make_client(model, api_base, timeout)
    arguments = {"files": files, "namespace": namespace, "schemas": list(opts.schemas), "profile": profile,
                 "dry_run": dry_run, "force": force}
    outcome = RunOutcome()
    from langmem_cli.jobs.extract import estimate_calls

    if client is not None:
        calls = estimate_calls(conversations, opts)
        if calls >= ESTIMATE_FROM:
            out.info(f"about {calls} LLM calls ahead ({len(conversations)} conversations, {opts.chunk_tokens}-token chunks)"
                     + (f"; --max-llm-calls {max_llm_calls} stops earlier" if max_llm_calls is not None else
                        "; --max-llm-calls N sets a limit"))
    with st.run("extract", arguments, model=model_name, outcome=outcome) as store:
        steps = estimate_calls(conversations, opts) if client is not None else len(conversations)
        with out.progress("extracting", steps) as advance:
            report = run_extract(store, client, conversations, opts, progress=lambda r: None,
                                 step=lambda n=1: advance(n))
        outcome.usage = report.usage
        report.unreadable = unreadable
        store.record_run_counts(store.run_id, report.summary())
        if report.interrupted:
            outcome.status, outcome.error = "interrupted", report.kept_summary()
        if report.failed or unreadable:
            outcome.status = "failed" if report.all_failed else "partial"
            outcome.error = "; ".join([f"{r.source}: {r.error}" for r in report.failed] + [f["error"] for f in unreadable])
    _print(out, report, dry_run, model_name, show_rejected)
    if report.interrupted:
        raise typer.Exit(130)
    if report.all_failed:
        raise typer.Exit(ExitCode.ALL_FAILED)
    if report.failed or unreadable:
        raise typer.Exit(ExitCode.FAILURE)


def expand_folders(paths: list[str], globs: list[str] | None) -> list[str]:
    """Folders become the files under them (recursively, sorted; hidden names skipped) whose names
    match ``globs``, as ``watch`` reads them; files and ``-`` stay as given."""
    import fnmatch
    import os

    out: list[str] = []
    for path in paths:
        if path == "-" or not os.path.isdir(path):
            out.append(path)
            continue
        from langmem_cli.jobs.watch_files import DEFAULT_GLOBS  # only for a folder: --parse-only of files stays light

        patterns = tuple(globs) if globs else DEFAULT_GLOBS
        found = []
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found += [os.path.join(root, n) for n in sorted(names)
                      if not n.startswith(".") and any(fnmatch.fnmatch(n, g) for g in patterns)]
        if not found:
            raise UsageError(f"no transcript in folder {path} (files named {' or '.join(patterns)}; --glob sets others)")
        out += found
    return out


ESTIMATE_FROM = 20  # LLM calls from which extract says the estimate before starting


def summary_line(model: str, summary: dict) -> str:
    """The run in one line: what a terminal shows, and what cron logs (stdout not a terminal)."""
    return (f"extract ({model}): {summary['conversations']} conversations, {summary['inserted']} inserted, "
            f"{summary['updated']} updated, {summary['deleted']} deleted, {summary['rejected']} rejected, "
            f"{summary['skipped']} skipped, {summary['failed']} failed"
            + (f", {summary['turns']} turns kept" if summary.get("turns") else "")
            + (f", {summary['files_failed']} files unreadable" if summary.get("files_failed") else "")
            + (f", {summary['pending']} pending" if summary.get("pending") else "")
            + (f", {summary['truncated']} messages cut at {summary['message_limit']} characters" if summary.get("truncated") else "")
            + f"; {summary['calls']} LLM calls, {summary['prompt_tokens'] + summary['completion_tokens']} tokens, "
            f"${summary['cost']:.4f}, {summary['seconds']:.1f} s")


def _print(out, report, dry_run: bool, model: str, show_rejected: bool = False) -> None:
    summary = report.summary()
    form = out.report_form
    if form == "json":
        out.data({"model": model, "extractor": model, **report.to_dict()})
    elif form == "line":
        out.text(summary_line(model, summary))
    else:
        console = out.console
        if dry_run:
            for r in report.results:
                for op in r.operations:
                    target = f" {op.id}" if op.id else ""
                    console.print(f"[dry-run] {r.namespace} {op.action} {op.kind}{target}: {op.content}", markup=False)
        console.print(summary_line(model, summary), markup=False)
    for r in report.results:
        for c in r.contradictions:  # kept both; reported by this run only (marked in the new memory)
            out.info(f"possible contradiction in {r.namespace} ({r.source}): {c['text']!r} and memory {c['ids'][1]}: "
                     "both kept (said at the same time; nothing tells which holds)")
    if show_rejected and form != "json":
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
    if report.unreadable:
        out.info(f"{len(report.unreadable)} files could not be read (listed above): fix or remove them; "
                 "the other files were extracted")
