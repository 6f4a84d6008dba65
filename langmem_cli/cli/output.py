"""One output object: human (rich) on a terminal, JSON when piped or asked, quiet when asked.

Data goes to stdout; messages, warnings and progress go to stderr. Progress bars show only
when stderr is a terminal and the output is not quiet. When a stream is not a terminal (cron,
pipes, log files) nothing is wrapped or cut: one line per event, however long.
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any, Callable, Iterable, Iterator


def _default(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def dumps(value: Any, indent: int | None = 2) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False, indent=indent)


class Output:
    def __init__(self, json_mode: bool | None = None, quiet: bool = False, verbose: bool = False):
        self.stdout_tty = sys.stdout.isatty()
        self.stderr_tty = sys.stderr.isatty()
        self.json = (not self.stdout_tty) if json_mode is None else json_mode
        self.quiet = quiet
        self.verbose = verbose
        self._console = None
        self._err = None

    def with_json(self, json_mode: bool | None) -> "Output":
        """A command-level --json/--no-json overrides the global one."""
        if json_mode is not None:
            self.json = json_mode
        return self

    @property
    def console(self):
        if self._console is None:
            from rich.console import Console

            # Not a terminal: tables get 160 columns, lines are never wrapped or cropped.
            self._console = Console(highlight=False, width=None if self.stdout_tty else 160,
                                    soft_wrap=not self.stdout_tty)
        return self._console

    @property
    def err(self):
        if self._err is None:
            from rich.console import Console

            self._err = Console(stderr=True, highlight=False, soft_wrap=not self.stderr_tty)
        return self._err

    # -- data ------------------------------------------------------------------
    def data(self, value: Any, human: Callable[[Any], None] | None = None) -> None:
        """Print a result: JSON when in JSON mode (or no human form), else the human form."""
        if self.json or human is None:
            sys.stdout.write(dumps(value) + "\n")
        else:
            human(self.console)

    def jsonl(self, rows: Iterable[Any]) -> None:
        for row in rows:
            sys.stdout.write(dumps(row, indent=None) + "\n")

    def text(self, line: str) -> None:
        """A plain result line on stdout (e.g. a path), printed even when quiet."""
        sys.stdout.write(line + "\n")

    # -- messages (stderr) -----------------------------------------------------
    def info(self, message: str) -> None:
        if not self.quiet:
            self.err.print(message, markup=False)

    def success(self, message: str) -> None:
        if not self.quiet:
            self.err.print(f"[green]✓[/green] {message}" if self.stderr_tty else message, markup=self.stderr_tty)

    def warn(self, message: str) -> None:
        self.err.print(f"[yellow]warning:[/yellow] {message}" if self.stderr_tty else f"warning: {message}", markup=self.stderr_tty)

    def debug(self, message: str) -> None:
        if self.verbose:
            self.err.print(message, markup=False, style="dim")

    @contextlib.contextmanager
    def progress(self, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        """Yields advance(n). Shows a bar only on a terminal and when not quiet."""
        if self.quiet or not self.stderr_tty:
            yield lambda n=1: None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=self.err, transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield lambda n=1: bar.advance(task, n)


def memory_table(memories, title: str | None = None, scores: list[float] | None = None):
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    if scores is not None:
        table.add_column("score", justify="right")
    table.add_column("id", no_wrap=True)
    table.add_column("namespace")
    table.add_column("kind")
    table.add_column("text", overflow="fold")
    table.add_column("updated", no_wrap=True)
    for i, m in enumerate(memories):
        row = [m.id, m.namespace, m.kind, _clip(m.text), m.updated_at[:19].replace("T", " ")]
        if scores is not None:
            row.insert(0, f"{scores[i]:.4f}")
        table.add_row(*row)
    return table


def _clip(text: str, width: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
