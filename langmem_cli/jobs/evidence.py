"""What a memory quotes, read back from its transcript: the quoted message(s) with ``n`` messages of
context on each side (``search --context N``, the MCP search tool's ``context``).

A memory's evidence names the file, the conversation in it (its ``file:line`` source) and the
message index (see ``core.grounding.evidence_of``), and, when the file was named relative to the
directory extract ran in, its absolute path (``path``, ``jobs.grounded.anchored``): read when the
file is not found from the current directory. The file is read again with the same readers
as ``extract`` (format detected). When it is gone, or no longer holds the quote at that place, the
context says so (``status``: ``missing`` or ``changed``) and the stored quote stays the answer.
Each file is read once per call, however many hits quote it.
"""

from __future__ import annotations

import os
from typing import Any, Iterable

from langmem_cli.core.conversation import Conversation
from langmem_cli.core.words import normalize
from langmem_cli.errors import LangmemError


class _Files:
    """Conversations by source, per file, read at most once."""

    def __init__(self) -> None:
        self._read: dict[str, dict[str, Conversation] | str] = {}

    def conversations(self, path: str, anchor: str | None = None) -> dict[str, Conversation] | str:
        """{conversation source: conversation}, or why the file cannot be read. ``anchor``: the
        file's absolute path recorded at extraction, read when ``path`` (relative to the directory
        extract ran in) is not found from here; its conversations are keyed as if read by ``path``."""
        if path not in self._read:
            self._read[path] = self._load(path)
        found = self._read[path]
        if isinstance(found, str) and anchor and anchor != path and os.path.isfile(anchor):
            if anchor not in self._read:
                self._read[anchor] = self._load(anchor)
            moved = self._read[anchor]
            if not isinstance(moved, str):
                return {path + key[len(anchor):] if key.startswith(anchor) else key: c for key, c in moved.items()}
        return found

    @staticmethod
    def _load(path: str) -> dict[str, Conversation] | str:
        if not os.path.isfile(path):
            return f"evidence file not found: {path} (moved or deleted?); the stored quote is kept"
        from langmem_cli.formats.read import read_conversations

        try:
            return {c.source: c for c in read_conversations(path)}
        except (LangmemError, OSError, ValueError) as exc:
            return f"evidence file no longer reads as a transcript: {path} ({exc}); the stored quote is kept"


def _quoted(quote: str, text: str) -> bool:
    parts = [p.strip(" .,;:!?\"'") for p in normalize(quote).replace("\u2026", "...").split("...")]
    hay = normalize(text)
    return all(p in hay for p in parts if p)


def _turn(conversation: Conversation, index: int, quoted: set[int]) -> dict[str, Any]:
    m = conversation.messages[index]
    return {"message": index, "line": m.line, "role": m.role, "speaker": m.speaker, "text": m.content,
            "quoted": index in quoted}


def context_of(evidence: Iterable[dict[str, Any]], n: int, files: _Files | None = None) -> list[dict[str, Any]]:
    """One entry per conversation the evidence quotes: its file, conversation, status ("ok",
    "missing", "changed"), a note when not ok, the stored quotes, and the turns (the quoted
    message(s) and ``n`` on each side, clipped to the conversation)."""
    files = files or _Files()
    n = max(0, int(n))  # larger than the conversation: clipped to it below
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in evidence:
        if isinstance(item, dict) and isinstance(item.get("file"), str) and isinstance(item.get("message"), int):
            groups.setdefault((item["file"], str(item.get("conversation") or "")), []).append(item)
    out = []
    for (path, source), items in groups.items():
        entry: dict[str, Any] = {"file": path, "conversation": source or None,
                                 "quotes": [{"message": e["message"], "quote": e.get("quote")} for e in items],
                                 "status": "ok", "turns": []}
        anchor = next((e["path"] for e in items if isinstance(e.get("path"), str)), None)
        read = files.conversations(path, anchor)
        if isinstance(read, str):
            entry.update(status="missing", note=read)
            out.append(entry)
            continue
        conversation = read.get(source) if source else (next(iter(read.values())) if len(read) == 1 else None)
        if conversation is None:
            entry.update(status="changed", note=f"evidence file changed: {source or path} is no longer a "
                                                 "conversation in it; the stored quote is kept")
            out.append(entry)
            continue
        count = len(conversation.messages)
        moved = [e for e in items if not (0 <= e["message"] < count)
                 or not _quoted(str(e.get("quote") or ""), conversation.messages[e["message"]].content)]
        if moved:
            entry.update(status="changed", note=f"evidence file changed: message {moved[0]['message']} of "
                                                 f"{source or path} no longer holds the quote; the stored quote is kept")
            out.append(entry)
            continue
        quoted = {e["message"] for e in items}
        first, last = max(0, min(quoted) - n), min(count - 1, max(quoted) + n)
        entry["turns"] = [_turn(conversation, i, quoted) for i in range(first, last + 1)
                          if any(abs(i - q) <= n for q in quoted)]
        out.append(entry)
    return out


def with_context(hits: list[Any], n: int) -> list[dict[str, Any]]:
    """Search hits as dicts, each with ``context``: its evidence read back (see ``context_of``); an
    empty list for a memory without recorded evidence (typed in, imported without it)."""
    files = _Files()
    rows = []
    for hit in hits:
        row = hit.to_dict()
        row["context"] = context_of(hit.memory.metadata.get("evidence") or [], n, files)
        rows.append(row)
    return rows
