"""A camera nobody sees is told to pause (``media:limits`` ``unseen``), and to send again the
moment a page shows it (media/unseen_pause.py through signaling/link_policy.py)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

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
