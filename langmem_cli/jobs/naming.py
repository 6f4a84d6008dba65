"""One name in all of a person's memories, whatever order their conversations are read in.

The rule (README "One name per person"):
- a memory whose own conversation names the person (they said "I'm Priya", ``--var user_name``, the
  transcript's user name) keeps that name: it is the name said at its time;
- every other memory of the person ("The user", read before any name was known, or named from the
  namespace's stored name) uses the namespace's *current* name: the latest given, by time
  (``core.names.replaces``), so it is the same whatever order the files are read in.

The rewrite is a recorded in-place update (``Store.update``): history keeps the text before; the
memory's source, evidence and validity stay as they were; it is not a change of fact, so nothing is
closed or superseded. ``metadata["person"]`` = {"name", "by": "stored"} marks a memory whose name
follows the namespace's.
"""

from __future__ import annotations

from typing import Any, Iterable

from langmem_cli.core.names import FOLLOWS, marked_name, renamed

KINDS = ("memory",)


def _rewritten(content: Any, name: str, aliases: frozenset[str]) -> Any:
    if isinstance(content, str):
        return renamed(content, name, aliases)
    if isinstance(content, dict):
        changed, out = False, {}
        for key, value in content.items():
            new = _rewritten(value, name, aliases) if isinstance(value, (str, dict, list)) else None
            changed |= new is not None
            out[key] = value if new is None else new
        return out if changed else None
    if isinstance(content, list):
        items = [_rewritten(v, name, aliases) for v in content]
        if all(i is None for i in items):
            return None
        return [v if i is None else i for v, i in zip(content, items)]
    return None


def name_memories(store, namespace: str, ids: Iterable[str] | None = None) -> int:
    """Give the namespace's person their current name in the memories that follow it (all of the
    namespace's, or only ``ids``); returns how many changed."""
    stored = store.person_names(namespace).get(namespace)
    if not stored or not stored.get("name"):
        return 0
    name = str(stored["name"])
    if ids is None:
        memories = list(store.iter_memories(namespace=namespace))
    else:
        memories = list(store.get_many(list(ids)).values())
    edits = []
    for memory in memories:
        if memory.kind not in KINDS or memory.namespace != namespace:
            continue
        old, follows = marked_name(memory.metadata)
        if old is not None and not follows:
            continue  # named by its own conversation: the name said at its time
        new = _rewritten(memory.content, name, frozenset({old}) if old else frozenset())
        if new is not None:
            edits.append((memory, new))
    if edits:  # embedded in one batch
        from langmem_cli.core.records import NewMemory

        prepared = [store.prepare(NewMemory(namespace, new, memory.kind)) for memory, new in edits]
        store.offer_embeddings(dict(zip([p.content_hash for p in prepared],
                                        store.embedder.embed([p.text for p in prepared]))))
    for memory, new in edits:
        metadata = {**(memory.metadata or {}), "person": {"name": name, "by": FOLLOWS}}
        store.update(memory.id, new, metadata=metadata, source=memory.source)
    return len(edits)
