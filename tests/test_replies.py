"""A short answer keeps what was asked (issue 24: what `extract` keeps must answer later questions).
"The Minnesota Wolves!" says nothing alone and everything after "Which team did you sign with?":
the extractor keeps a bare answer read with the question it answers (quoted, with its evidence),
never a reaction, and such a memory changes no fact of the person's (issue 23)."""

from __future__ import annotations

import json

import pytest

from langmem_cli.core import statements as st
from langmem_cli.core import updates
from langmem_cli.core.conversation import Conversation, Message


def chat(*turns: tuple[str, str]) -> Conversation:
    return Conversation(messages=[Message(role="user", name=n, content=c, timestamp="2023-05-21T10:00:00")
                                  for n, c in turns])


def texts(*turns: tuple[str, str]) -> list[str]:
    return [c.text for c in st.statements(chat(*turns))]


def test_a_bare_answer_is_kept_with_the_question_it_answers():
    kept = texts(("Tim", "Woohoo! Congrats on the new team. Which team did you sign with?"),
                 ("John", "The Minnesota Wolves! I can't wait to play with them!"))
    assert kept == ['Asked by Tim "Which team did you sign with?", John says the Minnesota Wolves!']
    [candidate] = st.statements(chat(("Tim", "Which team did you sign with?"), ("John", "The Minnesota Wolves!")))
    assert candidate.quotes == ["The Minnesota Wolves!", "Which team did you sign with?"]  # both are evidence


def test_the_answer_is_the_first_sentence_that_says_something_and_the_question_the_one_it_answers():
    # thanks and the name of the person spoken to say nothing; of two questions, the one sharing words
    kept = texts(("John", "Wow, Maria, how cute! What's her name? Do she and your other dog get along?"),
                 ("Maria", "Thanks, John! Her name is Shadow!"))
    assert kept == ['Asked by John "What\'s her name?", Maria says her name is Shadow!']
    # a pronoun the question resolves ("it was …", "they were …")
    assert texts(("Caroline", "What concert was it?"), ("Melanie", "Thanks, Caroline! It was Matt Patterson!")) == [
        'Asked by Caroline "What concert was it?", Melanie says it was Matt Patterson!']
    assert texts(("Maria", "How did they react when they saw it?"), ("John", "They were awestruck and humbled.")) == [
        'Asked by Maria "How did they react when they saw it?", John says they were awestruck and humbled.']


def test_only_the_reply_to_a_question_and_only_its_first_sentence():
    assert not any("Wolves" in t for t in texts(("Tim", "I signed with a new team."), ("John", "The Minnesota Wolves!")))
    assert not any("Wolves" in t for t in texts(("Tim", "Which team did you sign with?"),
                                                 ("John", "It is late here. The Minnesota Wolves!")))
    # a sentence that is a statement on its own is kept as one, without the question
    assert texts(("Tim", "Which team?"), ("John", "I signed with the Minnesota Wolves in May.")) == [
        "John signed with the Minnesota Wolves in May."]


@pytest.mark.parametrize("reply", ["Congrats, John!", "That frog looks yummy!", '"Finding Home" sounds special.',
                                   "Sorry 'bout the accident!", "Appreciate your kind words.", "That's so cool!",
                                   "It was amazing!", "Way to go, John!"])
def test_a_reaction_is_no_answer(reply):
    assert texts(("John", "How have you been lately?"), ("Maria", reply)) == []


def test_a_statement_that_ends_in_a_question_of_its_own_is_the_statement():
    said = "Spider-Man has always been a favorite of mine - I mean, who doesn't love Peter Parker's struggles?"
    assert st.without_question(said) == "Spider-Man has always been a favorite of mine"
    assert texts(("Nate", "Nice."), ("Joanna", said)) == ["Spider-Man has always been a favorite of Joanna's."]
    for question in ("Where did we go, Lisbon or Porto?", "Did you move, or not?", "So, what now?"):
        assert st.without_question(question) == question  # a question stays a question (and is not kept)


def test_initials_do_not_end_a_sentence():
    assert st.sentences("J.K. Rowling is such an inspiring writer. Her books are great!") == [
        "J.K. Rowling is such an inspiring writer.", "Her books are great!"]


def test_a_name_opening_what_someone_says_keeps_its_capital():
    assert texts(("Tim", "Nice."), ("John", "I loved my trip there. Barcelona is a must-visit city for food lovers!"))[1:] == [
        "John says Barcelona is a must-visit city for food lovers!"]


def test_an_answer_read_with_its_question_changes_no_fact_of_the_person():
    names = frozenset({"tim", "john"})
    older = "John lives in Leeds."
    newer = 'Asked by Tim "Where do you live now?", John says York.'
    readings = (updates.read(older, names), updates.read(newer, names))
    assert updates.relation(older, newer, 0.8, readings=readings) is None
    assert updates.relation(newer, newer, 1.0, readings=(readings[1], readings[1])) == updates.SAME


def test_extract_stores_it_with_both_turns_as_evidence(cli, tmp_path):
    path = tmp_path / "chat.jsonl"
    turns = [("Tim", "Congrats on the new team. Which team did you sign with?"), ("John", "The Minnesota Wolves!")]
    path.write_text(json.dumps({"messages": [{"role": "user", "name": n, "content": c} for n, c in turns],
                                "date": "2023-05-21T10:00:00"}) + "\n")
    cli("extract", path, "-n", "t")
    [memory] = cli.json("list", "-n", "t")
    assert memory["text"] == 'Asked by Tim "Which team did you sign with?", John says the Minnesota Wolves!'
    assert sorted(e["message"] for e in memory["metadata"]["evidence"]) == [0, 1]
    hits = cli.json("search", "which team did John sign with", "-n", "t")
    assert hits[0]["id"] == memory["id"]


def test_two_answers_to_questions_change_nothing_of_each_other():
    names = frozenset({"john", "maria"})
    older = 'Asked by John "Can you believe it?", Maria says way to go, John!'
    newer = 'Asked by John "How is she doing now?", Maria says things have been tough for her lately.'
    readings = (updates.read(older, names), updates.read(newer, names))
    assert updates.relation(older, newer, 0.7, readings=readings) is None


def test_what_the_question_says_is_not_counted_as_said_by_the_answer():
    # a later sentence that tells what the question only asked about is new: kept
    kept = texts(("Tim", "Did you visit the old castle museum downtown?"), ("John", "The Tower Museum!"), ("Tim", "Nice."),
                 ("John", "I went there with my sister Ana last Sunday. The old castle museum downtown was wonderful."))
    assert "John says the old castle museum downtown was wonderful." in kept


def test_an_agreement_that_points_at_what_was_asked_is_no_answer():
    assert texts(("Joanna", "Could you share the recipe?"), ("Nate", "Would love to share it.")) == []
    assert texts(("Joanna", "Have you been up to anything tonight?"), ("Nate", "Mostly chilling at home.")) == [
        'Asked by Joanna "Have you been up to anything tonight?", Nate says mostly chilling at home.']


def test_how_long_ago_is_kept_as_said_with_the_date_it_gives():
    from langmem_cli.core import dates

    when = dates.parse("2023-05-21T10:00:00")
    assert dates.resolve("I started surfing five years ago and love it.", when)[0] == (
        "I started surfing five years ago (2018) and love it.")
    assert dates.resolve("I got a puppy two weeks ago!", when)[0] == "I got a puppy two weeks ago (around 7 May 2023)!"
    assert dates.resolve("A friend made it ten years ago.", when)[0] == "A friend made it ten years ago (2013)."


def test_a_short_sentence_with_a_verb_is_no_fragment():
    # "Her name is Shadow!" says something on its own; "Mostly Go and Postgres." does not
    assert texts(("Maria", "Her name is Shadow!")) == ["Maria says her name is Shadow!"]
    assert texts(("Maria", "Mostly Go and Postgres.")) == []


def test_a_reply_about_someone_else_keeps_the_question_only_the_speakers_own_stands_alone():
    # "She studied …" answers what was asked; read alone, "she" and what it answers are lost
    assert texts(("Tim", "What did your sister study?"), ("John", "She studied marine biology at Oslo university.")) == [
        'Asked by Tim "What did your sister study?", John says she studied marine biology at Oslo university.']
    assert texts(("Tim", "Where did you go last summer?"), ("John", "Barcelona was beautiful in the summer.")) == [
        'Asked by Tim "Where did you go last summer?", John says Barcelona was beautiful in the summer.']
    # what the speaker says of themselves is a statement of their own
    assert texts(("Tim", "What did you do last weekend?"), ("John", "I went hiking with my dog.")) == [
        "John went hiking with their dog."]
