"""optimize-prompt as a unit of work: read the trajectories, choose which prompts of the files need
work, optimize them, record every version in the store, write the result files.

Two paths: with a model, LangMem's kinds (core/prompt_optimizer.py); without one, the offline
optimizer (core/lessons.py) reads the feedback, streaming the trajectories file, and keeps a marked
section of instructions up to date. The CLI checks options and prints; file formats are in
formats/prompt_files.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from langmem_cli.core.llm import ChatClient, Usage
from langmem_cli.core.prompt_optimizer import Outcome, PromptSpec, Trajectory, choose_prompts, optimize, variables
from langmem_cli.errors import InvalidInputError, TrajectoriesError, UsageError
from langmem_cli.formats.prompt_files import PromptFile, write_atomically

if TYPE_CHECKING:
    from langmem_cli.store import Store


OFFLINE_KIND = "lessons"
STEP_KEYS = ("step", "prompt", "node", "prompt_name")


@dataclass
class OptimizeOptions:
    kind: str = "gradient"
    min_steps: int = 1
    max_steps: int = 5
    retries: int = 2
    min_support: int = 2  # the offline optimizer: trajectories a lesson needs unless it is a standing rule


@dataclass
class OptimizeReport:
    prompt_files: list[PromptFile]
    trajectories: int
    outcomes: list[Outcome] = field(default_factory=list)
    classifier: str = ""
    usage: Usage = field(default_factory=Usage)
    not_routed: int = 0  # trajectories naming a step that is no prompt (their lessons went to the first)

    @property
    def prompt_file(self) -> PromptFile:
        return self.prompt_files[0]

    @property
    def changed(self) -> dict[str, str]:
        """name -> new prompt, for the prompts that changed."""
        return {o.name: o.new_prompt for o in self.outcomes if o.changed}

    def text_of(self, pf: PromptFile) -> str:
        changed = {n: p for n, p in self.changed.items() if any(s.name == n for s in pf.specs)}
        return pf.render(changed) if changed else pf.text

    @property
    def new_text(self) -> str:
        return self.text_of(self.prompt_file)

    def to_dict(self, kind: str, model: str | None) -> dict[str, Any]:
        return {"kind": kind, "model": model, "trajectories": self.trajectories, "changed": bool(self.changed),
                "prompts": [o.to_dict() for o in self.outcomes], "classifier": self.classifier,
                **self.usage.to_dict()}


def _conversations(path: Path):
    """The conversations of the trajectories file, lazily; its errors under their own exit code."""
    from langmem_cli.formats import read_conversations

    if not path.exists():
        raise TrajectoriesError(f"no trajectories file {path}")
    if path.is_file() and path.stat().st_size < 4096 and not path.read_bytes().strip():
        return
    try:
        yield from read_conversations(str(path), "conversations")
    except InvalidInputError as exc:
        raise TrajectoriesError(str(exc)) from None
    except UsageError as exc:
        raise TrajectoriesError(str(exc)) from None


def read_trajectories(path: Path) -> list[Trajectory]:
    """One trajectory per conversation of a JSONL file, with its ``feedback``. An empty regular file
    has none (only a regular file is peeked at: a pipe can be read once, a directory not at all)."""
    return [Trajectory(c.to_text(), c.metadata.get("feedback"), c.source) for c in _conversations(path)]


def _step(metadata: dict[str, Any]) -> str | None:
    feedback = metadata.get("feedback")
    for holder in (metadata, feedback if isinstance(feedback, dict) else {}):
        for key in STEP_KEYS:
            if isinstance(holder.get(key), str) and holder[key].strip():
                return holder[key].strip()
    return None


def run_offline(store: "Store | None", prompt_files: list[PromptFile], path: Path, opts: OptimizeOptions, *,
                write: bool = False, output: Path | None = None) -> OptimizeReport:
    """The offline optimizer: stream the trajectories, read their feedback into lessons, route each
    lesson to the prompt its trajectory's step names (else the first prompt), and update each
    prompt's lessons section. Recording and writing as in ``run_optimize``."""
    from langmem_cli.core import lessons as L

    specs = [s for pf in prompt_files for s in pf.specs]
    names = {s.name for s in specs}
    report = OptimizeReport(prompt_files, 0)
    routed: dict[str, list[L.Lesson]] = {s.name: [] for s in specs}
    for i, conv in enumerate(_conversations(path)):
        report.trajectories += 1
        step = _step(conv.metadata)
        if step is not None and step not in names:
            report.not_routed += 1
        target = step if step in names else specs[0].name
        messages = [(m.role, m.content) for m in conv.messages]
        routed[target] += L.trajectory_lessons(messages, conv.metadata.get("feedback"), conv.source, i, step)
    vectors = _vectors(routed, specs, report)
    for spec in specs:
        lessons = routed[spec.name]
        if not lessons and spec is not specs[0]:
            continue
        report.outcomes.append(_offline_outcome(spec, lessons, opts.min_support, vectors))
    _record_and_write(store, report, specs, OFFLINE_KIND, write, output)
    return report


def _vectors(routed: dict[str, list], specs: list[PromptSpec], report: OptimizeReport) -> dict[str, Any] | None:
    """Unit vectors of the distinct instructions (the on-device embedder), to group lessons said in
    other words; None (group by shared words) when the embedder cannot be loaded."""
    from langmem_cli.core import lessons as L
    from langmem_cli.embed.embedders import get_embedder
    from langmem_cli.errors import ModelError

    texts = sorted({l.instruction for ls in routed.values() for l in ls}
                   | {t for s in specs for t in L.section_instructions(s.prompt)})
    if len(texts) < 2:
        return None
    try:
        embedder = get_embedder()
        vectors = embedder.embed(texts)
    except ModelError as exc:
        report.classifier = f"lessons grouped by shared words (the embedder could not be loaded: {exc})"
        return None
    report.classifier = f"lessons grouped by shared words and {getattr(embedder, 'name', 'the embedder')} similarity"
    return {t: [float(x) for x in v] for t, v in zip(texts, vectors)}


def _offline_outcome(spec: PromptSpec, lessons: list, min_support: int, vectors: dict[str, Any] | None) -> Outcome:
    from langmem_cli.core import lessons as L

    kept = L.section_instructions(spec.prompt)
    decision = L.decide(lessons, kept, min_support, vectors)
    shown = [L.Instruction(t, kept=True).to_dict() for t in kept] + [i.to_dict() for i in decision.instructions]
    if not decision.instructions:
        why = "no feedback to learn from" if not lessons else (
            f"no new lesson: {len(lessons)} feedback clause(s) read, {decision.below_support} lesson(s) seen fewer "
            f"than {min_support} times" + (", the rest already in the prompt" if kept else ""))
        return Outcome(spec.name, spec.prompt, False, why, shown, decision.conflicts)
    new_prompt = L.with_instructions(spec.prompt, kept + [i.text for i in decision.instructions])
    if variables(new_prompt) != variables(spec.prompt):  # instructions carry no braces: a bug if this fires
        raise AssertionError("the lessons section changed the template variables")
    rationale = "\n".join(
        f"+ {i.text} <- " + "; ".join(f"{e.source} \"{e.quote}\"" for e in i.evidence) for i in decision.instructions)
    return Outcome(spec.name, new_prompt, new_prompt != spec.prompt, rationale, shown, decision.conflicts)


def _record_and_write(store: "Store | None", report: OptimizeReport, specs: list[PromptSpec], kind: str,
                      write: bool, output: Path | None) -> None:
    if store is not None:
        for outcome in report.outcomes:
            if not store.prompt_versions(outcome.name):
                spec = next(s for s in specs if s.name == outcome.name)
                store.record_prompt_version(outcome.name, spec.prompt, "original", 0, "", False)
            store.record_prompt_version(outcome.name, outcome.new_prompt, kind, report.trajectories,
                                        outcome.rationale, outcome.changed)
    if output is not None:
        write_atomically(output, report.new_text)
    elif write:
        for pf in report.prompt_files:
            if any(s.name in report.changed for s in pf.specs):
                write_atomically(pf.path, report.text_of(pf))


def run_optimize(store: "Store | None", make_client: Callable[[], ChatClient], prompt_files: list[PromptFile],
                 trajectories: list[Trajectory], opts: OptimizeOptions, *, usage: Usage | None = None,
                 write: bool = False, output: Path | None = None) -> OptimizeReport:
    """Optimize the prompts of ``prompt_files`` that need it, with a model. With a ``store``, record
    the original (once) and the new version of each; ``write``: rewrite the changed files
    (atomically); ``output``: write the (one) result there. No trajectories: no model is made or called."""
    report = OptimizeReport(prompt_files, len(trajectories), usage=usage if usage is not None else Usage())
    specs = [s for pf in prompt_files for s in pf.specs]
    if trajectories:
        client = make_client()
        chosen = [specs[0].name]
        if len(specs) > 1:
            chosen, report.classifier = choose_prompts(client, specs, trajectories, retries=opts.retries,
                                                       usage=report.usage)
        for spec in specs:
            if spec.name in chosen:
                report.outcomes.append(optimize(client, spec, trajectories, opts.kind, min_steps=opts.min_steps,
                                                max_steps=opts.max_steps, retries=opts.retries, usage=report.usage))
    _record_and_write(store, report, specs, opts.kind, write, output)
    return report
