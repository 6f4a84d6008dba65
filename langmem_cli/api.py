"""The Python API beside the CLI: ``extract`` and ``search``, the same jobs the commands run.

    import langmem_cli
    ops = langmem_cli.extract([{"role": "user", "content": "I moved to Porto in May."}],
                              namespace="org/alice", db="memories.db")
    hits = langmem_cli.search("where does Alice live?", namespace="org/alice", db="memories.db")

Without a model the offline extractor "local" runs (no LLM, nothing leaves the machine); ``model``
names any litellm model (``openai/gpt-4o-mini``) or is a ``core.llm.ChatClient``. Every memory
passes the grounding gate, facts hold from the conversation's time, later statements supersede
older ones, and the run is recorded as ``langmem extract`` records it.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from langmem_cli.core.records import SearchHit
from langmem_cli.errors import LangmemError, UsageError


@dataclass
class Extraction:
    """What ``extract`` did: the operations written (or planned, with ``dry_run``), per conversation."""

    operations: list[dict[str, Any]] = field(default_factory=list)
    conversations: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def __iter__(self):
        return iter(self.operations)

    def __len__(self) -> int:
        return len(self.operations)


class ExtractionError(LangmemError):
    """Some conversations failed (the others were written): ``extraction`` holds what was done."""

    def __init__(self, message: str, extraction: Extraction):
        super().__init__(message)
        self.extraction = extraction


def _message_dict(message: Any) -> dict[str, Any]:
    """A LangChain message (``.type``, ``.content``) or a dict, as an OpenAI-style message."""
    if isinstance(message, dict):
        return message
    role, content = getattr(message, "type", None), getattr(message, "content", None)
    if role is None or content is None:
        raise UsageError(f"a message must be a dict with role and content or a LangChain message, "
                         f"not {type(message).__name__}")
    out = {"role": role, "content": content}
    if getattr(message, "name", None):
        out["name"] = message.name
    return out


def _conversations(source: Any, fmt: str | None) -> list:
    from langmem_cli.formats import read_conversations

    if isinstance(source, (str, Path)):
        return list(read_conversations(str(source), fmt))
    if not isinstance(source, Sequence) or not source:
        raise UsageError("extract needs a transcript path or a non-empty list of messages")
    if all(isinstance(s, (str, Path)) for s in source):
        return [c for path in source for c in read_conversations(str(path), fmt)]
    if all(isinstance(s, Sequence) and not isinstance(s, (str, dict)) for s in source):  # several conversations
        payload = [{"messages": [_message_dict(m) for m in conversation]} for conversation in source]
        fmt = fmt or "conversations"
    else:
        payload = [_message_dict(m) for m in source]
        fmt = fmt or "messages"
    data = "\n".join(json.dumps(item, ensure_ascii=False, default=str) for item in payload).encode("utf-8")
    return list(read_conversations("<messages>", fmt, stream=io.BytesIO(data)))


def _client(model: Any, api_base: str | None, timeout: float):
    from langmem_cli import config

    if model is not None and not isinstance(model, str):
        return model, getattr(model, "model", type(model).__name__)  # a ChatClient handed in
    name = config.llm_model(model)
    if name == config.DEFAULT_MODEL:
        return None, name
    from langmem_cli.llm.litellm_client import LiteLLMClient

    return LiteLLMClient(name, api_base=config.api_base(api_base), timeout=timeout), name


def _open(db: Any, embedding_model: str | None):
    from langmem_cli.embed.embedders import LazyEmbedder
    from langmem_cli.store import Store, open_store

    if isinstance(db, Store):
        return contextlib.nullcontext(db)
    return open_store(db, embedder=LazyEmbedder(embedding_model))


def extract(messages: Any, *, namespace: str = "default", db: Any = None, model: Any = None,
            variables: dict[str, str] | None = None, schemas: Iterable[str] | None = None,
            instructions: str | None = None, profile: bool = False, enable_deletes: bool = False,
            updates: bool = True, format: str | None = None, dry_run: bool = False, force: bool = False,
            api_base: str | None = None, timeout: float = 120.0, retries: int = 2, top_k: int = 10,
            chunk_tokens: int = 1500, embedding_model: str | None = None, episodes: bool = False) -> Extraction:
    """Extract memories from ``messages`` (a list of message dicts or LangChain messages, a list of
    such conversations, or transcript path(s) in any format ``langmem extract`` reads) into
    ``namespace`` (may hold ``{variables}``) of ``db`` (a path, a PostgreSQL URL, an open Store, or
    None for the configured database). Returns the operations; raises ``ExtractionError`` when a
    conversation failed (the others are written) and ``UsageError`` for bad arguments.
    ``episodes``: also keep each turn the person typed word for word (kind ``turn``), as
    ``langmem extract --episodes``."""
    from langmem_cli.core.extraction import Policy
    from langmem_cli.formats.schema_files import load_schemas
    from langmem_cli.jobs.extract import ExtractOptions, plan_namespaces, run_extract

    conversations = _conversations(messages, format)
    opts = ExtractOptions(namespace=namespace, variables=dict(variables or {}), schemas=load_schemas(
        list(schemas) if schemas else None), instructions=instructions, profile=profile,
        policy=Policy(enable_inserts=True, enable_updates=updates, enable_deletes=enable_deletes),
        dry_run=dry_run, force=force, top_k=top_k, chunk_tokens=chunk_tokens, retries=retries, episodes=episodes)
    plan_namespaces(conversations, opts)
    client, model_name = _client(model, api_base, timeout)
    arguments = {"files": ["<python>"], "namespace": namespace, "schemas": list(opts.schemas), "profile": profile,
                 "dry_run": dry_run, "force": force}
    with _open(db, embedding_model) as store:
        run_id = store.start_run("extract", arguments, model=model_name)
        try:
            report = run_extract(store, client, conversations, opts)  # each conversation claimed in the store
        except BaseException as exc:
            with contextlib.suppress(Exception):
                store.finish_run(run_id, "failed", error=str(exc)[:500] or type(exc).__name__)
            store.run_id = None
            raise
        failed = report.failed
        status = "ok" if not failed else ("partial" if len(failed) < len(report.results) else "failed")
        store.record_run_counts(run_id, report.summary())
        store.finish_run(run_id, status, error="; ".join(f"{r.source}: {r.error}" for r in failed) or None,
                         prompt_tokens=report.usage.prompt_tokens, completion_tokens=report.usage.completion_tokens,
                         cost=report.usage.cost)
        store.run_id = None
    conversations_out = [r.to_dict() for r in report.results]
    result = Extraction(
        operations=[{**op, "namespace": c["namespace"], "source": c["source"]}
                    for c in conversations_out if c["status"] in ("applied", "dry-run") for op in c["operations"]],
        conversations=conversations_out, summary=report.summary())
    if failed:
        raise ExtractionError("; ".join(f"failed {r.source} ({r.namespace}): {r.error}" for r in failed), result)
    return result


def search(query: str, *, namespace: str | None = None, prefix: str | None = None, db: Any = None,
           limit: int = 10, offset: int = 0, mode: str = "hybrid", kinds: list[str] | None = None,
           filters: dict[str, Any] | None = None, as_of: str | None = None, include_expired: bool = False,
           embedding_model: str | None = None) -> list[SearchHit]:
    """``langmem search`` from Python: hybrid (vector + BM25) by default, memories valid now (or
    ``as_of``); ``filters`` ({field: value}) on content or metadata fields."""
    with _open(db, embedding_model) as store:
        return store.search(query, mode=mode, namespace=namespace, prefix=prefix, kinds=kinds,
                            filters=list((filters or {}).items()) or None, limit=limit, offset=offset,
                            as_of=as_of, include_expired=include_expired)
