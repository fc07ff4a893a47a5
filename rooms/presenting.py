"""Presenting: one participant at a time shares a screen as a second video publication.

The share is its own media connection and its own publisher id (:func:`share_id`), so the SFU
forwards it like any other video — to every admitted participant but the presenter, never to
anyone in the lobby (``rooms.forwarding.plan``). The rules, applied by ``RoomService``:

- a host may always present; another participant only while the host allows it
  (``host:present-allow``);
- one presenter at a time: a host who starts takes over (the previous share stops); anyone
  else is refused while someone presents;
- the share stops when its presenter stops, leaves, drops, is removed, or loses permission.
"""

from __future__ import annotations

from rooms.errors import FORBIDDEN, RoomError
from rooms.model import Participant

SHARE_SUFFIX = ".screen"


def share_id(participant_id: str) -> str:
    """The publisher id of a participant's screen share (participant ids never hold a dot)."""
    return participant_id + SHARE_SUFFIX


def may_start(p: Participant, presenter: Participant | None) -> None:
    """Raise ``forbidden`` unless ``p`` may start presenting now (``presenter``: whoever
    presents at the moment, if anyone)."""
    if not (p.is_host or p.may_present):
        raise RoomError(FORBIDDEN, "The host has not allowed you to present.")
    if presenter is not None and presenter.id != p.id and not p.is_host:
        raise RoomError(
            FORBIDDEN,
            f"{presenter.name} is presenting; wait until they stop.",
            {"presenter": presenter.id},
        )
