"""The weak-site policy as a table: what a participant receives, and the host's readiness word."""

from __future__ import annotations

import pytest

from rooms.sites import LinkHealth
from rooms.weak_links import ReceiveProfile, WeakLinkPolicy, readiness, receive_profile

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
