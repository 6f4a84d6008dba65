"""Grounding in the extract job: the offline "local" extractor, and the gate every candidate
passes (with any extractor) before it becomes an operation with its evidence."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from langmem_cli.core import grounding
from langmem_cli.core.conversation import Conversation
from langmem_cli.core.grounding import Candidate, Rejected
from langmem_cli.core.extraction import Operation

LOCAL = "local"  # the name of the offline extractor in summaries and runs
SMALL = 5000  # a namespace up to this size is compared whole; a larger one through vector search
DUPLICATE = 0.85  # cosine with a stored memory (or an earlier statement) above which a statement is a copy


def similarity(store) -> Callable[[str, str], float]:
    """Cosine of two texts under the store's embedding model (for the gate's support check)."""
    def cosine(a: str, b: str) -> float:
        vectors = store.embedder.embed([a, b])
        return float(np.dot(vectors[0], vectors[1]))
    return cosine


def gate(store, conversation: Conversation, candidates: list[Candidate],
         embed: bool = True) -> tuple[list[tuple[Candidate, list[dict[str, Any]]]], list[Rejected]]:
    verdict = grounding.check(candidates, conversation, similarity(store) if embed else None)
    return verdict.accepted, verdict.rejected


def with_evidence(op: Operation, evidence: list[dict[str, Any]], valid_from: str | None) -> Operation:
    op.metadata = {**(op.metadata or {}), "evidence": evidence}
    op.valid_from = op.valid_from or valid_from
    return op


def conversation_time(conversation: Conversation) -> str | None:
    from langmem_cli.core import dates

    return dates.iso(conversation.started_at)


def local_operations(store, conversation: Conversation, namespace: str, kind: str) -> tuple[list[Operation], list[Rejected]]:
    """The offline extractor: statements → gate → not already stored (by meaning) → inserts."""
    from langmem_cli.core.statements import statements

    accepted, rejected = gate(store, conversation, statements(conversation), embed=False)
    if not accepted:
        return [], rejected
    from langmem_cli.core.records import NewMemory

    vectors = store.embedder.embed([c.text for c, _ in accepted])
    hashes = [store.prepare(NewMemory(namespace, c.text, kind)).content_hash for c, _ in accepted]
    store.offer_embeddings(dict(zip(hashes, vectors)))  # the store need not embed them again
    size = store.count(namespace=namespace, kinds=[kind])
    stored = np.stack([v for m, v in store.embedded(namespace) if m.kind == kind]) if 0 < size <= SMALL else None
    operations: list[Operation] = []
    kept: list[np.ndarray] = []
    for n, (candidate, evidence) in enumerate(accepted):
        if stored is not None and stored.size and float((stored @ vectors[n]).max()) >= DUPLICATE:
            continue  # already remembered
        if size > SMALL and store.nearest(namespace, vectors[n:n + 1], kinds=[kind])[0][1] >= DUPLICATE:
            continue
        if any(float(np.dot(vectors[n], other)) >= DUPLICATE for other in kept):
            continue
        kept.append(vectors[n])
        op = Operation("insert", kind, candidate.text)
        operations.append(with_evidence(op, evidence, candidate.valid_from or conversation_time(conversation)))
    return operations, rejected


def gate_operations(store, conversation: Conversation, operations: list[Operation],
                    requote: Callable[[list[Rejected]], dict[int, list[str]]] | None = None,
                    ) -> tuple[list[Operation], list[Rejected]]:
    """Inserts and updates from a model pass the gate with their quotes; deletes need none.
    ``requote(rejected)`` asks the model once more for the quotes that were not found
    (returns {position: new quotes}); what still fails is rejected."""
    from langmem_cli.core.render import render

    from langmem_cli.core.grounding import words

    pending = [(n, op) for n, op in enumerate(operations) if op.action in ("insert", "update")]
    stored = store.get_many([op.id for _, op in pending if op.id])
    # an update may keep the words of the memory it rewrites (already stored) without quoting them
    candidates = [Candidate(render(op.kind, op.content), list(op.quotes or []), op.kind, op.content,
                            date_words=frozenset(words(stored[op.id].text)) if op.id in stored else frozenset())
                  for _, op in pending]
    accepted, rejected = gate(store, conversation, candidates)
    if requote is not None:
        again = [r for r in rejected if "not found" in r.reason or r.reason == "no quote given"]
        if again:
            fresh = requote(again)
            retry = []
            for r in again:
                quotes = fresh.get(id(r.candidate))
                if quotes:
                    r.candidate.quotes = quotes
                    retry.append(r.candidate)
            if retry:
                more, still = gate(store, conversation, retry)
                accepted += more
                rejected = [r for r in rejected if r.candidate not in retry] + still
    evidence = {id(c): e for c, e in accepted}
    when = conversation_time(conversation)
    kept: list[Operation] = []
    for (n, op), candidate in zip(pending, candidates):
        if id(candidate) in evidence:
            kept.append(with_evidence(op, evidence[id(candidate)], _message_time(conversation, evidence[id(candidate)]) or when))
    deletes = [op for op in operations if op.action == "delete"]
    return kept + deletes, rejected


def _message_time(conversation: Conversation, evidence: list[dict[str, Any]]) -> str | None:
    from langmem_cli.core import dates

    stamps = [conversation.messages[e["message"]].timestamp for e in evidence]
    return next((dates.iso(s) for s in stamps if dates.iso(s)), None)


def local(store, conversation: Conversation, namespace: str, schemas: dict, profile: bool
          ) -> tuple[list[Operation], list[Rejected]]:
    """The offline extractor for each schema: statements for free-text kinds, grounded fields for
    profiles; a structured kind without --profile gets nothing offline (it needs a model)."""
    operations: list[Operation] = []
    rejected: list[Rejected] = []
    for name, schema in schemas.items():
        if profile:
            ops, rej = local_profile(store, conversation, namespace, schema)
        elif schema.is_text:
            ops, rej = local_operations(store, conversation, namespace, name)
        else:
            continue
        operations += ops
        rejected += rej
    return operations, rejected


def _properties(schema) -> dict[str, Any]:
    return (schema.json_schema or {}).get("properties") or {}


def local_profile(store, conversation: Conversation, namespace: str, schema) -> tuple[list[Operation], list[Rejected]]:
    """Offline profile fields: each value a person said (or said no longer holds), at the time
    they said it, merged by time into the profile's versions."""
    from langmem_cli.core.profile_rules import Observation, profile_fields

    properties = _properties(schema)
    found = profile_fields(conversation, properties)
    accepted, rejected = gate(store, conversation, [f.candidate for f in found], embed=False)
    if not accepted:
        return [], rejected
    evidence = {id(c): e for c, e in accepted}
    observations = [Observation(f.candidate.field, f.op, f.candidate.content,
                                _said_at(conversation, f.message), (f.message, f.position),
                                [{**e, "field": f.candidate.field} for e in evidence[id(f.candidate)]])
                    for f in found if id(f.candidate) in evidence]
    return revise_profile(store, namespace, schema, observations), rejected


def _said_at(conversation: Conversation, message: int) -> str:
    """When a message was said: its time, else the conversation's, else now (no time at all: the
    order files are read in decides, as for memories)."""
    from langmem_cli.core import dates
    from langmem_cli.core.timestamps import now, try_moment

    stamp = conversation.messages[message].timestamp if 0 <= message < len(conversation.messages) else None
    return try_moment(dates.iso(stamp)) or try_moment(conversation_time(conversation)) or now()


def _profile_rows(store, namespace: str, kind: str) -> list:
    """Every row of a profile, expired and never-valid ones too (they hold its statements)."""
    return store.list(namespace=namespace, kinds=[kind], limit=None, include_expired=True)


def _held(m) -> bool:
    return m.valid_until is None or m.valid_from is None or m.valid_until > m.valid_from


def stored_log(rows: list, properties: dict[str, Any]) -> list:
    """The observations a profile was folded from (each revision writes them all in the rows it
    writes: their union is the latest); a profile written before the log existed, or edited by
    hand since, counts as said when written."""
    from langmem_cli.core.profile_rules import Observation, fold, merge_log
    from langmem_cli.core.timestamps import try_moment

    log: list[Observation] = []
    for m in rows:
        entries = m.metadata.get("observations") if isinstance(m.metadata, dict) else None
        if isinstance(entries, list):
            log = merge_log(log, [Observation.from_dict(d) for d in entries
                                  if isinstance(d, dict) and {"field", "op", "at"} <= set(d)])
    held = [m for m in rows if _held(m)]
    if not held:
        return log
    newest = max(held, key=lambda m: (m.valid_until is None, m.valid_from or "", m.updated_at))
    logged = bool(log)
    content = newest.content if isinstance(newest.content, dict) else {}
    if newest.valid_until is not None or fold(log, properties) == content:
        return log
    at = try_moment(newest.updated_at if logged else (newest.valid_from or newest.created_at)) or newest.created_at
    before = fold(log, properties)
    for field in sorted(set(before) | set(content)):
        old, new = before.get(field), content.get(field)
        if old == new:
            continue
        if isinstance(new, list) or isinstance(old, list):
            olds, news = list(old or []), list(new or [])
            log += [Observation(field, "remove", v, at) for v in olds if v not in news]
            log += [Observation(field, "add", v, at, (0, n)) for n, v in enumerate(news) if v not in olds]
        elif new in (None, ""):
            log.append(Observation(field, "remove", old, at))
        else:
            log.append(Observation(field, "set", new, at))
    return log


def revise_profile(store, namespace: str, schema, observations: list) -> list[Operation]:
    """The operations that bring the stored versions of a profile to what all its statements say,
    by their time: a statement older than the current version reshapes the versions from its time
    on (split, retracted and new versions; nothing is erased)."""
    import uuid

    from langmem_cli.core import profile_rules as rules

    properties = _properties(schema)
    every = _profile_rows(store, namespace, schema.name)
    rows = [m for m in every if _held(m)]
    old_log = stored_log(every, properties)
    log = rules.merge_log(old_log, observations)
    if len(log) == len(old_log) and every:
        return []  # nothing new was said (a re-run, the same words again)
    wanted = rules.versions(log, properties)
    if not wanted:
        # Only values said to no longer hold, and nothing they remove yet (the files came newest
        # first): a row that never held keeps these statements for the next file to be merged with.
        noted: dict[str, Any] = {}
        for o in log:
            noted.setdefault(o.field, []).append(o.value)
        return [Operation("insert", schema.name, noted, valid_from=log[0].at, valid_until=log[0].at,
                          metadata={"profile": True, "pending": True, "observations": [o.to_dict() for o in log],
                                    "evidence": [e for o in log for e in o.evidence]})]
    for v in wanted:
        v.content = schema.validate(v.content)
    stored = [rules.Version(m.valid_from, m.valid_until, m.content, m.id) for m in rows]
    steps = rules.revise(stored, wanted, lambda: str(uuid.uuid4()))
    logged = [o.to_dict() for o in log]

    def metadata(version) -> dict[str, Any]:
        evidence = [e for o in log if o.at <= (version.valid_from or "") for e in o.evidence]
        return {"profile": True, "evidence": evidence, "observations": logged}

    operations: list[Operation] = []
    for step in steps:
        if step.action == "close":
            operations.append(Operation("delete", schema.name, None, step.target, metadata={"superseded_by": step.successor},
                                        valid_from=step.valid_from))
            continue
        v = step.version
        operations.append(Operation(step.action, schema.name, v.content, step.target, metadata=metadata(v),
                                    valid_from=v.valid_from, valid_until=v.valid_until, superseded_by=step.next_id,
                                    row_id=v.id))
    current = next((m for m in rows if m.valid_until is None), None)
    if current is not None and not any(op.id == current.id for op in operations):
        # the current version stays as it is; it keeps the log, so the next statement is merged with all of them
        operations.append(Operation("update", schema.name, current.content, current.id,
                                    metadata={"profile": True, "observations": logged}, valid_from=current.valid_from))
    return operations


def is_name_field(field: str) -> bool:
    return field.lower() in ("name", "first_name", "full_name", "user_name", "preferred_name", "nickname")


def said_name(value: str, said: list[str], conversation: Conversation) -> bool:
    """A name field's value must be a speaker's name or follow "I'm", "my name is", "call me"."""
    import re

    if any(m.name and m.name.lower() == value.lower() for m in conversation.messages):
        return True
    pattern = re.compile(r"(?i)\b(?:my name is|i'm|i am|call me|this is)\s+" + re.escape(value) + r"\b")
    return any(pattern.search(s.replace("\u2019", "'")) for s in said)


def gate_profile(store, conversation: Conversation, operations: list[Operation], schemas: dict,
                 namespace: str) -> tuple[list[Operation], list[Rejected]]:
    """A model's profile: each field that changed is a statement, kept only if its words are in
    what a person said (the quote is the sentence that holds them), at the time it was said; a
    value the model dropped goes only when a person said it no longer holds. The statements are
    then merged by time like the offline ones."""
    from langmem_cli.core.grounding import eligible, words
    from langmem_cli.core.profile_rules import Observation, negation_of
    from langmem_cli.core.statements import sentences

    allowed = eligible(conversation.messages)
    said = [(i, s) for i, m in enumerate(conversation.messages) if allowed[i] for s in sentences(m.content)]
    kept: list[Operation] = []
    rejected: list[Rejected] = []
    for op in operations:
        schema = schemas.get(op.kind)
        if schema is None:
            continue
        before = store.get(op.id).content if op.id else {}
        before = before if isinstance(before, dict) else {}
        content = dict(op.content) if isinstance(op.content, dict) else {}
        observations: list[Observation] = []

        def observe(field: str, action: str, item: Any) -> None:
            text = item if isinstance(item, str) else str(item)
            if action == "remove":
                found = negation_of(text, [s for _, s in said])
                if found is None:
                    return  # dropped without anyone saying so: the value stays
                quote = found
            else:
                if is_name_field(field) and not said_name(text, [s for _, s in said], conversation):
                    rejected.append(Rejected(Candidate(text, [], op.kind, field=field), "a name nobody said is theirs"))
                    return
                mine = set(words(text))
                quote = max((s for _, s in said), key=lambda s: len(mine & set(words(s))), default="")
            candidate = Candidate(text, [quote] if quote else [], op.kind, field=field)
            ok, refused = gate(store, conversation, [candidate], embed=action != "remove")
            if not ok:
                rejected.extend(refused)
                return
            evidence = [{**e, "field": field} for e in ok[0][1]]
            message = evidence[0]["message"] if evidence else 0
            words_at = conversation.messages[message].content.lower().find(text.lower()) if evidence else 0
            position = words_at if words_at >= 0 else conversation.messages[message].content.find(quote)
            observations.append(Observation(field, action, item, _said_at(conversation, message),
                                            (message, max(position, 0)), evidence))

        for field in sorted(set(before) | set(content)):
            old, new = before.get(field), content.get(field)
            if old == new:
                continue
            if isinstance(new, list) or isinstance(old, list):
                olds = old if isinstance(old, list) else []
                news = new if isinstance(new, list) else []
                for item in news:
                    if item not in olds:
                        observe(field, "add", item)
                for item in olds:
                    if item not in news:
                        observe(field, "remove", item)
            elif new in (None, ""):
                observe(field, "remove", old)
            else:
                observe(field, "set", new)
        if observations:
            kept += revise_profile(store, namespace, schema, observations)
    return kept, rejected
