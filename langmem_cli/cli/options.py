"""Options shared by several commands (Annotated types) and the per-invocation state."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, List, Optional

import typer
from typing_extensions import Annotated

from langmem_cli.cli.output import Output

if TYPE_CHECKING:
    from langmem_cli.store import Store

JsonOpt = Annotated[Optional[bool], typer.Option("--json/--no-json", help="JSON output (default when piped); --no-json forces the table.")]
NamespaceOpt = Annotated[Optional[str], typer.Option("--namespace", "-n", help="Exact namespace, e.g. org/user_123/app.")]
PrefixOpt = Annotated[Optional[str], typer.Option("--prefix", help="Namespace prefix: the namespace and everything below it.")]
KindOpt = Annotated[Optional[List[str]], typer.Option("--kind", "-k", help="Only this kind (schema name); repeatable.")]
FilterOpt = Annotated[Optional[List[str]], typer.Option("--filter", "-f", help="field=value on content or metadata; repeatable.")]
LimitOpt = Annotated[int, typer.Option("--limit", "-l", min=1, help="Maximum results.")]
OffsetOpt = Annotated[int, typer.Option("--offset", min=0, help="Skip this many results.")]


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


@dataclass
class State:
    db: Path
    output: Output
    embedding_model: Optional[str]
    _store: "Store | None" = None

    def store(self) -> "Store":
        if self._store is None:
            from langmem_cli.store import Store

            self._store = Store.open(self.db, embedding_model=self.embedding_model)
        return self._store

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

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def state(ctx: typer.Context, json_mode: Optional[bool] = None) -> State:
    st: State = ctx.find_root().obj
    st.output.with_json(json_mode)
    return st
