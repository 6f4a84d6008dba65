"""core.rerank: neighbours by evidence, time questions, people named, diversity (pure functions)."""

from __future__ import annotations

import random

from langmem_cli.core.rerank import (DEFAULT, Candidate, Weights, asks_when, boost, diversify, names_in, places,
                                     rerank, smooth_by_neighbours, time_mentions, weights_for)


def ev(conversation: str, message: int) -> dict:
    return {"evidence": [{"file": conversation.rsplit(":", 1)[0], "conversation": conversation, "message": message,
                          "quote": "q"}]}


def test_places_come_from_evidence_first_then_a_file_line_source():
    assert places("chat.jsonl:3", ev("chat.jsonl:3", 7)) == (("chat.jsonl:3", 7),)
    assert places("turns.jsonl:12", {}) == (("turns.jsonl", 12),)
    assert places("cli", {}) == ()
    assert places(None, {"evidence": [{"file": "f", "message": "x"}, "junk"]}) == ()


def test_neighbours_are_messages_of_the_same_conversation_not_memories_of_the_same_file():
    # extracted memories: all three come from conversation record 1 of one file (same source),
    # but only b quotes a message next to a's
    a = Candidate("a", 1.0, places=places("c.jsonl:1", ev("c.jsonl:1", 10)))
    b = Candidate("b", 0.2, places=places("c.jsonl:1", ev("c.jsonl:1", 11)))
    far = Candidate("far", 0.2, places=places("c.jsonl:1", ev("c.jsonl:1", 40)))
    other = Candidate("other", 0.2, places=places("c.jsonl:2", ev("c.jsonl:2", 11)))  # next session
    two = Candidate("two", 0.2, places=places("c.jsonl:1", ev("c.jsonl:1", 12)))
    scores = smooth_by_neighbours([a, b, far, other, two], 0.4)
    assert scores["b"] == 0.2 + 0.4 * 1.0
    assert scores["two"] == 0.2 + 0.4 * 0.2 + 0.2 * 1.0  # one away: b; two away: a, at half weight
    assert scores["far"] == scores["other"] == 0.2
    assert smooth_by_neighbours([a, b], 0.0) == {"a": 1.0, "b": 0.2}


def test_time_questions_favour_memories_that_say_when():
    assert asks_when("When did Maria move to Lisbon?")
    assert asks_when("In which year did the band split?")
    assert asks_when("How long ago was the trip?")
    assert not asks_when("What did Maria paint?")
    assert time_mentions("Maria moved to Lisbon") == 0
    assert time_mentions("Maria moved to Lisbon last week") == 1
    assert time_mentions("On 7 May 2023 Maria moved, two years ago") >= 2
    dated = Candidate("dated", 0.5, "Maria moved to Lisbon in March 2021")
    plain = Candidate("plain", 0.55, "Maria moved to Lisbon")
    w = Weights(time=0.1)
    assert [i for i, _ in rerank("When did Maria move to Lisbon?", [plain, dated], w, 2)] == ["dated", "plain"]
    assert [i for i, _ in rerank("Where did Maria move?", [plain, dated], w, 2)] == ["plain", "dated"]


def test_a_question_naming_someone_favours_their_memories():
    assert names_in("What did Maria paint?") == ["maria"]
    assert names_in("When did Jon's bakery open in Paris?") == ["jon", "paris"]
    assert names_in("Did I say where I live?") == []
    assert names_in("What does Ana like, and what does ana's friend Bo like?") == ["ana", "bo"]
    hers = Candidate("hers", 0.5, "Maria: I painted a sunset over the lake")
    his = Candidate("his", 0.6, "Tom: I painted the fence")
    assert [i for i, _ in rerank("What did Maria paint?", [his, hers], Weights(person=0.2), 2)] == ["hers", "his"]
    assert [i for i, _ in rerank("What did Maria paint?", [his, hers], Weights(), 2)] == ["his", "hers"]
    # a name inside another word is not the name
    assert boost("What did Al paint?", [Candidate("x", 0.5, "Also painted")], Weights(person=0.2)) == {"x": 0.5}


def test_diversity_covers_the_parts_of_a_question_and_scores_stay_in_order():
    items = [("a", 1.0), ("a2", 0.99), ("b", 0.9)]
    texts = {"a": "Ana likes green tea in the morning", "a2": "Ana likes green tea in the mornings",
             "b": "Bo likes climbing"}
    picked = diversify(items, texts, 2, 0.2)
    assert [i for i, _ in picked[:2]] == ["a", "b"]
    scores = [s for _, s in picked[:2]]
    assert scores == sorted(scores, reverse=True)
    assert [i for i, _ in diversify(items, texts, 2, 0.0)] == ["a", "a2", "b"]


def test_reading_only_what_can_reach_the_page_changes_nothing():
    rng = random.Random(7)
    names = ["Ana", "Bo", "Cy"]
    for _ in range(50):
        cands = [Candidate(i, rng.random(), f"{rng.choice(names)} went out {rng.choice(['', 'yesterday', 'in May 2020'])}",
                           (("c", rng.randrange(30)),)) for i in range(60)]
        query = rng.choice(["When did Ana go out?", "What did Bo do?", "Where is it?"])
        full = boost(query, cands, DEFAULT)
        pruned = boost(query, cands, DEFAULT, reach=10)
        top = lambda s: sorted(s.items(), key=lambda kv: (-kv[1], str(kv[0])))[:10]  # noqa: E731
        assert top(full) == top(pruned)


def test_defaults_apply_to_hybrid_only_unless_asked():
    assert weights_for("hybrid", None) == DEFAULT
    assert weights_for("hybrid", 0.0).neighbor == 0.0 and weights_for("hybrid", 0.0).person == DEFAULT.person
    assert weights_for("vector", None) == Weights()
    assert weights_for("keyword", 0.5) == Weights(neighbor=0.5)
    assert weights_for("hybrid", None, enabled=False) == Weights()
