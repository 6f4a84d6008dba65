"""optimize-prompt as a unit of work: read the trajectories, choose which prompts of a file need
work, optimize them, record every version in the store, write the result file.

The CLI checks options and prints; the pure parts (reflection, variables, escaping) are in
core/prompt_optimizer.py, the file formats in formats/prompt_files.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from langmem_cli.core.llm import ChatClient, Usage
from langmem_cli.core.prompt_optimizer import Outcome, Trajectory, choose_prompts, optimize
from langmem_cli.formats.prompt_files import PromptFile, write_atomically

if TYPE_CHECKING:
    from langmem_cli.store import Store


@dataclass
class OptimizeOptions:
    kind: str = "gradient"
    min_steps: int = 1
    max_steps: int = 5
    retries: int = 2


@dataclass
class OptimizeReport:
    prompt_file: PromptFile
    trajectories: int
    outcomes: list[Outcome] = field(default_factory=list)
    classifier: str = ""
    usage: Usage = field(default_factory=Usage)

    @property
    def changed(self) -> dict[str, str]:
        """name -> new prompt, for the prompts that changed."""
        return {o.name: o.new_prompt for o in self.outcomes if o.changed}

    @property
    def new_text(self) -> str:
        changed = self.changed
        return self.prompt_file.render(changed) if changed else self.prompt_file.text

    def to_dict(self, kind: str, model: str) -> dict[str, Any]:
        return {"kind": kind, "model": model, "trajectories": self.trajectories, "changed": bool(self.changed),
                "prompts": [o.to_dict() for o in self.outcomes], "classifier": self.classifier,
                **self.usage.to_dict()}


def read_trajectories(path: Path) -> list[Trajectory]:
    """One trajectory per conversation of a JSONL file, with its ``feedback``. An empty regular file
    has none (only a regular file is peeked at: a pipe can be read once, a directory not at all)."""
    from langmem_cli.formats import read_conversations

    if path.is_file() and path.stat().st_size < 4096 and not path.read_bytes().strip():
        return []
    return [Trajectory(c.to_text(), c.metadata.get("feedback"), c.source)
            for c in read_conversations(str(path), "conversations")]


def run_optimize(store: "Store | None", make_client: Callable[[], ChatClient], prompt_file: PromptFile,
                 trajectories: list[Trajectory], opts: OptimizeOptions, *, usage: Usage | None = None,
                 target: Path | None = None) -> OptimizeReport:
    """Optimize the prompts of ``prompt_file`` that need it. With a ``store``, record the original
    (once) and the new version of each; with a ``target``, write the result there (atomically) when
    something changed or the target is another file. No trajectories: no model is made or called."""
    report = OptimizeReport(prompt_file, len(trajectories), usage=usage if usage is not None else Usage())
    specs = prompt_file.specs
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
    if store is not None:
        for outcome in report.outcomes:
            if not store.prompt_versions(outcome.name):
                spec = next(s for s in specs if s.name == outcome.name)
                store.record_prompt_version(outcome.name, spec.prompt, "original", 0, "", False)
            store.record_prompt_version(outcome.name, outcome.new_prompt, opts.kind, len(trajectories),
                                        outcome.rationale, outcome.changed)
    if target is not None and (report.changed or target != prompt_file.path):
        write_atomically(target, report.new_text)
    return report
