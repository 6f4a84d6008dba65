"""`langmem watch`: the front door of jobs/watch.py (options, signals, one line per event)."""

from __future__ import annotations

import signal
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, List, Optional

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
from langmem_cli.errors import ExitCode, UsageError


def _duration(value: str, option: str) -> float:
    from langmem_cli.core.watch import parse_duration

    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None
    if seconds <= 0:
        raise UsageError(f"{option}: must be more than 0, got {value!r}")
    return seconds


@extract_option_group
def watch(
    ctx: typer.Context,
    paths: Annotated[List[str], typer.Argument(help="Transcript files and folders (watched recursively).", show_default=False)],
    idle: Annotated[str, typer.Option("--idle", help="Extract a conversation once it has had no new message for this long (500ms, 30s, 10m, 1h).")] = "10m",
    glob: Annotated[Optional[List[str]], typer.Option("--glob", help="File names to read in folders; repeatable. Default: *.jsonl and *.json.")] = None,
    once: Annotated[bool, typer.Option("--once", help="Extract what is idle now, then exit (for cron).")] = False,
    poll: Annotated[bool, typer.Option("--poll", help="Poll the files instead of file-system events (network filesystems).")] = False,
    consolidate_every: Annotated[Optional[str], typer.Option("--consolidate-every", help="Also consolidate all namespaces this often, e.g. 24h.", show_default=False)] = None,
    lease_ttl: Annotated[str, typer.Option("--lease-ttl", help="A file's lease in the database lasts this long; renewed every third of it while extracting, so a watcher that died on another host frees its files after this.")] = "15m",
    model: Annotated[Optional[str], model_opt("extracts with the offline extractor (what people said about themselves, with its quote), no LLM.")] = None,
    api_base: ApiBaseOpt = None,
    timeout: TimeoutOpt = 120.0,
    retries: RetriesOpt = 2,
    json_mode: JsonOpt = None,
    *,
    shared: ExtractArgs,
) -> None:
    """Extract memories from transcripts as they are written: each conversation once it goes quiet.

    SIGTERM or Ctrl-C finishes the conversation being extracted and exits 0 (a second one rolls it
    back). With --once the exit code is 1 if an extraction failed."""
    import os

    from langmem_cli import config
    from langmem_cli.jobs.extract import template_fields
    from langmem_cli.jobs.watch import Selection, Watcher, WatchOptions

    namespace, fmt = shared.namespace, shared.fmt
    check_format(fmt)
    # A named file may not exist yet (it is watched through its folder, and a line says so); its
    # folder must. With --once there is nothing to wait for: a missing path is an error.
    missing = [p for p in paths if not os.path.exists(p) and (once or not os.path.isdir(os.path.dirname(os.path.abspath(p))))]
    if missing:
        raise UsageError(f"cannot watch {missing[0]}: no such file or folder"
                         + ("" if once else f" (nor its folder {os.path.dirname(os.path.abspath(missing[0]))})"))
    template_fields(namespace)
    opts = WatchOptions(idle=_duration(idle, "--idle"), fmt=fmt, once=once, poll=poll,
                        consolidate_every=_duration(consolidate_every, "--consolidate-every") if consolidate_every else None,
                        lease_ttl=_duration(lease_ttl, "--lease-ttl"))
    if glob:
        opts.globs = tuple(glob)
    st = state(ctx, json_mode)
    opts.database = st.db
    out = st.output
    for path in paths:
        if not os.path.exists(path):
            out.warn(f"{path} does not exist yet: waiting for it (its folder is watched)")
    xopts = shared.options(retries)
    model_name = config.llm_model(model)
    client = make_client(model, api_base, timeout)
    arguments = {"paths": paths, "namespace": namespace, "idle": opts.idle, "once": once, "schemas": list(xopts.schemas)}
    outcome = RunOutcome()
    with st.run("watch", arguments, model=model_name, outcome=outcome) as store:
        watcher = Watcher(store, client, xopts, opts, Selection([Path(p) for p in paths], opts.globs),
                          emit=lambda event: _emit(out, event), warn=out.warn)
        interrupted = _run(watcher, out)
        summary = watcher.summary()
        outcome.usage = watcher.usage
        if summary["failed"]:
            outcome.status = "partial"
    if interrupted:
        out.info("stopped: the conversation being extracted was rolled back; it is extracted on the next start")
    line = (f"{'done' if once else 'stopped'}: {summary['extracted']} conversations extracted, "
            f"{summary['memories']} memories inserted, {summary['failed']} failed, {summary['pending']} waiting")
    if out.report_form == "line":  # cron: the run's one line on stdout, even with -q
        out.text(f"watch ({model_name}): {line}")
    else:
        out.info(line)
    if once and summary["failed"]:
        raise typer.Exit(ExitCode.FAILURE)


def _run(watcher, out) -> bool:
    """Run until done or signalled. The first SIGTERM/SIGINT lets the current unit finish; a second
    interrupts it (its transaction rolls back). Returns whether it was interrupted."""
    signals = 0

    def handler(signum, frame):  # noqa: ARG001
        nonlocal signals
        signals += 1
        if signals == 1:
            out.info(f"{signal.Signals(signum).name}: finishing the current conversation, then exiting")
            watcher.stop()
        else:
            raise KeyboardInterrupt

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        watcher.run()
    except KeyboardInterrupt:
        return True
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    return False


def _emit(out, event: dict[str, Any]) -> None:
    event = {"at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), **event}
    if out.report_form == "json":
        out.jsonl([event])
        sys.stdout.flush()
        return
    kind = event["event"]
    if kind == "extracted":
        lines = event.get("lines")
        where = f" lines {lines[0]}-{lines[1]}" if lines else ""
        out.info(f"extracted {event['file']} [{event['conversation']}]{where} ({event['messages']} message{'s' if event['messages'] != 1 else ''}) -> "
                 f"{event['namespace']}: +{event['inserted']} ~{event['updated']} -{event['deleted']} "
                 f"({event['status']}, {event['seconds']:.1f} s)")
    elif kind == "failed":
        out.warn(f"failed {event['file']} [{event['conversation']}]: {event['error']} (retried later)")
    elif kind == "invalid":
        out.warn(f"{event['error']} (read again when the file changes)")
    elif kind == "watching":
        how = "polling" if event["polling"] else "file events"
        out.info(f"watching {event['files']} files ({how}), idle {event['idle']:g} s; "
                 f"{event['pending']} conversations waiting")
    else:
        out.info(" ".join(f"{k}={v}" for k, v in event.items() if k != "at"))
