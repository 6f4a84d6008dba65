"""Hostile and broken input: the transcript readers (`extract`), `import`, and prompt files (`optimize-prompt`).

Every bad file must end in a documented exit code (2 usage, 4 invalid input), with one error line on stderr
naming ``file:line`` where a line is at fault, no traceback, no "unexpected" error, and nothing half done:
`import` writes no memory, `extract` writes no memory and calls no model, `optimize-prompt` calls no model
and leaves the prompt file as it was.

Property tests (hypothesis) throw random bytes and random JSON at the same entry points; the targeted
cases below pin the classic ones (invalid UTF-8, truncated lines, wrong types, 100k nested brackets, a
50 MB line, empty, binary, gzip, UTF-16, lone surrogates).
"""

from __future__ import annotations

import gzip
import os
import json
import random
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.fake_llm import SCRIPT
from langmem_cli.formats.prompt_files import load_prompt_file
from langmem_cli.formats import FORMATS, read_conversations
from langmem_cli.core.conversation import Conversation
from langmem_cli.errors import InvalidInputError
from conftest import FAKE

TRAJ = Path(__file__).resolve().parent.parent / "fixtures" / "trajectories" / "support.jsonl"
ERROR_LINE = re.compile(r"^langmem: error: (?P<message>.+)$")

pytestmark = pytest.mark.usefixtures("fake")
HYPOTHESIS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


# --- helpers ---------------------------------------------------------------------------------------------


def memory_count(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT count(*) FROM memories").fetchone()[0]


def run_count(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT count(*) FROM runs").fetchone()[0]


def assert_clean_failure(result, path: Path, line: int | None = None, codes=(4,), lined: bool = True,
                         anywhere: bool = False) -> str:
    """A documented exit code, one ``langmem: error:`` line naming ``path`` (and ``path:line``), no traceback.

    ``line``: the exact line expected; ``lined``: some ``path:N`` is expected (else ``path`` alone is
    enough, for problems of a whole document).
    """
    detail = f"exit {result.exit_code}\nstdout:\n{result.stdout[:2000]}\nstderr:\n{result.stderr[:2000]}\n{result.exception!r}"
    assert result.exit_code in codes, detail
    assert result.exception is None or isinstance(result.exception, SystemExit), detail
    assert "Traceback" not in result.stdout + result.stderr, detail
    assert "error: unexpected " not in result.stderr, detail  # the catch-all for exceptions nobody handled
    lines = result.stderr.strip("\n").split("\n")
    assert len(lines) == 1, detail
    match = ERROR_LINE.match(lines[0])
    assert match, detail
    message = match["message"]
    if anywhere:
        assert str(path) in message, detail
    elif line is not None:
        assert message.startswith(f"{path}:{line}: "), detail
    elif lined:
        assert re.match(re.escape(str(path)) + r":\d+: ", message), detail
    else:
        assert message.startswith(f"{path}"), detail
    return message


def assert_location(error: InvalidInputError, path: Path, data: bytes) -> None:
    """``error`` is located at ``path:N`` with N a line of ``data``."""
    match = re.fullmatch(re.escape(str(path)) + r":(\d+)", error.location or "")
    assert match, f"location {error.location!r}: {error}"
    assert 1 <= int(match[1]) <= data.count(b"\n") + 1, f"line {match[1]} beyond the file: {error}"
    assert "\n" not in str(error)


def encodable(conversation: Conversation) -> None:
    """Everything read can be stored: UTF-8 encodable text, JSON-serialisable metadata."""
    conversation.to_text().encode("utf-8")
    json.dumps(conversation.metadata, ensure_ascii=False).encode("utf-8")
    for message in conversation.messages:
        assert isinstance(message.content, str) and message.content
        (message.name or "").encode("utf-8")


# --- strategies --------------------------------------------------------------------------------------------

# Text with the characters that break things: lone surrogates, NUL, line and paragraph separators.
nasty_text = st.text(
    st.one_of(st.characters(), st.sampled_from(["\ud800", "\udfff", "\x00", "\n", "\r", "\u2028", "\ufeff"])),
    max_size=12,
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), nasty_text,
    st.sampled_from(["user", "assistant", "human", "ai", "tool_use", "text", "memory", "n", ""]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.one_of(nasty_text, st.sampled_from(
        ["role", "content", "type", "messages", "namespace", "kind", "id", "metadata", "name", "prompt", "mapping",
         "text", "data", "sessionId", "message", "parts"])), children, max_size=5),
    max_leaves=15,
)
message_like = st.fixed_dictionaries(
    {"role": st.one_of(st.sampled_from(["user", "assistant", "system", "tool"]), json_values),
     "content": st.one_of(nasty_text, json_values, st.lists(st.fixed_dictionaries(
         {"type": st.sampled_from(["text", "tool_use", "tool_result", "image", "thinking", "x"])},
         optional={"text": json_values, "input": json_values, "content": json_values, "name": json_values}), max_size=3))},
    optional={"name": json_values, "timestamp": json_values, "type": json_values},
)
memory_like = st.fixed_dictionaries(
    {"namespace": st.one_of(st.sampled_from(["n", "a/b", "user:1", "", "/x", "a//b", "..", "n" * 300]), json_values),
     "content": st.one_of(nasty_text, json_values)},
    optional={"kind": json_values, "id": st.one_of(nasty_text, json_values), "metadata": json_values,
              "source": json_values, "created_at": st.one_of(st.just("2024-01-01T00:00:00Z"), json_values),
              "updated_at": json_values, "type": st.sampled_from(["memory", "history", "other"])},
)


@st.composite
def dumped(draw, values) -> bytes:
    """One JSON value as a line: ASCII escapes or raw text (a lone surrogate then becomes invalid UTF-8)."""
    text = json.dumps(draw(values), ensure_ascii=draw(st.booleans()))
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:  # now and then, truncate the line
        data = data[: draw(st.integers(0, len(data)))]
    return data


def jsonl(*line_strategies) -> st.SearchStrategy[bytes]:
    line = st.one_of(*[dumped(s) for s in line_strategies], st.binary(max_size=40), st.just(b""))
    return st.lists(line, min_size=1, max_size=6).map(lambda lines: b"\n".join(lines))


transcript_bytes = st.one_of(st.binary(max_size=300), jsonl(json_values, message_like, st.fixed_dictionaries(
    {"messages": st.lists(message_like, max_size=3)}, optional={"feedback": json_values})))
import_bytes = st.one_of(st.binary(max_size=300), jsonl(json_values, memory_like))
prompt_docs = st.one_of(
    json_values,
    st.fixed_dictionaries({"name": st.one_of(nasty_text, json_values), "prompt": st.one_of(nasty_text, json_values)},
                          optional={"update_instructions": json_values, "when_to_update": json_values}),
    st.lists(st.fixed_dictionaries({"name": nasty_text, "prompt": nasty_text}), max_size=3),
)


# --- property tests ----------------------------------------------------------------------------------------


@settings(max_examples=100, **HYPOTHESIS)
@given(data=transcript_bytes, fmt=st.sampled_from((None, *FORMATS)))
def test_transcript_reader_reads_or_names_the_line(tmp_path: Path, data: bytes, fmt: str | None) -> None:
    reads_or_names_the_line(tmp_path / "t.jsonl", data, fmt)


def reads_or_names_the_line(path: Path, data: bytes, fmt: str | None) -> None:
    path.write_bytes(data)
    try:
        conversations = list(read_conversations(str(path), fmt))
    except InvalidInputError as error:
        assert_location(error, path, data)
    else:
        for conversation in conversations:
            encodable(conversation)


# Records shaped like each format's, with random values where the readers look: every reader must read
# them or name the line, never crash.
FORMAT_KEYS = ["type", "payload", "role", "content", "message", "sessionId", "uuid", "parentUuid", "isSidechain",
               "origin", "mapping", "current_node", "author", "parts", "metadata", "attachments", "recipient",
               "chat_messages", "sender", "text", "files", "parent_message_uuid", "conversations", "from", "value",
               "system", "messages", "timestamp", "created_at", "create_time", "name", "data", "kwargs", "tool_calls"]
format_values = st.recursive(
    st.one_of(scalars, st.sampled_from(["session_meta", "response_item", "event_msg", "message", "user_message",
                                        "function_call", "human", "gpt", "assistant", "summary", "tool_result",
                                        "canmore.create_textdoc", "<command-name>/x</command-name>",
                                        "[Request interrupted by user]", "image_asset_pointer", "a", "b"])),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(FORMAT_KEYS), children, max_size=6),
    max_leaves=25,
)
format_records = st.dictionaries(st.sampled_from(FORMAT_KEYS), format_values, min_size=1, max_size=7)
format_files = st.one_of(
    st.lists(format_records, min_size=1, max_size=5).map(lambda rs: "\n".join(json.dumps(r) for r in rs).encode()),
    st.lists(format_records, min_size=1, max_size=3).map(lambda rs: json.dumps(rs, indent=1).encode()),
)


@settings(max_examples=300, **HYPOTHESIS)
@given(data=format_files, fmt=st.sampled_from((None, *FORMATS)))
def test_format_shaped_records_read_or_name_the_line(tmp_path: Path, data: bytes, fmt: str | None) -> None:
    reads_or_names_the_line(tmp_path / "t.json", data, fmt)


@settings(max_examples=60, **HYPOTHESIS)
@given(data=transcript_bytes)
def test_extract_fails_cleanly_and_calls_no_model(cli, db_path: Path, tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(data)
    before = memory_count(db_path)
    SCRIPT.reset()
    result = cli("extract", path, *FAKE, "-n", "x", code=None)
    if result.exit_code == 0:
        assert "Traceback" not in result.stdout + result.stderr
        return
    assert_clean_failure(result, path)
    assert SCRIPT.prompts == [] and memory_count(db_path) == before


@settings(max_examples=80, **HYPOTHESIS)
@given(data=import_bytes)
def test_import_is_all_or_nothing(cli, db_path: Path, tmp_path: Path, data: bytes) -> None:
    if not db_path.exists():
        cli.put("already here", "-n", "keep")
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    before = memory_count(db_path)
    result = cli("import", path, "--json", code=None)
    if result.exit_code == 0:
        report = json.loads(result.stdout)
        assert memory_count(db_path) == before + report["inserted"]
        return
    assert_clean_failure(result, path)
    assert memory_count(db_path) == before


@settings(max_examples=100, **HYPOTHESIS)
@given(
    data=st.one_of(st.binary(max_size=200), st.builds(
        lambda doc, ascii_: json.dumps(doc, ensure_ascii=ascii_).encode("utf-8", "surrogatepass"), prompt_docs,
        st.booleans())),
    suffix=st.sampled_from([".json", ".yaml", ".yml", ".md", ".txt"]),
)
def test_prompt_loader_loads_or_names_the_file(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"prompt{suffix}"
    path.write_bytes(data)
    try:
        pf = load_prompt_file(path)
    except InvalidInputError as error:
        assert error.location == str(path) or re.fullmatch(re.escape(str(path)) + r":\d+", error.location or "")
        assert "\n" not in str(error)
        return
    # What loads can be written back: every prompt is UTF-8 text, and render works.
    assert pf.specs
    for spec in pf.specs:
        (spec.name + spec.prompt).encode("utf-8")
    pf.render({spec.name: spec.prompt + " (changed)" for spec in pf.specs}).encode("utf-8")


@settings(max_examples=40, **HYPOTHESIS)
@given(doc=prompt_docs, ascii_=st.booleans())
def test_optimize_prompt_with_random_json_calls_no_model_on_failure(cli, tmp_path: Path, doc: Any, ascii_: bool) -> None:
    path = tmp_path / "prompt.json"
    data = json.dumps(doc, ensure_ascii=ascii_).encode("utf-8", "surrogatepass")
    path.write_bytes(data)
    SCRIPT.reset()
    result = cli("optimize-prompt", path, "-t", TRAJ, *FAKE, code=None)
    if result.exit_code == 0:
        return
    assert_clean_failure(result, path, lined=False)
    assert SCRIPT.prompts == [] and path.read_bytes() == data


# --- targeted cases: line formats (extract, import) ------------------------------------------------------

GOOD = {
    "extract": b'{"role": "user", "content": "I like green tea"}',
    "import": b'{"namespace": "n", "content": "I like green tea"}',
}
NESTED = b"[" * 100_000 + b"]" * 100_000

# name -> (line 2 of the file after a good line 1, or the whole file when the value is a callable's result)
SECOND_LINES = {
    "invalid-utf8": b'{"role": "user", "namespace": "n", "content": "caf\xe9 au lait"}',
    "encoded-surrogate": b'{"role": "user", "namespace": "n", "content": "x \xed\xa0\x80 y"}',
    "lone-surrogate-escape": b'{"role": "user", "namespace": "n", "content": "x \\ud800 y"}',
    "lone-surrogate-in-name": b'{"role": "user", "namespace": "n", "content": "x", "name": "\\udc00", "metadata": {"\\udc00": 1}}',
    "truncated": b'{"role": "user", "namespace": "n", "content": "I like',
    "truncated-after-key": b'{"role": "user", "namespace": ',
    "a-list": b'[1, 2, 3]',
    "a-number": b"42",
    "a-string": b'"just a string"',
    "null": b"null",
    "true": b"true",
    "role-and-namespace-numbers": b'{"role": 5, "namespace": 5, "content": "x"}',
    "content-a-number": b'{"role": "user", "namespace": "n", "content": 5, "metadata": [1]}',
    "nested-100k": NESTED,
    "nested-100k-object": b'{"role": "user", "namespace": "n", "content": ' + NESTED + b"}",
    "huge-integer": b'{"role": "user", "namespace": "n", "content": "x", "timestamp": ' + b"9" * 5000 + b', "metadata": ' + b"9" * 5000 + b"}",
    "nul-in-line": b'{"role": "user",\x00 "namespace": "n", "content": "x"}',
}


def whole_files() -> dict[str, tuple[bytes, int | None]]:
    """name -> (file content, expected line or None when any line of it will do)."""
    rng = random.Random(1234)
    return {
        "random-bytes": (rng.randbytes(4096), None),
        "nul-bytes": (b"\x00" * 1024, 1),
        "gzip": (gzip.compress(b'{"role": "user", "content": "hi"}\n' * 50), 1),
        "utf16": ('{"role": "user", "namespace": "n", "content": "hi"}\n'.encode("utf-16"), 1),
        "nested-first-line": (NESTED + b"\n", 1),
        "open-bracket-only": (b"[\n", None),
        "a-lone-brace": (b"{\n", 1),
    }


def hostile_file(tmp_path: Path, command: str, case: str) -> tuple[Path, int | None]:
    path = tmp_path / f"{case}.jsonl"
    if case in SECOND_LINES:
        path.write_bytes(GOOD[command] + b"\n" + SECOND_LINES[case] + b"\n" + GOOD[command] + b"\n")
        return path, 2
    data, line = whole_files()[case]
    path.write_bytes(data)
    return path, line


ALL_CASES = [*SECOND_LINES, *whole_files()]


@pytest.mark.parametrize("case", ALL_CASES)
def test_extract_hostile_file(cli, db_path: Path, tmp_path: Path, case: str) -> None:
    path, line = hostile_file(tmp_path, "extract", case)
    result = cli("extract", path, *FAKE, "-n", "x", code=None)
    assert_clean_failure(result, path, line)
    assert SCRIPT.prompts == [], "a model call for a file that does not parse"
    assert memory_count(db_path) == 0 and run_count(db_path) == 0


@pytest.mark.parametrize("case", ALL_CASES)
def test_import_hostile_file(cli, db_path: Path, tmp_path: Path, case: str) -> None:
    cli.put("already here", "-n", "keep")
    path, line = hostile_file(tmp_path, "import", case)
    result = cli("import", path, code=None)
    assert_clean_failure(result, path, line)
    assert memory_count(db_path) == 1, "a failing import wrote memories"


@pytest.mark.parametrize("case", ALL_CASES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_transcript_format_names_the_line(tmp_path: Path, case: str, fmt: str) -> None:
    path, line = hostile_file(tmp_path, "extract", case)
    with pytest.raises(InvalidInputError) as caught:
        list(read_conversations(str(path), fmt))
    assert_location(caught.value, path, path.read_bytes())
    if line is not None and fmt == "messages":  # other formats may already refuse the good line 1
        assert caught.value.location == f"{path}:{line}", str(caught.value)


def test_a_bad_file_in_a_batch_is_listed_and_the_others_are_extracted(cli, db_path: Path, tmp_path: Path) -> None:
    """Each file stands alone (issue 27.3): the truncated one is named with file:line and the
    reason, the good one is extracted, and the exit code says "some failed" (1), not "all" (4/65)."""
    good = tmp_path / "good.jsonl"
    good.write_bytes(GOOD["extract"] + b"\n")
    bad, line = hostile_file(tmp_path, "extract", "truncated")
    result = cli("extract", good, bad, *FAKE, "-n", "x", "--json", code=1)
    warnings = [w for w in result.stderr.splitlines() if w.startswith("warning: skipped ")]
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: skipped {bad}:{line}: "), result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["files_failed"] == 1 and report["unreadable"][0]["file"] == str(bad)
    assert len(SCRIPT.prompts) >= 1 and memory_count(db_path) >= 1
    # The bad file alone still fails as one line, writes nothing: the check above can fail.
    assert_clean_failure(cli("extract", bad, *FAKE, "-n", "y", code=None), bad, line)


def test_import_many_good_lines_then_one_bad_one_writes_nothing(cli, db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "mostly-good.jsonl"
    good = [json.dumps({"namespace": "n", "content": f"fact {i}"}) for i in range(200)]
    path.write_text("\n".join(good) + '\n{"namespace": "n", "content": "\\ud800"}\n')
    assert_clean_failure(cli("import", path, code=None), path, 201)
    assert memory_count(db_path) == 0
    path.write_text("\n".join(good) + "\n")
    assert cli.json("import", path)["inserted"] == 200 and memory_count(db_path) == 200


def test_empty_files(cli, db_path: Path, tmp_path: Path) -> None:
    for data in (b"", b"\n\n  \n", b"\xef\xbb\xbf"):
        path = tmp_path / "empty.jsonl"
        path.write_bytes(data)
        message = assert_clean_failure(cli("extract", path, *FAKE, code=None), path, 1)
        assert "empty" in message
    assert SCRIPT.prompts == []
    # An empty export (of an empty store) is a valid import: nothing to do.
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert cli.json("import", path)["inserted"] == 0 and memory_count(db_path) == 0


def test_a_50_mb_line(cli, db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    with open(path, "wb") as fp:  # one line, 50 MB, never closed: the string runs to the end of the file
        fp.write(b'{"role": "user", "namespace": "n", "content": "')
        fp.write(b"a" * 50_000_000)
    for args in (("extract", path, *FAKE, "-n", "x"), ("import", path)):
        result = cli(*args, code=None)
        message = assert_clean_failure(result, path, 1)
        assert len(message) < 500, "the error repeats the line"
    assert SCRIPT.prompts == [] and memory_count(db_path) == 0


def test_unreadable_paths_are_usage_errors(cli, tmp_path: Path) -> None:
    prompt = tmp_path / "p.md"
    prompt.write_text("Be brief.\n")
    # optimize-prompt gives each input its own code (issue 26): 4 the prompt file, 8 the trajectories
    for args, codes in ((("extract", tmp_path, *FAKE), (2,)), (("import", tmp_path), (2,)),
                        (("extract", tmp_path / "missing.jsonl", *FAKE), (2,)), (("import", tmp_path / "missing.jsonl"), (2,)),
                        (("optimize-prompt", tmp_path, "-t", TRAJ, *FAKE), (4,)),
                        (("optimize-prompt", prompt, "-t", tmp_path, *FAKE), (8,))):
        result = cli(*args, code=None)
        assert_clean_failure(result, Path(args[3] if args[1] == prompt else args[1]), codes=codes, anywhere=True)
    assert SCRIPT.prompts == []


# --- targeted cases: prompt files (optimize-prompt) ----------------------------------------------------------

PROMPT_CASES = {
    # name: (file name, content, expected line: int, "any" for some line, None for the file as a whole)
    "invalid-utf8-md": ("p.md", b"Be brief.\nCaf\xe9.\n", 2),
    "encoded-surrogate-md": ("p.md", b"Be brief.\n\nx \xed\xa0\x80\n", 3),
    "nul-md": ("p.md", b"Be brief.\n\x00\x01\x02", 2),
    "empty-md": ("p.md", b"", None),
    "blank-md": ("p.md", b" \n\t\n", None),
    "random-bytes-json": ("p.json", random.Random(7).randbytes(2048), "any"),
    "gzip-json": ("p.json", gzip.compress(b'{"name": "a", "prompt": "b"}'), 1),
    "truncated-json": ("p.json", b'{"name": "a",\n "prompt": "Be', 2),
    "truncated-yaml": ("p.yaml", b'name: a\nprompt: "Be brief\n', "any"),
    "a-number-json": ("p.json", b"42", None),
    "a-list-of-numbers-json": ("p.json", b"[1, 2]", None),
    "null-json": ("p.json", b"null", None),
    "name-a-number-json": ("p.json", b'{"name": 5, "prompt": "Be brief."}', None),
    "prompt-a-list-json": ("p.json", b'{"name": "a", "prompt": ["Be brief."]}', None),
    "prompts-empty-json": ("p.json", b'{"prompts": []}', None),
    "duplicate-names-json": ("p.json", b'[{"name": "a", "prompt": "x"}, {"name": "a", "prompt": "y"}]', None),
    "lone-surrogate-json": ("p.json", b'{"name": "a", "prompt": "Be \\ud800 brief."}', None),
    "lone-surrogate-name-yaml": ("p.yaml", b'name: "\\udfff"\nprompt: Be brief.\n', None),
    "nested-100k-json": ("p.json", NESTED, None),
    "nested-100k-yaml": ("p.yaml", NESTED, None),
    "nested-300-json": ("p.json", b'{"name": "a", "prompt": "x", "extra": ' + b"[" * 300 + b"]" * 300 + b"}", None),
    "python-tag-yaml": ("p.yaml", b"!!python/object/apply:os.system ['true']\n", 1),
    "two-documents-yaml": ("p.yaml", b"name: a\nprompt: x\n---\nname: b\nprompt: y\n", "any"),
    "huge-integer-json": ("p.json", b'{"name": "a", "prompt": ' + b"9" * 5000 + b"}", 1),
}


@pytest.mark.parametrize("case", PROMPT_CASES)
def test_optimize_prompt_hostile_prompt_file(cli, db_path: Path, tmp_path: Path, case: str) -> None:
    name, data, line = PROMPT_CASES[case]
    path = tmp_path / name
    path.write_bytes(data)
    result = cli("optimize-prompt", path, "-t", TRAJ, *FAKE, "--in-place", code=None)
    message = assert_clean_failure(result, path, line if isinstance(line, int) else None, lined=line is not None)
    assert not message.startswith(f"{path}: {path}")
    assert SCRIPT.prompts == [], "a model call for a prompt file that does not load"
    assert path.read_bytes() == data, "the prompt file was rewritten"
    assert run_count(db_path) == 0


@pytest.mark.parametrize("case", ["invalid-utf8", "lone-surrogate-escape", "truncated", "a-number", "nested-100k"])
def test_optimize_prompt_hostile_trajectories(cli, tmp_path: Path, case: str) -> None:
    prompt = tmp_path / "p.md"
    prompt.write_text("Be brief.\n")
    trajectories = tmp_path / "t.jsonl"
    good = b'{"messages": [{"role": "user", "content": "hi"}], "feedback": "ok"}'
    second = SECOND_LINES[case].replace(b'"role": "user", ', b'"messages": [{"role": "user", "content": "hi"}], ')
    trajectories.write_bytes(good + b"\n" + second + b"\n")
    result = cli("optimize-prompt", prompt, "-t", trajectories, *FAKE, "--in-place", code=None)
    assert_clean_failure(result, trajectories, 2, codes=(8,))
    assert SCRIPT.prompts == [] and prompt.read_text() == "Be brief.\n"


def test_trajectories_from_a_pipe_are_read_once(cli, tmp_path: Path) -> None:
    """`-t <(zcat t.jsonl.gz)`: a pipe can be read once only; peeking at it first loses the data."""
    prompt = tmp_path / "p.md"
    prompt.write_text("Be brief.\n")
    fifo = tmp_path / "t.fifo"
    os.mkfifo(fifo)

    done = threading.Event()

    def writer() -> None:
        with open(fifo, "wb") as fp:
            fp.write(TRAJ.read_bytes())
        while not done.wait(0.05):  # a second reader, if any, sees an empty pipe instead of waiting forever
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        result = cli("optimize-prompt", prompt, "-t", fifo, *FAKE, "--json", code=None)
    finally:
        done.set()
        thread.join(5)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["trajectories"] > 0 and SCRIPT.prompts


@pytest.mark.parametrize("case", ["invalid-utf8", "lone-surrogate-escape", "truncated", "nested-100k"])
@pytest.mark.parametrize("command", ["extract", "import"])
def test_hostile_stdin(cli, db_path: Path, command: str, case: str) -> None:
    data = GOOD[command] + b"\n" + SECOND_LINES[case] + b"\n"
    args = ("extract", "-", *FAKE, "-n", "x") if command == "extract" else ("import", "-")
    assert_clean_failure(cli(*args, input=data, code=None), Path("<stdin>"), 2)
    assert SCRIPT.prompts == [] and memory_count(db_path) == 0
