"""`langmem watch` bookkeeping without processes: durations, what is new in a conversation after an
append, a rewrite or a truncation, the debounce timers, and the leases and progress in the store."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langmem_cli.core.conversation import Message
from langmem_cli.core.watch import Debouncer, Progress, SourceState, new_messages, parse_duration, with_extra
from langmem_cli.jobs.watch_files import _complete_part, conversation_keys


def msgs(*texts: str) -> list[Message]:
    return [Message("user", t, line=i + 1) for i, t in enumerate(texts)]


def test_parse_duration():
    assert parse_duration("10m") == 600 and parse_duration("0.5s") == 0.5 and parse_duration("500ms") == 0.5
    assert parse_duration("24h") == 86400 and parse_duration("2") == 2 and parse_duration("1D") == 86400
    for bad in ("", "soon", "5 minutes", "-1s", "1e3"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_appends_repeats_rewrites_and_truncation():
    fresh, p1 = new_messages(msgs("a", "b"), Progress())
    assert [m.content for m in fresh] == ["a", "b"]
    fresh, p2 = new_messages(msgs("a", "b", "ok", "ok"), p1)  # appended: repeats are new messages
    assert [m.content for m in fresh] == ["ok", "ok"]
    fresh, p3 = new_messages(msgs("x", "a", "b", "ok", "ok", "c"), p2)  # rewritten: a line put in front
    assert [m.content for m in fresh] == ["x", "c"]
    fresh, p4 = new_messages(msgs("d"), p3)  # truncated, new content
    assert [m.content for m in fresh] == ["d"]
    fresh, _ = new_messages(msgs("d", "a", "e"), p4)  # "a" was extracted before the truncation
    assert [m.content for m in fresh] == ["e"]
    assert new_messages(msgs("a", "b"), p1)[0] == []  # the same file again: nothing


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcdef"), max_size=6), min_size=1, max_size=6))
def test_every_message_is_extracted_once_whatever_the_versions(versions):
    """Over any sequence of file versions whose messages are unique, each message is sent exactly once."""
    progress, sent = Progress(), []
    for version in versions:
        unique = list(dict.fromkeys(version))
        fresh, progress = new_messages(msgs(*unique), progress)
        sent += [m.content for m in fresh]
    assert sorted(sent) == sorted(set(sent))
    assert set(sent) == {c for v in versions for c in v}


def test_with_extra_marks_messages_that_left_the_file():
    _, progress = new_messages(msgs("a"), Progress())
    progress = with_extra(progress, msgs("gone"))
    fresh, _ = new_messages(msgs("b", "gone"), progress)
    assert [m.content for m in fresh] == ["b"]


def test_debouncer_resets_on_activity():
    timers = Debouncer(10)
    timers.touch("a", 100)
    timers.touch("b", 95)
    assert timers.due(104) == [] and timers.next_due() == 105
    assert timers.due(110) == ["b", "a"]
    timers.touch("a", 108)  # new activity: the timer starts again
    assert timers.due(110) == ["b"] and timers.next_due_of("a") == 118
    timers.postpone("b", 200)
    timers.discard("a")
    assert timers.due(150) == [] and len(timers) == 1


def test_half_written_tail_is_left_for_later():
    assert _complete_part(b'{"a": 1}\n{"b": 2}\n') == (b'{"a": 1}\n{"b": 2}\n', False)
    assert _complete_part(b'{"a": 1}\n{"b": ') == (b'{"a": 1}\n', True)
    assert _complete_part(b'{"a": 1}\n{"b": 2}') == (b'{"a": 1}\n{"b": 2}', False)  # no newline yet, whole
    assert _complete_part(b'[\n  {"a": 1}\n]') == (b'[\n  {"a": 1}\n]', False)  # one JSON document
    assert _complete_part(b'[\n  {"a": 1},\n  {"b"') == (b'[\n  {"a": 1},\n', True)


def test_conversation_keys_survive_appends():
    from langmem_cli.core.conversation import Conversation

    one = [Conversation(msgs("a"), source="/f.jsonl:1")]
    assert conversation_keys(one, "/f.jsonl") == ["-"]
    two = [Conversation(msgs("a"), {"session_id": "s1"}, "/f.jsonl:1"),
           Conversation(msgs("b"), {"session_id": "s1"}, "/f.jsonl:9"), Conversation(msgs("c"), {}, "/f.jsonl:#3")]
    assert conversation_keys(two, "/f.jsonl") == ["id:s1", "id:s1#2", ":#3"]


@pytest.fixture
def backend_store(backend_db):
    """A store on each backend (SQLite, and the two real PostgreSQL servers)."""
    from langmem_cli.embed.hash_embedder import HashEmbedder
    from langmem_cli.store import open_store

    with open_store(backend_db, embedder=HashEmbedder(64)) as store:
        yield store


def test_leases_exclude_live_holders_and_free_dead_ones(backend_store):
    store = backend_store
    alive = {1: True, 2: False}
    assert store.acquire_watch_lease("/a", "h:1:x", "h", 1, 60, alive.get)
    assert store.acquire_watch_lease("/a", "h:1:x", "h", 1, 60, alive.get)  # renewing is fine
    assert not store.acquire_watch_lease("/a", "h:3:y", "h", 3, 60, alive.get)  # live holder
    assert not store.acquire_watch_lease("/a", "other:9:z", "other", 9, 60, alive.get)  # another host
    alive[1] = False  # the holder died (kill -9): its lease is free on this host
    assert store.acquire_watch_lease("/a", "h:3:y", "h", 3, 60, alive.get)
    assert store.acquire_watch_lease("/b", "h:3:y", "h", 3, -1, alive.get)  # expired at once
    assert store.acquire_watch_lease("/b", "far:5:q", "far", 5, 60, alive.get)  # expiry frees it anywhere
    store.release_watch_lease("/a", "someone-else")
    assert len(store.watch_leases()) == 2
    store.release_watch_lease("/a", "h:3:y")
    assert [lease.holder for lease in store.watch_leases()] == ["far:5:q"]


def test_a_lease_is_renewed_by_its_holder_only_and_from_another_thread(backend_store, backend_db):
    from langmem_cli.store import is_url

    store = backend_store
    alive = {1: True, 2: True}.get
    assert store.acquire_watch_lease("/r", "h:1:x", "h", 1, 1, alive)
    before = store.watch_leases()[0].expires_at
    renewed: list[bool] = []
    renew = threading.Thread(target=lambda: renewed.append(store.renew_watch_lease("/r", "h:1:x", 60)))
    if is_url(backend_db):  # renewed while the store's own connection is inside a transaction
        with store.transaction():
            store.save_watch_progress("/r", "-", Progress(1, "d", ""))
            renew.start()
            renew.join(30)
    else:  # SQLite: a second writer waits for the transaction to end, so renew outside one
        renew.start()
        renew.join(30)
    assert renewed == [True] and store.watch_leases()[0].expires_at >= before + 50
    assert not store.acquire_watch_lease("/r", "far:2:y", "far", 2, 60, alive)  # renewed: still held
    assert not store.renew_watch_lease("/r", "far:2:y", 60)  # only the holder renews
    assert store.acquire_watch_lease("/s", "h:1:x", "h", 1, -1, alive)  # expired at once...
    assert store.acquire_watch_lease("/s", "far:2:y", "far", 2, 60, alive)  # ...and taken over
    assert not store.renew_watch_lease("/s", "h:1:x", 60)  # the old holder learns it lost it
    store.release_watch_lease("/r", "h:1:x")
    assert not store.renew_watch_lease("/r", "h:1:x", 60)  # released: renewing does not take it back
    assert [lease.holder for lease in store.watch_leases()] == ["far:2:y"]


def test_progress_and_sources_round_trip(backend_store):
    store = backend_store
    _, progress = new_messages(msgs("a", "b"), Progress())
    store.save_watch_progress("/f", "-", progress)
    with store.transaction():
        store.save_watch_progress("/f", "id:s", Progress(1, "d", "0123456789abcdef"))
    assert store.watch_progress("/f") == {"-": progress, "id:s": Progress(1, "d", "0123456789abcdef")}
    state = SourceState(10, 123, 7, 9, "h")
    store.save_watch_source("/f", state)
    assert store.watch_sources() == {"/f": state}


def test_watch_help_lists_the_options_without_loading_the_model_stack():
    code = ("import sys; from langmem_cli.cli.app import main; sys.argv=['langmem','watch','--help'];\n"
            "try: main()\nexcept SystemExit: pass\n"
            "print('LOADED' if {'litellm','torch','watchfiles'} & set(sys.modules) else 'LIGHT')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"})
    for option in ("--idle", "--glob", "--once", "--poll", "--consolidate-every", "--schema", "--profile", "--model"):
        assert option in done.stdout
    assert done.stdout.strip().endswith("LIGHT")
