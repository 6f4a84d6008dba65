"""Root of the CLI: global options, error handling, and the command registry."""

from __future__ import annotations

import sqlite3
import sys
from typing import TYPE_CHECKING, Optional

import click
import typer
from typer.core import TyperGroup
from typing_extensions import Annotated

from langmem_cli import __version__, config
from langmem_cli.cli.options import State
from langmem_cli.cli.output import Output
from langmem_cli.errors import ExitCode, LangmemError

if TYPE_CHECKING:
    # The Click that Typer (>= 0.20) vendors: the Context type its TyperGroup methods take.
    from typer import _click

EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 some work failed, 2 usage error, 3 not found, 4 invalid input "
    "(file:line), 5 database error, 6 model unavailable, 69 database server lost mid-run (rolled back: run again), "
    "75 busy (try later), 130 interrupted, 141 stdout closed by its reader."
)
# Click's own control-flow exceptions, and Typer's (Typer >= 0.20 vendors Click with its own
# classes, which do not derive from click's): let the framework handle all of them.
_FRAMEWORK_EXCEPTIONS = tuple(
    {
        click.exceptions.Exit,
        click.exceptions.Abort,
        click.ClickException,
        typer.Exit,
        typer.Abort,
        getattr(typer, "TyperException", click.ClickException),
    }
)
ENV_HELP = "Environment: " + "; ".join(f"{k}: {v}" for k, v in config.ENV_VARS.items()) + "."


def stdout_closed() -> int:
    """The reader of stdout went away (``langmem export | head -1``): what is still buffered for it
    goes nowhere (so the interpreter's last flush prints no "Exception ignored"), nothing is said,
    and the exit code is the one a shell shows for SIGPIPE."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return ExitCode.CLOSED_STDOUT


def report_error(message: str, code: int) -> None:
    click.echo(f"langmem: error: {message}", err=True)
    sys.exit(code)


GLOBAL_FLAGS = frozenset({"-q", "--quiet", "-v", "--verbose"})


class LangmemGroup(TyperGroup):
    """Turns every expected error into one line on stderr and its exit code."""

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        """``-q``/``-v`` also after the command (``langmem extract FILE -q``): moved before it.
        Nothing after a ``--`` moves (it may be content)."""
        names = set(self.list_commands(ctx))
        at = next((i for i, a in enumerate(args) if a in names), None)
        if at is not None:
            head, tail = args[:at + 1], args[at + 1:]
            end = tail.index("--") if "--" in tail else len(tail)
            moved = [a for a in tail[:end] if a in GLOBAL_FLAGS]
            if moved:
                args = moved + head + [a for a in tail[:end] if a not in GLOBAL_FLAGS] + tail[end:]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: _click.Context):
        try:
            return super().invoke(ctx)
        except _FRAMEWORK_EXCEPTIONS:
            raise
        except LangmemError as exc:
            self._fail(ctx, str(exc), exc.exit_code)
        except sqlite3.DatabaseError as exc:
            from langmem_cli.store.sqlite.db import translate

            state = ctx.obj
            self._fail(ctx, str(translate(exc, state.db if state else "database")), ExitCode.DATABASE)
        except KeyboardInterrupt:
            self._fail(ctx, "interrupted", ExitCode.INTERRUPTED)
        except BrokenPipeError:
            ctx.exit(stdout_closed())
        except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback for users
            self._fail(ctx, f"unexpected {type(exc).__name__}: {exc} (set LANGMEM_DEBUG=1 for a traceback)", ExitCode.FAILURE)
        finally:
            if isinstance(ctx.obj, State):
                ctx.obj.close()

    @staticmethod
    def _fail(ctx: _click.Context, message: str, code: int):
        if config.debug():
            import traceback

            traceback.print_exc()
        click.echo(f"langmem: error: {message}", err=True)
        ctx.exit(code)


app = typer.Typer(
    name="langmem",
    cls=LangmemGroup,
    help="Long-term memory for LLM applications: store, search and manage memories in local SQLite.",
    epilog=ENV_HELP + "\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"langmem {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[Optional[str], typer.Option("--db", envvar="LANGMEM_DB", help="Database file, or postgresql://USER:PASSWORD@HOST/DB for a shared store.", show_default=False)] = None,
    json_mode: Annotated[Optional[bool], typer.Option("--json/--no-json", help="JSON output (default when stdout is not a terminal).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only results and errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="More detail on stderr.")] = False,
    embedding_model: Annotated[Optional[str], typer.Option("--embedding-model", envvar="LANGMEM_EMBEDDING_MODEL", help="sentence-transformers model name or path; hash:DIM for a model-free embedder.", show_default=False)] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
) -> None:
    config.apply_runtime_env()
    output = Output(json_mode, quiet, verbose)
    from langmem_cli.cli.options import READ_ONLY_COMMANDS

    ctx.obj = State(db=config.db_target(db), output=output, embedding_model=embedding_model,
                    read_only=ctx.invoked_subcommand in READ_ONLY_COMMANDS)


def _register() -> None:
    from langmem_cli.cli import (
        consolidate_cmd,
        delete_cmd,
        extract_cmd,
        get_cmd,
        history_cmd,
        list_cmd,
        mcp_cmd,
        namespaces_cmd,
        optimize_cmd,
        path_cmd,
        profile_cmd,
        put_cmd,
        reindex_cmd,
        runs_cmd,
        search_cmd,
        stats_cmd,
        timeline_cmd,
        transfer_cmd,
        watch_cmd,
    )

    app.command("extract")(extract_cmd.extract)
    app.command("watch")(watch_cmd.watch)
    app.command("consolidate")(consolidate_cmd.consolidate)
    app.command("show-profile")(profile_cmd.show_profile)
    app.command("edit-profile")(profile_cmd.edit_profile)
    app.command("optimize-prompt")(optimize_cmd.optimize_prompt)
    app.command("prompt-history")(optimize_cmd.prompt_history)
    app.command("put")(put_cmd.put)
    app.command("get")(get_cmd.get)
    app.command("list")(list_cmd.list_memories)
    app.command("search")(search_cmd.search)
    app.command("delete")(delete_cmd.delete)
    app.command("namespaces")(namespaces_cmd.namespaces)
    app.command("history")(history_cmd.history)
    app.command("timeline")(timeline_cmd.timeline)
    app.command("export")(transfer_cmd.export)
    app.command("import")(transfer_cmd.import_)
    app.command("stats")(stats_cmd.stats)
    app.command("reindex")(reindex_cmd.reindex)
    app.command("vacuum")(delete_cmd.vacuum)
    app.command("runs")(runs_cmd.runs)
    app.command("path")(path_cmd.path)
    app.command("mcp")(mcp_cmd.mcp)


_register()


def main() -> None:
    config.apply_runtime_env()
    try:
        app(prog_name="langmem")
    finally:
        _leaving()


def _leaving() -> None:
    """The process ends next: flush the output and move every object out of the garbage
    collector's sight, so that the interpreter's last collection does not walk them. With litellm
    imported (a command with --model) that walk took 1.5-1.9 s after the work was done; the work
    itself is committed and the stores closed by then, so nothing is lost."""
    import gc

    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # the reader left after the command's last write
        gc.freeze()
        raise SystemExit(stdout_closed()) from None
    sys.stderr.flush()
    gc.freeze()
