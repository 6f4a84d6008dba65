"""The store commands through the CLI: put, get, list, delete, namespaces, history, stats, runs, path."""

from __future__ import annotations

import json

import pytest

from langmem_cli import Store, __version__
from langmem_cli.store.sqlite.migrations import MIGRATIONS

# -- put ----------------------------------------------------------------------------------------


def test_put_argument_stores_free_text(cli):
    m = cli.put("I like green tea", "-n", "org/u1")
    assert m["namespace"] == "org/u1"
    assert m["kind"] == "memory"
    assert m["content"] == {"content": "I like green tea"}
    assert m["text"] == "I like green tea"
    assert m["source"] == "cli"
    assert m["embedding_model"] == "hash:64"
    assert m["created_at"] == m["updated_at"]
    assert cli.json("get", m["id"]) == m


def test_put_default_namespace(cli):
    assert cli.put("no namespace given")["namespace"] == "default"


def test_put_from_file(cli, tmp_path):
    f = tmp_path / "note.txt"
    f.write_text("  Written in a file, with ünïcode ☕\n", encoding="utf-8")
    m = cli.json("put", "--file", f, "-n", "files")
    assert m["text"] == "Written in a file, with ünïcode ☕"
    assert m["source"] == str(f)
    assert cli.json("get", m["id"])["text"] == m["text"]


def test_put_from_stdin(cli):
    m = cli.json("put", "-", "-n", "piped", input="read from standard input\n")
    assert m["text"] == "read from standard input"
    assert m["source"] == "stdin"
    assert m["namespace"] == "piped"


def test_put_kind_with_json_content(cli):
    m = cli.put('{"name": "Rex", "species": "dog", "age": 3, "tags": ["good", "loud"]}', "-k", "pet", "-n", "org/u1", "--new-kind")
    assert m["kind"] == "pet"
    assert m["content"] == {"name": "Rex", "species": "dog", "age": 3, "tags": ["good", "loud"]}
    # rendered from the canonical (key-sorted) content, the form the database keeps
    assert m["text"].splitlines() == ["age: 3", "name: Rex", "species: dog", "tags: good, loud"]
    assert cli.json("get", m["id"]) == m


def test_put_kind_json_from_file(cli, tmp_path):
    f = tmp_path / "pref.json"
    f.write_text(json.dumps({"drink": "tea", "sugar": False}))
    m = cli.json("put", "--file", f, "--kind", "preference", "--new-kind")
    assert m["content"] == {"drink": "tea", "sugar": False}
    assert "sugar: no" in m["text"]


def test_put_metadata_pairs(cli):
    m = cli.put("with metadata", "-m", "source_app=chat", "--metadata", "expr=a=b", "-m", "n=1")
    assert m["metadata"] == {"source_app": "chat", "expr": "a=b", "n": "1"}


def test_put_with_id(cli):
    m = cli.put("chosen id", "--id", "my-memory-1")
    assert m["id"] == "my-memory-1"
    assert cli.json("get", "my-memory-1")["text"] == "chosen id"


def test_put_existing_id_is_refused_and_keeps_the_original(cli):
    cli.put("first", "--id", "dup")
    result = cli("put", "second", "--id", "dup", code=2)
    assert "already exists" in result.stderr
    assert cli.json("get", "dup")["text"] == "first"


def test_put_human_output(cli):
    result = cli("put", "human readable", "-n", "h", "--no-json")
    assert result.stdout.startswith("stored ")
    assert "in h" in result.stdout
    memory_id = result.stdout.split()[1]
    assert cli.json("get", memory_id)["text"] == "human readable"


@pytest.mark.parametrize(
    "args",
    [
        [],  # no content
        ["   "],  # blank
        ["text", "--file", "whatever.txt"],  # both
        ["-m", "novalue", "text"],  # metadata without '='
        ["--file", "does-not-exist.txt"],
    ],
)
def test_put_usage_errors(cli, args):
    result = cli("put", *args, code=2)
    assert result.stderr.startswith("langmem: error:")
    assert cli.json("stats")["memories"] == 0


def test_put_non_object_json_for_a_kind_is_invalid(cli):
    result = cli("put", "[1, 2]", "-k", "pet", code=4)
    assert "non-empty JSON object" in result.stderr


def test_put_non_utf8_file_is_invalid_input(cli, tmp_path):
    f = tmp_path / "latin1.txt"
    f.write_bytes("café".encode("latin-1"))
    result = cli("put", "--file", f, code=4)
    assert str(f) in result.stderr


# -- get ----------------------------------------------------------------------------------------


def test_get_human_shows_fields(cli):
    m = cli.put('{"city": "Lisbon"}', "-k", "place", "-m", "a=b", "--new-kind")
    out = cli("get", m["id"], "--no-json").stdout
    for expected in (m["id"], "place", "city: Lisbon", '"a": "b"', '"city": "Lisbon"'):
        assert expected in out


# -- list ---------------------------------------------------------------------------------------


@pytest.fixture
def listed(cli):
    """Memories in several namespaces and kinds, in creation order."""
    return [
        cli.put("tea in the morning", "-n", "org/u1", "-m", "app=chat"),
        cli.put("coffee after lunch", "-n", "org/u1", "-m", "app=mail", "-m", "n=1"),
        cli.put('{"name": "Rex", "age": 3}', "-n", "org/u1", "-k", "pet", "--new-kind"),
        cli.put("works at an organic farm", "-n", "org/u2"),
        cli.put("not an org namespace", "-n", "organic"),
        cli.put("the root org note", "-n", "org"),
    ]


def ids(rows):
    return [r["id"] for r in rows]


def test_list_all_oldest_first(cli, listed):
    assert ids(cli.json("list")) == ids(listed)


def test_list_namespace_is_exact(cli, listed):
    assert ids(cli.json("list", "-n", "org/u1")) == ids(listed[:3])
    assert ids(cli.json("list", "--namespace", "org")) == [listed[5]["id"]]


def test_list_prefix_is_segment_wise(cli, listed):
    got = ids(cli.json("list", "--prefix", "org"))
    assert got == [listed[i]["id"] for i in (0, 1, 2, 3, 5)]  # not 'organic'
    assert ids(cli.json("list", "--prefix", "org/")) == got
    assert ids(cli.json("list", "--prefix", "org/u2")) == [listed[3]["id"]]


def test_list_kind(cli, listed):
    assert ids(cli.json("list", "--kind", "pet")) == [listed[2]["id"]]
    assert len(cli.json("list", "-k", "pet", "-k", "memory")) == 6
    assert cli.json("list", "-k", "nope") == []


def test_list_filter_on_content_and_metadata(cli, listed):
    assert ids(cli.json("list", "--filter", "name=Rex")) == [listed[2]["id"]]
    assert ids(cli.json("list", "-f", "age=3")) == [listed[2]["id"]]
    assert cli.json("list", "-f", "age=4") == []
    assert ids(cli.json("list", "-f", "app=mail")) == [listed[1]["id"]]
    # metadata given on the command line is text; a numeric-looking filter must still match it
    assert ids(cli.json("list", "-f", "n=1")) == [listed[1]["id"]]
    # several filters are AND-ed
    assert ids(cli.json("list", "-f", "app=mail", "-f", "n=1")) == [listed[1]["id"]]
    assert cli.json("list", "-f", "app=mail", "-f", "n=2") == []


def test_list_limit_and_offset(cli, listed):
    assert ids(cli.json("list", "--limit", "2")) == ids(listed[:2])
    assert ids(cli.json("list", "-l", "2", "--offset", "1")) == ids(listed[1:3])
    assert cli.json("list", "--offset", "6") == []


def test_list_jsonl(cli, listed):
    result = cli("list", "--jsonl", "-n", "org/u1")
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert [json.loads(line)["id"] for line in lines] == ids(listed[:3])


def test_list_human(cli, listed):
    out = cli("list", "--no-json", "-n", "org/u2").stdout
    assert listed[3]["id"][:8] in out and listed[3]["id"] not in out and "organic farm" in out  # short ids in tables
    assert "no memories" in cli("list", "--no-json", "-n", "empty/ns").stdout


def test_list_invalid_filter_is_usage_error(cli, listed):
    assert "field=value" in cli("list", "-f", "novalue", code=2).stderr


# -- delete -------------------------------------------------------------------------------------


def test_delete_ids(cli, listed):
    result = cli.json("delete", listed[0]["id"], listed[1]["id"])
    assert result == {"deleted": 2}
    cli("get", listed[0]["id"], code=3)
    assert ids(cli.json("list")) == ids(listed[2:])


def test_delete_repeated_id(cli, listed):
    assert cli.json("delete", listed[0]["id"], listed[0]["id"]) == {"deleted": 1}
    cli("get", listed[0]["id"], code=3)


def test_delete_unknown_id_deletes_nothing(cli, listed):
    result = cli("delete", listed[0]["id"], "no-such-id", code=3)
    assert "no-such-id" in result.stderr
    assert len(cli.json("list")) == len(listed)


def test_delete_namespace_needs_yes(cli, listed):
    result = cli("delete", "--namespace", "org/u1", code=2)
    assert "refusing to delete 3 memories without --yes" in result.stderr
    assert len(cli.json("list")) == 6


def test_delete_namespace_with_yes(cli, listed):
    assert cli.json("delete", "--namespace", "org/u1", "--yes") == {"deleted": 3}
    assert ids(cli.json("list")) == ids(listed[3:])


def test_delete_prefix_with_yes_spares_lookalike_namespaces(cli, listed):
    assert cli.json("delete", "--prefix", "org", "-y") == {"deleted": 5}
    assert ids(cli.json("list")) == [listed[4]["id"]]  # 'organic' survives


def test_delete_namespace_and_kind(cli, listed):
    assert cli.json("delete", "-n", "org/u1", "-k", "pet", "--yes") == {"deleted": 1}
    assert cli.json("list", "-k", "pet") == []
    assert len(cli.json("list")) == 5


@pytest.mark.parametrize("args", [[], ["some-id", "--namespace", "org/u1"]])
def test_delete_usage_errors(cli, listed, args):
    cli("delete", *args, code=2)
    assert len(cli.json("list")) == 6


def test_delete_human(cli, listed):
    assert "deleted 1 memory" in cli("delete", listed[0]["id"], "--no-json").stdout
    assert "deleted 2 memories" in cli("delete", "-n", "org/u1", "-y", "--no-json").stdout


# -- namespaces ---------------------------------------------------------------------------------


def test_namespaces_with_counts(cli, listed):
    assert cli.json("namespaces") == [
        {"namespace": "org", "count": 1},
        {"namespace": "org/u1", "count": 3},
        {"namespace": "org/u2", "count": 1},
        {"namespace": "organic", "count": 1},
    ]


def test_namespaces_prefix_does_not_match_lookalikes(cli, listed):
    names = [r["namespace"] for r in cli.json("namespaces", "--prefix", "org")]
    assert names == ["org", "org/u1", "org/u2"]
    assert [r["namespace"] for r in cli.json("namespaces", "--prefix", "organic")] == ["organic"]
    assert cli.json("namespaces", "--prefix", "or") == []


def test_namespaces_prefix_escapes_like_wildcards(cli):
    cli.put("underscore", "-n", "a_b/x")
    cli.put("lookalike", "-n", "axb/x")
    assert [r["namespace"] for r in cli.json("namespaces", "--prefix", "a_b")] == ["a_b/x"]


def test_namespaces_human(cli, listed):
    out = cli("namespaces", "--no-json").stdout
    assert "org/u1" in out and "organic" in out
    assert "no namespaces" in cli("namespaces", "--no-json", "--prefix", "zzz").stdout


# -- history ------------------------------------------------------------------------------------


def test_history_insert_update_delete(cli, db_path):
    m = cli.put("the first version", "-n", "h/1")
    with Store.open(db_path) as store:
        store.update(m["id"], "the second version")
    cli("delete", m["id"])
    entries = cli.json("history", m["id"])
    assert [e["action"] for e in entries] == ["insert", "update", "delete"]
    insert, update, delete = entries
    assert insert["before"] is None and insert["after"]["text"] == "the first version"
    assert update["before"]["text"] == "the first version"
    assert update["after"]["text"] == "the second version"
    assert update["after"]["created_at"] == m["created_at"]
    assert delete["before"]["text"] == "the second version" and delete["after"] is None
    assert all(e["memory_id"] == m["id"] and e["namespace"] == "h/1" for e in entries)
    assert insert["at"] <= update["at"] <= delete["at"]
    assert insert["run_id"] and delete["run_id"] and insert["run_id"] != delete["run_id"]


def test_history_human(cli):
    m = cli.put("watch me change")
    out = cli("history", m["id"], "--no-json").stdout
    assert "insert" in out and "watch me change" in out


def test_history_unknown_id(cli):
    assert "no history" in cli("history", "nope", code=3).stderr


# -- stats, runs, path, version, help -----------------------------------------------------------


def test_stats(cli, listed):
    info = cli.json("stats")
    assert info["memories"] == 6
    assert info["namespaces"] == 4
    assert info["kinds"] == {"memory": 5, "pet": 1}
    assert info["history_entries"] == 6
    assert info["runs"] == 6
    assert info["embedding_models"] == {"hash:64": 6}
    assert info["embedding_model"] == "hash:64"
    assert info["needs_reindex"] == 0
    assert info["migrations"] == [name for name, _ in MIGRATIONS]
    assert info["path"] == str(cli.db_path)
    assert info["size_bytes"] > 0


def test_stats_human(cli, listed):
    out = cli("stats", "--no-json").stdout
    assert "memories" in out and "hash:64: 6" in out


def test_runs_records_commands_and_failures(cli):
    cli.put("one", "--id", "r1")
    cli("delete", "r1")
    cli("put", "again", "--id", "r2")
    cli("put", "clash", "--id", "r2", code=2)
    runs = cli.json("runs")
    assert [r["command"] for r in runs] == ["put", "put", "delete", "put"]  # newest first
    assert [r["status"] for r in runs] == ["failed", "ok", "ok", "ok"]
    assert "already exists" in runs[0]["error"]
    assert all(r["ended_at"] and r["started_at"] <= r["ended_at"] for r in runs)
    assert json.loads(runs[2]["arguments"]) == {"ids": ["r1"]}
    assert len(cli.json("runs", "--limit", "2")) == 2


def test_runs_human(cli):
    cli.put("one")
    out = cli("runs", "--no-json").stdout
    assert "put" in out and "ok" in out


def test_path(cli_for, db_path):
    cli = cli_for(db_path)
    assert cli("path").stdout == f"{db_path}\n"
    assert cli.json("path", "--json") == {"path": str(db_path), "exists": False}
    cli.put("now it exists")
    assert cli.json("path", "--json")["exists"] is True


def test_db_option_overrides_env(cli, tmp_path):
    other = tmp_path / "other.db"
    cli("--db", other, "put", "elsewhere")
    assert cli.json("--db", other, "stats")["memories"] == 1
    assert cli.json("stats")["memories"] == 0


def test_version(cli):
    assert cli("--version").stdout.strip() == f"langmem {__version__}"


COMMANDS = ["put", "get", "list", "search", "delete", "namespaces", "history", "export", "import",
            "stats", "reindex", "runs", "path"]


def test_help_lists_every_command_and_the_environment(cli):
    out = cli("--help").stdout
    for command in COMMANDS:
        assert f"  {command} " in out
    assert "LANGMEM_DB" in out and "Exit codes" in out


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help(cli_for, tmp_path, command):
    cli = cli_for(tmp_path / "never-created.db")
    result = cli(command, "--help")
    assert result.stdout.startswith(f"Usage: langmem {command}")
    assert "error" not in result.stderr
    assert not cli.db_path.exists()  # help touches no database


# -- reindex ------------------------------------------------------------------------------------


def test_reindex_after_switching_model(cli):
    cat = cli.put("the cat sat on the mat", "--id", "cat")
    cli.put("a dog barked at night", "--id", "dog")
    assert cli.json("search", "cat mat", "--mode", "vector")[0]["id"] == "cat"
    new = {"LANGMEM_EMBEDDING_MODEL": "hash:32"}

    info = cli.json("stats", env=new)
    assert info["embedding_model"] == "hash:32"
    assert info["needs_reindex"] == 2 and info["embedding_models"] == {"hash:64": 2}
    assert "run `langmem reindex`" in cli("stats", "--no-json", env=new).stdout
    assert cli.json("search", "cat mat", "--mode", "vector", env=new) == []  # no hash:32 vectors yet
    assert cli.json("search", "cat mat", env=new)[0]["id"] == "cat"  # hybrid still has keywords

    assert cli.json("reindex", env=new) == {"reindexed": 2, "embedding_model": "hash:32"}
    info = cli.json("stats", env=new)
    assert info["needs_reindex"] == 0 and info["embedding_models"] == {"hash:32": 2}
    hits = cli.json("search", "cat mat", "--mode", "vector", env=new)
    assert hits[0]["id"] == "cat" and hits[0]["embedding_model"] == "hash:32"
    assert hits[0]["vector_score"] > 0.5
    assert cli.json("get", "cat", env=new)["updated_at"] == cat["updated_at"]  # content untouched

    assert cli.json("reindex", env=new)["reindexed"] == 0
    assert cli.json("reindex", "--force", env=new)["reindexed"] == 2
    # the old model now needs a reindex in turn
    assert cli.json("stats")["needs_reindex"] == 2
    assert "re-embedded 2 memories with hash:64" in cli("reindex", "--no-json").stdout


# -- cron-friendly logs (issue 16.4): no hard wrapping when stdout/stderr are not terminals ---------

def test_logs_are_one_line_per_event_when_not_a_terminal(cli, fake, tmp_path):
    from conftest import FAKE

    for text in ("Alice likes green tea", "Alice likes green tea a lot", "Bob has a dog named Rex"):
        cli.put(text, "-n", "org/a-rather-long-namespace-name/for-the-logs")
    result = cli("consolidate", "--all", *FAKE, "--threshold", "0.3", "--no-json")
    lines = [line for line in result.stdout.splitlines() if line.startswith("consolidate (")]
    assert len(lines) == 1 and len(lines[0]) > 160 and lines[0].rstrip().endswith(" s"), result.stdout
    src = tmp_path / "t.jsonl"
    src.write_text('{"role": "user", "content": "I like tea"}\n')
    fake.reset([{"fault": "malformed"}] * 3, auto=False)
    result = cli("extract", src, "-n", "org/a-rather-long-namespace-name/for-the-logs", *FAKE, "--no-json", code=65)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: failed ")]
    assert len(warnings) == 1 and len(warnings[0]) > 100 and "after 3 attempts" in warnings[0], result.stderr


def test_first_model_export_says_so(cli, tmp_path, monkeypatch):
    """The first use of the real model exports it (~10 s): one line says why the command waits.
    The export itself is stopped here (the real one runs in the `model` tests)."""
    from langmem_cli.embed import onnx_export
    from langmem_cli.errors import ModelError

    calls = []

    def stop(source, directory):
        calls.append(directory)
        raise ModelError("stopped by the test")

    monkeypatch.setattr(onnx_export, "export", stop)
    env = {"LANGMEM_EMBEDDING_MODEL": "all-MiniLM-L6-v2", "LANGMEM_CACHE_DIR": str(tmp_path / "fresh-cache")}
    result = cli("put", "Alice likes tea", env=env, code=6)
    assert "preparing the embedding model all-MiniLM-L6-v2 once (~10 s" in result.stderr and len(calls) == 1
    assert "preparing" not in cli("-q", "put", "Alice likes tea", env=env, code=6).stderr  # --quiet


def test_no_import_circle_between_the_onnx_modules():
    import ast
    from pathlib import Path

    import langmem_cli.embed.onnx_embedder as module

    tree = ast.parse(Path(module.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "langmem_cli.embed.onnx_export" not in imported


# -- clear small messages (issue 16.6) -------------------------------------------------------------

@pytest.mark.parametrize("command", [["list"], ["search", "tea"], ["stats"], ["namespaces"], ["export"], ["get", "x"],
                                     ["runs"], ["history", "x"], ["show-profile", "-n", "a"]])
def test_read_only_command_on_a_missing_file_exits_5_and_creates_nothing(cli_for, tmp_path, command):
    db = tmp_path / "typo.db"  # the folder exists, the file does not
    cli = cli_for(db)
    result = cli("--db", db, *command, code=5)
    assert result.stderr.strip() == f"langmem: error: no database at {db} (nothing stored yet: put, import or extract creates it)"
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    cli("--db", db, "put", "Alice likes tea")  # a writing command creates it
    assert db.exists()


@pytest.mark.parametrize("command", [["list"], ["search", "tea"], ["stats"], ["namespaces"], ["export"], ["get", "x"]])
def test_read_only_command_on_a_missing_folder_says_so_and_creates_nothing(cli, tmp_path, command):
    db = tmp_path / "not-yet" / "deeper" / "m.db"
    result = cli("--db", db, *command, code=5)
    assert f"no database at {db}: the folder {db.parent} does not exist" in result.stderr
    assert not (tmp_path / "not-yet").exists()
    cli("--db", db, "put", "Alice likes tea")  # a writing command creates it
    assert db.exists()


def test_db_that_is_a_directory_or_under_a_file_says_why(cli, tmp_path):
    result = cli("--db", tmp_path, "list", code=5)
    assert f"cannot open database {tmp_path}: it is a directory" in result.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = cli("--db", blocker / "m.db", "put", "tea", code=5)
    assert f"{blocker} is a file, not a directory" in result.stderr


def test_list_says_how_many_more_at_its_limit(cli):
    for i in range(5):
        cli.put(f"memory number {i}", "-n", "u/a")
    result = cli("list", "-l", "2")
    assert len(json.loads(result.stdout)) == 2
    assert "showing 1-2 of 5: 3 more (--offset 2 for the next page" in result.stderr
    result = cli("list", "-l", "2", "--offset", "3")
    assert "showing 4-5 of 5" not in result.stderr  # the last page: nothing more
    assert "more" not in cli("list", "-l", "5").stderr


def test_bulk_delete_names_an_invalid_namespace(cli):
    cli.put("Alice likes tea", "-n", "u/a")
    for bad, words in (("", "invalid namespace '': it must not be empty"), ("u//a", "invalid namespace 'u//a'")):
        result = cli("delete", "-n", bad, "--yes", code=2)
        assert words in result.stderr
    assert len(cli.json("list")) == 1


def test_put_unknown_structured_kind_says_so_unless_new_kind(cli):
    result = cli("put", '{"name": "Alice"}', "--kind", "contcat", code=2)
    assert "unknown kind 'contcat'" in result.stderr and "--new-kind" in result.stderr
    assert "episode" in result.stderr and "profile" in result.stderr
    assert cli.json("list") == []
    created = cli.put('{"name": "Alice"}', "--kind", "contact", "--new-kind")
    assert created["kind"] == "contact"
    assert cli.put('{"name": "Bob"}', "--kind", "contact")["kind"] == "contact"  # it exists now
    assert cli.put('{"title": "x", "summary": "y"}', "--kind", "episode", code=None) is not None


# -- a closed stdout (issue 27.4) ----------------------------------------------------------------

@pytest.mark.parametrize("command,codes", [(["export"], {141}), (["list", "--jsonl", "--limit", "5000"], {141}),
                                           (["list", "--json", "--limit", "5000"], {0, 141}),
                                           (["list", "--no-json", "--limit", "5000"], {0, 141})])
def test_a_reader_that_leaves_early_gets_a_quiet_exit_141(cli, db_path, command, codes):
    """`langmem export | head -1`: no "Exception ignored", no traceback, exit 141 (128 + SIGPIPE).
    (A result written in one call may be taken whole by the pipe before the reader leaves: then
    the writer never learns, and exits 0.)"""
    import os
    import subprocess
    import sys

    rows = "".join(json.dumps({"namespace": "a", "content": f"memory {i} " + "padding " * 20}) + "\n" for i in range(4000))
    (db_path.parent / "m.jsonl").write_text(rows)
    cli("import", db_path.parent / "m.jsonl")
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "LANGMEM_DB": str(db_path), "LANGMEM_EMBEDDING_MODEL": "hash:64",
           "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "langmem_cli", *command], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=root)
    first = proc.stdout.readline()
    assert first.strip()
    proc.stdout.close()  # the reader goes away with ~1 MB still to come
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) in codes
    assert "Exception" not in err and "Traceback" not in err and "error" not in err and "lost" not in err
    assert err == "" or err.startswith("showing 1-4000 of 4001")
