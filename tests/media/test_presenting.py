"""A screen share at weak receivers (media/presenting.py): the rule as a table, the ladder rung
it picks, and end to end through the SFU — real aiortc clients — where a weak receiver's camera
video drops to stills while a share is on and comes back when it stops."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from media import MediaSettings
from media.layer_choice import ONE_LAYERED_STREAM, TWO_STREAMS, Layer, ceiling_index
from media.presenting import slot_ceiling
from media.testing import LOOPBACK, connect, wait_for

from .conftest import Harness
from .test_layers import BOTH, host_with_layers

VIDEO = frozenset({"video"})


@pytest.mark.parametrize(
    "ceiling,is_share,share_on,expected",
    [
        ("high", True, True, "high"),  # a good link: everything as before
        ("high", False, True, "high"),
        ("low", False, False, "low"),  # a weak link without a share: as before
        ("still", False, False, "still"),
        ("low", True, True, "low_base"),  # weak + share: the share's lowest temporal layer ...
        ("low", False, True, "still"),  # ... and cameras as stills
        ("still", True, True, "low_base"),  # audio-only mode: slides still move a little
        ("still", False, True, "still"),
        ("low_base", False, True, "still"),
        ("off", True, True, "off"),  # no video at all stays no video
    ],
)
def test_slot_ceiling(ceiling: Layer, is_share: bool, share_on: bool, expected: Layer) -> None:
    assert slot_ceiling(ceiling, is_share, share_on) == expected


def test_the_share_ceiling_is_the_lowest_temporal_layer_of_a_layered_share() -> None:
    rung = ONE_LAYERED_STREAM[ceiling_index(ONE_LAYERED_STREAM, "low_base")]
    assert (rung.stream, rung.max_tid, rung.still) == ("high", 0, False)
    camera = TWO_STREAMS[ceiling_index(TWO_STREAMS, "still")]
    assert camera.still


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness(MediaSettings(host_addresses=LOOPBACK, forwarding="packet"))
    yield h
    await h.close()


async def test_a_weak_receivers_cameras_give_way_to_the_share(harness: Harness) -> None:
    await host_with_layers(harness)
    share = harness.client("host.screen")
    share.publish(audio=False, video=True, width=320, height=240, fps=5)
    await connect(harness.sfu, "host.screen", share)
    lurah = harness.client("lurah")
    await connect(harness.sfu, "lurah", lurah)
    harness.sfu.set_video_ceiling("lurah", "low")  # video switched on over a weak link
    await harness.sfu.subscribe("lurah", "host", BOTH)
    await wait_for(
        lambda: harness.events.last_layer("lurah", "host") == ("low", "ceiling"),
        within=15,
        what="the camera at the low layer",
    )

    harness.sfu.set_share("host.screen", True)
    await harness.sfu.subscribe("lurah", "host.screen", VIDEO)
    await lurah.wait_frames("host.screen", "video", 1, 30.0)
    await wait_for(
        lambda: harness.events.last_layer("lurah", "host") == ("still", "ceiling"),
        within=15,
        what="the camera as stills while the share is on",
    )
    # aiortc's encoder makes no temporal layers: the share's ladder is still/high, and the
    # rung at or below low_base is the still (a browser's L1T3 share gets TID 0).
    assert harness.events.last_layer("lurah", "host.screen") == ("still", "ceiling")
    await lurah.wait_frames("host", "audio", 10)  # audio is untouched

    harness.sfu.set_share("host.screen", False)
    await harness.sfu.unsubscribe("lurah", "host.screen")
    await wait_for(
        lambda: harness.events.last_layer("lurah", "host") == ("low", "ceiling"),
        within=15,
        what="the camera back at the low layer",
    )
    assert not harness.events.errors
