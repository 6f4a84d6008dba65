"""Grounding in the extract job: the offline "local" extractor, and the gate every candidate
passes (with any extractor) before it becomes an operation with its evidence."""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

from langmem_cli.core import grounding
from langmem_cli.core.conversation import Conversation
from langmem_cli.core.extraction import Operation
from langmem_cli.core.grounding import Candidate, Rejected

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
    paths: dict[str, str | None] = {}
    return [(candidate, anchored(evidence, paths)) for candidate, evidence in verdict.accepted], verdict.rejected


def anchored(evidence: list[dict[str, Any]], paths: dict[str, str | None] | None = None) -> list[dict[str, Any]]:
    """Each evidence item with ``path``: its file's absolute path when the file was named relative
    to the working directory, so that its context can be read back from anywhere (``search
    --context`` in another directory, an MCP server started elsewhere). ``file`` stays as given.
    ``paths``: file -> absolute path (None: none to add), shared by the calls of one gate, so each
    file is looked up once."""
    paths = {} if paths is None else paths
    out = []
    for item in evidence:
        file = item.get("file")
        if isinstance(file, str) and file:
            if file not in paths:
                paths[file] = os.path.abspath(file) if not os.path.isabs(file) and os.path.isfile(file) else None
            if paths[file]:
                item = {**item, "path": paths[file]}
        out.append(item)
    return out


def with_evidence(op: Operation, evidence: list[dict[str, Any]], valid_from: str | None) -> Operation:
    op.metadata = {**(op.metadata or {}), "evidence": evidence}
    op.valid_from = op.valid_from or valid_from
    return op


def conversation_time(conversation: Conversation) -> str | None:
    from langmem_cli.core import dates

    return dates.iso(conversation.started_at)


def local_operations(store, conversation: Conversation, namespace: str, kind: str,
                     user=None) -> tuple[list[Operation], list[Rejected]]:
    """The offline extractor: statements → gate → placed in time among the namespace's memories
    (a restatement adds nothing; a change supersedes what it changes: jobs/updates.py) → operations.
    ``user``: the name the unnamed user goes by (core.names.Naming)."""
    from langmem_cli.core.statements import statements
    from langmem_cli.jobs.updates import place_statements

    accepted, rejected = gate(store, conversation, statements(conversation, user=user), embed=False)
    if not accepted:
        return [], rejected
    from langmem_cli.core.records import NewMemory

    vectors = store.embedder.embed([c.text for c, _ in accepted])
    hashes = [store.prepare(NewMemory(namespace, c.text, kind)).content_hash for c, _ in accepted]
    store.offer_embeddings(dict(zip(hashes, vectors)))  # the store need not embed them again
    when = conversation_time(conversation)
    said = [(c.text, c.valid_from or when, {"evidence": evidence, **_person(c.text, user)}) for c, evidence in accepted]
    operations, _ = place_statements(store, namespace, kind, said, np.asarray(vectors),
                                     person=user.name if user is not None else None)
    return operations, rejected


def _person(text: str, user) -> dict[str, Any]:
    """The name a statement uses for the namespace's person, and where it came from (jobs/naming.py)."""
    import re

    from langmem_cli.core.names import person_mark

    if user is None or not re.search(rf"(?<![\w'-]){re.escape(user.name)}(?![\w-])", text):
        return {}
    return {"person": person_mark(user)}


def gate_operations(store, conversation: Conversation, operations: list[Operation],
                    requote: Callable[[list[Rejected]], dict[int, list[str]]] | None = None,
                    ) -> tuple[list[Operation], list[Rejected]]:
    """Inserts and updates from a model pass the gate with their quotes; deletes need none.
    ``requote(rejected)`` asks the model once more for the quotes that were not found
    (returns {position: new quotes}); what still fails is rejected."""
    from langmem_cli.core.grounding import words
    from langmem_cli.core.render import render

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


def local(store, conversation: Conversation, namespace: str, schemas: dict, profile: bool, user=None
          ) -> tuple[list[Operation], list[Rejected]]:
    """The offline extractor for each schema: statements for free-text kinds (profiles: see
    jobs/profiles.py); a structured kind without --profile gets nothing offline (it needs a model)."""
    operations: list[Operation] = []
    rejected: list[Rejected] = []
    for name, schema in schemas.items():
        if profile or not schema.is_text:
            continue
        ops, rej = local_operations(store, conversation, namespace, name, user=user)
        operations += ops
        rejected += rej
    return operations, rejected
