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
    """The offline extractor: statements → gate → placed in time among the namespace's memories
    (a restatement adds nothing; a change supersedes what it changes: jobs/updates.py) → operations."""
    from langmem_cli.core.statements import statements
    from langmem_cli.jobs.updates import place_statements

    accepted, rejected = gate(store, conversation, statements(conversation), embed=False)
    if not accepted:
        return [], rejected
    from langmem_cli.core.records import NewMemory

    vectors = store.embedder.embed([c.text for c, _ in accepted])
    hashes = [store.prepare(NewMemory(namespace, c.text, kind)).content_hash for c, _ in accepted]
    store.offer_embeddings(dict(zip(hashes, vectors)))  # the store need not embed them again
    when = conversation_time(conversation)
    said = [(c.text, c.valid_from or when, {"evidence": evidence}) for c, evidence in accepted]
    operations, _ = place_statements(store, namespace, kind, said, np.asarray(vectors))
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
    from langmem_cli.core.profile_rules import merge, profile_fields

    properties = _properties(schema)
    accepted, rejected = gate(store, conversation, profile_fields(conversation, properties), embed=False)
    if not accepted:
        return [], rejected
    docs = store.list(namespace=namespace, kinds=[schema.name], limit=1)
    current = docs[0].content if docs and isinstance(docs[0].content, dict) else {}
    content = merge(current, [c for c, _ in accepted], properties)
    if docs and content == current:
        return [], rejected
    evidence = [{**e, "field": c.field} for c, ev in accepted for e in ev]
    op = Operation("update" if docs else "insert", schema.name, schema.validate(content), docs[0].id if docs else None,
                   metadata={"profile": True})
    return [with_evidence(op, evidence, _message_time(conversation, evidence) or conversation_time(conversation))], rejected


def is_name_field(field: str) -> bool:
    return field.lower() in ("name", "first_name", "full_name", "user_name", "preferred_name", "nickname")


def said_name(value: str, said: list[str], conversation: Conversation) -> bool:
    """A name field's value must be a speaker's name or follow "I'm", "my name is", "call me"."""
    import re

    if any(m.name and m.name.lower() == value.lower() for m in conversation.messages):
        return True
    pattern = re.compile(r"(?i)\b(?:my name is|i'm|i am|call me|this is)\s+" + re.escape(value) + r"\b")
    return any(pattern.search(s.replace("\u2019", "'")) for s in said)


def gate_profile(store, conversation: Conversation, operations: list[Operation]) -> tuple[list[Operation], list[Rejected]]:
    """A model's profile: each field that changed keeps its new value only if the value's words are
    in what a person said (the quote is the sentence that holds them); other fields keep the old value."""
    from langmem_cli.core.grounding import eligible, words
    from langmem_cli.core.statements import sentences

    allowed = eligible(conversation.messages)
    said = [s for i, m in enumerate(conversation.messages) if allowed[i] for s in sentences(m.content)]
    kept: list[Operation] = []
    rejected: list[Rejected] = []
    for op in operations:
        before = {}
        if op.id:
            before = store.get(op.id).content
        content = dict(op.content) if isinstance(op.content, dict) else {}
        evidence: list[dict[str, Any]] = []
        for field, value in list(content.items()):
            if before.get(field) == value:
                continue
            items = value if isinstance(value, list) else [value]
            old = before.get(field) if isinstance(before.get(field), list) else []
            good = []
            for item in items:
                if item in old:
                    good.append(item)  # grounded when it was written
                    continue
                text = item if isinstance(item, str) else str(item)
                if is_name_field(field) and not said_name(text, said, conversation):
                    rejected.append(Rejected(Candidate(text, [], op.kind, field=field), "a name nobody said is theirs"))
                    continue
                mine = set(words(text))
                quote = max(said, key=lambda s: len(mine & set(words(s))), default="")
                candidate = Candidate(text, [quote] if quote else [], op.kind, field=field)
                ok, refused = gate(store, conversation, [candidate])
                if ok:
                    good.append(item)
                    evidence += [{**e, "field": field} for e in ok[0][1]]
                else:
                    rejected += refused
            if isinstance(value, list):
                content[field] = good
            elif good:
                content[field] = value
            elif field in before:
                content[field] = before[field]
            else:
                del content[field]
        if evidence and content != before:
            op.content = content
            kept.append(with_evidence(op, evidence, conversation_time(conversation)))
    return kept, rejected
