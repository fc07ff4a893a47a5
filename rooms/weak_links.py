"""What a site's known link means for a session, decided before trouble starts.

- :func:`receive_profile`: whether a participant from that site starts in audio-only mode when
  admitted — when the link is down, degraded or unreachable, slow (round trip, loss), thin
  (uplink capacity under ``min_capacity_kbps``) or VSAT; everything otherwise, and when nothing
  is known. The field guide's measurements show full video over 384 kbit/s with 600 ms round
  trips starving the audio.
- :func:`video_ceiling`: the highest video layer the SFU may forward to that participant
  (audio-only = ``"still"``: a still of the host every few seconds, not a black tile).
- :func:`downlink_prior`: what the site's downlink is believed to carry, the per-receiver rate
  controller's starting point (a VSAT site starts low instead of after trouble).
- :func:`send_limits`: the participant's own camera limits (``media:limits``), from the link and
  the SFU's estimate of what it receives from that participant.
- :func:`readiness`: the host's one-word summary of an invited site before a session.

Pure functions: no I/O, table-tested in tests/rooms/test_weak_links.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, Protocol

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
    if link.medium is not None and _is_audio_only_medium(link, policy):
        return ReceiveProfile(False, link.medium.lower())
    if link.capacity_kbps is not None and link.capacity_kbps < policy.min_capacity_kbps:
        return ReceiveProfile(False, "low_capacity")
    if link.rtt_ms is not None and link.rtt_ms > policy.max_rtt_ms:
        return ReceiveProfile(False, "slow_link")
    if link.loss is not None and link.loss > policy.max_loss:
        return ReceiveProfile(False, "lossy_link")
    return FULL


# ----------------------------------------------------------------------------- receiving

LAYERS = ("off", "still", "low_base", "low", "high")
"""The video layers the SFU forwards per subscriber (docs/media.md), lowest first."""


def video_ceiling(receive_video: bool, profile: ReceiveProfile) -> str:
    """The highest layer a participant may receive: ``"still"`` in audio-only mode (their
    choice or the site policy); ``"low"`` when they switched video on although their site's
    link is weak (video falls back to the low layer instead of starving the audio);
    ``"high"`` otherwise."""
    if not receive_video:
        return "still"
    return "high" if profile.video else "low"


LOW_LAYER_BPS = 150_000
"""What the low layer (~320x180, 15 fps) costs at most; a prior under it starts at low_base."""
_AUDIO_BPS = 64_000
"""Room for the audio of a few speakers (Opus ~32 kbit/s each, more with RED) before video."""
_VIDEO_SHARE = 0.6
"""Part of an uplink's capacity the session's video may count on (the link is shared)."""
_VSAT_BPS = 256_000
"""What a VSAT site is assumed to carry when its capacity is not recorded."""
_WEAK_START_BPS = 200_000
"""Where a degraded, slow or lossy link starts, whatever its capacity."""


def downlink_prior(
    link: LinkHealth | None, policy: WeakLinkPolicy = WeakLinkPolicy()
) -> int | None:
    """Bits per second of video the site's link is believed to carry, or None (nothing known:
    the controller starts at its own default). A site with no usable link gets a prior just
    under the low layer, so it starts at ``low_base`` and probes upward."""
    if link is None or link.state in ("UNKNOWN", "PLANNED"):
        return None
    capacity = None if link.capacity_kbps is None else link.capacity_kbps * 1000
    if capacity is None and _is_audio_only_medium(link, policy):
        capacity = _VSAT_BPS
    estimate = None if capacity is None else max(0, int(capacity * _VIDEO_SHARE) - _AUDIO_BPS)
    if link.state in WEAK_STATES or _slow_or_lossy(link, policy):
        estimate = _WEAK_START_BPS if estimate is None else min(estimate, _WEAK_START_BPS)
    if estimate is None:
        return None
    return max(estimate, LOW_LAYER_BPS // 2)


def _is_audio_only_medium(link: LinkHealth, policy: WeakLinkPolicy) -> bool:
    return link.medium is not None and link.medium.lower() in policy.audio_only_media


def _slow_or_lossy(link: LinkHealth, policy: WeakLinkPolicy) -> bool:
    return (link.rtt_ms is not None and link.rtt_ms > policy.max_rtt_ms) or (
        link.loss is not None and link.loss > policy.max_loss
    )


# ----------------------------------------------------------------------------- sending


class UplinkEstimate(Protocol):
    """What the SFU receives from a participant (``media.settings.UplinkStats``)."""

    @property
    def received_bps(self) -> int: ...

    @property
    def loss(self) -> float: ...


@dataclass(frozen=True)
class SendLimits:
    """The camera limits a page applies with ``RTCRtpSender.setParameters`` (``media:limits``).

    ``max_bitrate`` (bit/s, None = the browser decides) is the whole camera's budget, both layers;
    ``scale_down`` the high layer's ``scaleResolutionDownBy``; ``max_framerate`` caps both layers;
    ``low_only`` switches the high layer off so that only the low layer (~320x180) is sent.
    """

    max_bitrate: int | None = None
    scale_down: float = 1.0
    max_framerate: float | None = None
    low_only: bool = False
    reason: str = "ok"
    """``ok`` (no limit), ``audio_only``, a :class:`ReceiveProfile` reason of the site's link
    (``vsat``, ``low_capacity``, ``link_degraded``, ...), ``uplink_loss`` or ``uplink_rate`` (the
    SFU's estimate of what arrives from the page)."""


NO_LIMITS = SendLimits()
AUDIO_ONLY_FPS = 5.0
"""In audio-only mode the camera sends the low layer at a few frames per second."""
UPLINK_LOSS_HEAVY = 0.08
"""Loss of what arrives from the page above which only the low layer is sent."""
UPLINK_LOSS_SOME = 0.03
"""Loss above which the high layer is halved in resolution and frame rate (of a site the
inventory knows nothing about sending less than ``THIN_UPLINK_BPS``: only the low layer)."""
THIN_UPLINK_BPS = LOW_LAYER_BPS * 3
UPLINK_LOSS_CLEAR = 0.015
"""Loss under which limits set for ``uplink_loss`` are lifted again. A 5 % radio uplink reads
2–8 % from one reading to the next: lifted at 3 %, the page turned its high layer on and off
every few seconds, and whoever watched it waited for a keyframe at each turn."""


def send_limits(
    link: LinkHealth | None,
    uplink: UplinkEstimate | None,
    audio_only: bool,
    policy: WeakLinkPolicy = WeakLinkPolicy(),
    before: SendLimits | None = None,
) -> SendLimits:
    """The tightest of: audio-only mode (low layer at a few fps), the site's known link (a weak
    link sends only the low layer, within its budget) and what the SFU actually receives
    (heavy loss: low layer only; some loss: the high layer halved, or over a thin uplink of an
    unknown site the low layer only). Limits set ``before`` for loss stay until the loss is
    under ``UPLINK_LOSS_CLEAR`` (or something tighter applies)."""
    limits = _send_limits(link, uplink, audio_only, policy)
    if (
        before is not None
        and before.reason == "uplink_loss"
        and limits.reason not in ("audio_only", "uplink_loss")
        and uplink is not None
        and uplink.loss >= UPLINK_LOSS_CLEAR
        and not _tighter(limits, before)
    ):
        return before
    return limits


def _tighter(a: SendLimits, b: SendLimits) -> bool:
    """``a`` allows less than ``b`` (only its low layer where ``b`` allows both)."""
    return a.low_only and not b.low_only


def _send_limits(
    link: LinkHealth | None,
    uplink: UplinkEstimate | None,
    audio_only: bool,
    policy: WeakLinkPolicy,
) -> SendLimits:
    budget = downlink_prior(link, policy)  # the uplink of a site is as thin as its downlink
    if audio_only:
        return SendLimits(
            min(budget or LOW_LAYER_BPS, LOW_LAYER_BPS // 2),
            max_framerate=AUDIO_ONLY_FPS,
            low_only=True,
            reason="audio_only",
        )
    profile = receive_profile(link, policy)
    if not profile.video:
        return SendLimits(
            min(budget or LOW_LAYER_BPS, LOW_LAYER_BPS),
            max_framerate=15.0,
            low_only=True,
            reason=profile.reason or "weak_link",
        )
    if uplink is not None and uplink.loss > UPLINK_LOSS_HEAVY:
        return SendLimits(LOW_LAYER_BPS, max_framerate=15.0, low_only=True, reason="uplink_loss")
    if uplink is not None and uplink.loss > UPLINK_LOSS_SOME:
        if budget is None and uplink.received_bps < THIN_UPLINK_BPS:
            # nothing known of the site and little arrives: a thin radio or VSAT uplink, where
            # the high layer at half size would only duplicate the low one
            return SendLimits(
                LOW_LAYER_BPS, max_framerate=15.0, low_only=True, reason="uplink_loss"
            )
        return SendLimits(budget, scale_down=2.0, max_framerate=15.0, reason="uplink_loss")
    if budget is not None and budget < LOW_LAYER_BPS * 3:
        return SendLimits(budget, scale_down=2.0, reason="uplink_rate")
    return NO_LIMITS


# ----------------------------------------------------------------------------- readiness

READY: Final = "ready"
WEAK: Final = "weak"
DOWN: Final = "down"
UNKNOWN: Final = "unknown"
Readiness = Literal["ready", "weak", "down", "unknown"]


def readiness(link: LinkHealth | None, policy: WeakLinkPolicy = WeakLinkPolicy()) -> Readiness:
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
    "AUDIO_ONLY_FPS",
    "DOWN",
    "FULL",
    "LAYERS",
    "LOW_LAYER_BPS",
    "NO_LIMITS",
    "READY",
    "UNKNOWN",
    "WEAK",
    "WEAK_STATES",
    "Readiness",
    "ReceiveProfile",
    "SendLimits",
    "UplinkEstimate",
    "WeakLinkPolicy",
    "downlink_prior",
    "readiness",
    "receive_profile",
    "send_limits",
    "video_ceiling",
]
