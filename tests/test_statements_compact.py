"""Issues 23/24: the same facts in fewer words. Words that carry no fact (the name of the person
spoken to, a closing clause that only reacts) are left out of a statement's text; the statement
stays grounded in its quote."""

from __future__ import annotations

from langmem_cli.core import grounding
from langmem_cli.core.conversation import Conversation, Message
from langmem_cli.core.statements import statements


def chat(*turns: tuple[str, str]) -> Conversation:
    return Conversation([Message("user", text, name=name) for name, text in turns], {}, "chat.jsonl")


def kept(conversation: Conversation) -> list[str]:
    candidates = statements(conversation)
    verdict = grounding.check(candidates, conversation)
    assert not verdict.rejected, [r.reason for r in verdict.rejected]  # still supported by its quotes
    return [c.text for c in candidates]


def test_the_name_of_the_person_spoken_to_is_left_out():
    c = chat(("Melanie", "How are you doing these days?"),
             ("Caroline", "Mel, I joined a new activist group at the community center last Tuesday."),
             ("Melanie", "That is great news. I won't give up on my pottery class, Caroline!"),
             ("Caroline", "Paris, the city my brother loves, is where I'm moving in June."))
    texts = kept(c)
    assert "Caroline joined a new activist group at the community center last Tuesday." in texts
    assert "Melanie won't give up on their pottery class!" in texts
    # a name that is not a speaker's stays: it is what the sentence is about
    assert any(t.startswith("Paris, the city") for t in texts)


def test_a_closing_clause_that_only_reacts_is_left_out():
    c = chat(("Melanie", "I ran a charity race for mental health with my sister last Saturday - it was so rewarding!"),
             ("Caroline", "I went to the beach with my parents and it was awesome."),
             ("Melanie", "We hiked up to the old lighthouse; it was raining the whole way."),
             ("Caroline", "We ate dinner at the harbour; it was a blast!"))
    texts = kept(c)
    assert "Melanie ran a charity race for mental health with their sister last Saturday." in texts
    assert "Caroline went to the beach with their parents." in texts
    # what happened stays: "raining" is no adjective, "a blast" no adjective either
    assert any(t.endswith("it was raining the whole way.") for t in texts)
    assert any(t.endswith("it was a blast!") for t in texts)
