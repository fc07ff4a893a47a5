"""Parsing of client event payloads: each event's fields, their types and their limits.

Unknown fields are ignored (newer clients may send more); a wrong type, a missing field or an
oversized value raises ``RoomError("invalid_request")`` (the field readers: edge/fields.py).
Nothing here touches state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from edge.fields import bad, field, flag, payload_object, required_flag, text
from media import TrackInfo
from rooms.errors import UNSUPPORTED_VERSION, RoomError

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})

MAX_SDP = 100_000
MAX_NAME = 80
MAX_CHAT = 1000
MAX_ID = 64
MAX_TOKEN = 200
MAX_INVITE = 1024


@dataclass(frozen=True)
class Join:
    room: str
    name: str
    site: str | None
    resume: str | None
    protocol: int
    invite: str | None = None


def parse_join(data: Any) -> Join:
    d = payload_object(data)
    version = field(d, "protocol", int)
    if version not in SUPPORTED_VERSIONS:
        raise RoomError(
            UNSUPPORTED_VERSION,
            f"Protocol {version} is not supported; this server speaks {PROTOCOL_VERSION}.",
        )
    room = text(d, "room", MAX_ID)
    name = text(d, "name", MAX_NAME)
    assert room is not None and name is not None and version is not None
    return Join(
        room=room,
        name=name,
        site=text(d, "site", MAX_ID, required=False),
        resume=text(d, "resume", MAX_TOKEN, required=False),
        protocol=version,
        invite=text(d, "invite", MAX_INVITE, required=False),
    )


def parse_empty(data: Any) -> None:
    payload_object(data)


def parse_participant(data: Any) -> str:
    value = text(payload_object(data), "participant", MAX_ID)
    assert value is not None
    return value


def parse_sdp(data: Any) -> str:
    value = text(payload_object(data), "sdp", MAX_SDP, strip=False)
    assert value is not None
    return value


@dataclass(frozen=True)
class SelfMedia:
    mic: bool | None
    camera: bool | None


def parse_self_media(data: Any) -> SelfMedia:
    d = payload_object(data)
    result = SelfMedia(mic=flag(d, "mic"), camera=flag(d, "camera"))
    if result.mic is None and result.camera is None:
        raise bad("Give 'mic' and/or 'camera'.")
    return result


def parse_receive(data: Any) -> bool:
    return required_flag(data, "video")


def parse_chat(data: Any) -> str:
    value = text(payload_object(data), "text", MAX_CHAT)
    assert value is not None
    return value


@dataclass(frozen=True)
class Mute:
    participant: str
    hard: bool


def parse_mute(data: Any) -> Mute:
    d = payload_object(data)
    participant = text(d, "participant", MAX_ID)
    assert participant is not None
    return Mute(participant, bool(flag(d, "hard", False)))


@dataclass(frozen=True)
class PresentAllow:
    participant: str
    allowed: bool


def parse_present_allow(data: Any) -> PresentAllow:
    """``host:present-allow``: ``{participant, allowed}``."""
    participant = parse_participant(data)
    return PresentAllow(participant, required_flag(data, "allowed"))


def parse_hard(data: Any) -> bool:
    return bool(flag(payload_object(data), "hard", False))


def parse_lock(data: Any) -> bool:
    return required_flag(data, "locked")


def parse_record(data: Any) -> bool:
    return required_flag(data, "on")


def parse_hand(data: Any) -> bool:
    return required_flag(data, "raised")


MAX_SHOWN = 100
"""Most participants one page can say it shows (``media:shown``)."""


def parse_shown(data: Any) -> frozenset[str] | None:
    """``media:shown``: the participants whose video the page shows; ``null`` for all."""
    d = payload_object(data)
    if "participants" not in d:
        raise bad("Give 'participants' (a list of ids, or null for all).")
    value = d["participants"]
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_SHOWN:
        raise bad(f"'participants' must be a list of at most {MAX_SHOWN} ids, or null.")
    if not all(isinstance(v, str) and 0 < len(v) <= MAX_ID for v in value):
        raise bad("'participants' must hold participant ids.")
    return frozenset(value)


# ----------------------------------------------------------------------------- server -> client
# Payloads the server pushes that issue 8 added (docs/protocol.md; web/static/js/protocol.js).
# ``room:state`` and ``room:delta`` are declared with the views they carry: rooms.views,
# rooms.view_delta.RoomDelta.


class MediaLimits(TypedDict):
    """``media:limits``: what the page's camera may send (rooms.weak_links.SendLimits)."""

    max_bitrate: int | None
    scale_down: float
    max_framerate: float | None
    low_only: bool
    reason: str
    unseen: bool


class Admitted(TypedDict):
    """``lobby:result`` of an admission: your ``room:state`` view and the ``media:tracks`` map
    of the connection you set up in the lobby, in one message."""

    status: str
    room: dict[str, Any]
    tracks: dict[str, TrackInfo]


class PresentStopped(TypedDict):
    """``present:stopped`` (to the presenter whose share someone else stopped)."""

    reason: str  # "taken_over" (a host started presenting), "host", "revoked"


class MediaRestart(TypedDict):
    """``media:restart``: your media connection's worker ended; connect again."""

    reason: str


class MediaLayer(TypedDict):
    """``media:layer``: which layer of ``publisher``'s video the server now forwards to you."""

    publisher: str
    layer: str
    reason: str
