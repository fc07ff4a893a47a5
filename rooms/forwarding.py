"""Who receives whom: a pure function of the room's participants and its recent speakers.

- the host's audio and video go to everyone, and everyone's audio and video go to the host(s);
- in a small room (at most ``small_room`` admitted) everyone receives everyone;
- in a larger room a site receives another site's audio only while that site is among the last
  ``active_speakers`` speakers, and no other site's video;
- a screen share (rooms.presenting) goes, as video only, to every present participant but its
  presenter — also in audio-only mode: the SFU holds it at the lowest layer the receiver's
  ceiling and link allow, slides being what a weak site most needs (media/presenting.py);
- a participant in audio-only mode (``receive_video`` false) receives no video but the host's,
  which the SFU holds at a still every few seconds (``Sfu.set_video_ceiling("still")``,
  rooms.weak_links.video_ceiling): the lurah sees who is speaking, not a black tile.

Audio subscriptions are candidates: a connection holds at most ``audio_slots`` audio slots, and
the SFU feeds them the loudest of its candidates (media/loudest.py) — the host's page hears the
three loudest sites, not 228 tracks.

Nobody in the lobby is in the plan: a lobby participant's media connection (set up while they
wait, docs/protocol.md) is neither fed nor read until they are admitted.

So that admitting someone costs no renegotiation, every connection keeps as many slots of each
kind as it would need if everyone now waiting were admitted (:func:`reservations`): the lobby
participant's own, and the host's (and, in a small room, everyone's) for the newcomer's media.

Muting is not decided here: a muted or hard-muted microphone stays subscribed (so unmuting needs
no renegotiation) and is gated at the publisher by :func:`publisher_gates`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from rooms.model import Participant, ParticipantState
from rooms.presenting import share_id

AUDIO = "audio"
VIDEO = "video"
BOTH: frozenset[str] = frozenset({AUDIO, VIDEO})
AUDIO_ONLY: frozenset[str] = frozenset({AUDIO})
VIDEO_ONLY: frozenset[str] = frozenset({VIDEO})

Plan = dict[tuple[str, str], frozenset[str]]
"""(subscriber id, publisher id) -> kinds forwarded. Pairs with nothing forwarded are absent."""


@dataclass(frozen=True)
class ForwardingPolicy:
    small_room: int = 6
    """Rooms with at most this many admitted participants forward everyone to everyone."""
    active_speakers: int = 8
    """In larger rooms, a site's audio goes to the other sites while it is among this many most
    recent speakers (the SFU then forwards each page only the loudest ``audio_slots``)."""
    audio_slots: int = 3
    """Audio slots a connection holds at most: the SFU's limit (media/loudest.py; 0: none)."""


def plan(
    participants: Iterable[Participant],
    recent_speakers: Sequence[str] = (),
    policy: ForwardingPolicy = ForwardingPolicy(),
    presenter: str | None = None,
) -> Plan:
    # Disconnected seats stay in the plan: their slots idle and are fed again on resume,
    # without renegotiating anyone else.
    members = [p for p in participants if p.present]
    small = len(members) <= policy.small_room
    speakers = set(recent_speakers[: policy.active_speakers])
    hosts = {p.id for p in members if p.is_host}
    # What a site receives in a large room: the hosts and the recent speakers. Only these pairs
    # are visited (a 228-site town hall has 52,000 pairs, and the plan is made on every change
    # of mute or speakers), in the order of visiting every pair.
    heard = [p for p in members if p.id in hosts or p.id in speakers]
    result: Plan = {}
    for sub in members:
        sub_host = sub.id in hosts
        for pub in members if small or sub_host else heard:
            if sub.id == pub.id:
                continue
            pub_host = pub.id in hosts
            kinds = BOTH if small or sub_host or pub_host else AUDIO_ONLY
            if not sub.receive_video and not pub_host:
                kinds = kinds - {VIDEO}
            if kinds:
                result[(sub.id, pub.id)] = frozenset(kinds)
    if presenter is not None and any(p.id == presenter for p in members):
        share = share_id(presenter)
        for sub in members:
            if sub.id != presenter:
                result[(sub.id, share)] = VIDEO_ONLY
    return result


def reservations(
    participants: Iterable[Participant],
    recent_speakers: Sequence[str] = (),
    policy: ForwardingPolicy = ForwardingPolicy(),
    presenter: str | None = None,
) -> dict[str, dict[str, int]]:
    """Slots of each kind each connection should hold (present or waiting participants): what
    it receives in the plan where everyone in the lobby is admitted. The media connections then
    carry idle slots for the lobby's media before the host decides, and admission routes packets
    into them without an offer/answer round trip (600 ms and more on a VSAT link)."""
    admitted = [
        replace(p, state=ParticipantState.ADMITTED) if p.state is ParticipantState.LOBBY else p
        for p in participants
    ]
    counts = {p.id: {AUDIO: 0, VIDEO: 0} for p in admitted if p.present}
    for (subscriber, _publisher), kinds in plan(
        admitted, recent_speakers, policy, presenter
    ).items():
        for kind in kinds:
            counts[subscriber][kind] += 1
    if policy.audio_slots > 0:
        for count in counts.values():
            count[AUDIO] = min(count[AUDIO], policy.audio_slots)
    return counts


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
