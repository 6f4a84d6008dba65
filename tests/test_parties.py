"""Issue 23: endings told of two parties ("Noah and I split up", "Kontora and I parted ways"), a
couple told as "together", a partner named beside the word ("my partner Jordan"), and a clause that
introduces what follows ("we rebooked: Egypt") read as no speaker's label; a "final day at" is a
last day."""

from __future__ import annotations

import json

import pytest

from langmem_cli.core import updates
from langmem_cli.core.statements import third_person

NAMES = frozenset({"dana"})


def changes(older: str, newer: str, cosine: float = 0.4) -> str | None:
    return updates.relation(older, newer, cosine, readings=(updates.read(older, NAMES), updates.read(newer, NAMES)))


@pytest.mark.parametrize("older, newer", [
    ("Dana's partner Jordan lives with them.", "Jordan and Dana split up; they are dating Robin since spring."),
    ("Dana's employer is Kontora.", "Kontora and Dana parted ways, they start at Stellar Freight on Monday."),
    ("Noah and Dana have been together since college.", "Since the summer Elif and Dana are a couple."),
    ("Dana is dating Noah.", "Dana split up with Noah in the spring."),
    ("Lumen Health pays Dana's salary.", "Friday was Dana's final day at Lumen Health; Monday they start at Corvid."),
])
def test_an_ending_of_two_parties_closes_what_one_of_them_was_to_the_person(older, newer):
    assert changes(older, newer) == updates.CHANGES


@pytest.mark.parametrize("older, newer", [
    # the other party of the ending is not what the earlier statement held
    ("Dana's employer is Kontora.", "Orbis and Dana parted ways, they start at Stellar Freight on Monday."),
    # working together on something is no couple
    ("Noah and Dana are together on the new project.", "Since the summer Elif and Dana are a couple."),
    ("Dana is dating Noah.", "Dana and Mira split the bill."),
])
def test_no_ending_of_what_the_earlier_statement_held_closes_nothing(older, newer):
    assert changes(older, newer) is None


def test_a_partner_named_beside_the_word_is_a_fact_of_the_person():
    assert updates.read("Dana's partner Jordan lives with them.", NAMES).subject == "dana"
    assert updates.read("Dana's sister lives in Porto.", NAMES).subject == "dana's sister"


def test_split_keeps_its_past_in_the_third_person():
    assert third_person("I split up with Noah in the spring.", "Dana") == "Dana split up with Noah in the spring."


def test_a_clause_before_a_colon_is_no_speakers_label():
    assert updates.read("Dana says we rebooked: Egypt in August.", NAMES).subject == "dana"
    assert updates.read("Caroline: I moved to Lyon.", frozenset({"caroline"})).proper == {"lyon"}


@pytest.mark.parametrize("newest_first", [False, True])
def test_extract_closes_the_partner_in_any_file_order(cli, tmp_path, newest_first):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(json.dumps({"messages": [
        {"role": "user", "content": "I'm Dana. My partner Jordan lives with me.", "timestamp": "2024-01-10T10:00:00Z"}]}) + "\n")
    second.write_text(json.dumps({"messages": [
        {"role": "user", "content": "Jordan and I split up; I'm dating Robin since spring.",
         "timestamp": "2024-06-02T10:00:00Z"}]}) + "\n")
    for path in ([second, first] if newest_first else [first, second]):
        cli("extract", path, "-n", "t")
    current = [m["text"] for m in cli.json("list", "-n", "t")]
    assert any("Robin" in text for text in current)
    assert not any("lives with" in text for text in current), current


@pytest.mark.parametrize("text, family", [
    ("Being vegan didn't work for Dana, they eat fish now.", "diet"),  # "work for Dana" states no job
    ("Dana is a student at Uppsala.", "school"),  # a student at a place is at school, not employed there
])
def test_no_job_is_read_where_none_is_said(text, family):
    primary = updates.read(text, NAMES).primary
    assert family in primary and "work" not in primary


def test_a_promotion_closes_no_diet_and_no_school():
    newer = "Dana got promoted from cashier to supervisor."
    for older in ("Being vegan didn't work for Dana, they eat fish now.", "Dana is a student at Uppsala."):
        assert changes(older, newer, 0.25) is None


@pytest.mark.parametrize("text", ["Dana says all that hard work will get noticed.",
                                  "It made Dana think how much work we still have to do."])
def test_work_as_effort_is_no_job(text):
    assert "work" not in updates.read(text, NAMES).primary


def test_work_at_a_place_stays_a_job():
    assert "work" in updates.read("Dana does good work at Kontora.", NAMES).families
