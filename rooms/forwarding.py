"""Who receives whom: a pure function of the room's participants and its recent speakers.

- the host's audio and video go to everyone, and everyone's audio and video go to the host(s);
- in a small room (at most ``small_room`` admitted) everyone receives everyone;
- in a larger room a site receives another site's audio only while that site is among the last
  ``active_speakers`` speakers, and no other site's video;
- a participant in audio-only mode (``receive_video`` false) receives no video but the host's,
  which the SFU holds at a still every few seconds (``Sfu.set_video_ceiling("still")``,
  rooms.weak_links.video_ceiling): the lurah sees who is speaking, not a black tile.

Nobody in the lobby is in the plan: a lobby participant's media connection (set up while they
wait, docs/protocol.md) is neither fed nor read until they are admitted.

Muting is not decided here: a muted or hard-muted microphone stays subscribed (so unmuting needs
no renegotiation) and is gated at the publisher by :func:`publisher_gates`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rooms.model import Participant

AUDIO = "audio"
VIDEO = "video"
BOTH: frozenset[str] = frozenset({AUDIO, VIDEO})
AUDIO_ONLY: frozenset[str] = frozenset({AUDIO})

Plan = dict[tuple[str, str], frozenset[str]]
"""(subscriber id, publisher id) -> kinds forwarded. Pairs with nothing forwarded are absent."""


@dataclass(frozen=True)
class ForwardingPolicy:
    small_room: int = 6
    """Rooms with at most this many admitted participants forward everyone to everyone."""
    active_speakers: int = 3
    """In larger rooms, sites hear the audio of this many most recent speakers."""


def plan(
    participants: Iterable[Participant],
    recent_speakers: Sequence[str] = (),
    policy: ForwardingPolicy = ForwardingPolicy(),
) -> Plan:
    # Disconnected seats stay in the plan: their slots idle and are fed again on resume,
    # without renegotiating anyone else.
    members = [p for p in participants if p.present]
    small = len(members) <= policy.small_room
    speakers = set(recent_speakers[: policy.active_speakers])
    result: Plan = {}
    for sub in members:
        for pub in members:
            if sub.id == pub.id:
                continue
            if small or sub.is_host or pub.is_host:
                kinds = BOTH
            elif pub.id in speakers:
                kinds = AUDIO_ONLY
            else:
                continue
            if not sub.receive_video and not pub.is_host:
                kinds = kinds - {VIDEO}
            if kinds:
                result[(sub.id, pub.id)] = frozenset(kinds)
    return result


def publisher_gates(participant: Participant) -> dict[str, bool]:
    """Whether the server forwards each of a publisher's kinds at all (mute is enforced here)."""
    return {AUDIO: participant.sends_audio, VIDEO: participant.camera}


@dataclass(frozen=True)
class PlanChange:
    subscribe: Plan
    """Pairs to (re)subscribe with these kinds (new pairs, or pairs whose kinds changed)."""
    unsubscribe: frozenset[tuple[str, str]]


def diff(old: Plan, new: Plan) -> PlanChange:
    return PlanChange(
        subscribe={pair: kinds for pair, kinds in new.items() if old.get(pair) != kinds},
        unsubscribe=frozenset(pair for pair in old if pair not in new),
    )
