"""Bytes of a transcript file -> its JSON values (``Record``), each located at its line.

A file is decoded as what it is, not guessed from its first character:

* **JSON lines**: the first non-empty line is a whole JSON value by itself. Every non-empty line is then a
  value (read lazily, line by line; a bad line is reported at its number). A file holding one line that is
  a JSON array is one document: its elements are the records.
* **a JSON document**: the first line is not a value by itself (an indented object or array, or a stream of
  indented values such as ``jq .`` output). The file is read whole; a top-level array gives its elements
  (one at a time), otherwise each top-level value is a record.

Every problem raises ``InvalidInputError`` at ``file:line``.
"""

from __future__ import annotations

import json
import re
from itertools import chain
from typing import IO, Any, Iterator

from langmem_cli.core.untrusted import SURROGATE_ESCAPE, check_value
from langmem_cli.errors import InvalidInputError
from langmem_cli.formats.common import Record

_HEAD_BYTES = 8192
_UTF8_BOM = b"\xef\xbb\xbf"
_WS = re.compile(r"[ \t\n\r]*")
_BIG_LINE = 1 << 20  # a one-line JSON array larger than this is decoded element by element


def records(stream: IO[bytes], name: str) -> Iterator[Record]:
    """The JSON values of ``stream`` (see the module docstring); raises at once for an empty or binary file."""
    head = stream.read(_HEAD_BYTES)
    if isinstance(head, str):
        raise TypeError("transcripts must be read from a binary stream")
    if head.startswith(_UTF8_BOM):
        head = head[len(_UTF8_BOM):]
    _check_head(head, name)
    lines = _iter_lines(stream, head)
    for number, raw in lines:
        if raw.strip():
            break
    else:
        raise InvalidInputError("empty file: no transcript in it", location=f"{name}:1")
    return _records(number, raw, lines, name)


def _records(number: int, raw: bytes, lines: Iterator[tuple[int, bytes]], name: str) -> Iterator[Record]:
    location = f"{name}:{number}"
    text = decode_utf8(raw, location)
    following: tuple[int, bytes] | None = None
    if len(raw) > _BIG_LINE and raw.lstrip().startswith(b"["):
        following = next(((n, r) for n, r in lines if r.strip()), None)
        if following is None:  # a large export on one line: decode its elements one at a time
            yield from _Document(text, name, number).records()
            return
        lines = chain([following], lines)
    try:
        value = _parse(text, location)
    except json.JSONDecodeError:
        yield from _document(number, raw, lines, name)
        return
    if isinstance(value, list):
        following = next(((n, r) for n, r in lines if r.strip()), None)
        if following is None:  # one line, one array: a document (e.g. ChatGPT's conversations.json)
            for index, element in enumerate(value, 1):
                yield Record(element, number, location, f"{name}:#{index}", True)
            return
        yield Record(value, number, location, location, True)
        number, raw = following
        yield from _json_lines(((number, raw),), name)
    else:
        yield Record(value, number, location, location, True)
    yield from _json_lines(lines, name)


def _json_lines(lines: Any, name: str) -> Iterator[Record]:
    for number, raw in lines:
        if not raw.strip():
            continue
        location = f"{name}:{number}"
        yield Record(loads(decode_utf8(raw, location), location), number, location, location, True)


def _check_head(head: bytes, name: str) -> None:
    """Clear errors for the non-text files people pass by mistake."""
    if head.startswith(b"PK\x03\x04"):
        raise InvalidInputError(
            "a zip archive, not a transcript (for a ChatGPT or Claude.ai export, unzip it and pass conversations.json)",
            location=f"{name}:1",
        )
    if head.startswith(b"\x1f\x8b"):
        raise InvalidInputError("a gzip-compressed file: decompress it first", location=f"{name}:1")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidInputError("UTF-16 text: convert it to UTF-8 first", location=f"{name}:1")
    nul = head.find(b"\x00")
    if nul >= 0:
        line = head.count(b"\n", 0, nul) + 1
        raise InvalidInputError("a binary file (NUL byte), not a text transcript", location=f"{name}:{line}")


def _iter_lines(stream: IO[bytes], head: bytes) -> Iterator[tuple[int, bytes]]:
    """Numbered lines of ``head`` followed by the rest of ``stream``, split on ``\\n`` only."""
    *complete, tail = head.split(b"\n")
    number = 0
    for line in complete:
        number += 1
        yield number, line.rstrip(b"\r")
    line = tail + stream.readline()
    while line:
        number += 1
        yield number, line.rstrip(b"\r\n")
        line = stream.readline()


def json_error(exc: json.JSONDecodeError) -> str:
    """The decoder's message with its column: "Unterminated string starting at column 26" (its
    message for that one already ends in "at")."""
    return f"{exc.msg}{'' if exc.msg.endswith(' at') else ' at'} column {exc.colno}"


def decode_utf8(raw: bytes, location: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"invalid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})", location=location
        ) from None


def loads(text: str, location: str) -> Any:
    try:
        return _parse(text, location)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"invalid JSON: {json_error(exc)}", location=location) from None


def _parse(text: str, location: str) -> Any:
    """``json.loads``: a syntax error (JSONDecodeError) is the caller's to handle; any other
    failure is one line at ``location``; lone surrogates are refused."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # e.g. an integer with too many digits
        raise InvalidInputError(f"invalid JSON: {str(exc).splitlines()[0][:160]}", location=location) from None
    except RecursionError:
        raise InvalidInputError("JSON nested too deeply", location=location) from None
    if SURROGATE_ESCAPE.search(text):
        check_unicode(value, location)
    return value


def check_unicode(value: Any, location: str) -> None:
    """A lone surrogate (``"\\ud800"``) decodes but cannot be stored or hashed as UTF-8: refuse it here."""
    try:
        check_value(value, max_depth=None)
    except ValueError as exc:
        raise InvalidInputError(str(exc), location=location) from None


# --- a JSON document spread over lines -----------------------------------------------------------------


def _document(first: int, raw: bytes, lines: Iterator[tuple[int, bytes]], name: str) -> Iterator[Record]:
    chunks = [raw]
    chunks.extend(r for _, r in lines)
    data = b"\n".join(chunks)
    del chunks
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = first + data.count(b"\n", 0, exc.start)
        raise InvalidInputError(
            f"invalid UTF-8 (byte 0x{data[exc.start]:02x} at column {exc.start - line_start + 1})",
            location=f"{name}:{line}",
        ) from None
    del data
    yield from _Document(text, name, first).records()


class _Document:
    """Top-level values of ``text`` (which starts at file line ``first``), decoded one at a time."""

    def __init__(self, text: str, name: str, first: int) -> None:
        self.text, self.name, self.first = text, name, first
        self.size = len(text)
        self.counted_to, self.line = 0, first
        self.surrogates = SURROGATE_ESCAPE.search(text) is not None
        self.decoder = json.JSONDecoder()

    def line_at(self, pos: int) -> int:
        if pos < self.counted_to:  # an earlier position (the start of an unclosed value)
            return self.first + self.text.count("\n", 0, pos)
        self.line += self.text.count("\n", self.counted_to, pos)
        self.counted_to = pos
        return self.line

    def fail(self, message: str, pos: int) -> InvalidInputError:
        return InvalidInputError(message, location=f"{self.name}:{self.line_at(pos)}")

    def skip_ws(self, pos: int) -> int:
        spaces = _WS.match(self.text, pos)  # matches everywhere (maybe empty)
        return spaces.end() if spaces else pos

    def decode(self, pos: int) -> tuple[Any, int]:
        try:
            value, end = self.decoder.raw_decode(self.text, pos)
        except json.JSONDecodeError as exc:
            if exc.pos >= len(self.text.rstrip()):  # the file ends inside the value: say where it started
                raise self.fail("invalid JSON: the value that starts on this line is never closed", pos) from None
            raise InvalidInputError(
                f"invalid JSON: {json_error(exc)}", location=f"{self.name}:{self.first + exc.lineno - 1}"
            ) from None
        except ValueError as exc:
            raise self.fail(f"invalid JSON: {str(exc).splitlines()[0][:160]}", pos) from None
        except RecursionError:
            raise self.fail("JSON nested too deeply", pos) from None
        if self.surrogates:
            check_unicode(value, f"{self.name}:{self.line_at(pos)}")
        return value, end

    def record(self, value: Any, pos: int, end: int, source: str | None = None) -> Record:
        line = self.line_at(pos)
        location = f"{self.name}:{line}"
        return Record(value, line, location, source or location, "\n" not in self.text[pos:end])

    def records(self) -> Iterator[Record]:
        pos = self.skip_ws(0)
        if self.text[pos] == "[":
            yield from self.array(pos)
            return
        while pos < self.size:
            value, end = self.decode(pos)
            yield self.record(value, pos, end)
            pos = self.skip_ws(end)

    def array(self, pos: int) -> Iterator[Record]:
        pos = self.skip_ws(pos + 1)
        if pos < self.size and self.text[pos] == "]":
            self.expect_end(pos + 1)
            return
        index = 0
        while True:
            index += 1
            if pos >= self.size:
                raise self.fail("invalid JSON: the array is never closed", pos)
            value, end = self.decode(pos)
            yield self.record(value, pos, end, f"{self.name}:#{index}")
            pos = self.skip_ws(end)
            if pos < self.size and self.text[pos] == ",":
                pos = self.skip_ws(pos + 1)
                continue
            if pos < self.size and self.text[pos] == "]":
                self.expect_end(pos + 1)
                return
            raise self.fail("invalid JSON: expected ',' or ']' after an element of the array", pos)

    def expect_end(self, pos: int) -> None:
        pos = self.skip_ws(pos)
        if pos < self.size:
            raise self.fail("invalid JSON: extra data after the array (JSON lines hold one value per line)", pos)
