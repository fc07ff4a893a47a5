"""A session's recordings as the REST API answers them (``GET /api/rooms/{id}/recordings``):
declared once, as dataclasses whose fields are the JSON answer and its OpenAPI schema
(``web.openapi.declared``). The recording itself is ``media.recordings.RecordingMeta`` (its
folder's ``recording.json``); the answer is that record plus its duration, and
``tests/web/test_openapi.py`` checks the two keep the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ConfigDict

from media.recordings import RecordedParticipant, RecordingMeta

_CONFIG = ConfigDict(use_attribute_docstrings=True)


@dataclass(frozen=True, kw_only=True)
class RecordingAnswer:
    """One recording of a session: one WebM file (VP8 + Opus) per participant and per shared
    screen, and who spoke when."""

    __pydantic_config__ = _CONFIG

    id: str
    room_id: str
    title: str
    started_at: float
    """epoch seconds"""
    started_by: str | None
    stopped_at: float | None
    """null while it is still recording"""
    duration_s: float | None
    """null while it is still recording"""
    participants: list[RecordedParticipant]
    """one file each: ``start_s`` and ``end_s`` are seconds since the recording started;
    ``screen_of`` names the presenter of a screen share's file"""
    timeline: list[tuple[float, str, bool]]
    """[seconds since the start, participant id, speaking]"""

    @classmethod
    def of(cls, meta: RecordingMeta) -> RecordingAnswer:
        return cls(
            id=meta.id,
            room_id=meta.room_id,
            title=meta.title,
            started_at=meta.started_at,
            started_by=meta.started_by,
            stopped_at=meta.stopped_at,
            duration_s=meta.duration_s,
            participants=list(meta.participants),
            timeline=list(meta.timeline),
        )


@dataclass(frozen=True, kw_only=True)
class RecordingList:
    """A session's recordings, newest first."""

    __pydantic_config__ = _CONFIG

    items: list[RecordingAnswer]
