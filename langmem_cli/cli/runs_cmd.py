from __future__ import annotations

import typer

from langmem_cli.cli.options import JsonOpt, LimitOpt, state


def runs(ctx: typer.Context, limit: LimitOpt = 20, json_mode: JsonOpt = None) -> None:
    """Recent command runs: command, status, model, tokens, cost, times."""
    st = state(ctx, json_mode)
    rows = st.store().runs(limit)

    def human(console) -> None:
        from rich.table import Table

        table = Table()
        for col in ("started", "command", "status", "model", "tokens", "cost", "id"):
            table.add_column(col)
        for r in rows:
            tokens = (r["prompt_tokens"] or 0) + (r["completion_tokens"] or 0)
            table.add_row((r["started_at"] or "")[:19].replace("T", " "), r["command"], r["status"], r["model"] or "",
                          str(tokens), f"{r['cost'] or 0:.4f}", r["id"][:8])
        console.print(table)

    st.output.data(rows, human)
