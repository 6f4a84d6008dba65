"""`langmem watch` as real processes on real files (no mocked watcher): debounce, polling, --once,
restart, kill -9 mid-extraction, truncation and rewrites, a half-written line, two watchers on one
database, SIGTERM/SIGINT. The model is the scripted fake (or the scripted HTTP server): the
assertions are on events, counts and the stored state, not on what a model makes of the text."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.watcher import WatchProcess, append, message, run_once, watch_env

# Runs a command where inotify cannot be used: in a user namespace of its own whose limit of
# inotify instances is 0 (that namespace's limit only: the system's is left alone).
NO_INOTIFY = ("unshare", "--user", "--map-root-user", "sh", "-c",
              'echo 0 > /proc/sys/user/max_inotify_instances && exec "$@"', "sh")
INOTIFY_FAILS = "import ctypes, sys; sys.exit(0 if ctypes.CDLL(None).inotify_init1(0) == -1 else 1)"

IDLE = "0.5"


def progress(db: Path, path: Path):
    from langmem_cli import Store

    with Store.open(db, embedding_model="hash:64") as store:
        return store.watch_progress(str(path)), store.count()


def messages_extracted(events) -> int:
    return sum(e["messages"] for e in events)


def inserted(events) -> int:
    """Memories the extractions reported: the database must hold exactly these (what the extractor
    makes of a message, and what the grounding gate keeps, is not this file's business)."""
    return sum(e["inserted"] for e in events)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "chats"
    path.mkdir()
    return path


def test_debounce_one_extraction_after_the_last_message(folder, db_path):
    chat = folder / "a.jsonl"
    with WatchProcess(db_path, folder, "--idle", "1.0") as w:
        w.ready()
        last = 0.0
        for i in range(5):  # a message every 0.3 s: the 1 s timer restarts each time
            append(chat, f"I have {i} cats")
            last = time.time()
            time.sleep(0.3)
        events = w.extracted(1)
        time.sleep(1.5)  # nothing more comes
        assert len(w.of("extracted")) == 1
        assert events[0]["messages"] == 5 and events[0]["lines"] == [1, 5]
        assert events[0]["seen"] - last >= 0.9, "extracted before the conversation was quiet for --idle"
        assert w.stop() == 0
    state, memories = progress(db_path, chat)
    assert state["-"].count == 5 and memories == inserted(events)


def test_polling_fallback_sees_appends_and_new_files(folder, db_path):
    with WatchProcess(db_path, folder, "--idle", IDLE, "--poll") as w:
        assert w.ready().of("watching")[0]["polling"] is True
        append(folder / "new.jsonl", "I moved to Porto")
        sub = folder / "deeper"
        sub.mkdir()
        append(sub / "other.jsonl", "I play the cello")
        events = w.extracted(2)
        assert sorted(Path(e["file"]).name for e in events) == ["new.jsonl", "other.jsonl"]
        assert w.stop() == 0


def test_without_file_events_it_polls_by_itself_and_still_extracts(folder, tmp_path, db_path):
    """The watcher in a process that cannot create an inotify instance (a real condition, see
    NO_INOTIFY; nothing is patched): it warns once on stderr, though it builds two notifiers (a
    folder, and a named file elsewhere), polls, and extracts what is appended and created."""
    probe = subprocess.run([*NO_INOTIFY, sys.executable, "-c", INOTIFY_FAILS], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot run a process without inotify here: {probe.stderr.decode().strip()[:200]}")
    other = tmp_path / "elsewhere"
    other.mkdir()
    named = other / "single.jsonl"
    append(folder / "early.jsonl", "I grow tomatoes")
    with WatchProcess(db_path, folder, named, "--idle", IDLE, wrap=NO_INOTIFY) as w:
        assert w.ready().of("watching")[0]["polling"] is True, w.describe()
        append(folder / "early.jsonl", "and basil")
        append(named, "I fly kites")
        append(folder / "new.jsonl", "I moved to Lyon")
        w.wait_for(lambda p: messages_extracted(p.of("extracted")) >= 4, 30, "four messages")
        time.sleep(1.0)
        events = w.of("extracted")
        per_file: dict[str, int] = {}
        for e in events:
            per_file[Path(e["file"]).name] = per_file.get(Path(e["file"]).name, 0) + e["messages"]
        assert per_file == {"early.jsonl": 2, "new.jsonl": 1, "single.jsonl": 1}, w.describe()
        assert w.stop() == 0
    warnings = [line for line in w.stderr if "file events unavailable" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: "), w.stderr
    assert "polling every" in " ".join(w.stderr)


def test_conversations_inside_one_file_are_tracked_apart(folder, db_path):
    export = folder / "export.jsonl"

    def record(user: str, *texts: str) -> str:
        return json.dumps({"user_id": user, "messages": [{"role": "user", "content": t} for t in texts]}) + "\n"

    export.write_text(record("ann", "I knit") + record("bob", "I surf", "I live in Biarritz"))
    code, events, stderr = run_once(db_path, folder, "--idle", "1ms", "-n", "users/{user_id}")
    assert code == 0, stderr
    assert sorted((e["namespace"], e["messages"]) for e in events if e["event"] == "extracted") == [
        ("users/ann", 1), ("users/bob", 2)]
    with open(export, "a", encoding="utf-8") as handle:
        handle.write(record("cid", "I bake bread"))
    code, events, _ = run_once(db_path, folder, "--idle", "1ms", "-n", "users/{user_id}")
    assert [(e["namespace"], e["conversation"]) for e in events if e["event"] == "extracted"] == [("users/cid", ":3")]


def test_consolidation_runs_from_the_same_process(folder, db_path):
    append(folder / "a.jsonl", "I like green tea", "I like green tea a lot")
    with WatchProcess(db_path, folder, "--idle", IDLE, "--consolidate-every", "2s") as w:
        w.ready().extracted(1)
        w.wait_for(lambda p: bool(p.of("consolidated")), 30, "a consolidation")
        assert w.of("consolidated")[0]["namespaces"] == 1
        assert w.stop() == 0


def test_glob_and_hidden_files_are_left_alone(folder, db_path):
    append(folder / "notes.txt", "not a transcript")
    append(folder / ".hidden.jsonl", "hidden")
    append(folder / "chat.jsonl", "seen")
    code, events, _ = run_once(db_path, folder, "--idle", "1ms")
    assert code == 0 and [Path(e["file"]).name for e in events if e["event"] == "extracted"] == ["chat.jsonl"]


def test_once_extracts_what_is_idle_and_leaves_the_rest(folder, db_path):
    old, fresh = folder / "old.jsonl", folder / "fresh.jsonl"
    append(old, "I am vegetarian", "I live in Ghent")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    append(fresh, "I just bought a kayak")
    code, events, stderr = run_once(db_path, folder, "--idle", "10m")
    extracted = [e for e in events if e["event"] == "extracted"]
    assert code == 0 and [Path(e["file"]).name for e in extracted] == ["old.jsonl"], stderr
    assert "1 waiting" in stderr
    code, events, _ = run_once(db_path, folder, "--idle", "10m")
    assert code == 0 and not [e for e in events if e["event"] == "extracted"]  # nothing twice
    code, events, _ = run_once(db_path, folder, "--idle", "1ms")
    assert [Path(e["file"]).name for e in events if e["event"] == "extracted"] == ["fresh.jsonl"]


def test_restart_extracts_only_what_came_while_stopped(folder, db_path):
    chat = folder / "a.jsonl"
    append(chat, "My sister is Ana", "She lives in Rome")
    with WatchProcess(db_path, folder, "--idle", IDLE) as w:
        first = w.ready().extracted(1)
        assert first[0]["messages"] == 2
        assert w.stop(signal.SIGINT) == 0
    append(chat, "Ana has twins")  # written while no watcher runs
    with WatchProcess(db_path, folder, "--idle", IDLE) as w:
        events = w.ready().extracted(1)
        time.sleep(1.0)
        assert [e["messages"] for e in w.of("extracted")] == [1] and events[0]["lines"] == [3, 3]
        assert w.stop() == 0
    state, memories = progress(db_path, chat)
    assert state["-"].count == 3 and memories == inserted(first + events)


def test_kill_9_mid_extraction_resumes_without_loss_or_duplicates(folder, db_path, openai_server):
    chat = folder / "a.jsonl"
    append(chat, "I work at a bakery", "I start at 5 am")
    slow = {"json": {"operations": [{"action": "insert", "kind": "memory", "content": "never stored"}]}, "delay": 30}
    openai_server.reset([slow])
    model = ("--model", "openai/scripted", "--api-base", openai_server.base)
    with WatchProcess(db_path, folder, "--idle", IDLE, model=model) as w:
        w.ready()
        deadline = time.time() + 30
        while not openai_server.requests and time.time() < deadline:
            time.sleep(0.05)
        assert openai_server.requests, w.describe()
        w.kill()  # SIGKILL while the model call is in flight: the lease row stays behind
    state, memories = progress(db_path, chat)
    assert state == {} and memories == 0
    from langmem_cli import Store

    with Store.open(db_path, embedding_model="hash:64") as store:
        assert len(store.watch_leases()) == 1  # held by the dead process
    openai_server.reset([])
    with WatchProcess(db_path, folder, "--idle", IDLE, model=model) as w:
        events = w.ready().extracted(1)
        time.sleep(1.0)
        assert len(w.of("extracted")) == 1 and events[0]["messages"] == 2
        assert w.stop() == 0
    state, memories = progress(db_path, chat)
    assert state["-"].count == 2 and memories == inserted(events)
    with Store.open(db_path, embedding_model="hash:64") as store:
        assert store.watch_leases() == []
        assert "never stored" not in [m.text for m in store.list(limit=10)]


def test_rewrites_and_truncation_give_no_duplicates_and_lose_nothing(folder, db_path):
    chat = folder / "a.jsonl"
    append(chat, "one", "two")
    with WatchProcess(db_path, folder, "--idle", IDLE) as w:
        w.ready().extracted(1)
        # An editor saves a new copy: same content and one more line, through rename.
        tmp = folder / ".a.jsonl.swp"
        tmp.write_text(chat.read_text() + message("three"))
        os.replace(tmp, chat)
        assert w.extracted(2)[1]["messages"] == 1
        # Saved again unchanged: nothing to extract.
        tmp.write_text(chat.read_text())
        os.replace(tmp, chat)
        # Log rotation by truncation: new content starts from line 1.
        chat.write_text(message("four") + message("one"))
        events = w.extracted(3)
        time.sleep(1.0)
        assert len(w.of("extracted")) == 3 and events[2]["messages"] == 1 and events[2]["lines"] == [1, 1]
        # Appending after the rotation goes on from there.
        append(chat, "five")
        events = w.extracted(4)
        assert events[3]["messages"] == 1 and messages_extracted(events) == 5
        assert w.stop() == 0
    state, memories = progress(db_path, chat)
    # five messages extracted once each; "one", said again after the rotation, is the same fact and
    # is stored at most once (extract de-duplicates against the namespace): the database holds
    # exactly what the extractions reported inserting
    assert memories == inserted(events) and state["-"].count == 3


def test_rotation_by_rename_extracts_the_messages_it_had_read(folder, db_path):
    chat = folder / "app.jsonl"
    with WatchProcess(db_path, chat, "--idle", "1.0") as w:
        w.ready()
        append(chat, "I collect stamps")
        time.sleep(0.6)  # read, not yet extracted
        os.rename(chat, folder / "app.jsonl.1")  # not a watched name any more
        append(chat, "I visit Oslo in May")
        w.wait_for(lambda p: messages_extracted(p.of("extracted")) >= 2, 30, "both messages")
        time.sleep(1.0)
        events = w.of("extracted")
        assert messages_extracted(events) == 2  # the one that left with the old file too
        assert w.stop() == 0
    assert progress(db_path, chat)[1] == inserted(events)


def test_a_half_written_line_is_waited_for(folder, db_path):
    chat = folder / "a.jsonl"
    append(chat, "I drink oat milk")
    with WatchProcess(db_path, folder, "--idle", IDLE) as w:
        w.ready().extracted(1)
        with open(chat, "a", encoding="utf-8") as handle:
            handle.write('{"role": "user", "content": "I am allergic')
            handle.flush()
            time.sleep(1.5)  # longer than --idle: still not an error, nothing extracted
            assert len(w.of("extracted")) == 1 and not w.of("invalid") and not w.of("failed")
            handle.write(' to peanuts"}\n')
        events = w.extracted(2)
        assert events[1]["messages"] == 1 and events[1]["lines"] == [2, 2]
        assert w.stop() == 0


def test_content_that_stays_invalid_is_reported_once_with_its_line(folder, db_path):
    bad = folder / "bad.jsonl"
    bad.write_text(message("fine") + "{not json\n" + message("also fine"))
    with WatchProcess(db_path, folder, "--idle", IDLE) as w:
        w.ready()
        w.wait_for(lambda p: bool(p.of("invalid")), 20, "the invalid event")
        time.sleep(1.0)
        assert len(w.of("invalid")) == 1 and f"{bad}:2" in w.of("invalid")[0]["error"]
        assert not w.of("extracted")
        assert w.stop() == 0


def test_two_watchers_on_one_database_extract_each_conversation_once(folder, db_path):
    files = [folder / f"c{i:02d}.jsonl" for i in range(12)]
    first, second = WatchProcess(db_path, folder, "--idle", IDLE), WatchProcess(db_path, folder, "--idle", IDLE)
    with first, second:
        first.ready()
        second.ready()
        for i, path in enumerate(files):
            append(path, f"fact {i} a", f"fact {i} b")
        both = lambda: first.of("extracted") + second.of("extracted")  # noqa: E731
        first.wait_for(lambda _: messages_extracted(both()) >= 24, 60, "every conversation")
        time.sleep(1.5)
        events = both()
        assert messages_extracted(events) == 24
        assert sorted(Path(e["file"]).name for e in events) == sorted(p.name for p in files)
        assert first.stop() == 0 and second.stop() == 0
    from langmem_cli import Store

    with Store.open(db_path, embedding_model="hash:64") as store:
        assert store.count() == inserted(events) and store.watch_leases() == []


def test_sigterm_to_an_idle_watcher_exits_0_at_once(folder, db_path):
    """An idle watcher that has used the model exits 0 soon after SIGTERM. With the LLM layer
    loaded the interpreter's last walk over its objects made that 1.5-1.9 s here (about 4 s on a
    loaded machine); without it, 0.1-0.2 s. The bound leaves room for a busy machine."""
    append(folder / "a.jsonl", "I sail on weekends")
    with WatchProcess(db_path, folder, "--idle", IDLE) as w:
        w.ready().extracted(1)
        time.sleep(1.0)  # idle: waiting for file events
        started = time.monotonic()
        w.proc.send_signal(signal.SIGTERM)
        code = w.proc.wait(30)
        took = time.monotonic() - started
        assert code == 0 and took < 1.2, (code, took, w.describe())


def test_sigterm_mid_extraction_finishes_the_conversation(folder, db_path, tmp_path):
    """SIGTERM while the (slow, scripted) model answers: the extraction completes, its memories and
    progress are stored, and the watcher exits 0."""
    script, log = tmp_path / "script.json", tmp_path / "prompts.jsonl"
    script.write_text(json.dumps({"delay": 2.0}))
    env = watch_env(db_path, LANGMEM_FAKE_SCRIPT=str(script), LANGMEM_FAKE_LOG=str(log))
    chat = folder / "a.jsonl"
    append(chat, "I keep bees", "I sell honey")
    with WatchProcess(db_path, folder, "--idle", IDLE, env=env) as w:
        w.ready().wait_for(lambda _: log.exists() and log.read_text().strip() != "", 30, "the model call")
        assert w.stop() == 0
        events = w.of("extracted")
        assert len(events) == 1 and events[0]["messages"] == 2, w.describe()
    state, memories = progress(db_path, chat)
    assert state["-"].count == 2 and memories == inserted(events) > 0


def test_a_long_extraction_keeps_its_lease_from_a_second_watcher(folder, backend_db, tmp_path):
    """Two watchers on one database (each backend), leases of 1.5 s, and a model that takes 3 s to
    answer: the lease is renewed while extracting, so the other watcher, free meanwhile, never takes
    a conversation over; each is extracted exactly once. (Without the renewal the second watcher
    takes an expired lease and extracts the conversation again.)"""
    from langmem_cli import Store

    script = tmp_path / "script.json"
    script.write_text(json.dumps({"delay": 3.0}))
    env = watch_env(backend_db, LANGMEM_FAKE_SCRIPT=str(script))
    files = [folder / f"c{i}.jsonl" for i in range(3)]
    args = (folder, "--idle", IDLE, "--lease-ttl", "1500ms")
    first, second = WatchProcess(backend_db, *args, env=env), WatchProcess(backend_db, *args, env=env)
    with first, second:
        first.ready()
        second.ready()
        for i, path in enumerate(files):
            append(path, f"I have {i + 2} bikes")
        both = lambda: first.of("extracted") + second.of("extracted")  # noqa: E731
        first.wait_for(lambda _: len({e["file"] for e in both()}) == len(files), 90, "every conversation")
        time.sleep(3.5)  # a second extraction of the last one would have ended by now
        events = both()
        assert sorted(Path(e["file"]).name for e in events) == [p.name for p in files], first.describe()
        assert all(e["seconds"] > 1.5 for e in events)  # each outlasted the ttl of the lease it began with
        assert not first.of("failed") + second.of("failed")
        assert first.stop() == 0 and second.stop() == 0
    with Store.open(backend_db, embedding_model="hash:64") as store:
        assert store.count() == inserted(events) > 0 and store.watch_leases() == []
        assert [store.watch_progress(str(p))["-"].count for p in files] == [1, 1, 1]


def test_a_watcher_that_lost_its_lease_rolls_its_extraction_back(folder, db_path, tmp_path):
    """The lease is taken from under a watcher while its model answers (through the store, as a
    watcher on another host does once a lease has expired): its next renewal finds that out, and it
    does not commit. Nothing is stored, the failure is reported, the conversation is still to do."""
    from langmem_cli import Store

    script, log = tmp_path / "script.json", tmp_path / "prompts.jsonl"
    script.write_text(json.dumps({"delay": 3.0}))
    env = watch_env(db_path, LANGMEM_FAKE_SCRIPT=str(script), LANGMEM_FAKE_LOG=str(log))
    chat = folder / "a.jsonl"
    append(chat, "I restore old clocks")
    with WatchProcess(db_path, folder, "--idle", IDLE, "--lease-ttl", "1500ms", env=env) as w:
        w.ready().wait_for(lambda _: log.exists() and log.read_text().strip() != "", 30, "the model call")
        with Store.open(db_path, embedding_model="hash:64") as store:
            [lease] = store.watch_leases()
            store.release_watch_lease(str(chat), lease.holder)
            assert store.acquire_watch_lease(str(chat), "elsewhere:1:z", "elsewhere", 1, 60, lambda _: True)
        w.wait_for(lambda p: bool(p.of("failed")), 30, "the failed extraction")
        assert "lease" in w.of("failed")[0]["error"] and not w.of("extracted"), w.describe()
        assert w.stop() == 0
    state, memories = progress(db_path, chat)
    assert state == {} and memories == 0


def test_bad_arguments_are_one_line_usage_errors(cli, folder):
    for args, text in ((["watch", folder / "missing" / "a.jsonl"], "no such file or folder"),
                       (["watch", folder, "--idle", "soon"], "--idle: invalid duration"),
                       (["watch", folder, "--idle", "0"], "--idle: must be more than 0"),
                       (["watch", folder, "--lease-ttl", "a while"], "--lease-ttl: invalid duration")):
        result = cli(*args, code=2)
        assert text in result.stderr and "Traceback" not in result.stderr


def test_human_lines_on_stderr(folder, db_path):
    append(folder / "a.jsonl", "I swim on Sundays")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "langmem_cli", "watch", str(folder), "--once", "--idle", "1ms",
                           "--model", "fake/test", "--no-json"], env=watch_env(db_path), capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert re.match(rf"extracted {re.escape(str(folder / 'a.jsonl'))} \[-\] lines 1-1 \(1 message\) -> default: "
                    r"\+\d+ ~\d+ -\d+ \(\w+, [\d.]+ s\)$", lines[0]), lines
