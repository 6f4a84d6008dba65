"""Update recall on registers the earlier rules missed (issue 23, helper "recall7"): chat that drops
the speaker ("switched to matcha"), writes "i", answers the assistant's question with a bare phrase;
changes told by a verb of changing over to a new value, a thing of the person's with another name,
a verb of beginning with "from X", idioms of an ending; and the pairs these rules must leave alone."""

from __future__ import annotations

import pytest

from langmem_cli.core import updates
from langmem_cli.core.conversation import Conversation, Message
from langmem_cli.core.grounding import check
from langmem_cli.core.statements import as_answer, statements, with_speaker

NAMES = frozenset({"dana", "kim", "the user"})


def verdict(older: str, newer: str, cosine: float) -> str | None:
    reading = (updates.read(older, NAMES), updates.read(newer, NAMES))
    return updates.relation(older, newer, cosine, readings=reading)


def said(*turns: tuple[str, str]) -> list[str]:
    conversation = Conversation([Message(role, text) for role, text in turns], {"user_name": "Dana"}, "s")
    return [c.text for c in statements(conversation)]


# -- statements: the speaker chat leaves implicit -----------------------------------------------------

def test_a_lower_case_i_is_the_speaker():
    assert said(("user", "i take the train to work now, done with the car")) == \
        ["Dana takes the train to work now, done with the car."]


@pytest.mark.parametrize("sentence, expected", [
    ("switched to matcha in the mornings", "Dana switched to matcha in the mornings."),
    ("sold the Volvo, got a Skoda", "Dana sold the Volvo, got a Skoda."),
    # a verb whose past is its base form is past when the next clause opens with a past form
    ("quit Low Tide, joined Marigold", "Dana quit Low Tide, joined Marigold."),
])
def test_a_sentence_opening_with_a_past_form_has_the_speaker_for_subject(sentence, expected):
    assert said(("user", sentence)) == [expected]


@pytest.mark.parametrize("sentence", [
    "Make it shorter, added a test",  # an instruction to the assistant stays one
    "Sounds good",  # a present form is no subject drop
    "Broke my arm skiing",  # "broke" is an adjective too: not only a past form
])
def test_no_speaker_is_added_where_the_sentence_does_not_drop_one(sentence):
    assert with_speaker(sentence) == (sentence, False)


# -- statements: a bare answer to the assistant's question ---------------------------------------------

def test_a_bare_answer_is_read_with_the_question_it_answers():
    kept = said(("assistant", "Good to hear. Where do you live these days?"),
                ("user", "Madrid, since the move in April."))
    assert kept == ["Where Dana lives these days is Madrid, since the move in April."]
    kept = said(("assistant", "Which phone do you have now?"), ("user", "The Fairphone."))
    assert kept == ["Which phone Dana has now is the Fairphone."]
    assert said(("assistant", "What's your position now?"), ("user", "Architect since the reorg.")) == \
        ["Dana's position now is Architect since the reorg."]


def test_the_answer_passes_the_evidence_gate_on_the_person_s_own_words():
    conversation = Conversation([Message("assistant", "Where do you live these days?"),
                                 Message("user", "Madrid, since the move in April.")], {"user_name": "Dana"}, "s")
    verdict_ = check(statements(conversation), conversation)
    assert len(verdict_.accepted) == 1 and not verdict_.rejected
    candidate, evidence = verdict_.accepted[0]
    assert candidate.quotes == ["Madrid, since the move in April."]
    assert (evidence[0]["role"], evidence[0]["message"]) == ("user", 1)  # the answer, not the question


@pytest.mark.parametrize("question, answer", [
    ("Where do you live these days?", "I live in Oslo."),  # a sentence of its own needs no frame
    ("Still on coffee?", "Green tea now."),  # no question this reads (not a wh-question about "you")
    ("Where does Kim live?", "Oslo."),  # about someone else
])
def test_what_is_no_bare_answer_keeps_its_own_reading(question, answer):
    assert as_answer(question, answer) is None


# -- update detection ------------------------------------------------------------------------------

def test_only_its_own_clause_stands_before_a_verb_of_change():
    newer = "Dana says we finally did it, moved out of Seattle and into a place in Lisbon."
    assert updates.read(newer, NAMES).cue  # "it" is the object of "did", not the subject of "moved"
    assert verdict("Dana is based in Seattle.", newer, 0.5) == updates.CHANGES
    assert not updates.read("Dana says the app lets you move files.", NAMES).cue


@pytest.mark.parametrize("older, newer", [
    ("Dana's boyfriend is Noah.", "Dana broke up with Noah, seeing Elif now."),
    ("On weekends Dana is usually doing tennis.", "Bouldering has taken over Dana's life, tennis faded out."),
])
def test_idioms_of_an_ending_name_what_ended(older, newer):
    assert updates.read(newer, NAMES).ends
    assert verdict(older, newer, 0.4) == updates.CHANGES


def test_a_couple_is_a_partner_but_a_couple_of_weeks_is_not():
    assert updates.read("Since the summer Elif and Dana are a couple.", NAMES).primary == {"partner"}
    assert verdict("Dana's boyfriend is Noah.", "Since the summer Elif and Dana are a couple.", 0.3) == updates.CHANGES
    assert "partner" not in updates.read("Dana stayed in Lyon for a couple of weeks.", NAMES).families


def test_they_after_the_person_names_their_title():
    assert verdict("Dana's title is developer.", "Dana got promoted, they are architect now.", 0.5) == updates.CHANGES
    # "they" is the person only when the statement opens with them
    assert verdict("Dana's title is developer.", "Kim told Dana they are architect now.", 0.5) is None
    assert verdict("Dana's title is developer.", "After the talk with Dana they are architect now.", 0.5) is None


def test_a_change_over_to_a_new_value_replaces_the_related_one():
    older, newer = "Dana drinks espresso every morning.", "Dana switched to matcha in the mornings."
    assert verdict(older, newer, 0.6) == updates.CHANGES
    assert verdict(older, newer, 0.3) is None  # statements the embedder does not relate
    assert verdict(older, newer, 0.45) is None  # a noun needs them related (a name of a make less)
    # a thing of a make for another one ("a Kia" / "a Honda"), less related
    assert verdict("Dana owns a Honda.", "Dana upgraded to a Kia.", 0.45) == updates.CHANGES
    assert verdict("Dana works at Google.", "Dana switched to a Mac.", 0.45) is None  # not of the same kind
    assert verdict("Dana owns a Honda.", "Dana switched to Kia.", 0.45) is None  # no article: no make told
    # the person must be the one who changed over; a light verb tells no change over
    assert verdict("Dana loves the theme.", "The art took Dana to that moment.", 0.6) is None
    assert verdict("Dana drinks espresso every morning.", "Kim switched to matcha in the mornings.", 0.6) is None
    assert verdict("Dana drinks espresso every morning.", "Dana's office switched to matcha in the mornings.", 0.6) is None
    assert verdict("Dana drives a Honda.", "Dana took the kids to a Kia dealer.", 0.45) is None


def test_a_thing_of_the_person_s_with_another_name():
    older = "Dana plays bass in a band called Low Tide."
    assert verdict(older, "Dana's band these days is Marigold.", 0.3) == updates.CHANGES
    assert verdict(older, "Dana's band these days is Low Tide.", 0.3) != updates.CHANGES  # the same name
    assert verdict(older, "Dana's band these days is great.", 0.3) is None  # no name: no value told
    # no name given for the thing: nothing replaced
    assert verdict("Store's going well, so Dana can offer the best pieces to Kim.",
                   "Growing Dana's customer base is the main focus right now.", 0.7) is None


def test_a_verb_of_beginning_with_from_names_what_was_left():
    older = "Dana is employed at Orbis as a designer."
    assert verdict(older, "Norvex poached Dana from Orbis.", 0.45) == updates.CHANGES
    assert verdict("Dana studies at Imperial.", "At Edinburgh, Dana transferred from Imperial.", 0.3) == updates.CHANGES
    assert verdict("Dana works at Orbis.", "Dana got a gift from Orbis.", 0.5) is None  # a light verb: where it came from
    assert verdict("Dana works at Orbis.", "Dana took a cab from Orbis to the airport.", 0.5) is None


def test_a_shared_frame_holds_a_thing_not_only_a_quality():
    assert verdict("Dana picked up new skills.", "Dana is starting some big new things too!", 0.7) is None
    assert verdict("Dana has espresso with breakfast.", "Dana has matcha with breakfast now.", 0.7) == updates.CHANGES


def test_a_long_sentence_keeps_the_part_that_says_most():
    rambling = ("It's been a long few weeks honestly, lots of paperwork and farewell drinks, but the short version "
                "is that I said goodbye to Norvex and I'm now working at Helio Labs, which is closer to home.")
    (kept,) = said(("user", rambling))
    assert "Helio Labs" in kept and "Norvex" in kept
    # when no later part says more, the start is kept as before
    plain = ("We walked along the river for hours, talking about everything and nothing, and the light over the "
             "water was lovely, and the evening was warm and calm and quiet.")
    assert said(("user", plain))[0].startswith("Dana says we walked along the river for hours")
