"""Recordings on disk: one folder per recording of a session, holding one WebM file per
participant (``media.recording``) and ``recording.json`` — who was recorded, from when to when,
and who spoke when. The folder is the whole record: listing, playback, download and the retention
rule read nothing else.

Layout: ``<root>/<room id>/<recording id>/{recording.json, <participant id>.webm}``.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from media.recording import ParticipantRecorder

META = "recording.json"
_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class RecordedParticipant:
    id: str
    name: str
    site: str | None
    file: str
    start_s: float
    """Seconds since the recording started when this participant's file began."""
    end_s: float | None = None
    screen_of: str | None = None
    """Set for a screen share's file: the participant id of who presented it."""


@dataclass
class RecordingMeta:
    id: str
    room_id: str
    title: str
    started_at: float  # wall clock (epoch seconds)
    started_by: str | None
    stopped_at: float | None = None
    participants: list[RecordedParticipant] = field(default_factory=list)
    timeline: list[tuple[float, str, bool]] = field(default_factory=list)
    """(seconds since the start, participant id, speaking)."""

    @property
    def duration_s(self) -> float | None:
        return None if self.stopped_at is None else self.stopped_at - self.started_at

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data["duration_s"] = self.duration_s
        data["timeline"] = [list(entry) for entry in self.timeline]
        return data

    @classmethod
    def parse(cls, data: dict[str, Any]) -> RecordingMeta:
        people = [RecordedParticipant(**p) for p in data.get("participants", [])]
        timeline = [(float(t), str(p), bool(s)) for t, p, s in data.get("timeline", [])]
        fields = {k: data[k] for k in ("id", "room_id", "title", "started_at", "started_by")}
        return cls(
            **fields, stopped_at=data.get("stopped_at"), participants=people, timeline=timeline
        )


class Recording:
    """A session's recording in progress."""

    def __init__(
        self,
        folder: Path,
        meta: RecordingMeta,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.folder = folder
        self.meta = meta
        self._clock = clock
        self._wall = wall
        self._origin = clock()
        self._recorders: dict[str, ParticipantRecorder] = {}
        folder.mkdir(parents=True, exist_ok=True)
        self._save()

    @property
    def recorders(self) -> dict[str, ParticipantRecorder]:
        return self._recorders

    def elapsed(self) -> float:
        return self._clock() - self._origin

    def add(
        self,
        participant_id: str,
        name: str,
        site: str | None,
        on_keyframe_needed: Callable[[], None] | None = None,
        screen_of: str | None = None,
    ) -> ParticipantRecorder:
        """Start (or restart, after a leave and rejoin: a second file) a participant's file;
        ``screen_of``: the file is the screen share (id ``<presenter>.screen``) of that
        participant, video only."""
        if participant_id in self._recorders:
            return self._recorders[participant_id]
        count = sum(1 for p in self.meta.participants if p.id == participant_id)
        file = f"{participant_id}.webm" if count == 0 else f"{participant_id}-{count + 1}.webm"
        recorder = ParticipantRecorder(
            self.folder / file, self._origin, self._clock, on_keyframe_needed
        )
        self._recorders[participant_id] = recorder
        self.meta.participants.append(
            RecordedParticipant(
                participant_id, name, site, file, round(self.elapsed(), 3), screen_of=screen_of
            )
        )
        self._save()
        return recorder

    def remove(self, participant_id: str) -> None:
        recorder = self._recorders.pop(participant_id, None)
        if recorder is None:
            return
        recorder.close()
        for p in reversed(self.meta.participants):
            if p.id == participant_id and p.end_s is None:
                p.end_s = round(self.elapsed(), 3)
                break
        self._save()

    def spoke(self, participant_id: str, speaking: bool) -> None:
        if participant_id in self._recorders:
            self.meta.timeline.append((round(self.elapsed(), 3), participant_id, speaking))

    def stop(self) -> RecordingMeta:
        for participant_id in list(self._recorders):
            self.remove(participant_id)
        self.meta.stopped_at = self._wall()
        # participants whose file never got a packet have no file: leave them out
        self.meta.participants = [
            p for p in self.meta.participants if (self.folder / p.file).exists()
        ]
        self._save()
        return self.meta

    def _save(self) -> None:
        tmp = self.folder / (META + ".tmp")
        tmp.write_text(json.dumps(self.meta.public(), ensure_ascii=False, indent=1))
        tmp.replace(self.folder / META)


class UnknownRecording(LookupError):
    pass


class RecordingLibrary:
    """Every recording under one root folder."""

    def __init__(self, root: Path, wall: Callable[[], float] = time.time) -> None:
        self.root = root
        self._wall = wall

    def start(
        self, room_id: str, title: str, started_by: str | None, clock: Callable[[], float]
    ) -> Recording:
        now = self._wall()
        rec_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f"-{int(now * 1000) % 1000:03d}"
        meta = RecordingMeta(rec_id, room_id, title, now, started_by)
        return Recording(self._folder(room_id, rec_id), meta, clock, self._wall)

    def of_room(self, room_id: str) -> list[RecordingMeta]:
        folder = self.root / _checked(room_id)
        if not folder.is_dir():
            return []
        found = [self._read(f) for f in folder.iterdir() if (f / META).is_file()]
        return sorted(found, key=lambda m: m.started_at, reverse=True)

    def get(self, room_id: str, rec_id: str) -> RecordingMeta:
        folder = self._folder(room_id, rec_id)
        if not (folder / META).is_file():
            raise UnknownRecording(rec_id)
        return self._read(folder)

    def file(self, room_id: str, rec_id: str, name: str) -> Path:
        """A participant's file of a recording (only names the recording lists)."""
        meta = self.get(room_id, rec_id)
        if name not in {p.file for p in meta.participants}:
            raise UnknownRecording(name)
        return self._folder(room_id, rec_id) / name

    def prune(self, keep_days: float) -> list[str]:
        """Delete recordings stopped more than ``keep_days`` ago; returns their ids."""
        if keep_days <= 0 or not self.root.is_dir():
            return []
        cutoff = self._wall() - keep_days * 86400
        gone = []
        for room in self.root.iterdir():
            for folder in room.iterdir() if room.is_dir() else ():
                try:
                    meta = self._read(folder)
                except (OSError, ValueError, KeyError, TypeError):
                    continue
                if meta.stopped_at is not None and meta.stopped_at < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)
                    gone.append(meta.id)
        return gone

    def _folder(self, room_id: str, rec_id: str) -> Path:
        return self.root / _checked(room_id) / _checked(rec_id)

    @staticmethod
    def _read(folder: Path) -> RecordingMeta:
        return RecordingMeta.parse(json.loads((folder / META).read_text()))


def _checked(part: str) -> str:
    if not _SAFE.match(part):
        raise UnknownRecording(part)
    return part


__all__ = [
    "RecordedParticipant",
    "Recording",
    "RecordingLibrary",
    "RecordingMeta",
    "UnknownRecording",
]
