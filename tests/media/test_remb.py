"""One REMB per publisher connection: the sum of its video receivers' estimates."""

from __future__ import annotations

import pytest
from aiortc import RTCPeerConnection
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, pack_remb_fci, unpack_remb_fci

from media import hooks
from media.remb import FLOOR_MAX, STALE_S, RembGroup


def test_the_sum_of_fresh_estimates_naming_every_stream() -> None:
    now = [100.0]
    group = RembGroup(clock=lambda: now[0])
    assert group.combine(1, 400_000, [11]) == (400_000, [11])
    assert group.combine(2, 150_000, [22]) == (550_000, [11, 22])
    assert group.combine(2, 120_000, [22]) == (520_000, [11, 22])  # renewed, not added
    now[0] += STALE_S + 0.1
    assert group.combine(2, 130_000, [22]) == (130_000, [22])  # the high stream stopped


def test_a_clean_uplink_raises_a_floor_under_the_estimates() -> None:
    """aiortc's delay-based estimates fall on a busy server (its loop lag looks like queueing):
    the loss of what arrives says the publisher's link is clean, and the floor wins."""
    group = RembGroup(clock=lambda: 0.0)
    assert group.combine(1, 40_000, [11]) == (40_000, [11])  # no floor yet
    floors = [group.observe(100_000, 0.0) for _ in range(3)]
    assert floors == [110_000, 121_000, 133_100]  # 10 % a second above what arrives
    assert group.combine(1, 40_000, [11]) == (133_100, [11])
    assert group.observe(500_000, 0.0) == 550_000  # what arrives leads it
    for _ in range(100):
        group.observe(500_000, 0.0)
    assert group.floor == FLOOR_MAX


def test_a_lossy_uplink_keeps_the_estimates_alone() -> None:
    """A weak site's camera (5 % random loss): the floor never starts, aiortc's estimate rules;
    one lucky second (0 % loss) is not a clean link."""
    group = RembGroup(clock=lambda: 0.0)
    for loss in [0.05, 0.0, 0.06, 0.04, 0.0, 0.05, 0.07, 0.0]:
        group.observe(150_000, loss)
    assert group.floor == 0
    assert group.combine(1, 60_000, [11]) == (60_000, [11])


def test_heavy_uplink_loss_lowers_the_floor() -> None:
    group = RembGroup(clock=lambda: 0.0)
    for _ in range(10):
        group.observe(300_000, 0.0)
    high = group.floor
    for _ in range(5):
        group.observe(300_000, 0.3)
    assert group.floor < 0.7 * high


async def test_receivers_of_one_group_send_the_total(monkeypatch: pytest.MonkeyPatch) -> None:
    hooks.install()
    pc = RTCPeerConnection()
    try:
        high, low = (pc.addTransceiver("video", direction="recvonly").receiver for _ in "hl")
        group = RembGroup()
        hooks.set_remb_group(high, group)
        hooks.set_remb_group(low, group)
        sent: list[RtcpPsfbPacket] = []

        async def capture(packet: object) -> None:
            assert isinstance(packet, RtcpPsfbPacket)
            sent.append(packet)

        monkeypatch.setattr(hooks, "_original_send_rtcp", lambda _self, p: capture(p))
        for receiver, rate, ssrc in ((high, 400_000, 11), (low, 150_000, 22)):
            fci = pack_remb_fci(rate, [ssrc])
            await receiver._send_rtcp(
                RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=fci)
            )
        assert [unpack_remb_fci(p.fci) for p in sent] == [(400_000, [11]), (550_000, [11, 22])]
    finally:
        await pc.close()
