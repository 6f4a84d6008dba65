"""Supersede, don't destroy (issue 14): how a batch of a model's operations becomes rows.

An update leaves its target in place, closed (``valid_until``, ``superseded_by``), and adds a row
with the new content; a delete closes its target. Only a user's ``delete`` erases a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from langmem_cli.core.grounding import merged_metadata
from langmem_cli.core.records import Memory, NewMemory
from langmem_cli.core.render import canonical_json
from langmem_cli.core.timestamps import now
from langmem_cli.errors import NotFoundError, UsageError
from langmem_cli.store.sqlite.records_sql import MEMORY_COLUMNS, NOT_VALID_AT, row_to_memory


@dataclass
class Plan:
    inserts: list[Memory] = field(default_factory=list)  # from insert operations
    replacements: list[Memory] = field(default_factory=list)  # the new rows of update operations
    closed: list[tuple[Memory, Memory, str]] = field(default_factory=list)  # (before, after, supersede | invalidate)
    annotated: list[tuple[Memory, Memory]] = field(default_factory=list)  # same fact, new metadata (evidence)

    def result(self) -> dict[str, list[Memory]]:
        return {
            "inserted": self.inserts,
            "updated": self.replacements + [after for _, after in self.annotated],
            "deleted": [after for _, after, action in self.closed if action == "invalidate"],
            "superseded": [after for _, after, action in self.closed if action == "supersede"],
        }


class Validity:
    """Mixin of SQLiteStore: planning a batch of operations, and the supersede chain."""

    def _plan(self, namespace: str, operations: Sequence[Any], source: str | None) -> Plan:
        plan = Plan()
        targets = self.get_many([op.id for op in operations if op.action in ("update", "delete")])
        latest: dict[str, Memory] = {}  # target id -> the row that holds its fact after earlier operations
        for op in operations:
            if op.action not in ("insert", "update", "delete"):
                raise UsageError(f"unknown operation {op.action!r}")
            since = self._moment(getattr(op, "valid_from", None))
            if op.action == "insert":
                plan.inserts.append(self.prepare(NewMemory(namespace, op.content, op.kind, op.metadata or {}, source,
                                                           valid_from=since)))
                continue
            target = latest.get(op.id) or targets.get(op.id)
            if target is None or target.namespace != namespace:
                raise NotFoundError(f"no memory with id {op.id} in namespace {namespace}")
            if op.action == "update":
                self._plan_update(plan, target, op, since, source, latest)
            elif target.valid_until is None:
                # a merge names the memory that carries the fact on: superseded, not just invalidated
                successor = (op.metadata or {}).get("superseded_by")
                self._close(plan, target, since or now(), successor, "supersede" if successor else "invalidate", source)
        return plan

    def _plan_update(self, plan: Plan, target: Memory, op: Any, since: str | None, source: str | None,
                     latest: dict[str, Memory]) -> None:
        metadata = merged_metadata(target.metadata, op.metadata) or dict(target.metadata)
        new = self.prepare(NewMemory(target.namespace, op.content, op.kind or target.kind, metadata, source,
                                     valid_from=since))
        if new.content_hash == target.content_hash and new.kind == target.kind:
            if metadata != target.metadata:  # the same fact, more provenance (a merge): kept in place
                plan.annotated.append((target, replace(target, metadata=metadata, updated_at=now())))
            return
        if since is not None and target.valid_from is not None and since < target.valid_from:
            # An older fact learnt late (an earlier conversation read after a newer one): it held
            # until the stored one began, which stays current.
            new.valid_until, new.superseded_by = target.valid_from, target.id
            plan.replacements.append(new)
            return
        if any(r is target for r in plan.replacements):  # updated twice in one batch: the second wins
            plan.replacements.remove(target)
            new.id, new.valid_from = target.id, new.valid_from or target.valid_from
        else:
            self._close(plan, target, since or now(), new.id, "supersede", source)
        plan.replacements.append(new)
        latest[op.id] = new

    def _close(self, plan: Plan, target: Memory, until: str, successor: str | None, action: str,
               source: str | None) -> None:
        if target.valid_from is not None and until < target.valid_from:
            until = target.valid_from  # never an interval that ends before it begins
        after = replace(target, valid_until=until, superseded_by=successor or target.superseded_by, updated_at=now())
        plan.closed.append((target, after, action))

    def _write_metadata(self, before: Memory, after: Memory, source: str | None) -> None:
        self.conn.execute("UPDATE memories SET metadata = ?, updated_at = ? WHERE id = ?",
                          (canonical_json(after.metadata), after.updated_at, after.id))
        self._record("update", after.id, after.namespace, before, after, source)

    def _write_close(self, before: Memory, after: Memory, action: str, source: str | None) -> None:
        cursor = self.conn.execute("UPDATE memories SET valid_until = ?, superseded_by = ?, updated_at = ? WHERE id = ?",
                                   (after.valid_until, after.superseded_by, after.updated_at, after.id))
        if cursor.rowcount != 1:
            raise NotFoundError(f"no memory with id {after.id}")
        self._record(action, after.id, after.namespace, before, after, source)

    def _moment(self, value: str | None) -> str | None:
        from langmem_cli.core.timestamps import moment

        if value is None:
            return None
        try:
            return moment(value, "valid_from")
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    def not_valid_at(self, moment: str) -> frozenset[str]:
        """Ids of the memories not valid at ``moment`` (search masks them out). The same set
        serves every moment up to the next validity boundary, until the data change."""
        generation = self._query("SELECT coalesce(max(id), 0) FROM history")[0][0]
        cached = getattr(self, "_not_valid_cache", None)
        if cached and cached[0] == generation and cached[1] <= moment < cached[2]:
            return cached[3]
        ids = frozenset(r[0] for r in self._query(NOT_VALID_AT, (moment, moment)))
        boundary = self._query(
            "SELECT min(x) FROM (SELECT min(valid_until) AS x FROM memories WHERE valid_until > ? "
            "UNION ALL SELECT min(valid_from) FROM memories WHERE valid_from > ?)", (moment, moment))[0][0]
        self._not_valid_cache = (generation, moment, boundary or "\uffff", ids)
        return ids

    def lineage(self, memory_id: str) -> list[Memory]:
        memory = self.get(memory_id)
        chain = [memory]
        seen = {memory.id}
        head = memory
        while True:  # back: the memories this one replaced
            rows = self._query(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE superseded_by = ? ORDER BY rowid",
                               (head.id,))
            earlier = [row_to_memory(r) for r in rows if r[0] not in seen]
            if not earlier:
                break
            head = earlier[-1]
            chain.insert(0, head)
            seen.add(head.id)
        tail = memory
        while tail.superseded_by and tail.superseded_by not in seen:  # forward: what replaced it
            try:
                tail = self.get(tail.superseded_by)
            except NotFoundError:
                break
            chain.append(tail)
            seen.add(tail.id)
        return chain
