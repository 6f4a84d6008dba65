"""One name in all of a person's memories: when a namespace gets or changes its person name, the
memories that call them "The user" (or an earlier name) are rewritten with it.

The rewrite is a recorded in-place update (``Store.update``, source ``"name"``): history keeps the
text before, evidence and validity stay as they were; it is not a change of fact, so nothing is closed
or superseded. The name used is the namespace's stored one, which is the latest given by time
(``core.names.replaces``), so the set a namespace ends with does not depend on reading order.
"""

from __future__ import annotations

from typing import Any

from langmem_cli.core.names import renamed

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


def name_memories(store, namespace: str, aliases: frozenset[str] = frozenset()) -> int:
    """Rewrite the namespace's memories with its stored person name; returns how many changed."""
    stored = store.person_names(namespace).get(namespace)
    if not stored or not stored.get("name"):
        return 0
    name = str(stored["name"])
    changed = 0
    for memory in list(store.iter_memories(namespace=namespace)):
        if memory.kind not in KINDS or memory.namespace != namespace:
            continue
        new = _rewritten(memory.content, name, aliases)
        if new is not None:
            store.update(memory.id, new, source="name")
            changed += 1
    return changed
