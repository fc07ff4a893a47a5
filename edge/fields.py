"""Reading the fields of a client's JSON object (socket.io payloads in signaling/payloads.py; a
new session's REST body is declared in ``rooms.new_session``): a wrong type, a missing field or
an oversized value raises ``RoomError("invalid_request")``."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from rooms.errors import INVALID_REQUEST, RoomError

MAX_PAYLOAD_BYTES = 128 * 1024
"""Largest payload of one event once encoded as JSON (an SDP with many m-lines is ~20 KB)."""

T = TypeVar("T")


def bad(message: str) -> RoomError:
    return RoomError(INVALID_REQUEST, message)


def payload_object(data: Any) -> dict[str, Any]:
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


def field(data: dict[str, Any], key: str, kind: type[T], *, required: bool = True) -> T | None:
    value = data.get(key)
    if value is None:
        if required:
            raise bad(f"Field {key!r} is required.")
        return None
    # bool is an int in Python: never accept one for the other.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise bad(f"Field {key!r} must be of type {kind.__name__}.")
    return value


def text(
    data: dict[str, Any], key: str, limit: int, *, required: bool = True, strip: bool = True
) -> str | None:
    value = field(data, key, str, required=required)
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


def flag(data: dict[str, Any], key: str, default: bool | None = None) -> bool | None:
    value = field(data, key, bool, required=False)
    return default if value is None else value


def required_flag(data: Any, key: str) -> bool:
    value = field(payload_object(data), key, bool)
    assert value is not None
    return value
