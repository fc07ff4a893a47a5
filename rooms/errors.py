"""Typed errors of the meeting core; signaling and the REST edge translate them once."""

from __future__ import annotations

from typing import Any, Final

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
"""Too many events from one socket (signaling/throttle.py); sustained, the socket is dropped."""
LOBBY_FULL: Final = "lobby_full"
"""The lobby of the session, or the lobby entries of one address, reached their cap."""
INVITE_REQUIRED: Final = "invite_required"
"""The session admits only people with an invite link (or hosts)."""
INVITE_INVALID: Final = "invite_invalid"
INVITE_EXPIRED: Final = "invite_expired"
INVITE_REVOKED: Final = "invite_revoked"
NOT_YET_OPEN: Final = "not_yet_open"
"""A scheduled session's join link is not open yet (``opens_at``, ``starts_at``: rooms.schedule)."""
WRONG_NODE: Final = "wrong_node"
"""The session lives on another Pendopo node (scale-out): connect there (``node``)."""
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
    LOBBY_FULL,
    INVITE_REQUIRED,
    INVITE_INVALID,
    INVITE_EXPIRED,
    INVITE_REVOKED,
    WRONG_NODE,
    NOT_YET_OPEN,
    INTERNAL,
)


class RoomError(Exception):
    """A meeting operation was refused: ``code`` is in ERROR_CODES, ``message`` is for people;
    ``details`` are extra fields of the refusal (e.g. ``node`` of ``wrong_node``)."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown room error code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details: dict[str, Any] = details or {}
