"""Errors reach the user as one line on stderr with the documented exit code, never a traceback."""

from __future__ import annotations

import os

import pytest

from langmem_cli.errors import ExitCode


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def assert_one_error_line(result, *fragments: str) -> None:
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("langmem: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["put", "text", "-n", "bad//ns"],
        ["put", "text", "-n", "/leading"],
        ["put", "text", "-n", "trailing/"],
        ["put", "text", "-n", "a/../b"],
        ["put", "text", "-n", "has space"],
        ["put", "text", "-n", ""],
        ["put", "text", "-n", "x" * 256],
        ["list", "-n", "bad//ns"],
        ["list", "--prefix", "a/./b"],
        ["search", "q", "-n", "sp ace"],
        ["namespaces", "--prefix", "bad//ns"],
        ["delete", "--namespace", "bad//ns", "--yes"],
        ["delete", "-n", "", "--yes"],
        ["delete", "--prefix", "", "--yes", "--purge"],
        ["export", "--namespace", "white space"],
    ],
)
def test_invalid_namespace_is_a_usage_error(cli, args):
    result = cli(*args, code=ExitCode.USAGE)
    given = args[args.index(next(a for a in args if a in ("-n", "--namespace", "--prefix"))) + 1]
    assert_one_error_line(result, f"invalid namespace {given!r}" if len(given) < 100 else "invalid namespace")


def test_lock_message_says_how_long_it_waited(db_path, embedder, monkeypatch):
    import sqlite3
    import time

    from langmem_cli import Store
    from langmem_cli.errors import DatabaseError
    from langmem_cli.store.sqlite import db as dbmod

    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 700)
    Store.open(db_path, embedder=embedder).close()
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Store.open(db_path, embedder=embedder) as store:
            started = time.monotonic()
            with pytest.raises(DatabaseError) as error:
                store.put("ns", "a write that has to wait")
            waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert f"waited {waited:.1f} s, busy timeout 0.7 s" in str(error.value) or "waited 0.7 s" in str(error.value)
    assert "60 s" not in str(error.value)


def test_valid_namespace_characters(cli):
    ns = "Org_1/user.name@example.com/app:v2+x=y-z"
    assert cli.put("ok", "-n", ns)["namespace"] == ns


@pytest.mark.parametrize("args", [["get", "missing-id"], ["history", "missing-id"], ["delete", "missing-id"]])
def test_unknown_id_is_not_found(cli, args):
    cli.put("something")  # the database exists and is not empty
    result = cli(*args, code=ExitCode.NOT_FOUND)
    assert_one_error_line(result, "missing-id")


@pytest.mark.parametrize("content", ["{not json", "", "[1, 2", '{"a": 1'])
def test_invalid_json_for_a_kind_is_invalid_input(cli, content):
    result = cli("put", content, "--kind", "pet", code=ExitCode.INVALID_INPUT)
    assert_one_error_line(result, "invalid JSON content for kind 'pet'")
    assert cli.json("stats")["memories"] == 0


def test_invalid_json_from_file_names_the_file(cli, tmp_path):
    f = tmp_path / "broken.json"
    f.write_text('{"name": ')
    result = cli("put", "--file", f, "-k", "pet", code=ExitCode.INVALID_INPUT)
    assert_one_error_line(result, str(f))


def write_garbage(path):
    path.write_bytes(b"this is certainly not an SQLite database file " * 100)


@pytest.mark.parametrize("args", [["list"], ["put", "hello"], ["stats"], ["search", "hello"], ["get", "x"]])
def test_corrupt_database_is_a_database_error(cli, db_path, args):
    write_garbage(db_path)
    result = cli(*args, code=ExitCode.DATABASE)
    assert_one_error_line(result, str(db_path), "not a langmem database or is corrupt")
    assert result.stdout == ""


def test_corrupt_database_traceback_with_debug(cli, db_path):
    write_garbage(db_path)
    result = cli("list", env={"LANGMEM_DEBUG": "1"}, code=ExitCode.DATABASE)
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("langmem: error: ")


def test_database_path_is_a_directory(cli, tmp_path):
    directory = tmp_path / "a-directory.db"
    directory.mkdir()
    result = cli("--db", directory, "list", code=ExitCode.DATABASE)
    assert_one_error_line(result, str(directory))


def test_database_in_unwritable_place(cli, tmp_path):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    result = cli("--db", blocker / "sub" / "m.db", "list", code=ExitCode.DATABASE)
    assert_one_error_line(result, "cannot create database")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_database(cli, db_path):
    cli.put("exists")
    db_path.chmod(0)
    try:
        result = cli("list", code=ExitCode.DATABASE)
    finally:
        db_path.chmod(0o600)
    assert_one_error_line(result, "cannot read database")


def test_invalid_hash_embedder_is_a_model_error(cli):
    result = cli("put", "x", env={"LANGMEM_EMBEDDING_MODEL": "hash:3"}, code=ExitCode.MODEL)
    assert_one_error_line(result, "hash:3")


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--limit", "0"],
        ["list", "--no-such-option"],
        ["no-such-command"],
        ["get"],
        ["search", "q", "--offset", "-1"],
    ],
)
def test_click_usage_errors_exit_2_without_unexpected(cli, args):
    result = cli(*args, code=ExitCode.USAGE)
    assert "unexpected" not in result.output
    assert "Traceback" not in result.output
    assert "Error" in result.stderr


def test_no_arguments_shows_help(cli):
    result = cli(code=None)
    assert result.exit_code in (0, 2)
    assert "Usage: langmem" in result.output
    assert "Traceback" not in result.output
