from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Optional

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import JsonOpt, NamespaceOpt, PrefixOpt, open_input, state
from langmem_cli.errors import UsageError


def export(
    ctx: typer.Context,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout.")] = None,
    namespace: NamespaceOpt = None,
    prefix: PrefixOpt = None,
    history: Annotated[bool, typer.Option("--history", help="Include the history of every memory.")] = False,
) -> None:
    """Export memories as JSONL (lossless: ids, timestamps; history with --history)."""
    from langmem_cli.store.transfer import write_export

    st = state(ctx)
    store = st.store()
    if output is None:
        write_export(store, sys.stdout, namespace=namespace, prefix=prefix, history=history)
        return
    directory = output.resolve().parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=directory)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fp:
            n = write_export(store, fp, namespace=namespace, prefix=prefix, history=history)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    st.output.info(f"exported {n} lines to {output}")


def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="JSONL file from `langmem export` (or any lines with namespace and content); - for stdin.")],
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Skip bad lines (and report them) instead of importing nothing.")] = False,
    json_mode: JsonOpt = None,
) -> None:
    """Import memories from JSONL. Idempotent: importing the same file twice adds nothing."""
    from langmem_cli.store.transfer import import_lines

    st = state(ctx, json_mode)
    with open_input(file, binary=True) as (handle, name), st.run("import", {"file": name, "skip_invalid": skip_invalid}) as store:
        report = import_lines(store, handle, name=name, skip_invalid=skip_invalid)
    for line in report.errors[:20]:
        st.output.warn(f"skipped {line}")

    def human(console) -> None:
        console.print(
            f"imported {report.inserted}, updated {report.updated}, already present {report.skipped}, "
            f"invalid {report.invalid}, history entries {report.history}"
        )

    st.output.data(report.to_dict(), human)
