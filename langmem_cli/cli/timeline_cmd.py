"""timeline: a namespace's memories over time (spans, supersede chains, what is current), in the
terminal, as JSON, or as a self-contained HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import JsonOpt, state

NamespaceReq = Annotated[str, typer.Option("--namespace", "-n", help="The namespace to show.")]
MARKS = {"current": ("●", "green"), "closed": ("○", "dim"), "retracted": ("×", "dim"), "future": ("◌", "cyan")}


def timeline(
    ctx: typer.Context,
    namespace: NamespaceReq,
    subject: Annotated[Optional[str], typer.Option("--subject", help="Only the chains about this person (named in a memory, or its speaker).")] = None,
    kind: Annotated[Optional[list[str]], typer.Option("--kind", "-k", help="Only these kinds (repeatable; turns kept by extract --episodes only when named).")] = None,
    html: Annotated[Optional[Path], typer.Option("--html", help="Write a self-contained HTML page to FILE (for a long history).", dir_okay=False)] = None,
    json_mode: JsonOpt = None,
) -> None:
    """Each memory of a namespace as a span from when it became true to when it stopped (● current,
    ○ closed, × replaced before it ever held), superseded versions linked in one chain, oldest first."""
    from langmem_cli.core.timeline import build
    from langmem_cli.core.timestamps import now

    st = state(ctx, json_mode)
    store = st.store()
    memories = store.list(namespace=namespace, kinds=kind or None, limit=None, include_expired=True)
    if not kind:  # turns (extract --episodes) are what was said, not facts that hold for a time: on request only
        from langmem_cli.core.episodes import KIND as TURN

        memories = [m for m in memories if m.kind != TURN]
    line = build(memories, namespace, now(), subject)
    if html is not None:
        from langmem_cli.cli.timeline_html import page
        from langmem_cli.errors import UsageError

        try:
            html.write_text(page(line), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {html}: {exc.strerror or exc}") from None
        count = sum(len(c.spans) for c in line.chains)
        st.output.data({"html": str(html), "memories": count, "current": sum(1 for c in line.chains for s in c.spans if s.current)},
                       lambda console: console.print(f"wrote {html} ({count} memories)", markup=False, highlight=False))
        return
    st.output.data(line.to_dict(), lambda console: _human(console, line))


def _human(console, line) -> None:
    import textwrap

    from rich.text import Text

    from langmem_cli.core.timeline import bar

    count = sum(len(c.spans) for c in line.chains)
    if not count:
        console.print(f"no memories in {line.namespace}" + (f" about {line.subject}" if line.subject else ""))
        return
    current = sum(1 for c in line.chains for s in c.spans if s.current)
    header = Text(f"{line.namespace}", style="bold")
    header.append(f" · {count} memories · {current} current · {(line.first or '?')[:10]} → {line.last[:10]}")
    console.print(header)
    width = max(10, min(40, (console.width or 80) - 28))
    for chain in line.chains:
        console.print()
        for n, span in enumerate(chain.spans):
            mark, style = MARKS[span.state]
            head = Text(f"{mark} ", style=style)
            head.append(bar(span, line, width), style="green" if span.current else "dim")
            head.append(f" {(span.valid_from or '…')[:10]} → {(span.valid_until or 'now')[:10]}", style=style)
            console.print(head, no_wrap=True, overflow="ellipsis")
            said = " · ".join(span.changes) if n and span.changes is not None else " · ".join(span.text.split("\n"))
            lines = textwrap.wrap(("↳ " if n else "") + said, max(20, (console.width or 80) - 4), break_on_hyphens=False) or [""]
            for text in lines:
                console.print(Text("  " + text, style="" if span.current else "dim"))
