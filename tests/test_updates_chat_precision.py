"""Talk that changes nothing closes nothing (issue 23, precision on ordinary chat; issue 24: a fact
closed by mistake is an answer lost). Three structures that are not a change: a verb that leaves
its object in a state ("leaving us speechless"), an action the person "got to" do, and a title in
quotes whose words look like an attribute's ("Home Alone"). Each with the change it must still see."""

from __future__ import annotations

import pytest

from langmem_cli.core import updates

NAMES = frozenset({"tim", "john"})


def verdict(older: str, newer: str, cosine: float) -> str | None:
    return updates.relation(older, newer, cosine, readings=(updates.read(older, NAMES), updates.read(newer, NAMES)))


def test_a_verb_that_leaves_its_object_in_a_state_ends_nothing():
    older = ("Tim had a huge writing issue - got stuck on a plot twist and couldn't find their way out; "
             "it was crazy frustrating.")
    assert verdict(older, "Tim says nature sure has a way of leaving us speechless.", 0.44) is None
    assert not updates.read("Tim says the concert left them speechless.", NAMES).ends
    # leaving a place, a band, a job, or someone behind still ends it
    assert updates.read("Tim is leaving the band.", NAMES).ends
    assert updates.read("Tim left them behind in Leeds.", NAMES).ends
    assert verdict("Tim plays guitar in a band called Echo.", "Tim left Echo in May.", 0.5) == updates.CHANGES


def test_an_action_the_person_got_to_do_is_done_not_a_job():
    older = "John got to volunteer at a career fair at a local school."
    assert verdict(older, "John is enjoying their new job.", 0.6) is None
    assert updates.read(older, NAMES).event
    # a job is still ended by a new one
    assert verdict("John works as a teacher at a local school.", "John is enjoying their new job.", 0.6) == updates.CHANGES


def test_a_quoted_title_is_a_name_not_an_attribute():
    older = 'Tim says we love "Home Alone" - it always brings lots of laughs!'
    newer = "Tim tried writing a story based on their experiences in the UK, but it didn't go the way they wanted."
    assert verdict(older, newer, 0.38) is None
    assert "home" not in updates.read(older, NAMES).primary
    # unquoted, "home" is where the person lives
    assert verdict("Tim's home is in Leeds.", "Tim's home is in York now.", 0.8) == updates.CHANGES


@pytest.mark.parametrize("text", ["Tim says we love “Home Alone” at Christmas.", "Tim says we love 'Home Alone' at Christmas."])
def test_other_quote_marks_open_a_title_too(text):
    assert "home" not in updates.read(text, NAMES).heads


def test_a_word_of_change_inside_a_noun_phrase_tells_no_change():
    names = frozenset({"jon", "dana", "caroline", "tomas"})
    # a noun of a compound ("Jon's dance moves"), the subject of a participle ("time changing our lives")
    for text in ("Many people there were complementing Jon's dance moves.",
                 "Caroline says it was made for a local church and shows time changing our lives."):
        reading = updates.read(text, names)
        assert not reading.cue and not reading.ends, text
    # the person's own change still is one, however it is told
    for text in ("Dana's family moved to Lisbon.", "Dana's family moves to Lisbon in May.", "Dana will start moving to Lisbon.",
                 "Dana keeps changing jobs.", "Tomas has joined Lumen Health, leaving Quanta behind."):
        assert updates.read(text, names).cue, text
    assert updates.read("Dana joined the new team, leaving her old job behind.", names).ends  # the comma: Dana leaves


def test_a_head_inside_a_hyphenated_word_is_no_attribute():
    assert not updates.read("Joanna enjoys dramas and emotionally-driven films.", frozenset({"joanna"})).heads
    assert updates.read("Joanna drives to work every day.", frozenset({"joanna"})).heads


def test_what_someone_will_never_forget_is_not_over():
    names = frozenset({"joanna"})
    newer = "Joanna will never forget seeing all of the characters they wrote being acted out."
    assert verdict("Joanna says seeing the smiles on everyone's faces when they try it is a total win!", newer, 0.54) is None
    assert not updates.read(newer, names).over
    # "forget X" alone still says X is over
    assert updates.read("Joanna says forget Trello, the team uses Linear now.", names).over


def test_time_words_and_stuff_are_no_shared_value():
    older = "John has been keeping busy since we last talked!"
    assert verdict(older, "Had a wild week, John's car broke down last Fri on their way to work.", 0.53) is None
    older = "It kills Maria to think about all the kids without the proper stuff they need."
    newer = "The week before 31 July 2023 Maria dropped off that stuff they baked at the homeless shelter."
    assert updates.relation(older, newer, 0.49, readings=(updates.read(older, frozenset({"maria"})),
                                                          updates.read(newer, frozenset({"maria"})))) is None


def test_a_cue_changes_the_attribute_it_is_said_of():
    names = frozenset({"tim", "marisol"})

    def v(older, newer, cosine):
        return updates.relation(older, newer, cosine, readings=(updates.read(older, names), updates.read(newer, names)))

    # the cue ("joined") is said of a club, the studies of another clause: no new studies
    assert v("Tim says busy with studies but finding time to relax with books - good balance.",
             "Joined a travel club and, like Tim said, working on studies.", 0.58) is None
    # in one clause with the attribute, or the end of something named, it changes it
    assert v("Tim studies history at York.", "Tim started studying law at Leeds.", 0.6) == updates.CHANGES
    assert v("Marisol works as a developer.", "Marisol signed a contract with Tidewell, so Orbis is behind her.", 0.3) \
        == updates.CHANGES


def test_what_is_still_to_come_and_moving_ahead_change_nothing():
    names = frozenset({"john", "joanna"})

    def v(older, newer, cosine):
        return updates.relation(older, newer, cosine, readings=(updates.read(older, names), updates.read(newer, names)))

    assert v("John will check it out.", "John hasn't read them yet but they will check them out.", 0.71) is None
    assert not updates.read("John hasn't read them yet.", names).denies
    assert updates.read("John hasn't read them.", names).denies  # without "yet", a denial
    assert v("Joanna went to Woodhaven, a small town in the Midwest.", "Joanna is gonna keep grinding and moving ahead.", 0.39) is None
    assert not updates.read("Joanna is gonna keep moving forward.", names).cue
    assert updates.read("Joanna is moving to Leeds.", names).cue


@pytest.mark.parametrize("text", ["On another note, Nate upgraded some of their equipment at home.",
                                  "Nate says it makes coming home after a long day of gaming better."])
def test_going_home_and_what_is_done_at_home_are_not_where_one_lives(text):
    assert "home" not in updates.read(text, frozenset({"nate"})).primary


@pytest.mark.parametrize("text", ["Nate is at home in Lisbon now.", "Nate lives at home with their parents.",
                                  "Nate moved back home to Porto."])
def test_living_at_home_still_is(text):
    assert "home" in updates.read(text, frozenset({"nate"})).primary


def test_what_a_doing_changes_is_not_the_persons_change():
    """A gerund phrase before the verb of change is its subject: "Incorporating strength training
    changed the game for John" ends nothing of John's (sixth session: 8 false closures on LoCoMo)."""
    newer = "Incorporating strength training changed the game for John, improving their shooting accuracy."
    assert not updates.read(newer, NAMES).ending_words
    assert verdict("John says here's a pic from a recent game.", newer, 0.42) is None
    # the person as the subject, or a change told by the gerund itself, still is one
    assert verdict("John plays in a weekend game with friends.", "John quit the weekend game in May.", 0.5) \
        == updates.CHANGES
    assert "kontor" in updates.read("Having finished school John left Kontora.", NAMES).ending_words
    assert "lisbon" in updates.read("Moving to Lisbon changed everything for John.", NAMES).words
    assert updates.read("Moving to Lisbon changed everything for John.", NAMES).cue


def test_things_exchanged_between_people_are_not_replaced():
    """ "Swap ideas", "exchanged stories": a verb of exchanging whose object is plural, with nothing
    it is exchanged for, ends nothing (sixth session: 3 false closures on LoCoMo)."""
    newer = "John says it was great to connect with like-minded folks and swap ideas."
    assert not updates.read(newer, NAMES).ends
    assert verdict("That gives John some new ideas and plans for our community!", newer, 0.5) is None
    assert not updates.read("Tim and Ana exchanged stories all night.", NAMES).cue
    # exchanged for something, or traded in, it is replaced
    assert "espres" in updates.read("John swapped espresso for matcha.", NAMES).ending_words
    assert updates.read("Tim traded the car in for a bike.", NAMES).ends
    assert updates.read("Tim swapped the bikes for a car.", NAMES).ends
