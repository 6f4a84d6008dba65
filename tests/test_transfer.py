"""export / import: lossless round trip, idempotence, all-or-nothing validation with file:line."""

from __future__ import annotations

import json
import time

import pytest

from langmem_cli import Store
from langmem_cli.core.records import NewMemory
from langmem_cli.embed.hash_embedder import HashEmbedder
from langmem_cli.errors import ExitCode


def populate(path):
    """A database with a bit of everything: kinds, metadata, unicode, updates, deletes."""
    with Store.open(path, embedder=HashEmbedder(64)) as s:
        a = s.put("org/u1", "Prefers tea over coffee", metadata={"app": "chat", "score": 2})
        s.put("org/u1", {"name": "Rex", "species": "dog", "age": 3, "likes": ["balls", "naps"]}, kind="pet")
        s.put("org/u2", "Café ☕ in 東京 — “quotes” and \\ backslash \n second line", source="notes.md:3")
        gone = s.put("org/u2", "will be deleted")
        s.put_many([NewMemory("bulk", f"bulk memory {i}") for i in range(4)])
        s.put("organic", "lookalike namespace")
        time.sleep(0.002)
        s.update(a.id, "Prefers green tea over coffee", metadata={"app": "chat", "score": 3})
        s.delete(gone.id)


def memory_rows(path):
    with Store.open(path, embedder=HashEmbedder(64)) as s:
        return [
            (m.id, m.namespace, m.kind, m.content, m.text, m.content_hash, m.metadata, m.source, m.created_at, m.updated_at)
            for m in s.list(limit=None)
        ]


def test_export_stdout(cli):
    a = cli.put("first memory", "-n", "x", "-m", "k=v")
    b = cli.put('{"n": 1}', "-k", "thing", "-n", "y", "--new-kind")
    lines = cli("export").stdout.splitlines()
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert records[0] == {
        "type": "memory", "id": a["id"], "namespace": "x", "kind": "memory", "content": {"content": "first memory"},
        "metadata": {"k": "v"}, "source": "cli", "created_at": a["created_at"], "updated_at": a["updated_at"],
    }
    assert records[1]["id"] == b["id"] and records[1]["content"] == {"n": 1}


def test_export_to_file(cli, tmp_path):
    cli.put("one")
    cli.put("two")
    out = tmp_path / "sub-not-needed.jsonl"
    result = cli("export", "-o", out)
    assert result.stdout == ""
    assert "exported 2 lines" in result.stderr
    assert [json.loads(line)["content"]["content"] for line in out.read_text().splitlines()] == ["one", "two"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left behind


def test_export_into_missing_directory(cli, tmp_path):
    cli.put("one")
    result = cli("export", "-o", tmp_path / "no-such-dir" / "x.jsonl", code=ExitCode.USAGE)
    assert result.stderr.startswith("langmem: error: cannot write ")
    assert "unexpected" not in result.stderr and "Traceback" not in result.output


def test_export_history_and_namespace(cli):
    m = cli.put("in a", "-n", "a")
    cli.put("in b", "-n", "b")
    cli("delete", m["id"])
    lines = [json.loads(line) for line in cli("export", "--history").stdout.splitlines()]
    assert [(r["type"], r.get("action")) for r in lines] == [
        ("memory", None), ("history", "insert"), ("history", "insert"), ("history", "delete"),
    ]
    only_a = [json.loads(line) for line in cli("export", "--history", "-n", "a").stdout.splitlines()]
    assert [(r["type"], r["namespace"]) for r in only_a] == [("history", "a"), ("history", "a")]
    assert cli("export", "--prefix", "b").stdout.count("\n") == 1


def test_round_trip_is_byte_identical(tmp_path, cli_for):
    db_a, db_b = tmp_path / "a.db", tmp_path / "b.db"
    populate(db_a)
    a, b = cli_for(db_a), cli_for(db_b)
    file_a, file_b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a("export", "--history", "-o", file_a)
    report = b.json("import", file_a)
    assert report["inserted"] == 8 and report["history"] == 11 and report["invalid"] == 0
    b("export", "--history", "-o", file_b)
    assert file_a.read_bytes() == file_b.read_bytes()
    assert memory_rows(db_a) == memory_rows(db_b)
    assert len(memory_rows(db_a)) == 8
    # the imported database searches the same
    assert [h["id"] for h in a.json("search", "green tea")] == [h["id"] for h in b.json("search", "green tea")]
    # and its history is the original one, not an import event
    updated = memory_rows(db_a)[0][0]
    assert [e["action"] for e in b.json("history", updated)] == ["insert", "update"]
    assert b.json("history", updated) == [
        {**e, "id": e2["id"]} for e, e2 in zip(a.json("history", updated), b.json("history", updated))
    ]


def test_round_trip_without_history(tmp_path, cli_for):
    db_a, db_b = tmp_path / "a.db", tmp_path / "b.db"
    populate(db_a)
    a, b = cli_for(db_a), cli_for(db_b)
    exported = a("export").stdout
    b("import", "-", input=exported)
    assert b("export").stdout == exported
    assert memory_rows(db_a) == memory_rows(db_b)
    # without exported history, the import itself is recorded, under the import's run
    first = memory_rows(db_b)[0][0]
    [entry] = b.json("history", first)
    [run] = b.json("runs")
    assert entry["action"] == "insert" and run["command"] == "import" and entry["run_id"] == run["id"]


def test_import_twice_adds_nothing(tmp_path, cli_for):
    db_a, db_b = tmp_path / "a.db", tmp_path / "b.db"
    populate(db_a)
    a, b = cli_for(db_a), cli_for(db_b)
    f = tmp_path / "x.jsonl"
    a("export", "--history", "-o", f)
    b("import", f)
    stats = b.json("stats")
    second = b.json("import", f)
    assert second["inserted"] == 0 and second["updated"] == 0 and second["history"] == 0
    assert second["skipped"] == 8
    after = b.json("stats")
    assert (after["memories"], after["history_entries"]) == (stats["memories"], stats["history_entries"])


def test_import_lines_without_ids_is_idempotent(cli, tmp_path):
    f = tmp_path / "plain.jsonl"
    f.write_text(
        '{"namespace": "u", "content": "likes hiking"}\n'
        '{"namespace": "u", "content": "likes hiking"}\n'  # duplicate line in the same file
        '{"namespace": "u", "kind": "pref", "content": {"food": "sushi"}, "metadata": {"from": "form"}}\n'
        '{"namespace": "v", "content": "likes hiking"}\n'  # same text, other namespace: a new memory
    )
    first = cli.json("import", f)
    assert (first["inserted"], first["skipped"]) == (3, 1)
    again = cli.json("import", f)
    assert (again["inserted"], again["skipped"]) == (0, 4)
    assert cli.json("stats")["memories"] == 3
    pref = cli.json("list", "-k", "pref")[0]
    assert pref["content"] == {"food": "sushi"} and pref["metadata"] == {"from": "form"}
    assert pref["source"] == f"import:{f}:3"


def test_import_newer_version_updates(cli, tmp_path):
    m = cli.put("version one", "--id", "m1")
    line = {"id": "m1", "namespace": m["namespace"], "content": "version two", "created_at": m["created_at"],
            "updated_at": "2999-01-01T00:00:00+00:00"}
    older = {**line, "content": "version zero", "updated_at": "2000-01-01T00:00:00+00:00"}
    f = tmp_path / "u.jsonl"
    f.write_text(json.dumps(older) + "\n")
    assert cli.json("import", f)["skipped"] == 1
    assert cli.json("get", "m1")["text"] == "version one"
    f.write_text(json.dumps(line) + "\n")
    assert cli.json("import", f)["updated"] == 1
    assert cli.json("get", "m1")["text"] == "version two"
    assert [e["action"] for e in cli.json("history", "m1")] == ["insert", "update"]


BAD_FILES = [
    ('{"namespace": "a", "content": "good"}\n{"namespace": "a", "content":\n', 2, "Expecting value"),
    ('{"namespace": "a", "content": "good"}\n\n{"namespace": "bad//ns", "content": "x"}\n', 3, "invalid namespace"),
    ('{"content": "no namespace"}\n', 1, "missing 'namespace'"),
    ('{"namespace": "a"}\n', 1, "missing 'content'"),
    ('{"namespace": "a", "content": ""}\n', 1, "empty"),
    ('{"namespace": "a", "content": "   "}\n', 1, "empty"),
    ('{"namespace": "a", "kind": "k", "content": {"a": null}}\n', 1, "empty"),
    ('[1, 2]\n', 1, "JSON object"),
    ('{"namespace": "a", "content": "x", "metadata": [1]}\n', 1, "metadata"),
    ('{"namespace": "a", "content": "x", "created_at": "yesterday"}\n', 1, "ISO 8601"),
    ('{"type": "weird", "namespace": "a", "content": "x"}\n', 1, "unknown line type"),
    ('{"type": "history", "memory_id": "m", "namespace": "a", "action": "explode", "at": "2024-01-01T00:00:00"}\n', 1, "action"),
    ('{"namespace": "a", "content": "x", "metadata": {"score": NaN}}\n', 1, "NaN is not valid JSON"),
    ('{"namespace": "a", "kind": "k", "content": {"w": Infinity}}\n', 1, "Infinity is not valid JSON"),
    ('{"namespace": "a", "kind": "k", "content": {"w": -Infinity}}\n', 1, "-Infinity is not valid JSON"),
    ('{"namespace": "a", "content": "x", "id": 5}\n', 1, "'id': Input should be a valid string"),
    ('{"namespace": "a", "content": "x", "source": ["f"]}\n', 1, "'source'"),
    ('\ufeff{"namespace": "a", "content": "a BOM only counts on the first line"}\n', 1, "Unexpected UTF-8 BOM"),
]


@pytest.mark.parametrize("content, line, message", BAD_FILES)
def test_bad_line_imports_nothing(cli, tmp_path, content, line, message):
    f = tmp_path / "in.jsonl"
    f.write_text('{"namespace": "a", "content": "first good line"}\n' + content)
    result = cli("import", f, code=ExitCode.INVALID_INPUT)
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"langmem: error: {f}:{line + 1}: ")
    assert message in lines[0]
    assert "Traceback" not in result.output
    assert cli.json("stats")["memories"] == 0
    assert cli.json("stats")["history_entries"] == 0


def test_invalid_utf8_line(cli, tmp_path):
    f = tmp_path / "bin.jsonl"
    f.write_bytes(b'{"namespace": "a", "content": "ok"}\n{"namespace": "a", "content": "\xff\xfe"}\n')
    result = cli("import", f, code=ExitCode.INVALID_INPUT)
    assert f"{f}:2: invalid UTF-8" in result.stderr
    assert cli.json("stats")["memories"] == 0


def test_skip_invalid_imports_the_good_lines(cli, tmp_path):
    f = tmp_path / "mixed.jsonl"
    f.write_text(
        '{"namespace": "a", "content": "good one"}\n'
        '{"namespace": "a", "content":\n'
        '{"namespace": "b//c", "content": "x"}\n'
        '{"namespace": "a", "content": "good two"}\n'
    )
    result = cli("import", f, "--skip-invalid")
    report = json.loads(result.stdout)
    assert (report["inserted"], report["invalid"], report["skipped"]) == (2, 2, 0)
    assert [e.split(": ")[0] for e in report["errors"]] == [f"{f}:2", f"{f}:3"]
    assert result.stderr.count("warning: skipped") == 2
    assert sorted(m["text"] for m in cli.json("list")) == ["good one", "good two"]


def test_import_human_summary(cli, tmp_path):
    f = tmp_path / "h.jsonl"
    f.write_text('{"namespace": "a", "content": "one"}\n')
    out = cli("import", f, "--no-json").stdout
    assert "imported 1" in out and "invalid 0" in out


def test_import_missing_file(cli, tmp_path):
    result = cli("import", tmp_path / "nope.jsonl", code=ExitCode.USAGE)
    assert "cannot read" in result.stderr


def test_import_records_a_run(cli, tmp_path):
    f = tmp_path / "r.jsonl"
    f.write_text('{"namespace": "a", "content": "x"}\n{"namespace": "a", "content":\n')
    cli("import", f, code=ExitCode.INVALID_INPUT)
    [run] = cli.json("runs")
    assert run["command"] == "import" and run["status"] == "failed" and f"{f}:2" in run["error"]


def test_reimport_after_delete_restores_the_memory_everywhere(db_path, cli):
    """The export's history is already in the database: the re-insert must still be recorded."""
    with Store.open(db_path, embedder=HashEmbedder(64)) as reader:
        m = cli.put("zebra stripes are striking", "--id", "z1")
        exported = cli("export", "--history").stdout
        cli("delete", "z1")
        assert reader.search("zebra stripes striking", mode="vector") == []  # index loaded, z1 gone
        report = cli.json("import", "-", input=exported)
        assert (report["inserted"], report["history"]) == (1, 0)
        assert cli.json("get", "z1")["created_at"] == m["created_at"]
        assert [e["action"] for e in cli.json("history", "z1")] == ["insert", "delete", "insert"]
        hits = reader.search("zebra stripes striking", mode="vector")
        assert [h.memory.id for h in hits] == ["z1"]
        assert cli.json("import", "-", input=exported)["inserted"] == 0  # and still idempotent


def test_import_accepts_a_utf8_bom(cli, tmp_path):
    f = tmp_path / "bom.jsonl"
    f.write_bytes(b"\xef\xbb\xbf" + b'{"namespace": "a", "content": "saved by Notepad"}\n{"namespace": "a", "content": "two"}\n')
    assert cli.json("import", f)["inserted"] == 2
    assert sorted(m["text"] for m in cli.json("list")) == ["saved by Notepad", "two"]


def test_nan_never_reaches_the_store_or_the_output(cli, tmp_path):
    f = tmp_path / "nan.jsonl"
    f.write_text('{"namespace": "a", "content": "x", "metadata": {"w": NaN}}\n')
    result = cli("import", f, "--skip-invalid")
    assert json.loads(result.stdout)["invalid"] == 1
    out = cli("export").stdout
    assert "NaN" not in out and out == ""


def test_nan_is_refused_on_every_way_in(cli, store):
    from langmem_cli.errors import InvalidInputError

    result = cli("put", '{"w": NaN}', "--kind", "k", "--new-kind", code=4)
    assert "NaN is not valid JSON" in result.stderr
    with pytest.raises(InvalidInputError, match="NaN and Infinity"):
        store.put("a", {"w": float("inf")}, kind="k")
    with pytest.raises(InvalidInputError, match="NaN and Infinity"):
        store.put("a", "text", metadata={"score": float("nan")})
    assert store.count() == 0
