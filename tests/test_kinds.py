"""Issue 23: a thing named by its make ("owns a Volvo") is replaced by another thing of the same kind
told with a cue ("upgraded to a Skoda"); the kind of a name is read by the embedder among kinds of
things and other kinds of names (the real MiniLM for the kinds, readings given kinds for the rule)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from langmem_cli.core import updates

NAMES = frozenset({"dana"})


def reading(text: str, kinds: dict[str, str]) -> updates.Reading:
    found = updates.read(text, NAMES)
    return dataclasses.replace(found, kinds=frozenset((n, k) for n, k in kinds.items() if n in
                                                     {t.lower() for t in found.things}))


def relation(older: str, newer: str, kinds: dict[str, str], cosine: float = 0.3) -> str | None:
    return updates.relation(older, newer, cosine, readings=(reading(older, kinds), reading(newer, kinds)))


CARS = {"volvo": "a car", "skoda": "a car", "toyota": "a car", "tesla": "a car", "nokia": "a phone"}


@pytest.mark.parametrize("older, newer", [
    ("Dana owns a Volvo.", "Dana upgraded to a Skoda."),
    ("Dana says we have a Volvo for the weekends.", "Dana upgraded to a Skoda."),
    ("Dana gets around in their Toyota.", "Gone, Dana drives a Tesla now."),
])
def test_another_thing_of_the_same_kind_told_with_a_cue_replaces_it(older, newer):
    assert relation(older, newer, CARS) == updates.CHANGES


@pytest.mark.parametrize("older, newer", [
    ("Dana's phone is a Nokia.", "Dana upgraded to a Skoda."),  # a phone is no car
    ("Dana owns a Volvo.", "Dana test-drove a Skoda at the fair."),  # no cue of change
    ("Dana owns a Volvo.", "Dana upgraded to a Skoda but kept the Volvo."),  # the earlier thing said again
])
def test_no_replacement_without_one_kind_a_cue_and_the_old_thing_left(older, newer):
    assert relation(older, newer, CARS) is None


def test_without_kinds_the_rule_is_silent():
    assert relation("Dana owns a Volvo.", "Dana upgraded to a Skoda.", {}) is None


@pytest.mark.parametrize("text, things", [
    ("Dana owns a Volvo.", {"Volvo"}),
    ("Dana's phone is their old Nokia.", {"Nokia"}),
    ("Dana works at Tesla.", set()),  # a firm named alone is no thing of theirs
    ("Dana went to the Louvre in May.", {"Louvre"}),
])
def test_things_are_names_after_a_determiner(text, things):
    assert updates.read(text, NAMES).things == things


@pytest.mark.model
def test_minilm_reads_makes_as_kinds_of_things_and_places_as_none(model_env):
    from langmem_cli.embed.embedders import get_embedder
    from langmem_cli.jobs.updates import _kind_names

    kinds = _kind_names(get_embedder(), {"Volvo", "Skoda", "Tesla", "Nokia", "Fairphone", "Lisbon", "Nadia", "Kontora",
                                          "Microsoft", "Netflix"})
    assert kinds["Volvo"] == kinds["Skoda"] == kinds["Tesla"] == "a car"
    assert kinds["Nokia"] == kinds["Fairphone"] == "a phone"
    assert kinds["Lisbon"] is None and kinds["Nadia"] is None and kinds["Kontora"] is None
    # near a kind of thing but as near or nearer another kind of name (software, a film): none
    assert kinds["Microsoft"] is None and kinds["Netflix"] is None


@pytest.mark.model
@pytest.mark.parametrize("newest_first", [False, True])
def test_extract_replaces_the_car_in_any_file_order(model_env, cli, tmp_path, newest_first):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(json.dumps({"messages": [
        {"role": "user", "content": "I'm Dana. I own a Volvo. My phone is a Nokia.",
         "timestamp": "2024-01-10T10:00:00Z"}]}) + "\n")
    second.write_text(json.dumps({"messages": [
        {"role": "user", "content": "I upgraded to a Skoda.", "timestamp": "2024-06-02T10:00:00Z"}]}) + "\n")
    env = {"LANGMEM_EMBEDDING_MODEL": "all-MiniLM-L6-v2"}
    for path in ([second, first] if newest_first else [first, second]):
        cli("extract", path, "-n", "t", env=env)
    current = [m["text"] for m in cli.json("list", "-n", "t", env=env)]
    assert any("Skoda" in text for text in current)
    assert not any("Volvo" in text for text in current), current
    assert any("Nokia" in text for text in current), current


@pytest.mark.parametrize("older, newer", [
    ("Dana's employer is Corvid.", "Turns out Norvex pays better than Corvid, Dana made the jump."),
    ("Dana is a big fan of MySQL.", "PostgreSQL is Dana's main tool now; they uninstalled MySQL."),
    ("Dana says our stack is built on React.", "Dana says we dumped React; the app runs on Svelte."),
    ("Dana plays tennis every Sunday.", "Dana lost interest in tennis; now it's bouldering every Saturday."),
    ("Coffee gets Dana going in the morning.", "Dana kicked the coffee habit, they have green tea instead."),
])
def test_idioms_of_leaving_end_what_they_name(older, newer):
    assert updates.relation(older, newer, 0.3, readings=(updates.read(older, NAMES), updates.read(newer, NAMES))) \
        == updates.CHANGES


def test_kicking_a_habit_says_what_instead_replaces():
    from langmem_cli.core.statements import dangling

    assert not dangling("I kicked the coffee habit, I have green tea instead.")
    assert dangling("I have green tea instead.")


def test_a_bag_of_words_embedder_reads_no_kinds(embedder):
    from langmem_cli.jobs.updates import _kind_names

    assert _kind_names(embedder, {"Volvo", "Car"}) == {"Volvo": None, "Car": None}


def test_the_pronoun_of_a_relative_clause_is_its_antecedents():
    # "their jobs" are the folks', not John's: no job of John's is said, so no job of theirs changes
    assert "work" not in updates.read("Dana started helping out with a food drive for folks who lost their jobs.",
                                      NAMES).primary
    assert "work" in updates.read("Dana, who lost their job, moved to Lyon.", NAMES).primary


def test_a_beginning_in_a_when_clause_tells_no_new_state():
    assert not updates.read("Dana likes the language, it's much easier when they took French in high school.",
                            NAMES).cue
    assert updates.read("Dana took up pottery.", NAMES).cue


def test_helping_folks_who_lost_their_jobs_closes_no_job():
    older, newer = "Dana's employer is Kontora.", "Dana started helping out with a food drive for folks who lost their jobs."
    assert updates.relation(older, newer, 0.45, readings=(updates.read(older, NAMES), updates.read(newer, NAMES))) is None


@pytest.mark.parametrize("text, home", [
    ("This necklace is special to Dana - a gift from their grandma in their home country, Sweden.", False),
    ("Dana moved back to their home country.", True),  # the move says it
    ("Dana lives in Sweden, their home country.", True),
])
def test_a_home_country_is_where_one_comes_from(text, home):
    assert ("home" in updates.read(text, NAMES).primary) == home


@pytest.mark.model
def test_offline_consolidate_replaces_the_car_among_stored_memories(model_env, cli):
    env = {"LANGMEM_EMBEDDING_MODEL": "all-MiniLM-L6-v2"}
    cli("put", "Dana owns a Volvo.", "-n", "t", "--valid-from", "2024-01-10", env=env)
    cli("put", "Dana's phone is a Nokia.", "-n", "t", "--valid-from", "2024-01-10", env=env)
    cli("put", "Dana upgraded to a Skoda.", "-n", "t", "--valid-from", "2024-06-02", env=env)
    cli("consolidate", "-n", "t", env=env)
    current = [m["text"] for m in cli.json("list", "-n", "t", env=env)]
    assert "Dana upgraded to a Skoda." in current and "Dana's phone is a Nokia." in current
    assert "Dana owns a Volvo." not in current, current


def test_a_make_of_another_kind_is_no_new_value():
    older, newer = "Dana's phone is a Nokia.", "Dana upgraded to a Skoda."
    assert relation(older, newer, CARS, cosine=0.45) is None
    # without kinds the names alone ("a Nokia", "a Skoda") still read as two makes
    assert relation(older, newer, {}, cosine=0.45) == updates.CHANGES
