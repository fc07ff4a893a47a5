"""Typed errors of the meeting core; signaling and the REST edge translate them once."""

from __future__ import annotations

from typing import Final

# The stable error codes of docs/protocol.md ("Errors"); nothing else is ever sent.
UNSUPPORTED_VERSION: Final = "unsupported_version"
INVALID_REQUEST: Final = "invalid_request"
NOT_FOUND: Final = "not_found"
FORBIDDEN: Final = "forbidden"
ROOM_LOCKED: Final = "room_locked"
ROOM_ENDED: Final = "room_ended"
NOT_IN_ROOM: Final = "not_in_room"
NOT_ADMITTED: Final = "not_admitted"
DENIED: Final = "denied"
REMOVED: Final = "removed"
INVALID_SDP: Final = "invalid_sdp"
OFFER_COLLISION: Final = "offer_collision"
"""The server's own offer is pending: answer it, then send the offer again."""
RATE_LIMITED: Final = "rate_limited"
INTERNAL: Final = "internal"

ERROR_CODES: Final = (
    UNSUPPORTED_VERSION,
    INVALID_REQUEST,
    NOT_FOUND,
    FORBIDDEN,
    ROOM_LOCKED,
    ROOM_ENDED,
    NOT_IN_ROOM,
    NOT_ADMITTED,
    DENIED,
    REMOVED,
    INVALID_SDP,
    OFFER_COLLISION,
    RATE_LIMITED,
    INTERNAL,
)


class RoomError(Exception):
    """A meeting operation was refused: ``code`` is in ERROR_CODES, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown room error code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
