"""The entry point: ``read_conversations(path, fmt)`` decodes a file (``decode.py``), tells its format
(``detect.py``) unless named, and hands its records to that format's reader."""

from __future__ import annotations

import sys
from typing import IO, Any, Callable, Iterator

from langmem_cli.core.conversation import Conversation
from langmem_cli.errors import UsageError
from langmem_cli.formats.chatgpt import read_chatgpt
from langmem_cli.formats.claude_ai import read_claude_ai
from langmem_cli.formats.claude_code import read_claude_code
from langmem_cli.formats.codex import read_codex
from langmem_cli.formats.common import STDIN_NAME, ReadReport, Record
from langmem_cli.formats.decode import records
from langmem_cli.formats.detect import FORMATS, SAMPLE, detect_records, detect_value
from langmem_cli.formats.langchain import read_langchain
from langmem_cli.formats.openai import read_conversations as read_openai_conversations
from langmem_cli.formats.openai import read_messages
from langmem_cli.formats.sharegpt import read_sharegpt

Reader = Callable[[Iterator[Record], str, ReadReport], Iterator[Conversation]]
READERS: dict[str, Reader] = {
    "messages": read_messages,
    "conversations": read_openai_conversations,
    "langchain": read_langchain,
    "claude-code": read_claude_code,
    "chatgpt": read_chatgpt,
    "claude-ai": read_claude_ai,
    "codex": read_codex,
    "sharegpt": read_sharegpt,
}
assert tuple(READERS) == FORMATS


def read_conversations(path: str, fmt: str | None = None, stream: IO[bytes] | None = None,
                       report: ReadReport | None = None) -> Iterator[Conversation]:
    """Conversations in ``path`` (``-``: stdin, or ``stream`` when given), lazily.

    ``fmt`` is one of ``FORMATS``, or None to detect it from the content. With ``stream``, data is read
    from it and ``path`` only names it in sources and errors. ``report``, when given, is filled with the
    format, what was skipped and why, and notes about the file (see ``ReadReport``). An unknown ``fmt``
    raises ``UsageError`` at once; a file that cannot be opened raises ``UsageError`` on the first
    ``next()``; every problem in the content raises ``InvalidInputError`` at ``file:line``.
    """
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"unknown transcript format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    name = STDIN_NAME if str(path) == "-" else str(path)
    return _generate(str(path), name, fmt, stream, report if report is not None else ReadReport())


def _generate(path: str, name: str, fmt: str | None, stream: IO[bytes] | IO[str] | None,
              report: ReadReport) -> Iterator[Conversation]:
    report.path = name
    if stream is None and path == "-":
        stream = sys.stdin
    if stream is not None:
        # A text stream (sys.stdin, Click's runner) is read through its binary buffer.
        binary: Any = getattr(stream, "buffer", stream)  # a text stream's buffer, or the binary stream
        yield from _read(binary, name, fmt, report)
        return
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        yield from _read(handle, name, fmt, report)


def _read(stream: IO[bytes], name: str, fmt: str | None, report: ReadReport) -> Iterator[Conversation]:
    values = records(stream, name)
    if fmt is None:
        fmt, values = detect_records(values, name)
        report.detected = True
        if fmt is None:
            report.note("an empty JSON array: no conversation in it")
            return
    report.format = fmt
    sample: list[Record] = []
    if not report.detected:  # keep the first records, to say what the file looks like if nothing is read
        values = _keep_first(values, sample)
    for conversation in READERS[fmt](values, name, report):
        report.conversations += 1
        yield conversation
    if report.conversations == 0 and not report.notes:
        counts = sorted(report.skipped_by_reason().items(), key=lambda item: -item[1])
        skipped = ", ".join(f"{reason} ×{n}" for reason, n in counts[:5]) + (", …" if len(counts) > 5 else "")
        report.note(f"no messages of a known shape for the '{fmt}' reader"
                    + ("" if report.detected else _looks_like(sample, fmt))
                    + (f", it skipped: {skipped}" if skipped else "")
                    + f"; formats read: {', '.join(FORMATS)}")


def _keep_first(values: Iterator[Record], sample: list[Record]) -> Iterator[Record]:
    for record in values:
        if len(sample) < SAMPLE:
            sample.append(record)
        yield record


def _looks_like(sample: list[Record], fmt: str) -> str:
    found = next((f for f in (detect_value(r.value) for r in sample) if f is not None), None)
    return " (named with --format" + (f"; the content looks like '{found}'" if found and found != fmt else "") + ")"
