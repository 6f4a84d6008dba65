"""Profiles in the extract job (issue 23 item 3): the statements a conversation makes about a
profile's fields (found offline, or proposed by a model and grounded), merged by the time they
were said with every statement the profile already holds, into versions that never overlap."""

from __future__ import annotations

from typing import Any

from langmem_cli.core.conversation import Conversation
from langmem_cli.core.extraction import Operation
from langmem_cli.core.grounding import Candidate, Rejected
from langmem_cli.jobs.grounded import conversation_time, gate


def _properties(schema) -> dict[str, Any]:
    return (schema.json_schema or {}).get("properties") or {}


def local(store, conversation: Conversation, namespace: str, schemas: dict) -> tuple[list[Operation], list[Rejected]]:
    """The offline extractor in profile mode: grounded fields for each schema."""
    operations: list[Operation] = []
    rejected: list[Rejected] = []
    for schema in schemas.values():
        ops, rej = local_profile(store, conversation, namespace, schema)
        operations += ops
        rejected += rej
    return operations, rejected


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
    observations = [Observation(f.field, f.op, f.candidate.content,
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
    on (split, retracted and new versions; nothing is erased). Each statement is kept once, in the
    metadata of the row written when it was first merged; a version's evidence is that of the
    statements its values come from."""
    import uuid

    from langmem_cli.core import profile_rules as rules

    properties = _properties(schema)
    every = _profile_rows(store, namespace, schema.name)
    rows = [m for m in every if _held(m)]
    old_log = stored_log(every, properties)
    log = rules.merge_log(old_log, observations)
    if len(log) == len(old_log) and every:
        return []  # nothing new was said (a re-run, the same words again)
    persisted = {rules.Observation.from_dict(d).key() for m in every
                 for d in (m.metadata.get("observations") or []) if isinstance(d, dict) and {"field", "op", "at"} <= set(d)}
    unsaved = [o.to_dict() for o in log if o.key() not in persisted]
    wanted = rules.versions(log, properties)
    if not wanted:
        # Only values said to no longer hold, and nothing they remove yet (the files came newest
        # first): a row that never held keeps these statements for the next file to be merged with.
        noted: dict[str, Any] = {}
        for o in log:
            noted.setdefault(o.field, []).append(o.value)
        return [Operation("insert", schema.name, noted, valid_from=log[0].at, valid_until=log[0].at,
                          metadata={"profile": True, "pending": True, "observations": unsaved,
                                    "evidence": [e for o in log for e in o.evidence]})]
    for v in wanted:
        v.content = schema.validate(v.content)
    stored = [rules.Version(m.valid_from, m.valid_until, m.content, m.id) for m in rows]
    steps = rules.revise(stored, wanted, lambda: str(uuid.uuid4()))

    def metadata(version) -> dict[str, Any]:
        sources: list = []
        rules.fold(log, properties, through=version.valid_from, sources=sources)
        first = not any(op.action == "insert" for op in operations)
        return {"profile": True, "evidence": [e for o in sources for e in o.evidence],
                "observations": unsaved if first else []}

    def close(target: str | None, at: str | None, successor: str | None) -> Operation:
        return Operation("delete", schema.name, None, target, metadata={"superseded_by": successor}, valid_from=at)

    operations: list[Operation] = []
    for step in steps:
        if step.action == "close":
            operations.append(close(step.target, step.valid_from, step.successor))
            continue
        new = step.version
        assert new is not None  # insert and update steps carry their version
        if step.action == "update":  # the stored version ends where this one begins
            operations.append(close(step.target, new.valid_from, new.id))
        operations.append(Operation("insert", schema.name, new.content, None, metadata=metadata(new),
                                    valid_from=new.valid_from, valid_until=new.valid_until, superseded_by=step.next_id,
                                    row_id=new.id))
    if not any(op.action == "insert" for op in operations):
        # no version changed: the newest keeps the new statements, so the next one is merged with them
        newest = max(rows, key=lambda m: (m.valid_until is None, m.valid_from or "", m.updated_at))
        kept = list(newest.metadata.get("observations") or [])
        operations.append(Operation("update", schema.name, newest.content, newest.id,
                                    metadata={"profile": True, "observations": kept + unsaved}, valid_from=newest.valid_from))
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
