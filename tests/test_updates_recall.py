"""Update detection on ways of telling a change the first rules missed (issue 23, helper "recall"):
a possessive's noun past its adjectives, another name in the earlier one's place, a comparison with
the earlier value, "X says we …", short statements of the speaker's own things; and the pairs these
rules must leave alone."""

from __future__ import annotations

import pytest

from langmem_cli.core import updates
from langmem_cli.core.statements import worth_keeping

NAMES = frozenset({"dana", "kim", "the user"})


def verdict(older: str, newer: str, cosine: float) -> str | None:
    reading = (updates.read(older, NAMES), updates.read(newer, NAMES))
    return updates.relation(older, newer, cosine, readings=reading)


def test_a_possessive_states_its_noun_past_the_adjectives():
    assert updates.read("Dana's new bike is a Cannondale.", NAMES).primary == {"commute"}
    assert updates.read("Dana's old car is a Saab.", NAMES).primary == {"commute"}
    assert verdict("Dana drives a Saab.", "Dana's new car is a Lancia.", 0.5) == updates.CHANGES


def test_the_earlier_name_in_its_own_clause_beside_a_new_one_is_a_change():
    older = "Dana's employer is Marlowe."
    newer = "Marlowe and Dana went separate ways, they begin at Quillon next week."
    assert verdict(older, newer, 0.6) == updates.CHANGES
    assert verdict(older, newer, 0.4) is None  # statements the embedder does not relate


def test_the_earlier_name_after_than_is_a_change():
    older = "Dana's employer is Marlowe."
    assert verdict(older, "Quillon treats people better than Marlowe, so Dana took the offer.", 0.6) == updates.CHANGES


def test_the_same_attribute_with_a_new_name_and_a_cue_whatever_the_cosine():
    # a trip holds many values, but a new name for the same plan of the person with a cue is a change
    older = "Dana says we've booked a cabin in Lapland for the winter."
    newer = "Dana says the winter trip is now to Madeira."
    assert verdict(older, newer, 0.3) == updates.CHANGES


def test_what_dana_says_we_do_is_dana_s_attribute():
    assert updates.read("Dana says we ended up with a house in Ghent.", NAMES).primary == {"home"}
    assert verdict("Dana's flat is in Bruges.", "Dana says we ended up with a house in Ghent.", 0.3) == updates.CHANGES


@pytest.mark.parametrize("older, newer, cosine", [
    # one clause naming a shared word and a new one: one thing with its name, not two states
    ("Dana went to a LGBTQ support group in May and it was powerful.",
     "Dana joined a new LGBTQ activist group last Tues.", 0.6),
    # a capital that starts the sentence is no name ("Seven years now")
    ("Dana says \"Summer Sounds\"- the band played a pop song that got everyone dancing.",
     "Seven years now, and Dana has finally found their hobby: painting and pottery.", 0.4),
    # a name that holds an attribute's word ("Fly.io") states no such attribute (no trip)
    ("Dana says we're flying to Bali in October.", "Dana is now on Fly.io for the side project.", 0.3),
])
def test_pairs_the_new_rules_leave_alone(older, newer, cosine):
    assert verdict(older, newer, cosine) is None


@pytest.mark.parametrize("sentence, kept", [
    ("I'm really into archery.", True),
    ("I love sailing boats.", True),
    ("I'm seeing Morgan.", True),
    ("I love it.", False),
    ("I'm so tired.", False),
    ("I'm a mess.", False),
    ("I miss you.", False),
])
def test_a_short_statement_of_the_speaker_s_own_thing_is_kept(sentence, kept):
    assert worth_keeping(sentence) is kept


def test_from_one_value_to_another_is_a_cue_of_change():
    assert updates.read("Dana got promoted from clerk to auditor.", NAMES).cue
    assert not updates.read("Dana works from 9 to 5.", NAMES).cue
    assert not updates.read("Dana reads novels from time to time.", NAMES).cue
    assert verdict("Dana works as a clerk.", "Dana got promoted from clerk to auditor.", 0.5) == updates.CHANGES
    assert not updates.read("Dana teaches all kinds of dances, from tango to salsa.", NAMES).cue  # a range


def test_a_head_is_read_by_its_lemma_when_its_stem_differs():
    # "studies" stems to "stud", its lemma "study" is a head of the school family
    assert updates.read("Dana studies law at Coimbra.", NAMES).primary == {"school"}
    assert verdict("Dana studies law at Coimbra.", "Dana is finishing their law degree at Porto now.", 0.4) == updates.CHANGES
