"""Who is speaking: audio levels in, speaking on/off out, with hysteresis.

Levels are RFC 6464 dBov values as the SFU reports them (0 loudest, -127 silence). A participant
starts speaking after ``start_after`` seconds of levels at or above ``on_level`` and stops after
``stop_after`` seconds at or below ``off_level``, so one cough or a short pause changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SpeakingThresholds:
    on_level: int = -45
    off_level: int = -55
    start_after: float = 0.15
    stop_after: float = 1.0


@dataclass
class _Track:
    speaking: bool = False
    since: float | None = None
    """When the level first crossed towards the other state (None: no change pending)."""


@dataclass
class SpeakingDetector:
    thresholds: SpeakingThresholds = field(default_factory=SpeakingThresholds)
    _tracks: dict[str, _Track] = field(default_factory=dict)

    def level(self, participant: str, level_dbov: int, now: float) -> bool | None:
        """Feed one level report; returns the new speaking state when it changed, else None."""
        t = self._tracks.setdefault(participant, _Track())
        th = self.thresholds
        if t.speaking:
            crossing = level_dbov <= th.off_level
            hold = th.stop_after
        else:
            crossing = level_dbov >= th.on_level
            hold = th.start_after
        if not crossing:
            t.since = None
            return None
        if t.since is None:
            t.since = now
        if now - t.since >= hold:
            t.speaking = not t.speaking
            t.since = None
            return t.speaking
        return None

    def speaking(self, participant: str) -> bool:
        t = self._tracks.get(participant)
        return t is not None and t.speaking

    def forget(self, participant: str) -> bool:
        """Drop a participant (muted, left); True if they were speaking."""
        t = self._tracks.pop(participant, None)
        return t is not None and t.speaking


def push_speaker(recent: list[str], participant: str, keep: int = 8) -> list[str]:
    """Most-recent-first list of speakers with ``participant`` moved to the front."""
    return [participant, *(p for p in recent if p != participant)][:keep]
