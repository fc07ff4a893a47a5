"""What a site's known link means for a session, decided before trouble starts.

- :func:`receive_profile`: what a participant from that site receives when admitted — audio only
  when the link is down, degraded or unreachable, slow (round trip, loss), thin (uplink capacity
  under ``min_capacity_kbps``) or VSAT; everything otherwise, and when nothing is known. aiortc
  has no simulcast or bandwidth estimation (docs/media.md), so choosing *what* to forward is the
  only lever; the field guide's measurements show video over 384 kbit/s with 600 ms round trips
  starving the audio.
- :func:`readiness`: the host's one-word summary of an invited site before a session.

Pure functions of ``LinkHealth``: no I/O, table-tested in tests/rooms/test_weak_links.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from rooms.sites import LinkHealth

WEAK_STATES = frozenset({"DOWN", "DEGRADED", "UNREACHABLE"})


@dataclass(frozen=True)
class WeakLinkPolicy:
    min_capacity_kbps: int = 512
    """An uplink under this capacity gets audio only (180p video alone is ~200 kbps)."""
    max_rtt_ms: float = 400.0
    """A measured round trip above this gets audio only."""
    max_loss: float = 0.02
    """A measured loss ratio above this gets audio only."""
    audio_only_media: frozenset[str] = frozenset({"vsat"})
    """Uplink media that always get audio only (VSAT: ~600 ms round trip, thin and shared)."""


@dataclass(frozen=True)
class ReceiveProfile:
    video: bool
    reason: str | None = None
    """Why video is off: ``link_down``, ``link_degraded``, ``link_unreachable``, ``slow_link``,
    ``lossy_link``, ``low_capacity`` or ``vsat``; None when video is on."""


FULL = ReceiveProfile(video=True)


def receive_profile(
    link: LinkHealth | None, policy: WeakLinkPolicy = WeakLinkPolicy()
) -> ReceiveProfile:
    if link is None:
        return FULL
    if link.state in WEAK_STATES:
        return ReceiveProfile(False, f"link_{link.state.lower()}")
    if link.medium is not None and link.medium.lower() in policy.audio_only_media:
        return ReceiveProfile(False, link.medium.lower())
    if link.capacity_kbps is not None and link.capacity_kbps < policy.min_capacity_kbps:
        return ReceiveProfile(False, "low_capacity")
    if link.rtt_ms is not None and link.rtt_ms > policy.max_rtt_ms:
        return ReceiveProfile(False, "slow_link")
    if link.loss is not None and link.loss > policy.max_loss:
        return ReceiveProfile(False, "lossy_link")
    return FULL


READY, WEAK, DOWN, UNKNOWN = "ready", "weak", "down", "unknown"


def readiness(link: LinkHealth | None, policy: WeakLinkPolicy = WeakLinkPolicy()) -> str:
    """``down`` (DOWN / UNREACHABLE: cannot join), ``weak`` (can join, audio only by default),
    ``ready`` (UP with video), ``unknown`` (no measurement: no probe target, planned, never
    answered)."""
    if link is None:
        return UNKNOWN
    if link.state in ("DOWN", "UNREACHABLE"):
        return DOWN
    if link.state in ("UP", "DEGRADED", "MAINTENANCE"):
        return READY if receive_profile(link, policy).video else WEAK
    return UNKNOWN


__all__ = [
    "DOWN",
    "FULL",
    "READY",
    "UNKNOWN",
    "WEAK",
    "WEAK_STATES",
    "ReceiveProfile",
    "WeakLinkPolicy",
    "readiness",
    "receive_profile",
]
