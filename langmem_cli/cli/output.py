"""One output object: human (rich) on a terminal, JSON when piped or asked, quiet when asked.

Data goes to stdout; messages, warnings and progress go to stderr. Progress bars show only
when stderr is a terminal and the output is not quiet. When a stream is not a terminal (cron,
pipes, log files) nothing is wrapped or cut: one line per event, however long.
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

if TYPE_CHECKING:
    from rich.console import Console  # imported on first use: --help stays light


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
        self.json_asked = json_mode is not None  # --json/--no-json given (else: JSON because piped)
        self.quiet = quiet
        self.verbose = verbose
        self._console: Console | None = None
        self._err: Console | None = None

    def with_json(self, json_mode: bool | None) -> "Output":
        """A command-level --json/--no-json overrides the global one."""
        if json_mode is not None:
            self.json = json_mode
            self.json_asked = True
        return self

    @property
    def report_form(self) -> str:
        """How a job (extract, consolidate, watch) reports its run: ``json`` (the whole report, when
        --json is given), ``line`` (one summary line: stdout is not a terminal and no --json, as
        under cron), or ``human`` (a terminal, or --no-json)."""
        if self.json and self.json_asked:
            return "json"
        if not self.stdout_tty and not self.json_asked:
            return "line"
        return "json" if self.json else "human"

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            # Not a terminal: tables get 160 columns, lines are never wrapped or cropped.
            self._console = Console(highlight=False, width=None if self.stdout_tty else 160,
                                    soft_wrap=not self.stdout_tty)
        return self._console

    @property
    def err(self) -> Console:
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
            def unseen(n: int = 1) -> None:
                pass

            yield unseen
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=self.err, transient=True) as bar:
            task = bar.add_task(description, total=total)

            def advance(n: int = 1) -> None:
                bar.advance(task, n)

            yield advance


def table(columns: Iterable[str], rows: Iterable[Iterable[Any]], *, title: str | None = None,
          right: Iterable[str] = (), no_wrap: Iterable[str] = (), fold: Iterable[str] | bool = ()):
    """The one way to build a rich table: ``columns`` by name, ``rows`` of cells (None shows as
    empty, other values with str()); ``right``-justified, ``no_wrap`` and ``fold`` name columns
    (``fold=True``: every column folds long words instead of cutting them)."""
    from rich.table import Table

    right, no_wrap = set(right), set(no_wrap)
    columns = list(columns)
    folded = set(columns) if fold is True else set(fold or ())
    out = Table(title=title)
    for name in columns:
        out.add_column(name, justify="right" if name in right else "left", no_wrap=name in no_wrap,
                       overflow="fold" if name in folded else "ellipsis")
    for row in rows:
        out.add_row(*("" if cell is None else str(cell) for cell in row))
    return out


def pairs_table(pairs: Iterable[tuple[str, Any]]):
    """A header-less two-column table: bold keys, folded values."""
    from rich.table import Table

    out = Table(show_header=False, box=None)
    out.add_column(style="bold")
    out.add_column(overflow="fold")
    for key, value in pairs:
        out.add_row(key, "" if value is None else str(value))
    return out


def when(timestamp: str | None) -> str:
    """An ISO timestamp as shown in tables: date and time to the second."""
    return (timestamp or "")[:19].replace("T", " ")


SHORT_ID = 8  # ids in tables: a prefix every command that takes an id accepts (JSON has them whole)


def memory_table(memories, title: str | None = None, scores: list[float] | None = None):
    """Memories as a table laid out for the width it is printed at (from 60 columns up the text
    column stays readable): ids shortened to 8 characters; below 120 columns the times shrink to
    the date and the validity joins the text; below 80 the update time goes."""
    return _MemoryTable(list(memories), title, scores)


class _MemoryTable:
    def __init__(self, memories, title, scores):
        self.memories, self.title, self.scores = memories, title, scores

    def __rich_console__(self, console, options):
        yield self.build(options.max_width)

    def build(self, width: int):
        from rich import box
        from rich.table import Table

        memories, scores = self.memories, self.scores
        timed = any(m.valid_from or m.valid_until for m in memories)
        wide, narrow = width >= 120, width < 80
        out = Table(title=self.title, box=box.ROUNDED if wide else box.SIMPLE_HEAD, pad_edge=wide,
                    padding=(0, 1) if wide else (0, 1, 0, 0))
        if scores is not None:
            out.add_column("score", justify="right", no_wrap=True)
        out.add_column("id", no_wrap=True)
        out.add_column("namespace", overflow="fold", max_width=max(10, width // 6))
        out.add_column("kind", overflow="ellipsis", no_wrap=True, max_width=10)
        out.add_column("text", overflow="fold", min_width=20, ratio=1)
        if not narrow:
            out.add_column("updated", no_wrap=True, min_width=19 if wide else 10)
        if timed and wide:
            out.add_column("valid", no_wrap=True)
        for i, m in enumerate(memories):
            text = _clip(m.text)
            if timed and not wide and validity(m):
                text += f" (valid {validity(m)})"
            row = ([f"{scores[i]:.4f}"] if scores is not None else []) + [m.id[:SHORT_ID], m.namespace, m.kind, text]
            if not narrow:
                row.append(when(m.updated_at) if wide else when(m.updated_at)[:10])
            if timed and wide:
                row.append(validity(m))
            out.add_row(*row)
        return out


def validity(memory) -> str:
    """``2024-03-01 → 2024-06-01``, ``2024-03-01 →`` (still valid), or empty (always)."""
    if not (memory.valid_from or memory.valid_until):
        return ""
    return f"{when(memory.valid_from) or '…'} → {when(memory.valid_until)}".rstrip()


def _clip(text: str, width: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
