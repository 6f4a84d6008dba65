"""Profiles merged by time (issue 23 item 3, and item 7 for profiles): each field holds the latest
statement about it by the time it was said, whatever order the files come in; a negation removes
a value; a field no later statement changed is never dropped; versions never overlap, so
``show-profile --as-of`` gives one profile per namespace and schema. Real SQLite files, the CLI
in process, the scripted fake model for the model path."""

from __future__ import annotations

import itertools
import json
import random

from conftest import FAKE
from support.profile_story import CURRENT, FEBRUARY, SCHEMA, story

from langmem_cli.core import profile_rules as rules
from langmem_cli.core.conversation import Conversation, Message

PROPERTIES = json.loads(SCHEMA.read_text())["properties"]


def said(*texts: str) -> list[rules.Said]:
    conversation = Conversation([Message("user", t) for t in texts], source="t")
    return rules.profile_fields(conversation, PROPERTIES)


def found(*texts: str) -> set[tuple[str, str, str]]:
    return {(s.candidate.field, s.op, s.candidate.content) for s in said(*texts)}


# -- pure rules --------------------------------------------------------------------------------------

def test_a_value_goes_in_the_field_it_belongs_to_or_nowhere():
    assert found("I live in Berlin and work as a data engineer at a fintech called Kontora.") == {
        ("city", "set", "Berlin"), ("job", "set", "a data engineer at a fintech called Kontora")}
    assert found("My sister lives in Rome and works as a nurse.") == set()  # not the speaker's
    schema = {"working_hours": {"type": "string"}, "hometown": {"type": "string"}, "allergies": {"type": "array", "items": {"type": "string"}}}
    conversation = Conversation([Message("user", "I work as a baker. I'm from Porto. I'm allergic to cats.")], source="t")
    got = {(s.candidate.field, s.candidate.content) for s in rules.profile_fields(conversation, schema)}
    assert got == {("hometown", "Porto"), ("allergies", "allergic to cats")}  # "working" hours is no job


def test_names_keep_their_letters_and_capitals():
    assert found("Call me Tomás.") == {("name", "set", "Tomás")}
    assert found("I'm Zoë and I live in Oslo.") == {("name", "set", "Zoë"), ("city", "set", "Oslo")}
    assert found("I'm Going home now.") == set()


def test_negations_and_past_states_remove_not_add():
    assert found("I'm not vegetarian anymore, I eat fish now.") == {("food_preferences", "remove", "vegetarian")}
    assert found("I don't live in Berlin any more.") == {("city", "remove", "Berlin")}
    assert found("I used to work as a nurse.") == {("job", "remove", "a nurse")}
    assert found("I'm no longer moving to Oslo.") == {("city", "remove", "Oslo")}
    assert found("We haven't moved to Lisbon yet.") == {("city", "remove", "Lisbon")}
    assert found("I don't eat eggs.") == {("food_preferences", "add", "doesn't eat eggs")}  # a plain fact


def obs(field, op, value, at, n=0):
    return rules.Observation(field, op, value, at, (0, n))


LOG = [obs("city", "set", "Berlin", "2024-01-01"), obs("name", "set", "Priya", "2024-01-01", 1),
       obs("food_preferences", "add", "vegetarian", "2024-01-02"), obs("pets", "add", "Miso", "2024-01-03"),
       obs("city", "set", "Lisbon", "2024-03-05"), obs("food_preferences", "remove", "vegetarian", "2024-06-12"),
       obs("food_preferences", "add", "allergic to peanuts", "2024-01-02", 1), obs("job", "set", "a nurse", "2024-02-01")]


def test_fold_is_the_same_for_every_order_and_keeps_what_nothing_later_changed():
    expected = {"name": "Priya", "city": "Lisbon", "pets": ["Miso"], "food_preferences": ["allergic to peanuts"], "job": "a nurse"}
    for order in itertools.islice(itertools.permutations(LOG), 0, None, 97):
        log = rules.merge_log([], list(order[:4]))
        log = rules.merge_log(log, list(order[4:]))
        assert rules.fold(log, PROPERTIES) == expected


def test_versions_never_overlap_and_each_moment_has_one():
    found_versions = rules.versions(rules.merge_log([], LOG), PROPERTIES)
    for a, b in zip(found_versions, found_versions[1:]):
        assert a.valid_until == b.valid_from and a.content != b.content
    assert found_versions[-1].valid_until is None
    feb = [v for v in found_versions if v.valid_from <= "2024-02-15" and (v.valid_until or "9") > "2024-02-15"]
    assert [v.content["city"] for v in feb] == ["Berlin"]


def test_revise_splits_then_retracts_never_erases():
    v = rules.Version
    stored = [v("2024-01-01", "2024-08-01", {"a": 1}, "x"), v("2024-08-01", None, {"a": 2}, "y")]
    wanted = [v("2024-01-01", "2024-03-01", {"a": 1}), v("2024-03-01", None, {"a": 2})]
    ids = iter(["n1", "n2"])
    steps = rules.revise(stored, wanted, lambda: next(ids))
    assert [(s.action, s.target, s.valid_from, s.successor or s.next_id) for s in steps] == [
        ("update", "x", "2024-03-01", None),  # split where the new version n1 begins (x ends there)
        ("close", "y", "2024-08-01", "n1")]  # retracted (never valid), replaced by n1
    assert rules.revise(wanted, [v(w.valid_from, w.valid_until, w.content) for w in wanted], lambda: "z") == []


# -- the CLI, offline: any order of files, several formats --------------------------------------------

def extract_all(cli, files, namespace="u/priya", *extra):
    for path in files:
        cli("extract", path, "-n", namespace, "--schema", SCHEMA, "--profile", *extra)


def profile_rows(cli, namespace="u/priya"):
    rows = cli.json("list", "-n", namespace, "--include-expired", "--limit", "1000")
    return [r for r in rows if r["kind"] == "user_profile"]


def assert_never_overlap(rows):
    spans = sorted((r["valid_from"], r["valid_until"]) for r in rows
                   if r["valid_until"] is None or r["valid_until"] > r["valid_from"])
    for (_, until), (start, _) in zip(spans, spans[1:]):
        assert until is not None and until <= start, spans


def orders(files, count):
    all_orders = list(itertools.permutations(files))
    chosen = [tuple(files), tuple(reversed(files))]
    chosen += random.Random(23).sample([o for o in all_orders if o not in chosen], count - 2)
    return chosen


def test_same_current_profile_and_one_profile_as_of_whatever_the_file_order(cli_for, tmp_path):
    files = story(tmp_path / "story")
    for n, order in enumerate(orders(files, 6)):
        cli = cli_for(tmp_path / f"order{n}.db")
        extract_all(cli, order)
        [current] = cli.json("show-profile", "-n", "u/priya")
        assert current["content"] == CURRENT, [p.name for p in order]
        assert [d["content"] for d in cli.json("show-profile", "-n", "u/priya", "--as-of", "2024-02-15")] == [FEBRUARY]
        [june] = cli.json("show-profile", "-n", "u/priya", "--as-of", "2024-07-01")
        assert "vegetarian" not in june["content"]["food_preferences"] and june["content"]["city"] == "Lisbon"
        assert_never_overlap(profile_rows(cli))


def test_newest_first_in_one_command_keeps_every_field(cli, tmp_path):
    files = story(tmp_path / "story")
    cli("extract", *reversed(files), "-n", "u/priya", "--schema", SCHEMA, "--profile")
    [current] = cli.json("show-profile", "-n", "u/priya")
    assert current["content"] == CURRENT
    history = cli.json("show-profile", "-n", "u/priya", "--history")
    assert history  # every version is kept, none erased
    rows = profile_rows(cli)
    assert_never_overlap(rows)
    retracted = [r for r in rows if r["valid_until"] == r["valid_from"]]
    assert retracted and all(r["superseded_by"] for r in retracted)  # replaced, pointing to what replaced it


def test_rerun_and_restatement_add_nothing(cli, tmp_path):
    files = story(tmp_path / "story")
    extract_all(cli, files)
    before = profile_rows(cli)
    extract_all(cli, files, "u/priya", "--force")
    assert profile_rows(cli) == before


def test_a_hand_edit_counts_as_said_when_made(cli, tmp_path):
    files = story(tmp_path / "story")
    extract_all(cli, files[:3])
    cli("edit-profile", "-n", "u/priya", "--schema", SCHEMA, "--set", "answer_style=long answers")
    extract_all(cli, files[3:])
    [current] = cli.json("show-profile", "-n", "u/priya")
    assert current["content"]["answer_style"] == "long answers"
    assert current["content"]["job"] == CURRENT["job"]


# -- with a model: its proposals obey the same time rules ---------------------------------------------

def reply(profile):
    return json.dumps({"changed": True, "profile": profile})


def test_model_proposals_newest_first_obey_time(cli, fake, tmp_path):
    jan, mar, jun, aug = story(tmp_path / "story")
    fake.replies.extend([
        reply({"job": "a freelance data consultant"}),  # August, read first
        reply({"city": "Lisbon", "job": "a freelance data consultant"}),  # March
        # January: the model rewrites the job with the older one and leaves out the city
        reply({"name": "Priya", "city": "Berlin", "job": "a data engineer at a fintech called Kontora", "pets": ["Miso"],
               "food_preferences": ["vegetarian", "allergic to peanuts"], "answer_style": "short answers with bullet points"}),
        # June: the model drops the pets too (nobody said so) and the diet (she did)
        reply({"name": "Priya", "city": "Lisbon", "job": "a freelance data consultant",
               "food_preferences": ["allergic to peanuts"], "answer_style": "short answers with bullet points"}),
    ])
    for path in (aug, mar, jan, jun):
        cli("extract", path, "-n", "u/priya", "--schema", SCHEMA, "--profile", *FAKE)
    [current] = cli.json("show-profile", "-n", "u/priya")
    assert current["content"] == CURRENT
    [feb] = cli.json("show-profile", "-n", "u/priya", "--as-of", "2024-02-15")
    assert feb["content"] == FEBRUARY
    assert_never_overlap(profile_rows(cli))


def test_model_value_nobody_said_is_refused(cli, fake, tmp_path):
    jan = story(tmp_path / "story")[0]
    fake.replies.extend([reply({"name": "Priya", "city": "Madrid"})])
    cli("extract", jan, "-n", "u/p", "--schema", SCHEMA, "--profile", *FAKE)
    [current] = cli.json("show-profile", "-n", "u/p")
    assert current["content"] == {"name": "Priya"}


def test_model_dropping_a_value_nobody_negated_keeps_it(cli, fake, tmp_path):
    jan = story(tmp_path / "story")[0]
    later = tmp_path / "later.jsonl"
    later.write_text(json.dumps({"role": "user", "content": "Miso is asleep on the sofa again, and I'm still vegetarian.",
                                 "timestamp": "2024-09-01T10:00:00Z"}) + "\n")
    fake.replies.extend([reply({"name": "Priya", "pets": ["Miso"], "food_preferences": ["vegetarian"]}),
                         reply({"name": "Priya", "pets": [], "food_preferences": []})])  # drops both: nobody said so
    cli("extract", jan, "-n", "u/p", "--schema", SCHEMA, "--profile", *FAKE)
    cli("extract", later, "-n", "u/p", "--schema", SCHEMA, "--profile", *FAKE)
    [current] = cli.json("show-profile", "-n", "u/p")
    assert current["content"] == {"name": "Priya", "pets": ["Miso"], "food_preferences": ["vegetarian"]}


def test_out_of_order_profile_on_every_backend(backend_db, tmp_path):
    from conftest import Cli

    b = Cli(backend_db)
    b.env["LANGMEM_DB"] = backend_db
    jan, mar, jun, aug = story(tmp_path / "story")
    extract_all(b, [jun, aug, jan, mar])
    [current] = b.json("show-profile", "-n", "u/priya")
    assert current["content"] == CURRENT
    assert [d["content"] for d in b.json("show-profile", "-n", "u/priya", "--as-of", "2024-02-15")] == [FEBRUARY]
    assert_never_overlap(profile_rows(b))


def test_two_statements_in_one_sentence_apply_in_the_text_order():
    conversation = Conversation([Message("user", "I used to live in Berlin, but now I live in Lisbon.",
                                         timestamp="2024-05-01T10:00:00")], source="t")
    log = [rules.Observation(s.candidate.field, s.op, s.candidate.content, "2024-05-01T10:00:00+00:00", (s.message, s.position))
           for s in rules.profile_fields(conversation, PROPERTIES)]
    assert rules.fold(rules.merge_log([], log), PROPERTIES) == {"city": "Lisbon"}
    assert rules.fold(rules.merge_log([], list(reversed(log))), PROPERTIES) == {"city": "Lisbon"}


def test_conversations_without_timestamps_keep_file_order(cli, tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(json.dumps({"role": "user", "content": "I live in Oslo."}) + "\n")
    second.write_text(json.dumps({"role": "user", "content": "I live in Bergen."}) + "\n")
    extract_all(cli, [first, second], "u/n")
    assert cli.json("show-profile", "-n", "u/n")[0]["content"] == {"city": "Bergen"}
    extract_all(cli, [second, first], "u/m")
    assert cli.json("show-profile", "-n", "u/m")[0]["content"] == {"city": "Oslo"}


def test_each_statement_is_kept_once_and_versions_cite_only_their_own_values(cli, tmp_path):
    files = story(tmp_path / "story")
    extract_all(cli, list(reversed(files)))
    rows = profile_rows(cli)
    kept = [json.dumps({k: o[k] for k in ("field", "op", "value", "at", "order")}, sort_keys=True)
            for r in rows for o in r["metadata"].get("observations") or []]
    assert kept and len(kept) == len(set(kept))  # stored once: the profile does not grow with its square
    [current] = [r for r in rows if r["valid_until"] is None]
    cited = {(e["field"], e["quote"]) for e in current["metadata"]["evidence"]}
    assert {f for f, _ in cited} == set(CURRENT)
    assert [q for f, q in cited if f == "food_preferences"] == ["I'm allergic to peanuts"]  # not the diet she left


def test_show_profile_as_of_gives_one_profile_even_for_old_overlapping_rows(cli, store):
    store.put("u/old", {"city": "Berlin"}, kind="profile", metadata={"profile": True}, valid_from="2024-01-01")
    store.put("u/old", {"city": "Lisbon"}, kind="profile", metadata={"profile": True}, valid_from="2024-02-01")
    assert [d["content"] for d in cli.json("show-profile", "-n", "u/old", "--as-of", "2024-02-15")] == [{"city": "Lisbon"}]
    assert [d["content"] for d in cli.json("show-profile", "-n", "u/old", "--as-of", "2024-01-15")] == [{"city": "Berlin"}]


def test_revise_reaches_the_wanted_versions_from_any_history():
    """Statements arrive in random batches; after each, the steps ``revise`` asks for (applied as
    the store applies them: a close ends a row, an insert adds one) leave exactly the wanted
    versions among the rows that hold, and no row is ever removed."""
    rng = random.Random(5)
    values = {"city": ["Berlin", "Lisbon", "Oslo"], "pets": ["Miso", "Rex"]}
    for trial in range(400):
        statements = []
        for n in range(rng.randint(1, 9)):
            field = rng.choice(list(values))
            op = rng.choice(["remove", "add" if field == "pets" else "set"])
            statements.append(obs(field, op, rng.choice(values[field]), f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}", n))
        rng.shuffle(statements)
        rows: dict[str, list] = {}  # id -> [from, until, content]
        log: list = []
        ids = itertools.count()
        while statements:
            batch = [statements.pop(0) for _ in range(min(len(statements), rng.randint(1, 3)))]
            log = rules.merge_log(log, batch)
            wanted = rules.versions(log, PROPERTIES)
            held = [rules.Version(f, u, c, i) for i, (f, u, c) in rows.items() if u is None or u > f]
            before = set(rows)
            for step in rules.revise(held, wanted, lambda: f"r{next(ids)}"):
                if step.action in ("close", "update"):
                    row = rows[step.target]
                    assert row[1] is None or step.valid_from < row[1] or step.valid_from == row[1]
                    row[1] = step.valid_from
                if step.action in ("insert", "update"):
                    v = step.version
                    rows[v.id] = [v.valid_from, v.valid_until, v.content]
            assert before <= set(rows)  # nothing removed
            now_held = sorted((f, u, json.dumps(c, sort_keys=True)) for f, u, c in rows.values() if u is None or u > f)
            assert now_held == [(v.valid_from, v.valid_until, json.dumps(v.content, sort_keys=True)) for v in wanted], trial


def test_revise_retracts_a_version_whose_value_was_said_removed_at_its_start():
    v = rules.Version
    stored = [v("2024-01-01", "2024-02-01", {"city": "Berlin"}, "a"), v("2024-03-01", "2024-04-01", {"city": "Oslo"}, "b"),
              v("2024-05-01", None, {"city": "Rome"}, "c")]
    wanted = [v("2024-01-01", "2024-02-01", {"city": "Berlin"}), v("2024-05-01", None, {"city": "Rome"})]
    steps = rules.revise(stored, wanted, lambda: "n")
    assert ("close", "b", "2024-03-01") in [(s.action, s.target, s.valid_from) for s in steps]
