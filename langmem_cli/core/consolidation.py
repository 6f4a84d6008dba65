"""Background reflection over one cluster of related memories -> merge operations. No I/O.

The model may only touch the memories of the cluster it was shown (ids c1, c2, …): an operation
on any other id is rejected and the call retried with the error; after the retries the cluster
is reported as failed and nothing of it is written.
"""

from __future__ import annotations

from typing import Any

from langmem_cli.core.extraction import (
    MAX_OPERATIONS,
    Existing,
    ExtractReply,
    Operation,
    Policy,
    _validated,
    claim_target,
    reply_schema,
)
from langmem_cli.core.llm import ChatClient, Usage, structured_call
from langmem_cli.core.schemas import Schema

SYSTEM = """You maintain a long-term memory store. The memories below were found to be related. Consolidate them:
- merge duplicates into one memory;
- fold closely related facts into one denser memory;
- resolve contradictions: newer evidence wins (see the dates), and the merged memory says what changed;
- delete memories that are obsolete or fully covered by another.
Keep memories that are still true and distinct: write no operation for them. Never invent facts.

Memories (id, kind, last updated, content):
{memories}
{instructions}
Answer with JSON only: {{"operations": [{{"action": "update" | "delete" | "insert", "id": an id above or null for insert, "content": ...}}]}}
Use at most {max_ops} operations; an empty list when nothing should change."""


def consolidate_cluster(
    client: ChatClient,
    cluster: list[Existing],
    updated_at: dict[str, str],
    schemas: dict[str, Schema],
    *,
    instructions: str | None = None,
    retries: int = 2,
    usage: Usage | None = None,
) -> list[Operation]:
    local = {f"c{i}": m for i, m in enumerate(cluster, start=1)}
    lines = [f"[{lid}] {m.kind} ({updated_at.get(m.id, '')[:10]}): {' '.join(m.text.split())}" for lid, m in local.items()]
    result: list[Operation] = []

    def check(reply: ExtractReply) -> None:
        ops: list[Operation] = []
        touched: set[str] = set()
        for n, op in enumerate(reply.operations):
            where = f"operations.{n}"
            if op.action not in ("insert", "update", "delete"):
                raise ValueError(f"{where}: unknown action {op.action!r}")
            if op.action == "insert":
                kind = op.kind or cluster[0].kind
                if kind not in schemas:
                    raise ValueError(f"{where}: kind {kind!r} is not one of {', '.join(schemas)}")
                ops.append(Operation("insert", kind, _validated(schemas[kind], op.content, where)))
                continue
            target = claim_target(op.id, local, touched, where, "in this cluster")
            if op.action == "delete":
                ops.append(Operation("delete", target.kind, None, target.id))
            else:
                if target.kind not in schemas:
                    raise ValueError(f"{where}: memory {op.id} is of kind {target.kind!r}, which cannot be rewritten")
                ops.append(Operation("update", target.kind, _validated(schemas[target.kind], op.content, where), target.id))
        if len(touched) == len(local) and not any(o.action in ("insert", "update") for o in ops):
            raise ValueError("every memory of the cluster would be deleted with nothing kept: keep or merge at least one")
        result[:] = ops

    kinds = {m.kind: schemas[m.kind] for m in cluster if m.kind in schemas} or schemas
    messages = [
        {"role": "system", "content": SYSTEM.format(
            memories="\n".join(lines),
            instructions=f"\nInstructions from the user of this tool:\n{instructions.strip()}\n" if instructions else "",
            max_ops=MAX_OPERATIONS,
        )},
        {"role": "user", "content": "Consolidate these memories."},
    ]
    structured_call(client, messages, ExtractReply, retries=retries, usage=usage, check=check,
                    schema=reply_schema(kinds, Policy(True, True, True), list(local)), name="MergeReply")
    return result


def describe(ops: list[Operation]) -> dict[str, Any]:
    return {a: sum(1 for o in ops if o.action == a) for a in ("insert", "update", "delete")}
