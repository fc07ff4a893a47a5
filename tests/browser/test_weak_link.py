"""Issue 8: a lurah behind a VSAT-like link (profile d: 256 kbit/s, 600 ms round trip, 5 % loss
each way) sees and hears the host.

The link is the weak-link lab (tests/weaklink/): network namespaces, kernel tbf and the project's
user-space bridge; the server is ``pendopo run`` in its own namespace; each Chromium runs in
its own namespace. Thresholds are generous (the benchmark, bench/weaklink.py, has the figures):
a minute after admission the lurah is still connected; over the last 30 s the host's video
decodes at >= 3 fps (the issue's target is 10) and >= 320x180, frozen at most two thirds of
that time (the issue's target: 6 s per minute) -- low enough for a loaded CI machine, whose
Chromiums encode and decode slower; the benchmark measures on a quiet one; and less than 5 % of the host's audio is concealed, clearly
below the link's loss (5 % each way).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from tests.weaklink.browsers import window
from tests.weaklink.fixtures import lab_fixture
from tests.weaklink.lab import Lab
from tests.weaklink.meeting import admit_lurah, open_meeting, stayed_connected, watch

pytestmark = [pytest.mark.netns, pytest.mark.timeout(420)]

AFTER = 60.0  # seconds after admission
LAST = 30.0  # the video must be moving through the last half of that minute
EVERY = 2.0  # seconds between two samples of the lurah's page


@pytest.fixture
def weak_lab(tmp_path: Path) -> Iterator[Lab]:
    yield from lab_fixture(tmp_path, "d")


async def test_lurah_behind_vsat_link_sees_and_hears_host(weak_lab: Lab) -> None:
    async with async_playwright() as pw:
        meeting = await open_meeting(pw, weak_lab)
        try:
            admitted, first_frame = await admit_lurah(meeting)
            elapsed = time.monotonic() - admitted
            snaps = await watch(meeting, max(0.0, AFTER - elapsed), every=EVERY)
        finally:
            await meeting.close()
    last = snaps[-1]
    recent = window(snaps[max(0, len(snaps) - 1 - int(LAST / EVERY))], last)
    audio = last["audio"] or {}
    samples = audio.get("totalSamplesReceived", 0)
    concealed = audio["concealedSamples"] / samples if samples else None
    figures = (
        f"admit -> first frame {first_frame} s; last {recent.seconds:.0f} s: {recent.fps:.1f} fps "
        f"{recent.width}x{recent.height}, frozen {recent.frozen_s:.1f} s, "
        f"{recent.kbps:.0f} kbit/s; "
        f"audio concealed {concealed} (of all received); "
        f"states {[s['state'] for s in snaps]}; bridge {weak_lab.bridge_figures()}"
    )
    print(figures)
    assert weak_lab.containment() == []
    assert stayed_connected(snaps), figures
    assert last["video"] is not None, f"no video track of the host: {figures}"
    assert recent.fps >= 3, figures
    assert recent.frozen_s <= recent.seconds * 2 / 3, figures
    assert recent.width >= 320 and recent.height >= 180, figures
    assert concealed is not None, f"no audio of the host: {figures}"
    assert concealed < 0.05, figures
