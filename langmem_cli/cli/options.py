"""Options shared by several commands (Annotated types) and the per-invocation state."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterator, List, Literal, Optional, Sequence

import typer
from typing_extensions import Annotated

from langmem_cli.cli.output import Output
from langmem_cli.errors import UsageError

if TYPE_CHECKING:
    from langmem_cli.store import Store

JsonOpt = Annotated[Optional[bool], typer.Option("--json/--no-json", help="JSON output (default when piped); --no-json forces the table.")]
NamespaceOpt = Annotated[Optional[str], typer.Option("--namespace", "-n", help="Exact namespace, e.g. org/user_123/app.")]
PrefixOpt = Annotated[Optional[str], typer.Option("--prefix", help="Namespace prefix: the namespace and everything below it.")]
KindOpt = Annotated[Optional[List[str]], typer.Option("--kind", "-k", help="Only this kind (schema name); repeatable.")]
FilterOpt = Annotated[Optional[List[str]], typer.Option("--filter", "-f", help="field=value on content or metadata; repeatable.")]
LimitOpt = Annotated[int, typer.Option("--limit", "-l", min=1, help="Maximum results.")]
OffsetOpt = Annotated[int, typer.Option("--offset", min=0, help="Skip this many results.")]
AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", help="What was valid then (ISO 8601 date or date-time; a date means that whole day). Default: now.", show_default=False)]
IncludeExpiredOpt = Annotated[bool, typer.Option("--include-expired", help="Also memories no longer (or not yet) valid: superseded, invalidated.")]

# The LLM options of every LLM command (extract, consolidate, optimize-prompt), defined once.
ModelOpt = Annotated[Optional[str], typer.Option("--model", envvar="LANGMEM_MODEL", help="Any litellm model string (e.g. openai/gpt-4o-mini, local/smollm2-135m); default: local, the offline extractor (no LLM).", show_default=False)]
ApiBaseOpt = Annotated[Optional[str], typer.Option("--api-base", envvar="LANGMEM_API_BASE", help="Base URL of an OpenAI-compatible server.", show_default=False)]
TimeoutOpt = Annotated[float, typer.Option("--timeout", min=1.0, help="Seconds per LLM call.")]
RetriesOpt = Annotated[int, typer.Option("--retries", min=0, max=10, help="Retries when a reply does not validate or the provider fails (the latter after a backoff).")]


def choice(values: Sequence[str]) -> Any:
    """The type of an option with a fixed set of values: Typer turns the Literal into a
    click.Choice (the values listed in --help, Click's usage error and exit 2 for another)."""
    return Literal[tuple(values)]


def make_client(model: str | None, api_base: str | None, timeout: float):
    """The LLM client for the LLM options above (litellm is imported here, not before); None for
    ``local``, the offline extractor (no model is loaded)."""
    from langmem_cli import config

    name = config.llm_model(model)
    if name == config.DEFAULT_MODEL:
        return None
    from langmem_cli.llm.litellm_client import LiteLLMClient

    return LiteLLMClient(name, api_base=config.api_base(api_base), timeout=timeout)


def read_instructions(value: str | None) -> str | None:
    """``--instructions``: the text itself, or ``@FILE``."""
    if value and value.startswith("@"):
        try:
            return Path(value[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read instructions {value[1:]}: {exc.strerror}") from None
    return value


@contextlib.contextmanager
def open_input(path: str | Path, binary: bool = False) -> Iterator[tuple[IO, str]]:
    """(handle, display name) for a file argument where ``-`` means stdin; a file that cannot be
    opened is a usage error naming it."""
    if str(path) == "-":
        yield (sys.stdin.buffer if binary else sys.stdin), "<stdin>"
        return
    try:
        handle = open(path, "rb") if binary else open(path, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        yield handle, str(path)


@dataclass
class RunOutcome:
    """What a command reports about its run: status (ok | partial | failed), error, LLM usage."""

    status: str = "ok"
    error: str | None = None
    usage: Any = None  # core.llm.Usage, once there is one

    def tokens(self) -> dict[str, Any]:
        if self.usage is None:
            return {}
        return {"prompt_tokens": self.usage.prompt_tokens, "completion_tokens": self.usage.completion_tokens,
                "cost": self.usage.cost}


# Commands that only read: on a database that does not exist yet they say so instead of creating
# its folder and reporting nothing.
READ_ONLY_COMMANDS = frozenset({"search", "list", "get", "history", "namespaces", "stats", "runs", "export",
                                "show-profile", "prompt-history"})


@dataclass
class State:
    db: "Path | str"  # a SQLite file, or a postgresql:// URL (config.db_target)
    output: Output
    embedding_model: Optional[str]
    _store: "Store | None" = None
    read_only: bool = False

    def store(self) -> "Store":
        if self._store is None:
            from langmem_cli.embed import embedders
            from langmem_cli.store import open_store

            embedders.set_notice(self.output.info)  # the first export's notice; --quiet hides it
            self.check_db_path()
            # The app is assembled here: the store gets its embedder (loaded on first use).
            self._store = open_store(self.db, embedder=embedders.LazyEmbedder(self.embedding_model))
        return self._store

    def check_db_path(self) -> None:
        """Say why the database cannot be opened, before SQLite gives a vaguer answer."""
        from langmem_cli.errors import DatabaseError

        db = self.db
        if isinstance(db, str):  # a server URL: the backend says what is wrong with it
            return
        if db.is_dir():
            raise DatabaseError(f"cannot open database {db}: it is a directory (give a file, e.g. {db / 'memories.db'})")
        parent = next((p for p in db.parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            raise DatabaseError(f"cannot create database {db}: {parent} is a file, not a directory")
        if self.read_only and not db.parent.exists():
            raise DatabaseError(f"no database at {db}: the folder {db.parent} does not exist "
                                "(nothing stored yet: put, import or extract creates it)")

    @contextlib.contextmanager
    def run(self, command: str, arguments: dict[str, Any], model: str | None = None,
            outcome: "RunOutcome | None" = None) -> Iterator["Store"]:
        """Record the command in the runs table: ``outcome``'s status, error and usage when the
        block ends normally; "failed" with the exception's message (and the usage so far) if not."""
        outcome = outcome if outcome is not None else RunOutcome()
        store = self.store()
        run_id = store.start_run(command, arguments, model=model)
        try:
            yield store
        except BaseException as exc:
            with contextlib.suppress(Exception):
                store.finish_run(run_id, "failed", error=str(exc)[:500] or type(exc).__name__, **outcome.tokens())
            raise
        else:
            store.finish_run(run_id, outcome.status, error=(outcome.error or None) and outcome.error[:2000],
                             **outcome.tokens())
        finally:
            store.run_id = None

    @property
    def location(self) -> str:
        """The database for messages: the path, or the URL with its password masked."""
        if isinstance(self.db, str):
            from langmem_cli.store.postgres.url import mask

            return mask(self.db)
        return str(self.db)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def state(ctx: typer.Context, json_mode: Optional[bool] = None) -> State:
    st: State = ctx.find_root().obj
    st.output.with_json(json_mode)
    return st
