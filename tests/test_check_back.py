"""A "no" to the assistant checking back on what it knows (issue 23: updates on phrasings not yet
seen). "Still at Stellar Freight?" — "No, Helio Labs took me on." says the job is over: the reply is
kept as the person's statement that it no longer holds, with what they say instead, and it closes
the earlier memory whatever order the files are read in. Only a "no", only to a check-back question."""

from __future__ import annotations

import json

import pytest

from langmem_cli.core import updates
from langmem_cli.core.conversation import Conversation, Message
from langmem_cli.core.grounding import check
from langmem_cli.core.statements import as_denial, statements


def said(question: str, answer: str) -> list[str]:
    conversation = Conversation([Message("user", "Hello."), Message("assistant", question), Message("user", answer)],
                                {"user_name": "Dana"}, "s")
    return [c.text for c in statements(conversation) if c.text != "Hello."]


@pytest.mark.parametrize("question, answer, expected", [
    ("Still at Stellar Freight?", "No, Helio Labs took me on.",
     "Dana is no longer at Stellar Freight; Helio Labs took them on."),
    ("Still into running?", "Not really, swimming now.", "Dana is no longer into running; swimming now."),
    ("Do you still go to Fitbox?", "No, Ironworks is my gym now.",
     "Dana no longer goes to Fitbox; Ironworks is their gym now."),
    ("You're at Imperial, right?", "Not anymore, Edinburgh since autumn.",
     "Dana is no longer at Imperial; Edinburgh since autumn."),
    ("Are you still vegetarian?", "Nope, I eat fish now.", "Dana is no longer vegetarian; they eat fish now."),
])
def test_a_no_to_a_check_back_question_says_what_no_longer_holds(question, answer, expected):
    assert said(question, answer) == [expected]


@pytest.mark.parametrize("question, answer", [
    ("Still at Stellar Freight?", "Yes, still there."),  # a yes changes nothing
    ("Still at Stellar Freight?", "Helio Labs took me on."),  # no "no": the reply is read as it is
    ("How was the trip?", "No, it rained all week."),  # not a check-back question
])
def test_nothing_else_is_read_as_a_denial(question, answer):
    assert as_denial(question, answer, answer) is None
    assert not any("no longer" in text for text in said(question, answer))


def test_the_reply_as_said_is_its_evidence():
    conversation = Conversation([Message("assistant", "Are you still with Chris?"),
                                 Message("user", "No, I'm with Maya now.")], {"user_name": "Dana"}, "s")
    verdict = check(statements(conversation), conversation)
    assert not verdict.rejected and len(verdict.accepted) == 1
    candidate, evidence = verdict.accepted[0]
    assert candidate.quotes == ["No, I'm with Maya now."]
    assert (evidence[0]["role"], evidence[0]["message"]) == ("user", 1)  # the person's words, not the question


def test_it_changes_the_fact_the_question_names():
    newer = "Dana is no longer at Stellar Freight; Helio Labs took them on."
    assert updates.relation("Dana works as a backend developer for Stellar Freight.", newer, 0.5) == updates.CHANGES
    assert updates.relation("Dana is a member at Fitbox.", "Dana no longer goes to Fitbox; Ironworks is their gym now.",
                            0.5) == updates.CHANGES
    assert updates.relation("Dana has a cat named Miso.", newer, 0.5) is None


@pytest.mark.parametrize("newest_first", [False, True])
def test_extract_closes_the_old_fact_in_any_file_order(cli, tmp_path, newest_first):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(json.dumps({"messages": [
        {"role": "user", "content": "I'm Dana. I work as a backend developer for Stellar Freight.",
         "timestamp": "2024-01-10T10:00:00Z"}]}) + "\n")
    second.write_text(json.dumps({"messages": [
        {"role": "user", "content": "Can you help me plan my week?", "timestamp": "2024-05-02T10:00:00Z"},
        {"role": "assistant", "content": "Sure. Still at Stellar Freight?", "timestamp": "2024-05-02T10:00:05Z"},
        {"role": "user", "content": "No, Helio Labs took me on.", "timestamp": "2024-05-02T10:01:00Z"}]}) + "\n")
    for path in ([second, first] if newest_first else [first, second]):
        cli("extract", path, "-n", "t")
    current = [m["text"] for m in cli.json("list", "-n", "t")]
    assert "Dana is no longer at Stellar Freight; Helio Labs took them on." in current
    assert not any("Stellar Freight" in text and "no longer" not in text for text in current)


def test_an_attribute_for_the_person_is_theirs():
    # "Home for Dana is Madrid" states Dana's home as "Dana's home is Madrid" does
    names = frozenset({"dana"})
    older, newer = "Home for Dana is Madrid.", "Big news: Dana's address is in Melbourne now."
    assert updates.read(older, names).primary == {"home"}
    assert updates.relation(older, newer, 0.5, readings=(updates.read(older, names), updates.read(newer, names))) \
        == updates.CHANGES
    assert updates.read("A gift for Dana is a book.", names).primary != {"home"}
