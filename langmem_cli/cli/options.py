"""Options shared by several commands (Annotated types) and the per-invocation state."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator, List, Optional

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

# The LLM options of every LLM command (extract, watch, consolidate, optimize-prompt), defined once.
def model_opt(without: str) -> Any:
    """``--model`` for a command (``Annotated[Optional[str], model_opt("...")]``), its help saying
    what the command does without a model (every command with --model uses this, issue 26)."""
    return typer.Option(
        "--model", envvar="LANGMEM_MODEL", show_default=False,
        help=f"Any litellm model string (e.g. openai/gpt-4o-mini, ollama/llama3.2). Without one (default, or 'local'): {without}")


ApiBaseOpt = Annotated[Optional[str], typer.Option("--api-base", envvar="LANGMEM_API_BASE", help="Base URL of an OpenAI-compatible server.", show_default=False)]
TimeoutOpt = Annotated[float, typer.Option("--timeout", min=1.0, help="Seconds per LLM call.")]
RetriesOpt = Annotated[int, typer.Option("--retries", min=0, max=10, help="Retries when a reply does not validate or the provider fails (the latter after a backoff).")]

# What extract and watch share: where memories go, what kinds, and how the model is asked.
NamespaceTemplateOpt = Annotated[str, typer.Option("--namespace", "-n", help="Namespace or template, e.g. memories/{user_id}.")]
VarOpt = Annotated[Optional[List[str]], typer.Option("--var", help="key=value for the namespace template; user_name=NAME names the user in memories when the transcript does not; repeatable.")]
SchemaOpt = Annotated[Optional[List[str]], typer.Option("--schema", "-s", help="memory, episode, profile, PATH.json or module:Class; repeatable.")]
InstructionsOpt = Annotated[Optional[str], typer.Option("--instructions", help="Extra instructions, or @FILE.")]
ProfileOpt = Annotated[bool, typer.Option("--profile", help="One document per namespace and schema, updated in place.")]
EnableDeletesOpt = Annotated[bool, typer.Option("--enable-deletes", help="Let the model delete memories it was shown.")]
NoUpdatesOpt = Annotated[bool, typer.Option("--no-updates", help="Only insert; never change existing memories.")]
FormatOpt = Annotated[Optional[str], typer.Option("--format", help="Transcript format (default: detected).")]
TopKOpt = Annotated[int, typer.Option("--top-k", min=0, help="Related memories shown to the model per chunk.")]
ChunkTokensOpt = Annotated[int, typer.Option("--chunk-tokens", min=64, help="Token budget of one transcript chunk.")]
EpisodesOpt = Annotated[bool, typer.Option("--episodes", help="Also keep each turn word for word (kind turn), searchable with the memories; memories link to the turns they quote.")]


@dataclass
class ExtractArgs:
    """The values of the shared option group (``extract_option_group``)."""

    namespace: str = "default"
    var: Optional[List[str]] = None
    schema: Optional[List[str]] = None
    instructions: Optional[str] = None
    profile: bool = False
    enable_deletes: bool = False
    no_updates: bool = False
    fmt: Optional[str] = None
    top_k: int = 10
    chunk_tokens: int = 1500
    episodes: bool = False

    def options(self, retries: int, dry_run: bool = False, force: bool = False):
        """``jobs.extract.ExtractOptions`` (schemas loaded, --var parsed, --instructions read)."""
        from langmem_cli.core.extraction import Policy
        from langmem_cli.formats.schema_files import load_schemas
        from langmem_cli.jobs.extract import ExtractOptions

        return ExtractOptions(
            namespace=self.namespace, variables=parse_pairs(self.var, "--var"), schemas=load_schemas(self.schema),
            instructions=read_instructions(self.instructions), profile=self.profile,
            policy=Policy(enable_inserts=True, enable_updates=not self.no_updates, enable_deletes=self.enable_deletes),
            dry_run=dry_run, force=force, top_k=self.top_k, chunk_tokens=self.chunk_tokens, retries=retries,
            episodes=self.episodes,
        )


_EXTRACT_GROUP = (("namespace", NamespaceTemplateOpt), ("var", VarOpt), ("schema", SchemaOpt),
                  ("instructions", InstructionsOpt), ("profile", ProfileOpt), ("enable_deletes", EnableDeletesOpt),
                  ("no_updates", NoUpdatesOpt), ("fmt", FormatOpt), ("top_k", TopKOpt),
                  ("chunk_tokens", ChunkTokensOpt), ("episodes", EpisodesOpt))


def extract_option_group(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the options ``extract`` and ``watch`` share (namespace template, --var,
    schemas, instructions, --profile, the update/delete policy, --format, --top-k, --chunk-tokens,
    --episodes),
    after its own. The command takes them as one keyword argument ``shared: ExtractArgs``."""
    import functools
    import inspect

    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "shared"]
    defaults = ExtractArgs()
    group = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=getattr(defaults, name), annotation=kind)
             for name, kind in _EXTRACT_GROUP]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        shared = ExtractArgs(**{name: kwargs.pop(name) for name, _ in _EXTRACT_GROUP})
        return command(*args, shared=shared, **kwargs)

    # Arguments first, then the group, then the command's own options (keyword-only, as Click passes them).
    head = [p for p in own if p.default is inspect.Parameter.empty]
    rest = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own if p.default is not inspect.Parameter.empty]
    parameters = head + group + rest
    # inspect.signature (so Typer) reads a function's __signature__; typeshed's function type does not declare it.
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper


def check_format(fmt: str | None) -> None:
    from langmem_cli.formats import FORMATS

    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r}: use {', '.join(FORMATS)}")


def make_client(model: str | None, api_base: str | None, timeout: float):
    """The LLM client for the LLM options above (litellm is imported here, not before); None for
    ``local``, the offline extractor (no model is loaded)."""
    from langmem_cli import config

    name = config.llm_model(model)
    if name == config.DEFAULT_MODEL:
        return None
    from langmem_cli.llm.litellm_client import LiteLLMClient

    return LiteLLMClient(name, api_base=config.api_base(api_base), timeout=timeout)


def parse_pairs(items: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item or not item.split("=", 1)[0]:
            raise UsageError(f"invalid {what} {item!r}: use key=value")
        key, value = item.split("=", 1)
        out[key] = value
    return out


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


SHORT_ID = 8  # the shortest prefix taken for an id (tables show ids this long)


def resolve_id(store: "Store", memory_id: str) -> str:
    """A memory id, or a unique prefix of at least 8 characters of one (as tables show them). An
    ambiguous prefix is a usage error (exit 2) that lists the matches; none is not found (3)."""
    if len(memory_id) < SHORT_ID or store.ids_with_prefix(memory_id, 1) == [memory_id]:
        return memory_id
    matches = store.ids_with_prefix(memory_id, 11)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        return memory_id  # the command says it is not found (or finds it in history)
    shown = ", ".join(matches[:10]) + (", …" if len(matches) > 10 else "")
    raise UsageError(f"id {memory_id} is ambiguous: it starts {len(matches) if len(matches) <= 10 else 'more than 10'} "
                     f"memories ({shown}); give more characters")


# Commands that only read: on a database that does not exist yet they say so instead of creating
# its folder and reporting nothing.
READ_ONLY_COMMANDS = frozenset({"search", "list", "get", "history", "namespaces", "stats", "runs", "export",
                                "show-profile", "prompt-history", "timeline"})


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
        if self.read_only and not db.exists():  # a typo must not create an empty database
            raise DatabaseError(f"no database at {db} (nothing stored yet: put, import or extract creates it)")

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
