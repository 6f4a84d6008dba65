"""Supersede, don't destroy (issue 14): how a batch of a model's operations becomes rows, the
same for every backend (no SQL here; each backend writes the plan in one transaction).

An update leaves its target in place, closed (``valid_until``, ``superseded_by``), and adds a row
with the new content; a delete closes its target (superseded when a merge names its successor).
An update that keeps the fact and adds provenance is written in place. Only a user's ``delete``
erases a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, NamedTuple, Sequence

from langmem_cli.core.grounding import merged_metadata
from langmem_cli.core.records import Memory, NewMemory
from langmem_cli.core.timestamps import now
from langmem_cli.errors import NotFoundError, UsageError


class Closed(NamedTuple):
    """A memory closed by a plan: its row before and after, and why (supersede | invalidate)."""

    before: Memory
    after: Memory
    action: str


class Annotated(NamedTuple):
    """The same fact with new metadata (evidence), written in place."""

    before: Memory
    after: Memory


@dataclass
class Plan:
    inserts: list[Memory] = field(default_factory=list)  # from insert operations
    replacements: list[Memory] = field(default_factory=list)  # the new rows of update operations
    closed: list[Closed] = field(default_factory=list)
    annotated: list[Annotated] = field(default_factory=list)

    def result(self) -> dict[str, list[Memory]]:
        return {
            "inserted": self.inserts,
            "updated": self.replacements + [a.after for a in self.annotated],
            "deleted": [c.after for c in self.closed if c.action == "invalidate"],
            "superseded": [c.after for c in self.closed if c.action == "supersede"],
        }


class Planner:
    """Turns a batch of operations into a Plan, reading the targets through the store's
    ``get_many`` and validating new rows with its ``prepare`` (both handed in)."""

    def __init__(self, get_many: Callable[[Sequence[str]], dict[str, Memory]],
                 prepare: Callable[[NewMemory], Memory]) -> None:
        self.get_many = get_many
        self.prepare = prepare

    def plan(self, namespace: str, operations: Sequence[Any], source: str | None) -> Plan:
        plan = Plan()
        targets = self.get_many([op.id for op in operations if op.action in ("update", "delete", "supersede")])
        latest: dict[str, Memory] = {}  # target id -> the row that holds its fact after earlier operations
        for op in operations:
            if op.action not in ("insert", "update", "delete", "supersede"):
                raise UsageError(f"unknown operation {op.action!r}")
            since = self._moment(getattr(op, "valid_from", None))
            if op.action == "insert":
                plan.inserts.append(self.prepare(NewMemory(
                    namespace, op.content, op.kind, op.metadata or {}, source, id=getattr(op, "row_id", None),
                    valid_from=since, valid_until=self._moment(getattr(op, "valid_until", None)),
                    superseded_by=getattr(op, "superseded_by", None))))
                continue
            fresh = next((m for m in plan.inserts if m.id == op.id), None)
            if op.action == "supersede" and fresh is not None:  # inserted by this batch: written closed
                until = since or now()
                plan.inserts[plan.inserts.index(fresh)] = replace(
                    fresh, valid_until=max(until, fresh.valid_from or until),
                    superseded_by=(op.metadata or {}).get("superseded_by") or getattr(op, "superseded_by", None))
                continue
            target = latest.get(op.id) or targets.get(op.id)
            if target is None or target.namespace != namespace:
                raise NotFoundError(f"no memory with id {op.id} in namespace {namespace}")
            if op.action == "update":
                self._plan_update(plan, target, op, since, source, latest)
            elif op.action == "supersede":
                # a later fact replaces this one from ``valid_from`` (also one already closed later:
                # a fact learnt late that fits between it and its successor)
                until = since or now()
                successor = (op.metadata or {}).get("superseded_by") or getattr(op, "superseded_by", None)
                if target.valid_until is None or until < target.valid_until:
                    self._close(plan, target, until, successor, "supersede", source)
            else:
                # a merge names the memory that carries the fact on: superseded, not just invalidated
                successor = (op.metadata or {}).get("superseded_by")
                if target.valid_until is None or (successor and since is not None and since < target.valid_until):
                    # (a closed version ends earlier only when a named successor takes over from then)
                    self._close(plan, target, since or now(), successor, "supersede" if successor else "invalidate", source)
        return plan

    def _plan_update(self, plan: Plan, target: Memory, op: Any, since: str | None, source: str | None,
                     latest: dict[str, Memory]) -> None:
        metadata = merged_metadata(target.metadata, op.metadata) or dict(target.metadata)
        until = self._moment(getattr(op, "valid_until", None))
        new = self.prepare(NewMemory(target.namespace, op.content, op.kind or target.kind, metadata, source,
                                     id=getattr(op, "row_id", None), valid_from=since, valid_until=until,
                                     superseded_by=getattr(op, "superseded_by", None)))
        if new.content_hash == target.content_hash and new.kind == target.kind:
            if metadata != target.metadata:  # the same fact, more provenance (a merge): kept in place
                plan.annotated.append(Annotated(target, replace(target, metadata=metadata, updated_at=now())))
            return
        if since is not None and target.valid_from is not None and since < target.valid_from:
            # An older fact learnt late (an earlier conversation read after a newer one): it held
            # until the stored one began, which stays current.
            new.valid_until, new.superseded_by = until or target.valid_from, new.superseded_by or target.id
            plan.replacements.append(new)
            return
        if since is not None and target.valid_until is not None and since < target.valid_until \
                and not any(r is target for r in plan.replacements):
            # The target was already replaced by a later fact: the update fits between them (it
            # ends where the target ended and hands on to its successor); the target ends now.
            new.valid_until, new.superseded_by = target.valid_until, target.superseded_by
            self._close(plan, target, since, new.id, "supersede", source)
            plan.replacements.append(new)
            latest[op.id] = new
            return
        if target.valid_until is not None and not any(r is target for r in plan.replacements):
            # The target was replaced meanwhile and this fact is later still: it replaces the fact
            # now current in the target's chain (never a second current version beside it).
            head = self._chain_head(target)
            if head is not target:
                self._plan_update(plan, head, op, since, source, latest)
                return
        if any(r is target for r in plan.replacements):  # updated twice in one batch: the second wins
            plan.replacements.remove(target)
            new.id, new.valid_from = target.id, new.valid_from or target.valid_from
        else:
            self._close(plan, target, since or now(), new.id, "supersede", source)
        plan.replacements.append(new)
        latest[op.id] = new

    def _chain_head(self, memory: Memory) -> Memory:
        """The memory that carries ``memory``'s fact on now: its successors followed to the last."""
        seen = {memory.id}
        while memory.superseded_by and memory.superseded_by not in seen:
            found = self.get_many([memory.superseded_by]).get(memory.superseded_by)
            if found is None:
                break
            memory = found
            seen.add(memory.id)
        return memory

    def _close(self, plan: Plan, target: Memory, until: str, successor: str | None, action: str,
               source: str | None) -> None:
        if target.valid_from is not None and until < target.valid_from:
            until = target.valid_from  # never an interval that ends before it begins
        after = replace(target, valid_until=until, superseded_by=successor or target.superseded_by, updated_at=now())
        plan.closed.append(Closed(target, after, action))

    def _moment(self, value: str | None) -> str | None:
        from langmem_cli.core.timestamps import moment

        if value is None:
            return None
        try:
            return moment(value, "valid_from")
        except ValueError as exc:
            raise UsageError(str(exc)) from None
