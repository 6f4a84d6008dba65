"""Issues 23/24: the same facts in fewer words. Words that carry no fact (the name of the person
spoken to) are left out of a statement's text; the statement stays grounded in its quote."""

from __future__ import annotations

from langmem_cli.core import grounding
from langmem_cli.core.conversation import Conversation, Message
from langmem_cli.core.statements import statements, without_address


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




def test_a_word_that_only_begins_like_a_speaker_s_name_stays():
    c = chat(("Andrew", "How was the weekend?"),
             ("Timothy", "I finished the bookshelf for my daughter on Sunday, andrew."),
             ("Andrew", "I repaired the old boat with my father last month, tim."))
    texts = kept(c)
    assert "Timothy finished the bookshelf for their daughter on Sunday." in texts  # the whole name, any case
    assert any(t.endswith("last month, tim.") for t in texts)  # a part of a name only when capitalised
    # a function word is never a name ("Then" begins like "Thendral")
    assert without_address("Then, after work, I drove to the coast.", frozenset({"Thendral"})).startswith("Then,")
    assert without_address("Then, after work, I drove to the coast.", frozenset({"Then"})).startswith("Then,")
