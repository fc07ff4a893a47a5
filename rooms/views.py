"""What each person sees of a room: the ``room:state`` snapshot of docs/protocol.md.

A pure function of stored state, so any process can rebuild it. The host's copy includes the
lobby; someone waiting in the lobby sees only the room and themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rooms.hands import queue
from rooms.model import Participant, ParticipantState, Room
from rooms.presenting import share_id
from rooms.sites import DirectorySite, LinkHealth


def room_summary(room: Room) -> dict[str, Any]:
    return {
        "id": room.id,
        "title": room.title,
        "state": room.state.value,
        "recording": room.recording,
    }


def _site(p: Participant, sites: Mapping[str, DirectorySite]) -> dict[str, str] | None:
    """The participant's site as ``DirectorySite.public`` (``sites`` holds the sites above too)."""
    if p.site_code is None:
        return None
    site = sites.get(p.site_code)
    if site is None:
        return {"code": p.site_code, "name": p.site_code, "label": p.site_code}
    return site.public(sites.get(site.parent) if site.parent else None)


def participant_view(
    p: Participant,
    room: Room,
    sites: Mapping[str, DirectorySite],
    links: Mapping[str, LinkHealth],
) -> dict[str, Any]:
    link = links.get(p.site_code) if p.site_code else None
    return {
        "id": p.id,
        "name": p.name,
        "site": _site(p, sites),
        "role": p.role.value,
        "mic": p.mic,
        "camera": p.camera,
        "hard_muted": p.hard_muted,
        "speaking": p.id in room.speaking,
        "connected": p.state is ParticipantState.ADMITTED,
        "link": link.public() if link else None,
        "may_present": p.is_host or p.may_present,
    }


def presenting(room: Room, participants: Iterable[Participant]) -> dict[str, str] | None:
    """Who shares a screen and the publisher id of the share (its track map entries)."""
    p = next((p for p in participants if p.id == room.presenter and p.present), None)
    if p is None:
        return None
    return {"participant": p.id, "name": p.name, "share": share_id(p.id)}


@dataclass(frozen=True)
class RoomView:
    """What every admitted person's snapshot has in common: built once per change of the room
    and shared (the same objects) by every person's view, not rebuilt per person (a 228-site
    town hall would otherwise build 228 x 229 participant entries per change)."""

    room: dict[str, Any]
    participants: list[dict[str, Any]]
    hands: list[str]
    presenting: dict[str, str] | None
    lobby: list[dict[str, Any]]
    """Only in hosts' copies."""


def room_view(
    room: Room,
    participants: Iterable[Participant],
    sites: Mapping[str, DirectorySite],
    links: Mapping[str, LinkHealth],
) -> RoomView:
    everyone = list(participants)
    return RoomView(
        room=room_summary(room),
        participants=[participant_view(p, room, sites, links) for p in everyone if p.present],
        hands=queue(everyone),  # raised hands, first raised first
        presenting=presenting(room, everyone),
        lobby=[
            {"id": p.id, "name": p.name, "site": _site(p, sites)}
            for p in everyone
            if p.state is ParticipantState.LOBBY
        ],
    )


def personal_view(shared: RoomView, viewer: Participant) -> dict[str, Any]:
    """``viewer``'s ``room:state``: the shared parts (not copied: do not change them) and what
    is the viewer's own."""
    view: dict[str, Any] = {"room": shared.room, "you": viewer.id, "status": viewer.state}
    if viewer.state is ParticipantState.LOBBY:
        view["participants"] = []
        return view
    view["participants"] = shared.participants
    view["hands"] = shared.hands
    view["presenting"] = shared.presenting
    # What the viewer receives; "auto" says why the server chose audio only (weak site link).
    view["receive"] = {"video": viewer.receive_video, "auto": viewer.receive_auto}
    if viewer.is_host:
        view["lobby"] = shared.lobby
    return view


def snapshot(
    room: Room,
    participants: Iterable[Participant],
    viewer: Participant,
    sites: Mapping[str, DirectorySite],
    links: Mapping[str, LinkHealth],
) -> dict[str, Any]:
    return personal_view(room_view(room, participants, sites, links), viewer)
