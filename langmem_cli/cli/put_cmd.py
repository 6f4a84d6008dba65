from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import JsonOpt, parse_pairs, state
from langmem_cli.core.render import TEXT_KINDS
from langmem_cli.errors import InvalidInputError, UsageError


def read_content(content: str | None, file: Path | None) -> tuple[str, str]:
    """(text, source) from the argument, a file, or stdin ('-')."""
    if file is not None and content is not None:
        raise UsageError("give the content as an argument or --file, not both")
    try:
        if file is not None:
            return file.read_text(encoding="utf-8"), str(file)
        if content == "-":
            return sys.stdin.read(), "stdin"
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"not UTF-8 text ({exc.reason})", location=str(file or "stdin")) from None
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}") from None
    if content is None:
        raise UsageError("no content: pass it as an argument, '-' for stdin, or --file")
    return content, "cli"


def parse_content(text: str, kind: str, source: str):
    from langmem_cli.core.lines import loads

    if kind in TEXT_KINDS:
        if not text.strip():
            raise UsageError("content is empty")
        return text.strip()
    try:
        value = loads(text)  # strict: NaN and Infinity are not JSON
    except ValueError as exc:
        raise InvalidInputError(f"invalid JSON content for kind {kind!r}: {exc}", location=source if source != "cli" else None) from None
    if not isinstance(value, dict) or not value:
        raise InvalidInputError(f"content for kind {kind!r} must be a non-empty JSON object")
    return value


def check_kind(store, kind: str) -> None:
    """A structured kind with no schema and no memory yet is most likely a typo: say so."""
    from langmem_cli.core.schemas import BUILTIN

    if kind in TEXT_KINDS or kind in BUILTIN or store.count(kinds=[kind]) > 0:
        return
    known = sorted(set(BUILTIN) | set(store.stats()["kinds"]))
    raise UsageError(f"unknown kind {kind!r}: it has no schema and no memory has it yet (known: {', '.join(known)}); "
                     "pass --new-kind to start it")


def put(
    ctx: typer.Context,
    content: Annotated[Optional[str], typer.Argument(help="The memory: text for kind 'memory', a JSON object for other kinds; '-' reads stdin.", show_default=False)] = None,
    namespace: Annotated[str, typer.Option("--namespace", "-n", help="Namespace, e.g. org/user_123/app.")] = "default",
    kind: Annotated[str, typer.Option("--kind", "-k", help="Kind (schema name). 'memory' is free text.")] = "memory",
    metadata: Annotated[Optional[List[str]], typer.Option("--metadata", "-m", help="key=value metadata; repeatable.")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", help="Read the content from this file.")] = None,
    memory_id: Annotated[Optional[str], typer.Option("--id", help="Use this id instead of a new uuid.")] = None,
    new_kind: Annotated[bool, typer.Option("--new-kind", help="Start a structured kind that has no schema and no memory yet.")] = False,
    valid_from: Annotated[Optional[str], typer.Option("--valid-from", help="When the fact became true (ISO 8601 date or date-time); default unknown.", show_default=False)] = None,
    valid_until: Annotated[Optional[str], typer.Option("--valid-until", help="When it stopped being true (ISO 8601); default: still true.", show_default=False)] = None,
    json_mode: JsonOpt = None,
) -> None:
    """Store one memory."""
    st = state(ctx, json_mode)
    text, source = read_content(content, file)
    value = parse_content(text, kind, source)
    if not new_kind:
        check_kind(st.store(), kind)
    meta = parse_pairs(metadata, "metadata")
    with st.run("put", {"namespace": namespace, "kind": kind}) as store:
        memory = store.put(namespace, value, kind=kind, metadata=meta, source=source, id=memory_id,
                           valid_from=valid_from, valid_until=valid_until)
    st.output.data(memory, lambda c: c.print(f"stored {memory.id} in {memory.namespace}"))
