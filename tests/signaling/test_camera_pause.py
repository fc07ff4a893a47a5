"""A camera nobody sees is told to pause (``media:limits`` ``unseen``), and to send again the
moment a page shows it (media/unseen_pause.py through signaling/link_policy.py)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest

from media.settings import UplinkStats
from rooms.model import Participant, ParticipantRole, ParticipantState
from rooms.sites import BuiltinSites
from rooms.weak_links import WeakLinkPolicy
from signaling.link_policy import LinkPolicy
from tests.conftest import RunningServer, make_settings, start_server
from tests.signaling.meeting import Person, hosted_room, join_admitted


@pytest.fixture
async def quick_pause(tmp_path: Path) -> AsyncIterator[RunningServer]:
    """A server whose cameras pause after one second unseen."""
    runner, running = await start_server(make_settings(tmp_path, camera_pause_unseen=1.0))
    try:
        yield running
    finally:
        await runner.cleanup()


async def test_the_camera_of_a_site_nobody_shows_pauses_and_resumes_when_shown(
    quick_pause: RunningServer, people: list[Person]
) -> None:
    room, host = await hosted_room(quick_pause, people)
    site = await join_admitted(quick_pause, room, host, "Lurah Gondang")
    people.append(site)
    await host.frames(site, "video", 3)
    await site.frames(host, "video", 3)

    await host.client.shown([])  # the host's page shows no site's tile
    paused = await site.client.wait_event("media:limits", lambda d: d["unseen"])
    assert paused["reason"] == "ok" and not paused["low_only"]  # the link itself allows all
    # The host is seen by the site: its own camera is never told to pause.
    assert not any(d["unseen"] for d in host.client.events("media:limits"))

    t0 = time.monotonic()
    await host.client.shown([site.id])
    resumed = await site.client.wait_event("media:limits", lambda d: not d["unseen"])
    assert time.monotonic() - t0 < 1.0  # at once, not at the next tick of the link policy
    assert resumed["reason"] == "ok"
    await host.frames(site, "video", 5)  # (this client never stopped; a page does)


class _Uplink:
    """The SFU as the link policy sees it: what arrives from the page, and nothing else."""

    def __init__(self, loss: float) -> None:
        self.stats = UplinkStats(received_bps=300_000, loss=loss)

    def uplink(self, participant_id: str) -> UplinkStats:
        return self.stats

    def set_downlink_prior(self, participant_id: str, bps: int | None) -> None:
        pass

    def set_video_ceiling(self, participant_id: str, layer: str) -> None:
        pass


class _Pages:
    """What each page was told."""

    def __init__(self) -> None:
        self.told: list[dict[str, Any]] = []

    async def to_participant(self, participant_id: str, event: str, payload: Any) -> None:
        self.told.append(payload)


async def test_a_pause_over_a_lossy_uplink_ends_when_the_site_is_shown() -> None:
    """Limits kept for the uplink's loss (``send_limits``'s hysteresis hands back the limits
    it was given) must not keep the pause: found over a 5 % loss VSAT link in
    bench/camera_pause.py, where the camera never came back."""
    lurah = Participant(
        "p_1", "r_1", "Lurah", ParticipantRole.PARTICIPANT, ParticipantState.ADMITTED
    )
    sfu, pages = _Uplink(loss=0.10), _Pages()
    links = LinkPolicy(
        cast(Any, None), cast(Any, None), cast(Any, pages), cast(Any, sfu),
        BuiltinSites, WeakLinkPolicy(), every=10.0,
    )  # fmt: skip
    await links.apply(lurah)
    assert pages.told[-1]["reason"] == "uplink_loss" and not pages.told[-1]["unseen"]
    links._unseen.add(lurah.id)  # what video_seen(p_1, False) does before it re-applies
    sfu.stats = UplinkStats(received_bps=0, loss=0.10)  # paused: no video, loss as it was
    await links.apply(lurah)
    assert pages.told[-1]["unseen"] and pages.told[-1]["reason"] == "uplink_loss"
    # Shown again, the loss read lower: under what sets limits, above what lifts them (a 5 %
    # radio link reads 2-8 % from one second to the next), so the link's limits are kept.
    links._unseen.discard(lurah.id)
    sfu.stats = UplinkStats(received_bps=300_000, loss=0.02)
    await links.apply(lurah)
    assert pages.told[-1]["unseen"] is False, pages.told
    assert pages.told[-1]["reason"] == "uplink_loss"  # the link's own limits stay
