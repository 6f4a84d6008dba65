"""What a new user hit (issue 27): cron output, short ids, batches that go on, narrow terminals,
namespace slugs, readers for role + text lines, huge messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_grounding_runs import load

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "transcripts"
CONVERSATIONS = FIXTURES / "conversations.jsonl"


# -- cron-friendly (27.6) ---------------------------------------------------------------------------

def test_quiet_and_verbose_also_after_the_command(cli):
    quiet = cli("extract", CONVERSATIONS, "-n", "demo/{user_id}", "-q")
    assert quiet.stderr == ""
    verbose = cli("list", "-v", "--json")
    assert json.loads(verbose.stdout)
    # after `--` nothing moves: it is content
    put = cli.json("put", "--", "-q")
    assert put["text"] == "-q"


def test_one_summary_line_per_run_when_stdout_is_not_a_terminal(cli):
    result = cli("extract", CONVERSATIONS, "-n", "demo/{user_id}")  # the test runner's stdout is no terminal
    [line] = result.stdout.splitlines()
    assert line.startswith("extract (local): 4 conversations, 5 inserted,") and line.endswith(" s")
    full = json.loads(cli("extract", CONVERSATIONS, "-n", "demo/{user_id}", "--json").stdout)
    assert full["summary"]["skipped"] == 4
    [line] = cli("consolidate", "--all").stdout.splitlines()
    assert line.startswith("consolidate (local): 2 namespaces,")


def test_a_warning_repeated_every_night_is_a_count_with_a_way_to_list_it(cli, tmp_path):
    load(cli, tmp_path, [("Alice likes green tea", "e1"), ("Alice does not like green tea", "e3"),
                         ("Bob plays the cello", "e4")])
    listed = cli("consolidate", "-n", "u/a", "--threshold", "0.3", "--show-contradictions").stderr
    assert "possible contradiction in u/a" in listed and "left for a run with --model" in listed
    # issue 23: reported once (a mark in the newer memory), not again every night
    result = cli("consolidate", "-n", "u/a", "--threshold", "0.3")
    assert "possible contradiction" not in result.stderr and len(result.stdout.splitlines()) == 1
    load(cli, tmp_path, [("Carol likes black tea", "e5"), ("Carol does not like black tea", "e6")], "u/c")
    result = cli("consolidate", "-n", "u/c", "--threshold", "0.3")  # the night one is found: a count
    assert "possible contradiction in" not in result.stderr
    assert "1 possible contradictions left for a run with --model (--show-contradictions lists them" in result.stderr


# -- terminals from 60 columns up (27.5) -----------------------------------------------------------

def render(renderable, width: int) -> list[str]:
    import io

    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, force_terminal=False).print(renderable)
    return buffer.getvalue().splitlines()


@pytest.mark.parametrize("width", [60, 80, 100, 140])
def test_the_text_column_is_always_visible(store, width):
    from langmem_cli.cli.output import memory_table

    store.put("users/alice/personal-assistant", "Alice moved to a new flat in Leeds near the river in March")
    store.put("users/bob", "Bob plays the cello", valid_from="2024-03-01")
    memories = store.list()
    lines = render(memory_table(memories, scores=[0.9, 0.5]), width)
    assert all(len(line) <= width for line in lines)
    shown = " ".join(lines)
    words = " ".join(m.text for m in memories).split()
    assert all(word in shown for word in words), shown  # every word of every text, wrapped not cut
    assert all(m.id[:8] in shown and m.id not in shown for m in memories)  # short ids in tables
    assert "2024-03-01" in shown  # the validity, as a column or with the text


@pytest.mark.parametrize("width", [60, 80, 100])
def test_the_extract_summary_is_readable_at_any_width(cli, width):
    from langmem_cli.cli.extract_cmd import summary_line

    report = json.loads(cli("extract", CONVERSATIONS, "-n", "demo/{user_id}", "--json").stdout)
    text = " ".join(render(summary_line("local", report["summary"]), width))
    for part in ("4 conversations", "5 inserted", "0 updated", "0 skipped", "0 failed", "0 LLM calls"):
        assert part in text


def test_json_keeps_ids_whole(cli):
    memory = cli.put("Alice likes tea")
    assert [m["id"] for m in cli.json("list")] == [memory["id"]] and len(memory["id"]) == 36


# -- short ids (27.7) --------------------------------------------------------------------------------

def test_a_unique_prefix_of_8_works_wherever_an_id_is_taken(cli):
    memory = cli.put("Alice likes tea")
    short = memory["id"][:8]
    assert cli.json("get", short)["id"] == memory["id"]
    assert cli.json("history", short)[0]["memory_id"] == memory["id"]
    cli("get", memory["id"][:7], code=3)  # shorter than 8: an id like any other, not found
    cli("delete", short)
    assert cli.json("list") == []


def test_an_ambiguous_prefix_exits_2_listing_the_matches(cli):
    first = cli.put("Alice likes tea", "--id", "abc7878d-one")
    second = cli.put("Alice likes coffee", "--id", "abc7878d-two")
    result = cli("get", "abc7878d", code=2)
    assert "id abc7878d is ambiguous" in result.stderr
    assert first["id"] in result.stderr and second["id"] in result.stderr
    assert cli.json("get", "abc7878d-t")["text"] == "Alice likes coffee"
    assert cli.json("get", "abc7878d-one")["text"] == "Alice likes tea"  # a whole id that prefixes nothing else


# -- batches (27.3) ------------------------------------------------------------------------------------

def test_extract_a_folder_recurses_with_glob_and_lists_the_bad_file(cli, tmp_path):
    folder = tmp_path / "chats"
    (folder / "2024" / "05").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    (folder / "2024" / "05" / "a.jsonl").write_text('{"role": "user", "content": "I like tea"}\n')
    (folder / "b.jsonl").write_text('{"role": "user", "content": "I live in Porto"}\n')
    (folder / "half-written.jsonl").write_text('{"role": "user", "content": "I like ')
    (folder / "notes.txt").write_text("not a transcript")
    (folder / ".hidden" / "c.jsonl").write_text("{")
    result = cli("extract", folder, "-n", "me", "--json", code=1)  # some failed: the rest extracted
    report = json.loads(result.stdout)
    assert report["summary"]["conversations"] == 2 and report["summary"]["files_failed"] == 1
    assert [f["file"] for f in report["unreadable"]] == [str(folder / "half-written.jsonl")]
    assert f"warning: skipped {folder / 'half-written.jsonl'}:1: invalid JSON" in result.stderr
    assert sorted(c["source"].split(":")[0] for c in report["conversations"]) == [
        str(folder / "2024" / "05" / "a.jsonl"), str(folder / "b.jsonl")]
    assert "The user lives in Porto." in {m["text"] for m in cli.json("list")}
    only_a = cli("extract", folder, "-n", "other", "--glob", "a.*", "--json")
    assert json.loads(only_a.stdout)["summary"]["conversations"] == 1
    assert "no transcript in folder" in cli("extract", tmp_path / "chats" / ".hidden", "--glob", "*.md", code=2).stderr


def test_all_failed_has_its_own_exit_code(cli, tmp_path, fake):
    from conftest import FAKE

    src = tmp_path / "t.jsonl"
    src.write_text('{"role": "user", "content": "I like tea"}\n')
    fake.reset([{"fault": "malformed"}] * 3, auto=False)
    cli("extract", src, "-n", "a", *FAKE, code=65)  # its one conversation failed: nothing extracted
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{")
    result = cli("extract", bad, tmp_path / "missing.jsonl", "-n", "a", code=4)  # nothing could be read
    assert result.stderr.count("\n") == 2 and "missing.jsonl" in result.stderr


# -- readers: role + text, lines of no known shape (27.12) -------------------------------------------

SANITIZED = [
    {"type": "session_meta", "id": "s1", "cwd": "/home/me/my project", "started": "2025-01-02T10:00:00Z"},
    {"type": "message", "role": "user", "text": "I live in Porto and I work as a nurse."},
    {"type": "message", "role": "assistant", "text": "Noted."},
    {"type": "event", "name": "compaction"},
]


def test_role_and_text_lines_are_messages_and_other_lines_are_skipped_with_a_reason(cli, tmp_path):
    path = tmp_path / "sanitized.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in SANITIZED))
    parsed = cli.json("extract", "--parse-only", "--json", path)
    [entry] = parsed["files"]
    [conversation] = entry["conversations"]
    assert [(m["role"], m["text"], m["line"]) for m in conversation["messages"]] == [
        ("user", "I live in Porto and I work as a nurse.", 2), ("assistant", "Noted.", 3)]
    assert entry["skipped_by_reason"] == {"no 'role': 'session_meta' line": 1, "no 'role': 'event' line": 1}
    human = cli("extract", "--parse-only", "--no-json", path).stdout
    assert "L1 skipped (no 'role': 'session_meta' line)" in human
    report = json.loads(cli("extract", path, "-n", "me", "--json").stdout)
    assert report["summary"]["inserted"] >= 1
    evidence = [e for m in cli.json("list") for e in m["metadata"]["evidence"]]
    assert {e["line"] for e in evidence} == {2}


# -- namespace templates: {name|slug} (27.8) ------------------------------------------------------------

def test_slug_filter_makes_a_namespace_of_any_title_and_errors_name_the_variable(cli, tmp_path):
    path = tmp_path / "titled.jsonl"
    rows = [{"title": "Trip to Köln / plans", "messages": [{"role": "user", "content": "I live in Porto."}]},
            {"title": "東京", "messages": [{"role": "user", "content": "I work as a nurse."}]}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    result = cli("extract", path, "-n", "chats/{title}", code=2)
    assert "{title} is 'Trip to Köln / plans', which cannot be part of a namespace" in result.stderr
    assert "{title|slug} makes one of it" in result.stderr
    cli("extract", path, "-n", "chats/{title|slug}", "--json")
    namespaces = {row["namespace"] for row in cli.json("namespaces")}
    assert "chats/trip-to-koln-plans" in namespaces
    assert any(n.startswith("chats/x") and len(n) == len("chats/x") + 8 for n in namespaces)  # no Latin letter: a stable hash
    assert "unknown filter 'upper'" in cli("extract", path, "-n", "c/{title|upper}", code=2).stderr
    assert "{cwd|slug}" in cli("extract", path, "-n", "c/{cwd}", "--var", "cwd=/home/me/my project", code=2).stderr


def test_slug_is_a_valid_segment_for_any_text():
    from langmem_cli.core.namespaces import slug, validate

    for text in ("Trip to Köln / plans", "  ", "..", "東京", "a" * 300, "--x--", "C:\\Users\\me"):
        assert validate(slug(text)) == slug(text)
    assert slug("Trip to Köln / plans") == "trip-to-koln-plans"


# -- errors that no retry fixes (27.9) ------------------------------------------------------------------

def test_an_unknown_provider_fails_at_once_saying_what_to_fix(cli):
    result = cli("extract", CONVERSATIONS, "-n", "a", "--model", "nonsense/model", code=2)
    assert result.stderr.startswith("langmem: error: --model nonsense/model: unknown provider 'nonsense': give PROVIDER/MODEL")
    assert result.stderr.count("\n") == 1 and "re-run" not in result.stderr


@pytest.mark.parametrize("status,error,says", [
    (404, "The model `nope` does not exist", "model not found (check the name given to --model)"),
    (401, "Incorrect API key provided", "missing or invalid API key"),
])
def test_unknown_model_or_bad_key_is_asked_once_not_retried(cli, openai_server, status, error, says):
    openai_server.reset([{"status": status, "error": error}] * 5)
    result = cli("extract", CONVERSATIONS, "-n", "a", "--model", "openai/nope", "--api-base", openai_server.base,
                 "--retries", "3", code=1)
    assert len(openai_server.requests) == 1  # retrying cannot help: one request, then stop
    assert says in result.stderr and result.stderr.count("\n") == 1 and "re-run the same command" not in result.stderr
    assert cli.json("list") == []


def test_invalid_json_message_says_starting_at_column_once(tmp_path):
    from langmem_cli.errors import InvalidInputError
    from langmem_cli.formats import read_conversations

    path = tmp_path / "t.jsonl"
    path.write_text('{"role": "user", "content": "unterminated}\n')
    with pytest.raises(InvalidInputError) as caught:
        list(read_conversations(str(path)))
    assert "starting at column" in str(caught.value) and "at at" not in str(caught.value)


# -- watch on a missing path (27.9) ----------------------------------------------------------------------

def test_watch_once_on_a_missing_path_is_an_error(cli, tmp_path):
    result = cli("watch", tmp_path / "no-such-dir", "--once", code=2)
    assert result.stderr == f"langmem: error: cannot watch {tmp_path / 'no-such-dir'}: no such file or folder\n"
    result = cli("watch", tmp_path / "gone" / "a.jsonl", code=2)
    assert "no such file or folder (nor its folder" in result.stderr


# -- huge messages (27.10) --------------------------------------------------------------------------------

def filler(chars: int) -> str:
    sentence = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt. "
    return sentence * (chars // len(sentence))


def test_a_huge_message_keeps_its_first_person_sentences_within_the_limit():
    from langmem_cli.core.long_messages import MESSAGE_LIMIT, fit

    text = filler(5_000_000) + "I like tea. " + filler(5_000_000) + "My sister lives in Oslo"
    kept, cut = fit(text)
    assert cut and len(kept) <= MESSAGE_LIMIT
    assert "I like tea." in kept and "My sister lives in Oslo" in kept
    for piece in kept.split(" … "):
        assert piece in text  # verbatim: evidence quotes stay exact
    assert fit("I like tea.") == ("I like tea.", False)
    opening, cut = fit(filler(100_000))  # nothing in the first person: the opening is read
    assert cut and opening and len(opening) <= MESSAGE_LIMIT // 10 and filler(100_000).startswith(opening)
    blob, cut = fit("x" * 3_000_000)  # no sentence at all
    assert cut and len(blob) <= MESSAGE_LIMIT


def test_a_huge_message_is_cut_noted_in_the_report_and_its_fact_kept(cli, tmp_path):
    path = tmp_path / "huge.jsonl"
    path.write_text(json.dumps({"role": "user", "content": filler(1_500_000) + " I like green tea. " + filler(1_500_000)}) + "\n")
    report = json.loads(cli("extract", path, "-n", "h", "--json").stdout)
    assert report["summary"]["truncated"] == 1 and report["summary"]["message_limit"] == 20_000
    assert report["conversations"][0]["messages_cut"] == 1
    [memory] = cli.json("list", "-n", "h")
    assert memory["text"] == "The user likes green tea."
    assert memory["metadata"]["evidence"][0]["quote"] == "I like green tea."
    line = cli("extract", path, "-n", "h2").stdout
    assert "1 messages cut at 20000 characters" in line


def test_the_model_is_shown_the_fact_of_a_huge_message(cli, tmp_path, fake):
    from conftest import FAKE

    path = tmp_path / "huge.jsonl"
    path.write_text(json.dumps({"role": "user", "content": filler(2_000_000) + " I like tea. " + filler(2_000_000)}) + "\n")
    cli("extract", path, "-n", "h", *FAKE, "--json")
    prompts = "\n".join(str(p) for p in fake.prompts)
    assert "I like tea." in prompts and len(fake.prompts) <= 12  # not hundreds of chunks of filler


# -- the embedder cache (27.11) ---------------------------------------------------------------------------

def test_the_embedder_cache_is_keyed_by_the_model_files_not_the_name(monkeypatch, tmp_path):
    from langmem_cli.embed import embedders

    opened = []
    monkeypatch.setattr(embedders, "open_onnx", lambda name, source, directory: opened.append(directory) or object())
    monkeypatch.delenv("LANGMEM_EMBEDDING_BACKEND", raising=False)
    monkeypatch.setenv("LANGMEM_CACHE_DIR", str(tmp_path / "a"))
    first = embedders.get_embedder("some-org/some-model")
    assert embedders.get_embedder("some-org/some-model") is first  # same files: shared
    monkeypatch.setenv("LANGMEM_CACHE_DIR", str(tmp_path / "b"))
    second = embedders.get_embedder("some-org/some-model")
    assert second is not first and [d.parent.name for d in opened] == ["a", "b"]
