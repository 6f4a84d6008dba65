"""Memory that stays current (issue 23 items 1, 2, 7): a later statement that changes a fact closes
the memory it changes, offline too; time decides, not the order files are read in.

The phrasings here are not the benchmark's (bench/data) nor the issue's: they check that the
detector reads language structure, not a list of examples."""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from conftest import FAKE

from langmem_cli.core import updates
from langmem_cli.core.extraction import Operation
from langmem_cli.core.schemas import BUILTIN
from langmem_cli.formats.read import read_conversations
from langmem_cli.jobs.extract import ExtractOptions, run_extract

NAMES = frozenset({"dana", "the user"})


# -- the detector on its own ------------------------------------------------------------------------
@pytest.mark.parametrize("older, newer", [
    ("Dana lives in Glasgow.", "Dana relocated to Cardiff for the new job."),
    ("Dana rents a flat in Leeds.", "Dana lives in York these days."),
    ("Dana is a barista at Bean There.", "Dana no longer works at Bean There, they teach yoga."),
    ("Dana eats meat most days.", "Dana went vegan in the summer."),
    ("Dana takes the tram to the office.", "Dana cycles to the office now instead of the tram."),
    ("Dana plays squash every Tuesday.", "Dana doesn't play squash anymore."),
    ("Dana uses Trello for the wedding planning.", "Dana ditched Trello, a paper notebook works better."),
    ("Dana is planning a honeymoon in Crete.", "Dana says we changed our mind about Crete, Sicily it is."),
    ("Dana's name is Dana Reyes.", "Dana's name is Dana Okafor now after the wedding."),
])
def test_a_later_statement_that_changes_a_fact_is_detected(older, newer):
    reading = (updates.read(older, NAMES), updates.read(newer, NAMES))
    assert updates.relation(older, newer, 0.3, readings=reading) == updates.CHANGES


@pytest.mark.parametrize("older, newer", [
    ("Dana lives in Glasgow.", "Dana's brother lives in Cardiff."),  # another person
    ("Dana uses Trello for the wedding planning.", "Dana uses Figma at work."),  # tools: many at once
    ("Dana plays squash every Tuesday.", "Dana loves Korean food."),  # unrelated
    ("Dana lives in Glasgow.", "Kim moved to Cardiff."),  # another speaker
])
def test_facts_that_can_all_hold_close_nothing(older, newer):
    names = NAMES | {"kim"}
    reading = (updates.read(older, names), updates.read(newer, names))
    assert updates.relation(older, newer, 0.3, readings=reading) is None


@pytest.mark.parametrize("older, newer", [
    ("Dana is allergic to shellfish.", "Dana is allergic to shellfish, as they said."),
    ("Dana lives in Glasgow with two cats.", "Dana lives in Glasgow."),
])
def test_a_restatement_is_the_same_fact(older, newer):
    reading = (updates.read(older, NAMES), updates.read(newer, NAMES))
    assert updates.relation(older, newer, 0.9, readings=reading) == updates.SAME


def test_a_change_keeps_the_clauses_it_does_not_touch():
    older = "Dana lives in Glasgow and they are allergic to shellfish."
    assert updates.remainder(older, "Dana relocated to Cardiff.", NAMES) == "Dana is allergic to shellfish."
    assert updates.remainder("Dana lives in Glasgow.", "Dana relocated to Cardiff.", NAMES) is None


def test_two_different_values_said_at_the_same_moment_conflict():
    a, b = "Dana lives in Glasgow.", "Dana lives in Cardiff."
    reading = (updates.read(a, NAMES), updates.read(b, NAMES))
    assert updates.relation(a, b, 0.5, same_moment=True, readings=reading) == updates.CONFLICT
    assert updates.relation(a, b, 0.5, same_moment=False, readings=reading) == updates.CHANGES


# -- transcripts in three formats, dated -------------------------------------------------------------
def _messages(path: Path, date: str | None, said: list[str]) -> Path:
    with open(path, "w") as f:
        for text in said:
            f.write(json.dumps({"role": "user", "content": text, **({"timestamp": date} if date else {})}) + "\n")
            f.write(json.dumps({"role": "assistant", "content": "Noted."}) + "\n")
    return path


def _chatgpt(path: Path, date: str, said: list[str]) -> Path:
    stamp = datetime.fromisoformat(date.replace("Z", "+00:00")).timestamp()
    mapping, parent, n = {"root": {"id": "root", "message": None, "parent": None, "children": []}}, "root", 0
    for text in said:
        for role, content in (("user", text), ("assistant", "Noted.")):
            node = f"n{n}"
            mapping[parent]["children"].append(node)
            mapping[node] = {"id": node, "parent": parent, "children": [], "message": {
                "id": node, "author": {"role": role, "name": None, "metadata": {}}, "create_time": stamp + n,
                "content": {"content_type": "text", "parts": [content]}, "status": "finished_successfully",
                "metadata": {}, "recipient": "all"}}
            parent, n = node, n + 1
    path.write_text(json.dumps([{"title": "t", "create_time": stamp, "id": str(uuid.uuid4()), "current_node": parent,
                                 "mapping": mapping}]))
    return path


def _claude_code(path: Path, date: str, said: list[str]) -> Path:
    parent = None
    with open(path, "w") as f:
        for n, text in enumerate(said):
            for role, message in (("user", {"role": "user", "content": text}),
                                  ("assistant", {"role": "assistant", "model": "claude", "id": f"m{n}", "type": "message",
                                                 "content": [{"type": "text", "text": "Noted."}]})):
                this = str(uuid.uuid4())
                f.write(json.dumps({"parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": "/src/app",
                                    "sessionId": "s1", "version": "1.0", "type": role, "message": message, "uuid": this,
                                    "timestamp": date.replace("Z", f".{n:03d}Z")}) + "\n")
                parent = this
    return path


SESSIONS = [  # (writer, date, what Dana said)
    (_messages, "2023-02-01T10:00:00Z", ["Hello, I'm Dana.", "I live in Glasgow and I'm allergic to shellfish.",
                                         "I'm a barista at a cafe called Bean There.", "I take the tram to the office every day."]),
    (_chatgpt, "2023-05-10T18:30:00Z", ["I relocated to Cardiff last month, the flat is tiny.", "My sister Mira lives in Glasgow."]),
    (_claude_code, "2023-08-20T09:15:00Z", ["I no longer work at Bean There, I teach yoga full time now."]),
    (_messages, "2023-11-02T20:00:00Z", ["These days I cycle to the office instead of taking the tram.",
                                         "I'm allergic to shellfish, as I said before."]),
]


@pytest.fixture
def sessions(tmp_path: Path) -> list[Path]:
    ext = {_messages: "jsonl", _chatgpt: "json", _claude_code: "jsonl"}
    return [writer(tmp_path / f"s{n}.{ext[writer]}", date, said) for n, (writer, date, said) in enumerate(SESSIONS)]


def extract(store, paths: list[Path], namespace: str = "u/dana"):
    conversations = [c for p in paths for c in read_conversations(str(p))]
    return run_extract(store, None, conversations, ExtractOptions(namespace=namespace, schemas={"memory": BUILTIN["memory"]}))


def current(store, namespace: str = "u/dana") -> list[str]:
    return sorted(m.text for m in store.list(namespace=namespace, limit=None))


def every(store, namespace: str = "u/dana"):
    return store.list(namespace=namespace, limit=None, include_expired=True)


def one(memories, word: str, *, without: str | None = None):
    found = [m for m in memories if word in m.text and (without is None or without not in m.text)]
    assert len(found) == 1, (word, [m.text for m in memories])
    return found[0]


def test_a_change_closes_the_memory_it_changes_with_evidence_on_both(store, sessions):
    report = extract(store, sessions)
    assert report.summary()["updated"] >= 3
    now = current(store)
    assert not any("Glasgow" in t and "Mira" not in t for t in now)  # the old home is closed …
    assert any("Mira lives in Glasgow" in t for t in now)  # … not the sister's
    assert any("Cardiff" in t for t in now) and any("yoga" in t for t in now) and any("cycle" in t for t in now)
    assert not any("tram" in t and "instead" not in t for t in now)
    assert any("shellfish" in t for t in now)  # the clause the move left standing
    memories = every(store)
    glasgow = one(memories, "Glasgow", without="Mira")
    cardiff = one(memories, "Cardiff")
    assert glasgow.superseded_by == cardiff.id
    assert glasgow.valid_until == "2023-05-10T18:30:00+00:00" == cardiff.valid_from[:19] + "+00:00"
    assert glasgow.metadata["evidence"] and cardiff.metadata["evidence"]
    assert "Glasgow" in glasgow.metadata["evidence"][0]["quote"] and "Cardiff" in cardiff.metadata["evidence"][0]["quote"]
    assert [m.id for m in store.lineage(glasgow.id)] == [glasgow.id, cardiff.id]
    assert "supersede" in [e.action for e in store.history(glasgow.id)]


def test_the_current_set_is_the_same_in_any_file_order(backend_db, sessions):
    """On each backend; one namespace per order. Dana gives her name in the first session only: in
    the orders that read it later, what was read before said "The user" (and a restatement read
    first must still fold into her first telling)."""
    from langmem_cli.embed.hash_embedder import HashEmbedder
    from langmem_cli.store import open_store

    results = {}
    with open_store(backend_db, embedder=HashEmbedder(64)) as store:
        for order in itertools.islice(itertools.permutations(range(len(sessions))), 0, None, 5):
            namespace = "u/dana-" + "".join(map(str, order))
            extract(store, [sessions[i] for i in order], namespace)
            results[order] = sorted(current(store, namespace))  # every memory of Dana says "Dana", whatever the order
            for m in every(store, namespace):
                if m.valid_until and m.valid_from:
                    assert m.valid_until >= m.valid_from
    first = next(iter(results.values()))
    assert len(results) >= 5
    for order, texts in results.items():
        assert texts == first, (order, sorted(set(texts) ^ set(first)))
    assert not any("the user" in t.lower() for t in first)
    assert any("Cardiff" in t for t in first) and not any("Bean There" in t and "no longer" not in t for t in first)


def test_an_older_statement_read_late_is_stored_closed_and_closes_nothing(store, sessions):
    extract(store, [sessions[1]])  # May: Cardiff
    extract(store, [sessions[0]])  # February, read after: Glasgow
    memories = every(store)
    glasgow, cardiff = one(memories, "Glasgow", without="Mira"), one(memories, "Cardiff")
    assert cardiff.valid_until is None
    assert glasgow.valid_until == cardiff.valid_from and glasgow.superseded_by == cardiff.id
    assert [m.text for m in store.list(namespace="u/dana", as_of="2023-03-01") if "Glasgow" in m.text and "Mira" not in m.text]


def test_rereading_and_restating_add_nothing_and_close_nothing(store, sessions):
    extract(store, sessions)
    before = sorted((m.id, m.valid_until) for m in every(store))
    conversations = [c for p in sessions for c in read_conversations(str(p))]
    again = run_extract(store, None, conversations, ExtractOptions(namespace="u/dana", force=True,
                                                                   schemas={"memory": BUILTIN["memory"]}))
    assert again.summary()["inserted"] == again.summary()["updated"] == 0
    assert sorted((m.id, m.valid_until) for m in every(store)) == before


def test_timestamps_without_a_time_zone_are_utc_and_still_ordered(store, tmp_path):
    late = _messages(tmp_path / "late.jsonl", "2023-06-01T08:00:00", ["I moved to Bristol in spring."])
    early = _messages(tmp_path / "early.jsonl", "2023-01-01T08:00:00", ["I live in Bath with my partner."])
    extract(store, [late, early])
    assert [t for t in current(store) if "Bath" in t] == []
    assert one(every(store), "Bath").valid_until == "2023-06-01T08:00:00+00:00"


def test_conversations_without_timestamps_keep_file_order(store, tmp_path):
    first = _messages(tmp_path / "a.jsonl", None, ["I live in Bath with my partner."])
    second = _messages(tmp_path / "b.jsonl", None, ["I moved to Bristol in spring."])
    extract(store, [first])
    extract(store, [second])
    assert any("Bristol" in t for t in current(store)) and not any("Bath" in t for t in current(store))


def test_two_conflicting_statements_in_one_message_are_kept_and_reported_once(cli, tmp_path):
    path = _messages(tmp_path / "c.jsonl", "2023-03-01T10:00:00Z", ["I live in Bath. I live in Bristol."])
    report = cli.json("extract", path, "-n", "u/c", "--json")
    assert report["summary"]["contradictions"] == 1
    assert sorted(m["text"] for m in cli.json("list", "-n", "u/c")) == ["The user lives in Bath.", "The user lives in Bristol."]
    for _ in range(2):  # nightly consolidation does not report it again
        night = cli.json("consolidate", "-n", "u/c", "--full", "--json")
        assert night["summary"]["contradictions"] == 0
    with_cue = _messages(tmp_path / "d.jsonl", "2023-03-01T10:00:00Z", ["I lived in Leeds for years, but I moved to York."])
    assert cli.json("extract", with_cue, "-n", "u/d", "--json")["summary"]["contradictions"] == 0


def test_updates_are_per_speaker(store, tmp_path):
    path = tmp_path / "group.jsonl"
    lines = [("alice", "I live in Paris with my dog.", "2023-01-01T10:00:00Z"),
             ("bob", "I live in Rome near the station.", "2023-01-01T10:01:00Z"),
             ("bob", "I moved to Oslo for work last week.", "2023-09-01T10:00:00Z")]
    path.write_text("".join(json.dumps({"role": "user", "name": n, "content": c, "timestamp": t}) + "\n" for n, c, t in lines))
    extract(store, [path], "team/chat")
    now = current(store, "team/chat")
    assert any("Paris" in t for t in now) and any("Oslo" in t for t in now) and not any("Rome" in t for t in now)


def test_a_person_who_changes_their_name(store, tmp_path):
    first = _messages(tmp_path / "a.jsonl", "2023-01-01T10:00:00Z", ["My name is Dana Reyes and I work as a nurse in Leeds."])
    second = _messages(tmp_path / "b.jsonl", "2023-07-01T10:00:00Z", ["I got married in June, so my name is Dana Okafor now."])
    extract(store, [second, first])
    now = current(store)
    assert any("Okafor" in t for t in now) and not any("name is Dana Reyes" in t for t in now)
    assert any("nurse" in t for t in now)  # what the new name did not change stays


def test_history_shows_the_supersede(cli, tmp_path):
    a = _messages(tmp_path / "a.jsonl", "2023-01-01T10:00:00Z", ["I live in Bath with my partner."])
    b = _messages(tmp_path / "b.jsonl", "2023-06-01T10:00:00Z", ["I moved to Bristol in spring."])
    cli("extract", b, "-n", "u/h")
    cli("extract", a, "-n", "u/h")
    [bath] = [m for m in cli.json("list", "-n", "u/h", "--include-expired") if "Bath" in m["text"]]
    out = cli("history", bath["id"]).output
    assert "Bath" in out and "Bristol" in out


# -- offline consolidation ---------------------------------------------------------------------------
def test_offline_consolidation_supersedes_what_a_later_memory_changes(store):
    old = store.put("u/p", "Dana lives in Glasgow.", valid_from="2022-01-01")
    new = store.put("u/p", "Dana relocated to Cardiff.", valid_from="2023-01-01")
    keep = store.put("u/p", "Dana is allergic to shellfish.", valid_from="2022-01-01")
    from langmem_cli.jobs.consolidate import ConsolidateOptions, run_consolidate

    report = run_consolidate(store, None, ConsolidateOptions(namespace="u/p"))
    assert report.summary()["deleted"] == 1  # "closed" in the log: consolidation never erases
    closed = store.get(old.id)
    assert closed.valid_until == "2023-01-01" and closed.superseded_by == new.id
    assert store.get(keep.id).valid_until is None
    assert run_consolidate(store, None, ConsolidateOptions(namespace="u/p")).summary()["deleted"] == 0


# -- the store: inserts placed in time (both backends) ------------------------------------------------
def test_store_inserts_closed_memories_and_supersedes_at_a_given_time(backend_db):
    from langmem_cli.embed.hash_embedder import HashEmbedder
    from langmem_cli.store import open_store

    with open_store(backend_db, embedder=HashEmbedder(64)) as store:
        now_id, old_id = str(uuid.uuid4()), str(uuid.uuid4())
        current_one = store.put("s/a", "Ana lives in Oslo", valid_from="2024-01-01")
        written = store.apply_operations("s/a", [
            Operation("insert", "memory", "Ana lives in Rome", valid_from="2023-06-01", row_id=now_id,
                      valid_until="2024-01-01", superseded_by=current_one.id),
            Operation("insert", "memory", "Ana lives in Pisa", valid_from="2022-01-01", row_id=old_id),
            Operation("supersede", "memory", None, old_id, valid_from="2023-06-01", superseded_by=now_id),
        ], source="t")
        assert [m.id for m in written["inserted"]] == [now_id, old_id]
        assert [m.text for m in store.list(namespace="s/a")] == ["Ana lives in Oslo"]
        rome, pisa = store.get(now_id), store.get(old_id)
        assert (rome.valid_until, rome.superseded_by) == ("2024-01-01", current_one.id)
        assert (pisa.valid_until, pisa.superseded_by) == ("2023-06-01", now_id)
        assert [m.text for m in store.list(namespace="s/a", as_of="2023-07-01")] == ["Ana lives in Rome"]
        assert [m.id for m in store.lineage(old_id)] == [old_id, now_id, current_one.id]


# -- with a model (item 7) ------------------------------------------------------------------------------
def test_a_model_update_older_than_its_target_does_not_close_it(cli, fake, tmp_path):
    june = _messages(tmp_path / "june.jsonl", "2024-06-01T12:00:00Z", ["I moved to Berlin."])
    march = _messages(tmp_path / "march.jsonl", "2023-03-14T09:30:00Z", ["I live in Prague now."])
    fake.replies.extend([json.dumps({"operations": [{"action": "insert", "content": "The user lives in Berlin",
                                                     "quotes": ["I moved to Berlin"]}]})])
    cli("extract", june, "-n", "u/m", *FAKE)
    fake.replies.extend([json.dumps({"operations": [{"action": "update", "id": "m1", "content": "The user lives in Prague",
                                                     "quotes": ["I live in Prague now"]}]})])
    cli("extract", march, "-n", "u/m", *FAKE)
    assert [m["text"] for m in cli.json("list", "-n", "u/m")] == ["The user lives in Berlin"]
    [prague] = [m for m in cli.json("list", "-n", "u/m", "--include-expired") if "Prague" in m["text"]]
    assert prague["valid_until"] == "2024-06-01T12:00:00+00:00"


def test_a_model_update_of_a_replaced_memory_fits_between(store):
    a = store.put("u/q", "Ana lives in Pisa", valid_from="2022-01-01")
    store.apply_operations("u/q", [Operation("update", "memory", "Ana lives in Oslo", a.id, valid_from="2024-01-01")], "t")
    # a model, shown the old memory, updates it with a fact from 2023: it fits between the two
    store.apply_operations("u/q", [Operation("update", "memory", "Ana lives in Rome", a.id, valid_from="2023-01-01")], "t")
    assert [m.text for m in store.list(namespace="u/q")] == ["Ana lives in Oslo"]
    assert [m.text for m in store.list(namespace="u/q", as_of="2023-06-01")] == ["Ana lives in Rome"]
    assert [m.text for m in store.lineage(a.id)] == ["Ana lives in Pisa", "Ana lives in Rome", "Ana lives in Oslo"]
    # and one later than everything replaces what is current now
    store.apply_operations("u/q", [Operation("update", "memory", "Ana lives in Bergen", a.id, valid_from="2025-01-01")], "t")
    assert [m.text for m in store.list(namespace="u/q")] == ["Ana lives in Bergen"]


def test_a_model_insert_older_than_a_memory_that_changes_it_is_stored_closed(cli, fake, tmp_path):
    june = _messages(tmp_path / "june.jsonl", "2024-06-01T12:00:00Z", ["I moved to Berlin."])
    march = _messages(tmp_path / "march.jsonl", "2023-03-14T09:30:00Z", ["I live in Prague with my partner."])
    fake.replies.extend([json.dumps({"operations": [{"action": "insert", "content": "The user moved to Berlin",
                                                     "quotes": ["I moved to Berlin"]}]})])
    cli("extract", june, "-n", "u/i", *FAKE)
    fake.replies.extend([json.dumps({"operations": [{"action": "insert", "content": "The user lives in Prague with their partner",
                                                     "quotes": ["I live in Prague with my partner"]}]})])
    cli("extract", march, "-n", "u/i", *FAKE)
    assert [m["text"] for m in cli.json("list", "-n", "u/i")] == ["The user moved to Berlin"]
    [prague] = [m for m in cli.json("list", "-n", "u/i", "--include-expired") if "Prague" in m["text"]]
    assert prague["valid_until"] == "2024-06-01T12:00:00+00:00" and prague["superseded_by"]


def test_a_new_number_is_not_a_restatement():
    """Two projects told in the same words but for their numbers are two facts: neither folds into the other."""
    from langmem_cli.core.updates import SAME, relation

    assert relation("The user's project number 0 is called Falcon0.", "The user's project number 4 is called Falcon4.", 0.9) != SAME
    assert relation("Dana owns 3 cats.", "Dana owns 5 cats.", 0.9) != SAME
    assert relation("Dana owns 3 cats.", "Dana owns 3 cats.", 1.0) == SAME


# -- issue 23, second pass on recall (helper "updates"): how people say change, read from structure --
# Phrasings written for these tests; none is in bench/updates_gen.py's pools.
MORE = NAMES | {"nate", "jo"}


def _relation(older: str, newer: str, cosine: float = 0.3) -> str | None:
    return updates.relation(older, newer, cosine, readings=(updates.read(older, MORE), updates.read(newer, MORE)))


@pytest.mark.parametrize("text", [
    "At Northwind Dana works as a nurse.",  # a capitalised word before the name is not part of it
    "Since Dana moved to Bristol, the commute is shorter.",
    "No more tea for Dana, they drink cocoa now.",  # the person named late in the sentence
    "All Dana's plants are on the balcony.",
])
def test_the_person_is_found_past_the_words_before_the_name(text):
    assert updates.read(text, MORE).subject == "dana"


@pytest.mark.parametrize("older, newer", [
    ("Dana says we're sailing to Corsica in May.", "Dana says we were going to sail to Corsica, but we picked Sardinia."),
    ("Dana says we're renting a cabin in Tahoe for New Year.", "Dana says the Tahoe cabin fell through, we booked Reno."),
    ("Dana is a pharmacist at Boots.", "Dana was hired by Superdrug after six years at Boots."),
    ("Dana teaches maths at Hillcrest.", "Dana's last day at Hillcrest was in June; they start at Oakfield in September."),
    ("Dana drinks cola with lunch.", "Dana cut back on cola and has sparkling water with lunch."),
    ("Dana rides a scooter to the depot.", "Dana gave the scooter up and walks to the depot."),
    ("Dana learns Greek with a podcast.", "Dana learns Greek with a tutor these days, the podcast wasn't helping."),
    ("Dana says our place is in Leith, close to the docks.", "Dana is a Portobello resident now."),
    ("Dana's flat in Hove is small.", "Dana's address is in Brighton."),
    ("Dana edits the podcast with Audacity.", "Dana is done with Audacity for the podcast and went with Reaper."),
    ("Dana has porridge for breakfast.", "Granola took the place of porridge in Dana's breakfasts."),
    ("Dana is vegetarian.", "Bacon is back in Dana's diet."),
    ("Dana has toast with their coffee.", "Dana has crumpets with their coffee now."),
    ("Dana has lived in Perth for years.", "Dana is in Adelaide these days."),
    ("Dana works at a bakery in Hull.", "Dana had to leave the bakery in Hull when it closed; they cook at a pub."),
    ("Dana packs orders at Zalando.", "Zalando laid Dana off in March, so they drive for a courier."),
])
def test_more_ways_of_telling_a_change_are_read(older, newer):
    assert _relation(older, newer) == updates.CHANGES


@pytest.mark.parametrize("older, newer", [
    # the person's possessive is not a value the two share
    ("Dana's mornings start with a run.", "Lately yoga has replaced squash as Dana's evening hobby."),
    # a negated change tells no change
    ("Dana's garden is full of roses.", "Dana's latex allergy hasn't changed."),
    ("Dana's cat sleeps on the sofa.", "Dana's latex allergy hasn't gone away."),
    # function words and times are no shared value
    ("Dana has been allergic to latex since they were small.", "Since January Dana has cycled to work instead of driving."),
    ("Nate won a chess tournament the week before.", "Watching movies is Nate's favourite pastime."),  # "movies" is no "moved"
    ("Jo plays on the court every day.", "Jo says a lot happened on and off the court."),  # "off" alone names nothing
    ("Jo framed the photo of the lake.", "That photo is from when Jo's crew won the regatta."),  # nor "from"
    ("Nate won the video game tournament.", "Nate hangs out with people from the tournament."),  # "out with" mid-clause
    ("Jo wants to help the community.", "Jo says a bit of support can make an amazing change."),  # a noun, no cue
    ("Jo loves the first place they lived in.", "Jo took first place at the regional dance contest."),
    ("Dana went to the beach with the kids.", "Dana is at the beach with the kids now."),
    ("Dana works as a nurse at St Mary's.", "Dana works with a language tutor now."),  # "work with": no job
    ("Dana lives in Perth.", "Dana's sister is in Adelaide these days."),  # another person
])
def test_statements_that_share_words_but_change_nothing(older, newer):
    assert _relation(older, newer, 0.6) is None


@pytest.mark.parametrize("older, newer", [
    ("Dana is allergic to latex.", "Nothing has changed about Dana's latex allergy."),
    ("Dana is allergic to latex.", "Dana's latex allergy hasn't gone away."),
])
def test_a_negated_change_restates(older, newer):
    assert _relation(older, newer, 0.8) == updates.SAME


def test_one_third_person_verb_helper_serves_statements_and_updates():
    from langmem_cli.core.english import third_person_verb

    assert [third_person_verb(v) for v in ("have", "go", "try", "watch", "'re", "were", "can", "moved")] == [
        "has", "goes", "tries", "watches", "is", "was", "can", "moved"]
    assert updates.remainder("Dana lives in Leeds, and they're allergic to latex.", "Dana moved to York.", NAMES) == \
        "Dana is allergic to latex."


def test_the_same_frame_with_another_value_and_a_cue_is_a_change():
    older, newer = "Dana keeps a bonsai on the windowsill.", "Dana keeps a cactus on the windowsill now."
    assert _relation(older, newer, 0.7) == updates.CHANGES
    assert _relation(older, "Dana keeps a cactus on the windowsill.", 0.7) is None  # no cue: both may hold
    assert _relation(older, newer, 0.3) is None  # not similar enough to be the same frame


@pytest.mark.parametrize("text, ends", [
    ("Dana had to leave Hull when the rent went up.", True),  # "leave" like "left", "leaving"
    ("Dana leaves the flat in Hull in May.", True),
    ("Watching movies is Nate's favourite pastime.", False),  # "movies" stems like "moved"; not a verb
    ("Jo will gather ideas for their next move.", False),  # a noun
    ("Dana is going to Lisbon in May.", False),  # "go" is a change only as "went (vegan)"
])
def test_verbs_of_change_are_read_as_verbs_in_any_inflection(text, ends):
    assert updates.read(text, MORE).ends is ends


def test_a_reason_clause_says_what_is_over():
    """ "…, since Crete got too hot": the thing that became something else is what was left."""
    older = "Dana says we're thinking about Crete for the summer."
    assert _relation(older, "Dana says the summer will be Malta, since Crete got too hot.") == updates.CHANGES
    assert _relation("Dana plays darts at the pub.", "Archery is Dana's new hobby; darts got dull.") == updates.CHANGES
    assert _relation("Dana loves sunny weather.", "Dana says it got colder, so they stayed in.") is None


def test_something_that_is_history_is_over():
    assert _relation("Dana edits photos in Lightroom.", "Lightroom is history, Dana edits in Darktable.") == updates.CHANGES


@pytest.mark.parametrize("older, newer", [
    # both deny the same thing: nothing is over
    ("Jo says caring for ourselves is important, even if it's not always easy.",
     "Sharing stories isn't always easy, but Jo feels it's important."),
    ("Jo says we'll talk about the Harry Potter books at the meetup.", "Can't wait to see Jo's book collection."),
    ("Jo loves all dances, contemporary most.", "Jo says we do all kinds of dances, from contemporary to hip-hop."),  # a range
    ("Jo wants a dance studio with a sprung floor.", "Jo likes Marley flooring for the studio: it lets you move."),  # "you" move
    ("Jo is grateful for the support of friends.", "Jo has known these friends for years, since they moved from Peru."),
])
def test_denials_ranges_and_other_clauses_change_nothing(older, newer):
    assert _relation(older, newer, 0.7) is None


def test_a_dated_statement_and_an_undated_memory_are_not_ordered():
    """A memory put without a time (an agent's `put`, an undated file) and a statement said at a
    known time cannot be ordered: neither closes the other. Two known times, or two unknown ones (file
    order), still decide."""
    put = updates.Fact("put", "Alice lives in Lisbon.", ("2026-12-04T16:00:00+00:00", 0, 0), None)
    said = updates.Fact("said", "Alice moved to Porto in May 2024.", ("2024-06-01T10:00:00+00:00", 1, 0),
                        "2024-06-01T10:00:00+00:00", stored=False)
    placed = updates.place(said, [put], lambda a, b: 0.7)
    assert placed.until is None and placed.superseded_by is None and placed.closes == []
    dated = updates.Fact("old", "Alice lives in Lisbon.", ("2023-01-01T00:00:00+00:00", 0, 0), "2023-01-01T00:00:00+00:00")
    assert updates.place(said, [dated], lambda a, b: 0.7).closes == ["old"]
    undated_new = updates.Fact("new", "Alice moved to Porto.", ("2026-12-04T16:01:00+00:00", 1, 0), None, stored=False)
    assert updates.place(undated_new, [put], lambda a, b: 0.7).closes == ["put"]


def test_a_negated_giving_up_tells_no_ending():
    """ "won't give up", "never gave up", "not giving up": something goes on, nothing is over."""
    assert not updates.read("Joanna won't give up on her screenplay, she promises.").ends
    assert not updates.read("Dana never gave up on chess.").ends
    assert updates.read("Dana gave up coffee in March.").ends
    assert updates.read("Dana doesn't smoke anymore.").ends
    older = "Joanna is writing a screenplay about her hometown."
    assert updates.relation(older, "Joanna won't give up on the screenplay, however hard it gets.", 0.7) is None
    assert updates.relation(older, "Joanna gave up on the screenplay.", 0.7) == updates.CHANGES


def test_a_word_of_change_after_its_adjective_is_a_noun():
    """ "positive changes", "big changes" name things; "finally moves" still tells a move."""
    assert not updates.read("Maria says working together, we can bring positive changes to the neighborhood.").cue
    assert not updates.read("Tim made big changes to the garden.").cue
    assert updates.read("Dana finally moves to Lisbon in May.").ends or updates.read("Dana finally moves to Lisbon in May.").cue


# -- precision on ordinary chat (helper "precision"): what a cue of change governs ------------------
def test_an_ending_names_only_what_its_cue_governs():
    """The words an ending tells are over are its cue's subject ("the ferry broke down", "Tennis is
    not for Jo anymore") or object ("dropped Pilates"), not every word of its clause: in "a nice way
    to switch off", "Jo's van broke down on the way to the gym" the way and the gym did not end."""
    ended = updates.read("Jo's van broke down on the way to the gym.", MORE).ending_words
    assert "van" in ended and not ended & {"way", "gym"}
    assert not updates.read("Knitting is a nice way to switch off.", MORE).ending_words
    assert _relation("Jo knits on the bus; it's a nice way to unwind.", "Jo says painting is a nice way to switch off.",
                     0.5) is None
    assert _relation("Jo goes to the gym every Monday.", "Jo's van broke down on the way to the gym.", 0.5) is None
    # what the cue governs still ends
    assert _relation("Jo spends Saturdays on tennis.", "Tennis is not for Jo anymore, they took up golf.") == updates.CHANGES
    assert _relation("Jo rides the ferry to the office.", "Jo cycles to the office since the ferry broke down.") == \
        updates.CHANGES
    assert _relation("Jo says the band is called Ashfall.", "Jo says we quit the band, Ashfall is over.") == updates.CHANGES


def test_wasnt_with_an_adjective_rates_a_thing_and_ends_nothing():
    """ "the commute wasn't working" says it did not work out; "the commute wasn't easy" only rates it."""
    older = "Jo's commute to the mill takes an hour."
    assert _relation(older, "The commute wasn't easy, but Jo made friends on the train.", 0.6) is None
    assert _relation("Jo learns Spanish with an app.", "Jo hired a Spanish tutor, the app wasn't working.") == \
        updates.CHANGES


def test_a_negation_denies_a_value_only_of_its_subject():
    """ "the trip, which wasn't great", "the studio isn't a charity", "not sure what to do" deny
    nothing of the person; "Jo isn't vegetarian anymore", "Lyon, not Nice" do."""
    assert not updates.read("Jo had a trip to Rome which wasn't great, but they are fine.", MORE).refused
    assert not updates.read("Jo says the studio isn't a charity, it's a workshop.", MORE).refused
    assert not updates.read("Jo got a bonus but they are not sure what to do with it.", MORE).refused
    assert updates.read("Jo isn't vegetarian anymore.", MORE).refused == {"vegetarian"} or \
        "vegeta" in updates.read("Jo isn't vegetarian anymore.", MORE).refused
    assert updates.read("Jo says the wedding is in Lyon, not Nice.", MORE).refused
    assert _relation("Jo is sure the gig will be great.", "Jo got a bonus but they are not sure what to do with it.",
                     0.5) is None


def test_a_one_value_attribute_changes_only_with_a_value_on_each_side():
    """A new value of a one-value attribute: a word of it the other statement lacks on each side
    ("tram" / "bike"), other names ("Leeds" / "York"), or a denial with a new one ("hasn't taken the
    tram …, they use the bike"); sharing only the attribute's word ("hard work", "work together")
    states no value of it."""
    assert _relation("Jo says with hard work, the club will grow.", "Jo says we work well together as a team.", 0.6) is None
    assert _relation("Jo takes the tram to work.", "Jo hasn't taken the tram to work in weeks, they use the bike.") == \
        updates.CHANGES
    assert _relation("Jo takes the bus to work.", "Jo rides a bike to work.") == updates.CHANGES


def test_an_attribute_is_read_from_its_words_by_lemma_not_by_stem():
    """ "positive" stems like "position", "transitioning" like "transit", "promotions" like
    "promoted": none of them states a job or a commute."""
    from langmem_cli.core.change_words import head_form

    assert not {head_form(w) for w in ("positive", "transitioning", "promotions")} - {False}
    assert all(head_form(w) for w in ("moved", "jobs", "lived", "working", "relocating"))
    assert not updates.read("Jo stays positive about transitioning.", MORE).families
    assert _relation("Jo is staying positive at their job.", "Jo says transitioning brought new promotions.", 0.5) is None


def test_a_past_action_stays_done():
    """A dated past action of the person ("Jo went to a pottery fair", "Jo won the quiz") is not a
    state a later statement can end; a change told in the past ("moved to", "went vegan", "got a
    job at") states the state it began, and that one can change."""
    assert updates.read("On 3 May Jo went to a pottery fair.", MORE).event
    assert updates.read("Jo also won the pub quiz.", MORE).event
    assert not any(updates.read(t, MORE).event for t in (
        "Jo moved to Leeds in May.", "Jo went vegan last year.", "Jo got a job at Arup in 2022.", "Jo lives in Leeds.",
        "Jo was vegetarian.", "Jo booked a trip to Crete.", "Jo took up golf.",
        "Jo studies history at Uppsala.", "Jo carries a tote bag."))  # present forms of -y verbs
    assert _relation("Jo studies history at Uppsala.", "Jo transferred from Uppsala to Leiden.", 0.7) == updates.CHANGES
    assert _relation("On 3 May Jo went to a pottery fair.", "Jo went to a pottery class instead, the fair was now online.",
                     0.7) is None
    assert _relation("Jo moved to Leeds in May.", "Jo moved to York in June.") == updates.CHANGES


def test_a_phrasal_verb_of_ending_governs_its_object():
    """ "traded in the Volvo": "in" is the verb's particle before a determiner, and the Volvo is what
    ended; "quit in March" names no value that ended."""
    assert "volvo" in updates.read("Jo traded in the Volvo for a Skoda.", MORE).ending_words
    assert "march" not in updates.read("Jo quit in March.", MORE).ending_words
    assert _relation("Jo's car is an old Volvo.", "Jo traded in the Volvo for a Skoda.") == updates.CHANGES


def test_the_name_of_an_attribute_is_no_value_of_it():
    """ "live", "home", "work", "job" name the attribute; two statements that each use another of
    them state no two values ("Jo lives for the weekends" / "Jo's home is always full of friends")."""
    assert _relation("Jo lives for the weekends with the kids.", "Jo's home is always full of friends.", 0.5) is None


def test_a_wish_a_hypothesis_or_a_condition_changes_nothing():
    """ "Jo would love to move to Porto", "wish Jo could quit", "if Jo couldn't swim": nothing of
    Jo's facts is said to hold, so nothing is closed; said plainly, the same change closes."""
    older = "Jo lives in Leeds."
    assert _relation(older, "Jo would love to move to Porto one day.") is None
    assert _relation("Jo swims every morning.", "It would be awful if Jo couldn't swim anymore.", 0.7) is None
    assert _relation(older, "Jo moved to Porto.") == updates.CHANGES


def test_a_value_of_an_attribute_changes_only_the_same_attribute_said():
    """Two values of one attribute family with no word of it in common ("vegetarian" / "meal plans
    for a trip") are not one attribute said twice."""
    older = "Jo is vegetarian, and they don't eat eggs either."
    assert _relation(older, "We're going to Porto in May, Jo will skip meal plans for the week of the 12th.") is None
