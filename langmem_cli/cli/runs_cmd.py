from __future__ import annotations

import typer

from langmem_cli.cli.options import JsonOpt, LimitOpt, state
from langmem_cli.cli.output import table, when


def runs(ctx: typer.Context, limit: LimitOpt = 20, json_mode: JsonOpt = None) -> None:
    """Recent command runs: command, status, model, tokens, cost, times."""
    st = state(ctx, json_mode)
    rows = st.store().runs(limit)

    def human(console) -> None:
        console.print(table(("started", "command", "status", "model", "rejected", "tokens", "cost", "id"), (
            (when(r["started_at"]), r["command"], r["status"], r["model"], r.get("rejected"),
             (r["prompt_tokens"] or 0) + (r["completion_tokens"] or 0), f"{r['cost'] or 0:.4f}", r["id"][:8])
            for r in rows)))

    st.output.data(rows, human)
