"""The two state machines, table-driven: every allowed move works, every other one is refused."""

from __future__ import annotations

import itertools

import pytest

from rooms.model import (
    PARTICIPANT_TRANSITIONS,
    SESSION_TRANSITIONS,
    Participant,
    ParticipantRole,
    ParticipantState,
    Room,
    SessionState,
    TransitionError,
    participant_from_dict,
    room_from_dict,
    to_dict,
)

P = ParticipantState
S = SessionState

PARTICIPANT_ALLOWED = {
    (P.LOBBY, P.ADMITTED),
    (P.LOBBY, P.DENIED),
    (P.LOBBY, P.LEFT),
    (P.ADMITTED, P.DISCONNECTED),
    (P.ADMITTED, P.LEFT),
    (P.ADMITTED, P.REMOVED),
    (P.DISCONNECTED, P.ADMITTED),
    (P.DISCONNECTED, P.LEFT),
    (P.DISCONNECTED, P.REMOVED),
}
SESSION_ALLOWED = {(S.OPEN, S.LOCKED), (S.LOCKED, S.OPEN), (S.OPEN, S.ENDED), (S.LOCKED, S.ENDED)}


def participant(state: ParticipantState) -> Participant:
    return Participant("p_1", "r1", "Pak Sutrisno", ParticipantRole.PARTICIPANT, state)


@pytest.mark.parametrize("current,target", list(itertools.product(P, P)))
def test_participant_transitions(current: ParticipantState, target: ParticipantState) -> None:
    p = participant(current)
    if (current, target) in PARTICIPANT_ALLOWED:
        p.transition(target)
        assert p.state is target
    else:
        with pytest.raises(TransitionError):
            p.transition(target)
        assert p.state is current


@pytest.mark.parametrize("current,target", list(itertools.product(S, S)))
def test_session_transitions(current: SessionState, target: SessionState) -> None:
    room = Room("r1", "Rapat", current, 1, 0.0)
    if (current, target) in SESSION_ALLOWED:
        room.transition(target)
        assert room.state is target
    else:
        with pytest.raises(TransitionError):
            room.transition(target)


def test_tables_match_the_documented_machines() -> None:
    assert {(a, b) for a, bs in PARTICIPANT_TRANSITIONS.items() for b in bs} == PARTICIPANT_ALLOWED
    assert {(a, b) for a, bs in SESSION_TRANSITIONS.items() for b in bs} == SESSION_ALLOWED


def test_values_round_trip_through_plain_dicts() -> None:
    p = participant(P.DISCONNECTED)
    p.hard_muted, p.disconnected_at, p.site_code = True, 12.5, "33.14.06"
    again = participant_from_dict(to_dict(p))
    assert (
        again == p and again.state is P.DISCONNECTED and again.role is ParticipantRole.PARTICIPANT
    )
    room = Room("r1", "Rapat", S.LOCKED, None, 1.0, ["p_1"], ["p_1"])
    assert room_from_dict(to_dict(room)) == room


@pytest.mark.parametrize(
    "mic,hard,sends",
    [(True, False, True), (False, False, False), (True, True, False), (False, True, False)],
)
def test_sends_audio(mic: bool, hard: bool, sends: bool) -> None:
    p = participant(P.ADMITTED)
    p.mic, p.hard_muted = mic, hard
    assert p.sends_audio is sends
