"""The weak-site policy as tables: what a participant receives (audio-only default, video
ceiling, downlink prior), what its camera may send, and the host's readiness word."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rooms.sites import LinkHealth
from rooms.weak_links import (
    LAYERS,
    NO_LIMITS,
    ReceiveProfile,
    SendLimits,
    WeakLinkPolicy,
    downlink_prior,
    readiness,
    receive_profile,
    send_limits,
    video_ceiling,
)

AUDIO = False
VIDEO = True


@pytest.mark.parametrize(
    ("link", "video", "reason", "ready"),
    [
        (None, VIDEO, None, "unknown"),
        (LinkHealth("UNKNOWN"), VIDEO, None, "unknown"),
        (LinkHealth("PLANNED"), VIDEO, None, "unknown"),
        (LinkHealth("UP", 23.5, 0.0, "fiber", 10_000), VIDEO, None, "ready"),
        (LinkHealth("UP", 23.5, 0.0), VIDEO, None, "ready"),
        (LinkHealth("MAINTENANCE", 30.0, 0.0, "fiber", 10_000), VIDEO, None, "ready"),
        (LinkHealth("DOWN", None, 1.0, "fiber", 10_000), AUDIO, "link_down", "down"),
        (LinkHealth("UNREACHABLE", None, 1.0), AUDIO, "link_unreachable", "down"),
        (LinkHealth("DEGRADED", 120.0, 0.25), AUDIO, "link_degraded", "weak"),
        (LinkHealth("UP", 610.0, 0.0, "vsat", 2048), AUDIO, "vsat", "weak"),
        (LinkHealth("UP", 30.0, 0.0, "VSAT", 4096), AUDIO, "vsat", "weak"),
        (LinkHealth("UP", 30.0, 0.0, "wireless", 384), AUDIO, "low_capacity", "weak"),
        (LinkHealth("UP", 30.0, 0.0, "wireless", 512), VIDEO, None, "ready"),
        (LinkHealth("UP", 450.0, 0.0, "adsl", 1024), AUDIO, "slow_link", "weak"),
        (LinkHealth("UP", 400.0, 0.02, "adsl", 1024), VIDEO, None, "ready"),
        (LinkHealth("UP", 40.0, 0.05, "cellular", None), AUDIO, "lossy_link", "weak"),
    ],
)
def test_profile_and_readiness(
    link: LinkHealth | None, video: bool, reason: str | None, ready: str
) -> None:
    assert receive_profile(link) == ReceiveProfile(video, reason)
    assert readiness(link) == ready


def test_capacity_threshold_is_configurable() -> None:
    thin = LinkHealth("UP", 20.0, 0.0, "fiber", 768)
    assert receive_profile(thin).video
    strict = WeakLinkPolicy(min_capacity_kbps=1024)
    assert receive_profile(thin, strict) == ReceiveProfile(False, "low_capacity")
    assert readiness(thin, strict) == "weak"


@pytest.mark.parametrize(
    ("receive_video", "link", "ceiling"),
    [
        (True, None, "high"),
        (True, LinkHealth("UP", 23.5, 0.0, "fiber", 10_000), "high"),
        (False, LinkHealth("UP", 23.5, 0.0, "fiber", 10_000), "still"),
        (False, LinkHealth("UP", 610.0, 0.0, "vsat", 512), "still"),
        # video switched back on over VSAT: the low layer, not a collapse of the audio
        (True, LinkHealth("UP", 610.0, 0.0, "vsat", 512), "low"),
        (True, LinkHealth("DEGRADED", 120.0, 0.25), "low"),
    ],
)
def test_video_ceiling(receive_video: bool, link: LinkHealth | None, ceiling: str) -> None:
    assert video_ceiling(receive_video, receive_profile(link)) == ceiling
    assert ceiling in LAYERS


@pytest.mark.parametrize(
    ("link", "prior"),
    [
        (None, None),
        (LinkHealth("UNKNOWN"), None),
        (LinkHealth("PLANNED", None, None, "vsat", 512), None),
        (LinkHealth("UP", 23.5, 0.0), None),  # measured, capacity unknown: no guess
        (LinkHealth("UP", 23.5, 0.0, "fiber", 10_000), 5_936_000),
        (LinkHealth("UP", 30.0, 0.0, "wireless", 1024), 550_400),
        # VSAT 512 kbit/s: 307 kbit/s for the session, less the audio
        (LinkHealth("UP", 610.0, 0.0, "vsat", 512), 200_000),
        (LinkHealth("UP", 30.0, 0.0, "vsat", None), 89_600),
        (LinkHealth("UP", 30.0, 0.0, "wireless", 256), 89_600),
        (LinkHealth("UP", 450.0, 0.0, "adsl", 4096), 200_000),
        (LinkHealth("UP", 40.0, 0.05, "cellular", None), 200_000),
        (LinkHealth("DEGRADED", 120.0, 0.25, "fiber", 10_000), 200_000),
        # nothing gets through: start at low_base (half the low layer) and probe upward
        (LinkHealth("DOWN", None, 1.0, "wireless", 128), 75_000),
    ],
)
def test_downlink_prior(link: LinkHealth | None, prior: int | None) -> None:
    assert downlink_prior(link) == prior


@dataclass(frozen=True)
class Uplink:
    received_bps: int
    loss: float


FIBER = LinkHealth("UP", 23.5, 0.0, "fiber", 10_000)


@pytest.mark.parametrize(
    ("link", "uplink", "audio_only", "limits"),
    [
        (None, None, False, NO_LIMITS),
        (FIBER, None, False, NO_LIMITS),
        (FIBER, Uplink(700_000, 0.01), False, NO_LIMITS),
        # the user's (or the site's) audio-only mode: the low layer at a few fps
        (FIBER, None, True, SendLimits(75_000, 1.0, 5.0, True, "audio_only")),
        (None, None, True, SendLimits(75_000, 1.0, 5.0, True, "audio_only")),
        # a weak site switched video on: only the low layer, within its link
        (
            LinkHealth("UP", 610.0, 0.0, "vsat", 512),
            None,
            False,
            SendLimits(150_000, 1.0, 15.0, True, "vsat"),
        ),
        (
            LinkHealth("UP", 30.0, 0.0, "wireless", 256),
            None,
            False,
            SendLimits(89_600, 1.0, 15.0, True, "low_capacity"),
        ),
        (
            LinkHealth("DEGRADED", 120.0, 0.25),
            None,
            False,
            SendLimits(150_000, 1.0, 15.0, True, "link_degraded"),
        ),
        # what the SFU receives from a good site tells of trouble the inventory does not see
        (FIBER, Uplink(300_000, 0.12), False, SendLimits(150_000, 1.0, 15.0, True, "uplink_loss")),
        (
            FIBER,
            Uplink(500_000, 0.05),
            False,
            SendLimits(5_936_000, 2.0, 15.0, False, "uplink_loss"),
        ),
        (None, Uplink(500_000, 0.05), False, SendLimits(None, 2.0, 15.0, False, "uplink_loss")),
        # ... and an unknown site's thin lossy uplink (a 256 kbit/s radio link): the low layer
        (None, Uplink(200_000, 0.05), False, SendLimits(150_000, 1.0, 15.0, True, "uplink_loss")),
        # a thin but not weak uplink: the high layer at half resolution within the budget
        (
            LinkHealth("UP", 30.0, 0.0, "wireless", 512),
            None,
            False,
            SendLimits(243_200, 2.0, None, False, "uplink_rate"),
        ),
    ],
)
def test_send_limits(
    link: LinkHealth | None, uplink: Uplink | None, audio_only: bool, limits: SendLimits
) -> None:
    assert send_limits(link, uplink, audio_only) == limits


def test_limits_for_a_lossy_uplink_hold_until_the_loss_is_gone() -> None:
    """A 5 % radio uplink reads 2–8 %: lifting the limits at 3 % turned the page's high layer
    on and off every few seconds, and the host waited for a keyframe at each turn."""
    low = send_limits(None, Uplink(200_000, 0.05), False)
    assert low.low_only and low.reason == "uplink_loss"
    assert send_limits(None, Uplink(150_000, 0.025), False, before=low) == low  # still lossy
    assert send_limits(None, Uplink(150_000, 0.01), False, before=low) == NO_LIMITS  # clean
    # something tighter still applies at once
    assert send_limits(None, Uplink(150_000, 0.025), True, before=low).reason == "audio_only"
    # limits of another reason do not hold
    rate = send_limits(LinkHealth("UP", 30.0, 0.0, "wireless", 512), None, False)
    assert send_limits(None, Uplink(150_000, 0.025), False, before=rate) == NO_LIMITS
