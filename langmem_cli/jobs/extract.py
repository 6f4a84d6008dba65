"""Extraction: conversations -> memory operations -> one transaction per conversation."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, TypedDict

from langmem_cli.core.chunking import chunk_lines
from langmem_cli.core.conversation import Conversation
from langmem_cli.core.episodes import KIND as TURN
from langmem_cli.core.extraction import Existing, Operation, Policy, manage, manage_profile
from langmem_cli.core.llm import ChatClient, ConfigurationError, LLMError, Usage
from langmem_cli.core.long_messages import MESSAGE_LIMIT
from langmem_cli.core.quotes import requote
from langmem_cli.core.schemas import Schema
from langmem_cli.errors import ConnectionLostError, LangmemError, UsageError
from langmem_cli.jobs import grounded, profiles
from langmem_cli.jobs.templates import fill_namespace, template_fields, template_parts  # noqa: F401 - their home before


@dataclass
class ExtractOptions:
    namespace: str = "default"  # may hold {variables}
    variables: dict[str, str] = field(default_factory=dict)
    schemas: dict[str, Schema] = field(default_factory=dict)
    instructions: str | None = None
    profile: bool = False
    policy: Policy = field(default_factory=Policy)
    dry_run: bool = False
    force: bool = False
    top_k: int = 10
    chunk_tokens: int = 1500
    retries: int = 2
    max_llm_calls: int | None = None  # conversations that would go past it wait for the next run
    episodes: bool = False  # also keep the turns word for word (kind "turn", core/episodes.py)


@dataclass
class ConversationResult:
    source: str
    namespace: str
    status: str  # applied | unchanged | skipped | failed | dry-run
    operations: list[Operation] = field(default_factory=list)
    error: str | None = None
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0
    rejected: list = field(default_factory=list)  # core.grounding.Rejected: candidates the gate refused
    ids: list[str | None] = field(default_factory=list)  # the id each operation wrote, in order
    truncated: int = 0  # messages cut to the per-message limit (core/long_messages.py)

    @property
    def contradictions(self) -> list[dict[str, Any]]:
        """Statements kept beside a memory they contradict with nothing to tell which holds (said
        at the same moment, no cue of change): reported once, by the run that stores them (the new
        memory's metadata["contradicts"] marks the pair)."""
        return [{"ids": [op.row_id or op.id, other], "text": op.content}
                for op in self.operations if op.action == "insert"
                for other in (op.metadata or {}).get("contradicts", [])]

    def to_dict(self) -> dict[str, Any]:
        ops = [op.to_dict() for op in self.operations]
        for op, row_id in zip(ops, self.ids):
            op["id"] = op["id"] or row_id
        return {"source": self.source, "namespace": self.namespace, "status": self.status,
                "operations": ops, "rejected": [r.to_dict() for r in self.rejected], "error": self.error,
                "contradictions": self.contradictions,
                "usage": self.usage.to_dict(), "seconds": round(self.seconds, 3),
                **({"messages_cut": self.truncated} if self.truncated else {})}


class Unreadable(TypedDict):
    """A file of a batch that could not be read or parsed (the rest of the batch goes on)."""

    file: str
    error: str  # ``file:line: reason``
    exit_code: int  # what the command exits with when every file is like this one


@dataclass
class ExtractReport:
    results: list[ConversationResult] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0
    interrupted: bool = False  # Ctrl-C: the conversations applied before it are kept
    pending: int = 0  # conversations left for the next run (--max-llm-calls)
    unreadable: list[Unreadable] = field(default_factory=list)  # files that could not be read

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def kept_summary(self) -> str:
        done = self.count("applied") + self.count("unchanged")
        return (f"{done} conversations were saved ({self.operations('insert')} inserted, {self.operations('update')} "
                f"updated); the one in progress was rolled back; run the same command again to continue")

    def operations(self, action: str) -> int:
        return sum(1 for r in self.results if r.status in ("applied", "dry-run") for op in r.operations if counted_as(op) == action)

    @property
    def failed(self) -> list[ConversationResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def all_failed(self) -> bool:
        """Something failed and nothing else was done (every file unreadable, every conversation failed)."""
        return bool(self.failed or self.unreadable) and len(self.failed) == len(self.results)

    def summary(self) -> dict[str, Any]:
        return {
            "conversations": len(self.results),
            "inserted": self.operations("insert"),
            "updated": self.operations("update"),
            "deleted": self.operations("delete"),
            "turns": self.operations("turn"),
            "rejected": sum(len(r.rejected) for r in self.results),
            "contradictions": sum(len(r.contradictions) for r in self.results),
            "skipped": self.count("skipped"),
            "failed": len(self.failed),
            "files_failed": len(self.unreadable),
            "truncated": sum(r.truncated for r in self.results),
            "message_limit": MESSAGE_LIMIT,
            "pending": self.pending,
            **self.usage.to_dict(),
            "seconds": round(self.seconds, 2),
        }

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "conversations": [r.to_dict() for r in self.results],
                "unreadable": self.unreadable}


def counted_as(op: Operation) -> str:
    """The action an operation counts as in summaries: a close that names its successor (a profile
    version replaced by another, or a stored memory closed by a later statement offline: a
    supersede) is an update to whoever reads the counts, not a delete."""
    if op.action == "supersede" or (op.action == "delete" and (op.metadata or {}).get("superseded_by")):
        return "update"
    if op.action == "insert" and op.kind == TURN:  # an episode kept word for word (--episodes), not a memory
        return "turn"
    return op.action


def plan_namespaces(conversations: list[Conversation], opts: ExtractOptions) -> list[str]:
    """Every conversation's namespace, checked before any LLM call (a missing variable stops all)."""
    return [fill_namespace(opts.namespace, opts.variables, c.metadata, c.source) for c in conversations]


def run_extract(
    store,
    client: ChatClient | None,
    conversations: Iterable[Conversation],
    opts: ExtractOptions,
    progress: Callable[[ConversationResult], None] | None = None,
    step: Callable[..., None] | None = None,
) -> ExtractReport:
    """``step(n)`` after each LLM call's chunk (each conversation offline)."""
    if not opts.schemas:
        raise UsageError("no schema to extract")
    conversations = list(conversations)
    namespaces = plan_namespaces(conversations, opts)
    report = ExtractReport()
    started = time.perf_counter()
    budget = opts.max_llm_calls
    try:
        for conversation, namespace in zip(conversations, namespaces):
            needed = estimate_calls([conversation], opts) if client is not None else 0
            if budget is not None and client is not None and report.usage.calls + needed > budget:
                report.pending += 1
                continue
            result = extract_one(store, client, conversation, namespace, opts, step=step)
            report.results.append(result)
            report.usage.merge(result.usage)
            if step and client is None:
                step(1)
            if progress:
                progress(result)
    except KeyboardInterrupt:
        report.interrupted = True
    report.seconds = time.perf_counter() - started
    return report


def estimate_calls(conversations: list[Conversation], opts: ExtractOptions) -> int:
    """LLM calls a run needs at least: one per chunk (per schema in profile mode), retries aside."""
    total = 0
    from langmem_cli.core.long_messages import fit

    for conversation in conversations:
        lines = [f"{m.speaker}: {' '.join(fit(m.content)[0].split())}" for m in conversation.messages]
        total += len(chunk_lines(lines, opts.chunk_tokens)) * (len(opts.schemas) if opts.profile else 1)
    return total


def extract_one(store, client: ChatClient | None, conversation: Conversation, namespace: str, opts: ExtractOptions,
                step: Callable[..., None] | None = None,
                on_commit: Callable[[], None] | None = None) -> ConversationResult:
    """One conversation, one transaction. ``on_commit()`` runs inside that transaction (``watch``
    records there what it has extracted); it does not run when nothing is written (skipped, dry-run,
    failed).

    Outside a dry run the conversation is claimed first (``store.claim``): another process
    extracting the same conversation into the same namespace waits, then finds it processed, so
    parallel runs neither pay twice nor store twice, on SQLite and on PostgreSQL."""
    import contextlib

    claim = contextlib.nullcontext() if opts.dry_run else store.claim(namespace, conversation.content_hash)
    with claim:
        return _extract_one(store, client, conversation, namespace, opts, step, on_commit)


def _extract_one(store, client: ChatClient | None, conversation: Conversation, namespace: str, opts: ExtractOptions,
                 step: Callable[..., None] | None, on_commit: Callable[[], None] | None) -> ConversationResult:
    result = ConversationResult(conversation.source, namespace, "failed")
    started = time.perf_counter()
    digest = conversation.content_hash
    try:
        if not opts.force and not opts.dry_run and store.is_processed(namespace, digest):
            result.status = "skipped"
            return result
        conversation, result.truncated = _within_limit(conversation)
        lines = [f"{m.speaker}: {' '.join(m.content.split())}" for m in conversation.messages]
        chunks = chunk_lines(lines, opts.chunk_tokens)
        import contextlib

        from langmem_cli.core.names import replaces, user_naming

        # Offline, what a conversation changes is decided against the namespace's stored memories: the
        # namespace is held from that reading to the write, so parallel runs decide on the same state.
        offline = client is None and not opts.dry_run
        held = store.claim(namespace, "") if offline else contextlib.nullcontext()
        with held:
            stored_name = store.person_names(namespace).get(namespace)
            naming = user_naming(conversation, opts.variables.get("user_name"), stored_name)
            if client is None:  # the offline extractor "local"
                if opts.profile:
                    operations, result.rejected = profiles.local(store, conversation, namespace, opts.schemas)
                else:
                    operations, result.rejected = grounded.local(store, conversation, namespace, opts.schemas, opts.profile,
                                                                 user=naming)
            elif opts.profile:
                operations = _profile_operations(store, client, chunks, namespace, opts, result.usage, step)
                operations, result.rejected = profiles.gate_profile(store, conversation, operations, opts.schemas, namespace)
            else:
                operations = _memory_operations(store, client, chunks, namespace, opts, result.usage, step,
                                                person=naming.name if naming else None)
                operations, result.rejected = grounded.gate_operations(
                    store, conversation, operations,
                    requote=lambda rejected: requote(client, "\n".join(lines), rejected, usage=result.usage))
                from langmem_cli.jobs.updates import date_model_inserts

                operations = date_model_inserts(store, namespace, operations)
            result.operations = operations
            if opts.dry_run:
                result.status = "dry-run"
                return result
            with contextlib.nullcontext() if offline else store.claim(namespace, ""):  # the namespace, while its copies are checked and the result written
                operations = _without_stored_copies(store, namespace, operations)
                _stamp(operations, conversation)
                _with_index_text(operations, conversation)
                if opts.episodes and not opts.profile:
                    operations = _with_turns(store, namespace, conversation, operations, naming.name if naming else None)
                result.operations = operations
                counts = {a: sum(1 for op in operations if counted_as(op) == a) for a in ("insert", "update", "delete")}

                def committing(_) -> None:
                    if replaces(naming, stored_name):  # one name per person: later conversations use it too
                        store.set_person_name(namespace, naming.name, naming.since, naming.source)
                    store.mark_processed(namespace, digest, conversation.source,
                                         {"inserted": counts["insert"], "updated": counts["update"], "deleted": counts["delete"]})
                    if on_commit is not None:
                        on_commit()

                renaming = replaces(naming, stored_name)
                written = store.apply_operations(namespace, operations, conversation.source, on_commit=committing)
                # one name per person, whatever the reading order (jobs/naming.py): when the namespace
                # gets or changes its name, the memories that follow it take the current one; otherwise
                # only what was just written ("The user" from a model)
                from langmem_cli.jobs.naming import name_memories

                name_memories(store, namespace, None if renaming else [m.id for ms in written.values() for m in ms])
        fresh = iter(m.id for m in written["inserted"])
        result.ids = [next(fresh, None) if op.action == "insert" else op.id for op in operations]
        result.status = "applied" if operations else "unchanged"
    except (ConfigurationError, ConnectionLostError):
        raise  # a missing key, an unreachable server or a lost database fails every conversation: stop now
    except (LLMError, LangmemError, ValueError) as exc:
        result.status = "failed"
        result.error = str(exc)
        result.operations = []
    finally:
        result.seconds = time.perf_counter() - started
    return result


def _within_limit(conversation: Conversation) -> tuple[Conversation, int]:
    """The conversation with each message longer than the per-message limit cut to what can carry
    a fact (core/long_messages.py), and how many were cut."""
    import dataclasses

    from langmem_cli.core.long_messages import fit

    cut = 0
    messages = []
    for message in conversation.messages:
        text, was_cut = fit(message.content)
        cut += was_cut
        messages.append(dataclasses.replace(message, content=text) if was_cut else message)
    if not cut:
        return conversation, 0
    return Conversation(messages, conversation.metadata, conversation.source), cut


def _stamp(operations: list[Operation], conversation: Conversation) -> None:
    """Facts hold from the conversation's time (never the time this job runs)."""
    from langmem_cli.core.timestamps import try_moment

    since = try_moment(conversation.started_at)
    for op in operations:
        op.valid_from = op.valid_from or since


def _with_index_text(operations: list[Operation], conversation: Conversation) -> None:
    """Each statement drawn from the conversation carries the words around what it quotes, for the
    keyword index (core/index_text.py); turns (the message itself) and JSON documents (profiles) do not."""
    from langmem_cli.core.index_text import KEY, index_text

    for op in operations:
        evidence = (op.metadata or {}).get("evidence") if op.action == "insert" else None
        if not evidence or op.kind == TURN or not isinstance(op.content, str):
            continue
        words = index_text(conversation, evidence, op.valid_from)
        if words:
            op.metadata = {**(op.metadata or {}), KEY: words}


def _with_turns(store, namespace: str, conversation: Conversation, operations: list[Operation],
                person: str | None) -> list[Operation]:
    """The operations, then an insert per turn the namespace does not hold yet; each inserted memory
    links to the turns its evidence quotes (``metadata["episodes"]``)."""
    from langmem_cli.core import episodes

    turns = episodes.turns(conversation, namespace, person)
    paths: dict[str, str | None] = {}
    for t in turns:
        t["metadata"]["evidence"] = grounded.anchored(t["metadata"]["evidence"], paths)
    held = set(store.get_many([t["id"] for t in turns]))
    ids = {t["id"] for t in turns}
    for op in operations:
        evidence = (op.metadata or {}).get("evidence") if op.action == "insert" and op.kind != episodes.KIND else None
        links = episodes.linked(evidence, namespace, conversation, ids) if evidence else []
        if links:
            op.metadata = {**(op.metadata or {}), "episodes": links}
    return operations + [Operation("insert", episodes.KIND, t["text"], metadata=t["metadata"], valid_from=t["valid_from"],
                                   row_id=t["id"]) for t in turns if t["id"] not in held]


def _without_stored_copies(store, namespace: str, operations: list[Operation]) -> list[Operation]:
    """Drop inserts whose exact content the namespace already holds (e.g. from another session)."""
    from langmem_cli.core.render import content_hash

    kept = []
    for op in operations:
        if op.row_id and not (op.metadata or {}).get("profile"):
            kept.append(op)  # placed in time against the stored memories already (jobs/updates.py)
            continue
        if op.action == "insert" and not (op.metadata or {}).get("profile") and store.has_content(namespace, content_hash(op.kind, op.content)):
            continue
        kept.append(op)
    return kept


def _related(store, namespace: str, text: str, kinds: list[str], k: int) -> list[Existing]:
    if k <= 0 or store.count(namespace=namespace) == 0:
        return []
    hits = store.search(text[:2000], namespace=namespace, kinds=kinds, limit=k)
    return [Existing(h.memory.id, h.memory.kind, h.memory.content, h.memory.text) for h in hits]


def _memory_operations(store, client, chunks: list[str], namespace: str, opts: ExtractOptions, usage: Usage,
                       step: Callable[..., None] | None = None, person: str | None = None) -> list[Operation]:
    """Chunks in order; each sees the related stored memories and what earlier chunks produced."""
    from langmem_cli.core.render import render

    operations: list[Operation] = []
    pending: dict[str, Existing] = {}  # id (or "new:N") -> the memory as the earlier chunks left it
    deleted: set[str] = set()
    for chunk in chunks:
        shown = {e.id: e for e in _related(store, namespace, chunk, list(opts.schemas), opts.top_k) if e.id not in deleted}
        shown.update(pending)
        ops = manage(client, chunk, list(shown.values()), opts.schemas, policy=opts.policy,
                     instructions=opts.instructions, retries=opts.retries, usage=usage, person=person)
        if step:
            step(1)
        for op in ops:
            if op.action == "insert":
                key = f"new:{len(operations)}"
                operations.append(op)
                pending[key] = Existing(key, op.kind, op.content, render(op.kind, op.content))
                continue
            target = op.id
            assert target is not None  # manage() names the memory of every update and delete
            if target.startswith("new:"):
                index = int(target.split(":", 1)[1])
                earlier = operations[index]
                if op.action == "delete":
                    earlier.action = "skip"
                    pending.pop(target, None)
                else:
                    earlier.content = op.content
                    pending[target] = Existing(target, op.kind, op.content, render(op.kind, op.content))
            else:
                operations.append(op)
                if op.action == "delete":
                    deleted.add(target)
                    pending.pop(target, None)
                else:
                    pending[target] = Existing(target, op.kind, op.content, render(op.kind, op.content))
    return [op for op in operations if op.action != "skip"]


def _profile_operations(store, client, chunks: list[str], namespace: str, opts: ExtractOptions, usage: Usage,
                        step: Callable[..., None] | None = None) -> list[Operation]:
    """One document per namespace and schema, updated in place chunk after chunk."""
    from langmem_cli.core.render import render

    operations: list[Operation] = []
    for name, schema in opts.schemas.items():
        docs = store.list(namespace=namespace, kinds=[name], limit=1)
        current = Existing(docs[0].id, name, docs[0].content, docs[0].text) if docs else None
        final: Operation | None = None
        for chunk in chunks:
            op = manage_profile(client, chunk, current, schema, instructions=opts.instructions,
                                retries=opts.retries, usage=usage)
            if step:
                step(1)
            if op is None:
                continue
            final = Operation("update" if docs else "insert", name, op.content, docs[0].id if docs else None,
                              metadata={"profile": True})
            current = Existing(current.id if current else "new", name, op.content, render(name, op.content))
        if final is not None:
            operations.append(final)
    return operations
