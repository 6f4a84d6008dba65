"""A namespace's memories as a timeline (issue 23 item 8). Pure: no I/O.

Each memory is a span from ``valid_from`` to ``valid_until`` (open while current); memories linked
by ``superseded_by`` form one chain (the old fact, then what replaced it), oldest first. A memory
closed at the moment it began never held (a version replaced once an older statement was read):
it is kept, marked ``retracted``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from langmem_cli.core.records import Memory


@dataclass
class Span:
    id: str
    kind: str
    text: str
    valid_from: str | None
    valid_until: str | None
    superseded_by: str | None
    current: bool
    retracted: bool
    replaces: list[str] = field(default_factory=list)
    changes: list[str] | None = None  # a structured memory (a profile): what differs from the version before

    @property
    def state(self) -> str:
        return "current" if self.current else "retracted" if self.retracted else "closed" if self.valid_until else "future"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "text": self.text, "valid_from": self.valid_from,
                "valid_until": self.valid_until, "superseded_by": self.superseded_by, "replaces": self.replaces,
                "state": self.state, "current": self.current, **({"changes": self.changes} if self.changes is not None else {})}


@dataclass
class Chain:
    spans: list[Span]

    @property
    def start(self) -> str:
        return min((s.valid_from or "" for s in self.spans), default="")

    @property
    def current(self) -> bool:
        return any(s.current for s in self.spans)

    def to_dict(self) -> dict[str, Any]:
        return {"current": self.current, "spans": [s.to_dict() for s in self.spans]}


@dataclass
class Timeline:
    namespace: str
    subject: str | None
    now: str
    chains: list[Chain]

    @property
    def first(self) -> str | None:
        starts = [s.valid_from for c in self.chains for s in c.spans if s.valid_from]
        return min(starts) if starts else None

    @property
    def last(self) -> str:
        """The last moment anything began or ended (the axis ends there; open spans run to its end)."""
        moments = [m for c in self.chains for s in c.spans for m in (s.valid_from, s.valid_until) if m]
        return max(moments) if moments else self.now

    def to_dict(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "subject": self.subject, "now": self.now, "from": self.first,
                "until": self.last, "memories": sum(len(c.spans) for c in self.chains),
                "current": sum(1 for c in self.chains for s in c.spans if s.current),
                "chains": [c.to_dict() for c in self.chains]}


def about(memory: Memory, subject: str) -> bool:
    """Whether a memory is about ``subject``: the name is a word of its text, or the person who
    said it (its evidence's speaker) has that name."""
    name = subject.strip().lower()
    if not name:
        return True
    if re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", memory.text.lower()):
        return True
    evidence = (memory.metadata or {}).get("evidence") or []
    return any(isinstance(e, dict) and str(e.get("speaker") or "").strip().lower() == name for e in evidence)


def build(memories: Iterable[Memory], namespace: str, now: str, subject: str | None = None) -> Timeline:
    """The chains of ``memories`` (every version, expired ones too); with ``subject``, the chains
    that have a memory about that person (a chain is shown whole)."""
    by_id = {m.id: m for m in memories}
    parent = {i: i for i in by_id}

    def root(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    replaces: dict[str, list[str]] = {}
    for m in by_id.values():
        if m.superseded_by and m.superseded_by in by_id:
            parent[root(m.id)] = root(m.superseded_by)
            replaces.setdefault(m.superseded_by, []).append(m.id)
    groups: dict[str, list[Memory]] = {}
    for m in by_id.values():
        groups.setdefault(root(m.id), []).append(m)
    chains = []
    for members in groups.values():
        if subject and not any(about(m, subject) for m in members):
            continue
        members.sort(key=lambda m: (m.valid_from or m.created_at, m.valid_until or "\uffff", m.created_at, m.id))
        spans = [Span(m.id, m.kind, m.text, m.valid_from, m.valid_until, m.superseded_by,
                      current=m.is_valid_at(now),
                      retracted=bool(m.valid_until and m.valid_from and m.valid_until <= m.valid_from),
                      replaces=sorted(replaces.get(m.id, [])))
                 for m in members]
        held = None  # the last version that held before this one (a retracted one never did)
        for m, span in zip(members, spans):
            if held is not None and not span.retracted and _structured(held.content) and _structured(m.content):
                span.changes = changes(held.content, m.content)
            if not span.retracted:
                held = m
        chains.append(Chain(spans))
    chains.sort(key=lambda c: (c.start, c.spans[0].id))
    return Timeline(namespace, subject, now, chains)


def _structured(content: Any) -> bool:
    return isinstance(content, dict) and set(content) != {"content"}  # a free-text memory is {"content": text}


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What a version changed: "key: value" set, "+key: item" / "-key: item" in a list, "-key" gone."""
    out: list[str] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, list) or isinstance(new, list):
            olds, news = (old if isinstance(old, list) else []), (new if isinstance(new, list) else [])
            out += [f"+{key}: {v}" for v in news if v not in olds] + [f"-{key}: {v}" for v in olds if v not in news]
        elif new is None:
            out.append(f"-{key}")
        else:
            out.append(f"{key}: {new}")
    return out


def _seconds(moment: str) -> float:
    from datetime import datetime, timezone

    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def position(moment: str | None, timeline: Timeline) -> float:
    """Where ``moment`` falls between the timeline's first and last moments, 0..1 (no moment: 0)."""
    first = timeline.first
    if not moment or not first:
        return 0.0
    low, high = _seconds(first), _seconds(timeline.last)
    if high <= low:
        return 0.0
    return min(1.0, max(0.0, (_seconds(moment) - low) / (high - low)))


def bar(span: Span, timeline: Timeline, width: int) -> str:
    """The span drawn in ``width`` characters: ``━`` while it held, ``·`` elsewhere (one ``│`` for
    a version that never held)."""
    start = round(position(span.valid_from, timeline) * (width - 1))
    end = round((position(span.valid_until, timeline) if span.valid_until else 1.0) * (width - 1))
    cells = ["·"] * width
    if span.retracted:
        cells[start] = "│"
    else:
        for i in range(start, max(start, end) + 1):
            cells[i] = "━"
    return "".join(cells)
