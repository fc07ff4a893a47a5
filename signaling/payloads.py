"""Parsing of client event payloads: each event's fields, their types and their limits.

Unknown fields are ignored (newer clients may send more); a wrong type, a missing field or an
oversized value raises ``RoomError("invalid_request")``. Nothing here touches state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypedDict, TypeVar

from rooms.errors import INVALID_REQUEST, UNSUPPORTED_VERSION, RoomError

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})

MAX_PAYLOAD_BYTES = 128 * 1024
"""Largest payload of one event once encoded as JSON (an SDP with many m-lines is ~20 KB)."""
MAX_SDP = 100_000
MAX_NAME = 80
MAX_CHAT = 1000
MAX_ID = 64
MAX_TOKEN = 200
MAX_INVITE = 1024
MAX_TITLE = 200

T = TypeVar("T")


def bad(message: str) -> RoomError:
    return RoomError(INVALID_REQUEST, message)


def _object(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise bad("The payload must be an object.")
    try:
        size = len(json.dumps(data, separators=(",", ":"), default=str))
    except (TypeError, ValueError) as exc:
        raise bad("The payload cannot be read.") from exc
    if size > MAX_PAYLOAD_BYTES:
        raise bad(f"The payload is too large ({size} bytes, at most {MAX_PAYLOAD_BYTES}).")
    return data


def _get(data: dict[str, Any], key: str, kind: type[T], *, required: bool = True) -> T | None:
    value = data.get(key)
    if value is None:
        if required:
            raise bad(f"Field {key!r} is required.")
        return None
    # bool is an int in Python: never accept one for the other.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise bad(f"Field {key!r} must be of type {kind.__name__}.")
    return value


def _text(
    data: dict[str, Any], key: str, limit: int, *, required: bool = True, strip: bool = True
) -> str | None:
    value = _get(data, key, str, required=required)
    if value is None:
        return None
    if strip:
        value = value.strip()
    if required and not value:
        raise bad(f"Field {key!r} must not be empty.")
    if len(value) > limit:
        raise bad(f"Field {key!r} is longer than {limit} characters.")
    if any(ord(c) < 32 and c not in "\n\t" for c in value) and key != "sdp":
        raise bad(f"Field {key!r} contains control characters.")
    return value or None


def _flag(data: dict[str, Any], key: str, default: bool | None = None) -> bool | None:
    value = _get(data, key, bool, required=False)
    return default if value is None else value


def _required_flag(data: Any, key: str) -> bool:
    value = _get(_object(data), key, bool)
    assert value is not None
    return value


@dataclass(frozen=True)
class Join:
    room: str
    name: str
    site: str | None
    resume: str | None
    protocol: int
    invite: str | None = None


def parse_join(data: Any) -> Join:
    d = _object(data)
    version = _get(d, "protocol", int)
    if version not in SUPPORTED_VERSIONS:
        raise RoomError(
            UNSUPPORTED_VERSION,
            f"Protocol {version} is not supported; this server speaks {PROTOCOL_VERSION}.",
        )
    room = _text(d, "room", MAX_ID)
    name = _text(d, "name", MAX_NAME)
    assert room is not None and name is not None and version is not None
    return Join(
        room=room,
        name=name,
        site=_text(d, "site", MAX_ID, required=False),
        resume=_text(d, "resume", MAX_TOKEN, required=False),
        protocol=version,
        invite=_text(d, "invite", MAX_INVITE, required=False),
    )


def parse_empty(data: Any) -> None:
    _object(data)


def parse_participant(data: Any) -> str:
    value = _text(_object(data), "participant", MAX_ID)
    assert value is not None
    return value


def parse_sdp(data: Any) -> str:
    value = _text(_object(data), "sdp", MAX_SDP, strip=False)
    assert value is not None
    return value


@dataclass(frozen=True)
class SelfMedia:
    mic: bool | None
    camera: bool | None


def parse_self_media(data: Any) -> SelfMedia:
    d = _object(data)
    result = SelfMedia(mic=_flag(d, "mic"), camera=_flag(d, "camera"))
    if result.mic is None and result.camera is None:
        raise bad("Give 'mic' and/or 'camera'.")
    return result


def parse_receive(data: Any) -> bool:
    return _required_flag(data, "video")


def parse_chat(data: Any) -> str:
    value = _text(_object(data), "text", MAX_CHAT)
    assert value is not None
    return value


@dataclass(frozen=True)
class Mute:
    participant: str
    hard: bool


def parse_mute(data: Any) -> Mute:
    d = _object(data)
    participant = _text(d, "participant", MAX_ID)
    assert participant is not None
    return Mute(participant, bool(_flag(d, "hard", False)))


def parse_hard(data: Any) -> bool:
    return bool(_flag(_object(data), "hard", False))


def parse_lock(data: Any) -> bool:
    return _required_flag(data, "locked")


def parse_title(data: Any) -> str:
    value = _text(_object(data), "title", MAX_TITLE)
    assert value is not None
    return value


# ----------------------------------------------------------------------------- server -> client
# Payloads the server pushes that issue 8 added (docs/protocol.md; web/static/js/protocol.js).


class MediaLimits(TypedDict):
    """``media:limits``: what the page's camera may send (rooms.weak_links.SendLimits)."""

    max_bitrate: int | None
    scale_down: float
    max_framerate: float | None
    low_only: bool
    reason: str


class MediaLayer(TypedDict):
    """``media:layer``: which layer of ``publisher``'s video the server now forwards to you."""

    publisher: str
    layer: str
    reason: str
