"""Issue 23, helper recall8: a sentence that opens with a past participle is not given "I" for its
subject (a diary-style subject drop opens with a simple past: "sold the Volvo"), so an answer like
"Gone, I drive a Tesla now." is not rewritten as "… gones, they drive …"."""

from langmem_cli.core.english import is_simple_past
from langmem_cli.core.statements import third_person, with_speaker


def test_participle_only_is_not_a_simple_past():
    assert is_simple_past("went") and is_simple_past("sold") and is_simple_past("switched")
    assert not is_simple_past("gone") and not is_simple_past("taken")


def test_answer_opening_with_a_participle_keeps_its_own_subject():
    text, added = with_speaker("Gone, I drive a Tesla now.")
    assert not added and text == "Gone, I drive a Tesla now."
    assert "gones" not in third_person(text, "Nnamdi").lower()


def test_diary_style_past_still_gets_its_subject():
    assert with_speaker("sold the Volvo, got a Skoda") == ("I sold the Volvo, got a Skoda", True)
