"""The forwarding policy, table-driven: who receives whom in small and large rooms."""

from __future__ import annotations

import pytest

from rooms.forwarding import (
    AUDIO_ONLY,
    BOTH,
    ForwardingPolicy,
    diff,
    plan,
    publisher_gates,
    reservations,
)
from rooms.model import Participant, ParticipantRole, ParticipantState


def people(hosts: int, sites: int, **states: ParticipantState) -> list[Participant]:
    result = []
    for i in range(hosts):
        result.append(
            Participant(f"h{i}", "r", f"Host {i}", ParticipantRole.HOST, ParticipantState.ADMITTED)
        )
    for i in range(sites):
        pid = f"s{i}"
        state = states.get(pid, ParticipantState.ADMITTED)
        result.append(Participant(pid, "r", f"Site {i}", ParticipantRole.PARTICIPANT, state))
    return result


def test_small_room_everyone_receives_everyone() -> None:
    result = plan(people(1, 5))
    ids = ["h0", "s0", "s1", "s2", "s3", "s4"]
    assert result == {(a, b): BOTH for a in ids for b in ids if a != b}


@pytest.mark.parametrize(
    "pair,kinds",
    [
        (("s0", "h0"), BOTH),  # the host to every site
        (("h0", "s5"), BOTH),  # every site to the host
        (("h1", "s3"), BOTH),  # ... to every host
        (("h0", "h1"), BOTH),
        (("s0", "s1"), AUDIO_ONLY),  # s1 is a recent speaker
        (("s5", "s3"), AUDIO_ONLY),
        (("s0", "s2"), None),  # not among the last three speakers
        (("s1", "s0"), None),
        (("s3", "s3"), None),  # nobody receives themselves
    ],
)
def test_large_room(pair: tuple[str, str], kinds: frozenset[str] | None) -> None:
    speakers = ["s1", "s3", "h0", "s2"]  # s2 spoke fourth-most recently: out
    result = plan(people(2, 6), speakers, ForwardingPolicy(active_speakers=3))
    assert result.get(pair) == kinds


def test_room_size_threshold_is_configurable() -> None:
    room = people(1, 5)
    assert ("s0", "s1") in plan(room, [], ForwardingPolicy(small_room=6))
    assert ("s0", "s1") not in plan(room, [], ForwardingPolicy(small_room=5))
    assert ("s0", "s1") in plan(room, ["s1"], ForwardingPolicy(small_room=5, active_speakers=1))


def test_audio_only_receivers_get_only_the_hosts_video() -> None:
    """Only the host's video stays subscribed in audio-only mode: the SFU holds it at a still
    (the video ceiling), so the lurah sees the Bupati instead of a black tile."""
    room = people(1, 3)
    room[1].receive_video = False
    result = plan(room)
    assert result[("s0", "h0")] == BOTH
    assert result[("s0", "s1")] == AUDIO_ONLY
    assert result[("h0", "s0")] == BOTH  # others still receive s0's video
    big = people(1, 8)
    big[1].receive_video = False
    result = plan(big, ["s1"])
    assert result[("s0", "h0")] == BOTH
    assert result[("s0", "s1")] == AUDIO_ONLY


@pytest.mark.parametrize(
    "state,included",
    [
        (ParticipantState.ADMITTED, True),
        (ParticipantState.DISCONNECTED, True),  # keeps its slots for a quick resume
        (ParticipantState.LOBBY, False),
        (ParticipantState.LEFT, False),
        (ParticipantState.REMOVED, False),
        (ParticipantState.DENIED, False),
    ],
)
def test_only_present_participants_are_forwarded(state: ParticipantState, included: bool) -> None:
    result = plan(people(1, 2, s1=state))
    assert (("h0", "s1") in result) is included
    assert (("s1", "h0") in result) is included


def test_disconnected_seats_count_towards_room_size() -> None:
    room = people(1, 6, s5=ParticipantState.DISCONNECTED)
    assert ("s0", "s1") not in plan(room)


@pytest.mark.parametrize(
    "mic,hard,camera,gates",
    [
        (True, False, True, {"audio": True, "video": True}),
        (False, False, True, {"audio": False, "video": True}),
        (True, True, False, {"audio": False, "video": False}),
    ],
)
def test_publisher_gates(mic: bool, hard: bool, camera: bool, gates: dict[str, bool]) -> None:
    p = people(0, 1)[0]
    p.mic, p.hard_muted, p.camera = mic, hard, camera
    assert publisher_gates(p) == gates


def test_diff() -> None:
    old = {("a", "b"): BOTH, ("a", "c"): BOTH, ("b", "a"): AUDIO_ONLY}
    new = {("a", "b"): BOTH, ("a", "c"): AUDIO_ONLY, ("c", "a"): BOTH}
    change = diff(old, new)
    assert change.subscribe == {("a", "c"): AUDIO_ONLY, ("c", "a"): BOTH}
    assert change.unsubscribe == {("b", "a")}


def test_reservations_hold_slots_for_everyone_waiting_in_the_lobby() -> None:
    lobby = ParticipantState.LOBBY
    room = people(1, 3, s1=lobby, s2=lobby)
    # Nobody in the lobby is in the plan yet ...
    assert not any("s1" in pair or "s2" in pair for pair in plan(room))
    # ... but every connection holds the slots admitting them would take: the host one audio
    # and one video slot per site, the admitted site for the two waiting ones too (small room),
    # each waiting site for the host and every other site.
    assert reservations(room) == {
        "h0": {"audio": 3, "video": 3},
        "s0": {"audio": 3, "video": 3},
        "s1": {"audio": 3, "video": 3},
        "s2": {"audio": 3, "video": 3},
    }


def test_reservations_follow_the_large_room_rule_and_leave_out_the_gone() -> None:
    room = people(1, 7, s6=ParticipantState.LOBBY, s5=ParticipantState.LEFT)
    policy = ForwardingPolicy(small_room=6, active_speakers=1, audio_slots=0)
    held = reservations(room, ["s0"], policy)
    assert "s5" not in held  # left: no connection to prepare
    assert held["h0"] == {"audio": 6, "video": 6}  # every site but the one that left
    # a waiting site gets the host's media and the recent speaker's audio, no other site's
    assert held["s6"] == {"audio": 2, "video": 1}
    assert held["s0"] == {"audio": 1, "video": 1}  # itself the speaker: only the host


def test_reservations_hold_at_most_the_audio_slots() -> None:
    """The host of a 228-site session gets three audio m-lines, not 228: the SFU feeds them the
    loudest sites (media/loudest.py); video is not limited here."""
    room = people(1, 228)
    held = reservations(room, ["s5", "s9"], ForwardingPolicy(audio_slots=3))
    assert held["h0"] == {"audio": 3, "video": 228}
    assert held["s0"]["audio"] == 3  # host + two recent speakers
    assert reservations(people(1, 2), [], ForwardingPolicy(audio_slots=3))["h0"]["audio"] == 2
