"""Reading transcripts for ``extract``: the warning for a file that yields no conversation, and
``extract --parse-only`` (what each reader read and skipped; no model, no database)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langmem_cli.core.conversation import Conversation

if TYPE_CHECKING:
    from langmem_cli.jobs.extract import Unreadable

CLIP = 200  # characters of a message shown in the human form


def read_transcripts(out: Any, files: list[str], fmt: str | None,
                     failures: list[Unreadable] | None = None) -> list[Conversation]:
    """All conversations of ``files``; a file that yields none gets a warning line saying why.
    With ``failures`` (a list), a file that cannot be read or parsed does not stop the batch: its
    error (``file:line: reason``) is appended there, and the conversations read before the bad
    spot are kept."""
    return [c for _, conversations in read_with_reports(out, files, fmt, failures) for c in conversations]


def read_with_reports(out: Any, files: list[str], fmt: str | None,
                      failures: list[Unreadable] | None = None) -> list[tuple[Any, list[Conversation]]]:
    from langmem_cli.errors import InvalidInputError, UsageError
    from langmem_cli.formats import ReadReport, read_conversations

    results = []
    for path in files:
        report = ReadReport()
        conversations: list[Conversation] = []
        try:
            for conversation in read_conversations(path, fmt, report=report):
                conversations.append(conversation)
        except (InvalidInputError, UsageError) as exc:
            if failures is None or (isinstance(exc, UsageError) and "cannot read" not in str(exc)):
                raise
            kept = f" ({len(conversations)} conversations before it are kept)" if conversations else ""
            failures.append({"file": str(path), "error": f"{exc}{kept}", "exit_code": exc.exit_code})
            results.append((report, conversations))
            continue
        if not conversations:
            out.warn(f"{report.path}: 0 conversations: {'; '.join(report.notes) or 'nothing to read'}")
        results.append((report, conversations))
    return results


def parse_only(out: Any, files: list[str], fmt: str | None) -> None:
    """Print what ``extract`` would read from ``files``: JSON (``--json``) or a human listing."""
    results = read_with_reports(out, files, fmt)
    data = {"files": [_file(report, conversations) for report, conversations in results]}
    out.data(data, lambda console: _human(console, data))


def _file(report: Any, conversations: list[Conversation]) -> dict[str, Any]:
    by_source: dict[str | None, list[dict[str, Any]]] = {}
    for item in sorted(report.skipped, key=lambda s: (s.line is None, s.line or 0)):
        by_source.setdefault(item.conversation, []).append(item.to_dict())
    sources = {c.source for c in conversations}
    return {
        "file": report.path,
        "format": report.format,
        "detected": report.detected,
        "conversations": [_conversation(c, report.format, by_source.get(c.source, [])) for c in conversations],
        "skipped": [s for key, items in by_source.items() if key not in sources for s in items],
        "skipped_by_reason": report.skipped_by_reason(),
        "notes": report.notes,
    }


def _conversation(conversation: Conversation, fmt: str | None, skipped: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "source": conversation.source,
        "format": fmt,
        "started_at": conversation.started_at,
        "metadata": conversation.metadata,
        "content_hash": conversation.content_hash,
        "messages": [
            {"index": index, "role": m.role, "name": m.name, "text": m.content, "timestamp": m.timestamp,
             "line": m.line, "context": m.context, "evidence": m.may_be_evidence}
            for index, m in enumerate(conversation.messages)
        ],
        "skipped": skipped,
    }


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= CLIP else text[:CLIP].rstrip() + "…"


def _human(console: Any, data: dict[str, Any]) -> None:
    for entry in data["files"]:
        messages = sum(len(c["messages"]) for c in entry["conversations"])
        how = "detected" if entry["detected"] else "named"
        console.print(f"{entry['file']}: {entry['format'] or '?'} ({how}), {len(entry['conversations'])} "
                      f"conversations, {messages} messages", markup=False)
        counts = entry["skipped_by_reason"]
        if counts:
            console.print("  skipped: " + ", ".join(f"{reason} ×{n}" for reason, n in counts.items()), markup=False, soft_wrap=True)
        for note in entry["notes"]:
            console.print(f"  note: {note}", markup=False, soft_wrap=True)
        for conv in entry["conversations"]:
            meta = " ".join(f"{k}={v}" for k, v in conv["metadata"].items() if isinstance(v, (str, int, float)))
            console.print(f"- {conv['source']}  started {conv['started_at'] or '?'}  {meta}".rstrip(), markup=False, soft_wrap=True)
            for m in conv["messages"]:
                where = f"L{m['line']} " if m["line"] else ""
                tag = "" if m["evidence"] else " (context)" if m["context"] else " (not evidence)"
                speaker = f"{m['role']}:{m['name']}" if m["name"] else m["role"]
                console.print(f"  {where}{speaker}{tag}: {_clip(m['text'])}", markup=False, soft_wrap=True)
            for s in conv["skipped"]:
                where = f"L{s['line']} " if s["line"] else ""
                text = f": {s['text']}" if s["text"] else ""
                console.print(f"  {where}skipped ({s['reason']}){text}", markup=False, soft_wrap=True)
