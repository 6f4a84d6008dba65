"""Issue 23: a state said to hold from a time or an event on ("Since the reorg Dana is an editor",
"As of 3 March …") tells a new state; and a noun the person is stays a title of their work even when
it also names a tool ("an editor")."""

from __future__ import annotations

import pytest

from langmem_cli.core import updates

NAMES = frozenset({"dana", "gina"})


@pytest.mark.parametrize("text", ["Since the reorg Dana is an editor.", "Since January Dana's lessons are with a tutor.",
                                  "As of 3 March Dana's address is in Madrid."])
def test_a_state_since_a_time_is_a_cue(text):
    assert updates.read(text, NAMES).cue


@pytest.mark.parametrize("text", ["Since Gina lost their job at Door Dash, things have been tough.",
                                  "Dana has been an editor since 2019."])
def test_since_an_event_of_the_past_or_at_the_end_is_none(text):
    assert not updates.read(text, NAMES).cue


def test_a_new_title_since_a_time_closes_the_old_one():
    older, newer = "Dana works as an assistant.", "Since the reorg Dana is an editor."
    readings = (updates.read(older, NAMES), updates.read(newer, NAMES))
    assert updates.relation(older, newer, 0.3, readings=readings) == updates.CHANGES
    # the same title told again is no change
    again = "Since the reorg Dana is an assistant."
    assert updates.relation(older, again, 0.3, readings=(readings[0], updates.read(again, NAMES))) != updates.CHANGES


def test_after_the_move_tells_a_new_home():
    names = frozenset({"dana"})
    older, newer = "Dana says home is Melbourne for now.", "Dana says after the move, Lyon feels like home; Melbourne never did."
    readings = (updates.read(older, names), updates.read(newer, names))
    assert readings[1].cue
    assert updates.relation(older, newer, 0.3, readings=readings) == updates.CHANGES
    # without the event, the same words tell no change
    assert not updates.read("Dana says Lyon feels like home.", names).cue
