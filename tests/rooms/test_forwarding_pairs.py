"""The forwarding plan of a large room visits only the pairs that forward something: the same
plan, in the same order, as deciding every pair (rooms.forwarding.plan)."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from rooms.forwarding import AUDIO_ONLY, BOTH, VIDEO, ForwardingPolicy, Plan, plan
from rooms.model import Participant, ParticipantRole, ParticipantState


def every_pair(
    participants: Sequence[Participant], speakers: Sequence[str], policy: ForwardingPolicy
) -> Plan:
    """The rules of the module docstring, pair by pair (what ``plan`` did before)."""
    members = [p for p in participants if p.present]
    small = len(members) <= policy.small_room
    recent = set(speakers[: policy.active_speakers])
    result: Plan = {}
    for sub in members:
        for pub in members:
            if sub.id == pub.id:
                continue
            if small or sub.is_host or pub.is_host:
                kinds = BOTH
            elif pub.id in recent:
                kinds = AUDIO_ONLY
            else:
                continue
            if not sub.receive_video and not pub.is_host:
                kinds = kinds - {VIDEO}
            if kinds:
                result[(sub.id, pub.id)] = frozenset(kinds)
    return result


@pytest.mark.parametrize("seed", range(40))
def test_same_plan_and_order_as_deciding_every_pair(seed: int) -> None:
    rng = random.Random(seed)
    states = list(ParticipantState)
    people = []
    for i in range(rng.randrange(0, 40)):
        role = ParticipantRole.HOST if rng.random() < 0.1 else ParticipantRole.PARTICIPANT
        p = Participant(f"p{i}", "r", f"P {i}", role, rng.choice(states))
        p.receive_video = rng.random() < 0.7
        people.append(p)
    speakers = [p.id for p in rng.sample(people, min(len(people), rng.randrange(0, 12)))]
    policy = ForwardingPolicy(small_room=rng.choice([0, 3, 6]), active_speakers=rng.randrange(9))
    expected = every_pair(people, speakers, policy)
    got = plan(people, speakers, policy)
    assert list(got.items()) == list(expected.items())
