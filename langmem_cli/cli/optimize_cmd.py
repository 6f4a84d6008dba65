from __future__ import annotations

import contextlib
import difflib
import sys
from pathlib import Path
from typing import Literal, Optional, get_args

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import ApiBaseOpt, JsonOpt, RetriesOpt, RunOutcome, TimeoutOpt, make_client, model_opt, state
from langmem_cli.errors import ExitCode, UsageError

# core.prompt_optimizer.KINDS and jobs.optimize.OFFLINE_KIND, repeated so that `--help` does not
# import the optimizer (pydantic).
OptimizeKind = Literal["lessons", "gradient", "metaprompt", "prompt_memory"]  # the offline one first
KINDS: tuple[str, ...] = get_args(OptimizeKind)
OFFLINE_KIND, MODEL_KINDS = KINDS[0], KINDS[1:]


def optimize_prompt(
    ctx: typer.Context,
    prompt_files: Annotated[list[Path], typer.Argument(metavar="PROMPT_FILE", help="One or more prompts: .txt/.md (one prompt each), or .json/.yaml with one or more {name, prompt, ...}.", show_default=False)],
    trajectories: Annotated[Path, typer.Option("--trajectories", "-t", help="JSONL: one conversation per line ({\"messages\": [...]}) with its \"feedback\" (and optionally the \"step\": the prompt it concerns).")],
    kind: Annotated[Optional[OptimizeKind], typer.Option("--kind", help="lessons (offline: instructions from the feedback; the default without a model), or with a model gradient (its default), metaprompt, prompt_memory.", show_default=False)] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the result here (same format; one prompt file).")] = None,
    in_place: Annotated[bool, typer.Option("--in-place", help="Rewrite the prompt files that change (atomically).")] = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if a prompt would change, 0 if not (a CI gate; errors have codes of their own).")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff.")] = False,
    min_support: Annotated[int, typer.Option("--min-support", min=1, max=1000, help="lessons: trajectories a lesson needs before it becomes an instruction (a standing rule, \"always ...\", needs one).")] = 2,
    max_steps: Annotated[int, typer.Option("--max-reflection-steps", min=1, max=20)] = 5,
    min_steps: Annotated[int, typer.Option("--min-reflection-steps", min=1, max=20)] = 1,
    model: Annotated[Optional[str], model_opt("the offline optimizer (--kind lessons) turns recurring corrective feedback into instructions, each with its quote, in a marked section of the prompt.")] = None,
    api_base: ApiBaseOpt = None,
    timeout: TimeoutOpt = 120.0,
    retries: RetriesOpt = 2,
    json_mode: JsonOpt = None,
) -> None:
    """Refine system prompts from labeled trajectories (procedural memory), for CI; offline by default."""
    from langmem_cli import config
    from langmem_cli.core.llm import LLMError, Usage
    from langmem_cli.errors import InvalidInputError, LangmemError, ProviderUnusableError
    from langmem_cli.formats.prompt_files import load_prompt_file
    from langmem_cli.jobs.optimize import OptimizeOptions, read_trajectories, run_offline, run_optimize

    st = state(ctx, json_mode)
    out = st.output
    if output is not None and in_place:
        raise UsageError("give --output or --in-place, not both")
    if output is not None and len(prompt_files) > 1:
        raise UsageError("--output takes one prompt file; use --in-place for several")
    if min_steps > max_steps:
        raise UsageError("--min-reflection-steps is larger than --max-reflection-steps")
    pfs = [load_prompt_file(p) for p in prompt_files]
    seen: dict[str, Path] = {}
    for pf in pfs:
        for spec in pf.specs:
            if spec.name in seen:
                raise InvalidInputError(f"a prompt named {spec.name!r} is also in {seen[spec.name]}", location=str(pf.path))
            seen[spec.name] = pf.path
    model_name = config.llm_model(model)
    offline = model_name == config.DEFAULT_MODEL
    chosen: str = kind or (OFFLINE_KIND if offline else "gradient")
    if offline and chosen != OFFLINE_KIND:
        raise ProviderUnusableError(f"--kind {chosen} needs a model: give --model (any litellm model, or "
                                    f"{config.BUNDLED_LLM} with the `local` extra), or use --kind {OFFLINE_KIND} (offline)")
    usage = Usage()
    opts = OptimizeOptions(chosen, min_steps, max_steps, retries, min_support)
    label = ", ".join(str(p) for p in prompt_files)
    used_model = None if chosen == OFFLINE_KIND else model_name
    recording = contextlib.nullcontext(None) if check else st.run(
        "optimize-prompt", {"file": label, "kind": chosen}, model=used_model, outcome=RunOutcome(usage=usage))
    with recording as store:
        if chosen == OFFLINE_KIND:
            report = run_offline(store, pfs, trajectories, opts, write=in_place and not check,
                                 output=None if check else output)
        else:
            trajs = read_trajectories(trajectories)
            if not trajs:
                out.info("no trajectories: the prompt is unchanged")
            try:
                report = run_optimize(store, lambda: make_client(model_name, api_base, timeout), pfs, trajs, opts,
                                      usage=usage, write=in_place and not check, output=None if check else output)
            except LLMError as exc:
                raise ProviderUnusableError(str(exc)) from None
            except LangmemError as exc:
                if exc.exit_code in (ExitCode.FAILURE, ExitCode.USAGE):  # e.g. cannot reach the provider
                    raise ProviderUnusableError(str(exc)) from None
                raise
    changed = report.changed
    if diff:
        for pf in pfs:
            sys.stdout.writelines(difflib.unified_diff(pf.text.splitlines(True), report.text_of(pf).splitlines(True),
                                                       f"a/{pf.path}", f"b/{pf.path}"))
    if out.json and json_mode:
        out.data(report.to_dict(chosen, used_model))
    elif not diff and output is None and not in_place and not check:
        for pf in pfs:
            sys.stdout.write(report.text_of(pf))
    for outcome in report.outcomes:
        for conflict in outcome.conflicts or ():
            out.info(f"{outcome.name}: contradictory feedback: {conflict}")
    if report.not_routed:
        out.info(f"{report.not_routed} trajectories name a step that is no prompt here: their lessons went to "
                 f"{pfs[0].specs[0].name!r}")
    verdict = 'would change' if check and changed else 'changed' if changed else 'unchanged'
    names = ', '.join(changed) or ', '.join(s.name for pf in pfs for s in pf.specs)
    if chosen == OFFLINE_KIND:
        added = sum(1 for o in report.outcomes for i in o.instructions or () if not i["kept"])
        out.info(f"{verdict}: {names} ({report.trajectories} trajectories, {added} new instructions, offline)")
    else:
        out.info(f"{verdict}: {names} ({usage.calls} LLM calls, "
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
