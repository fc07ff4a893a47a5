"""One REMB per publisher connection: the sum of its video receivers' estimates."""

from __future__ import annotations

import pytest
from aiortc import RTCPeerConnection
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, pack_remb_fci, unpack_remb_fci

from media import hooks
from media.remb import STALE_S, RembGroup


def test_the_sum_of_fresh_estimates_naming_every_stream() -> None:
    now = [100.0]
    group = RembGroup(clock=lambda: now[0])
    assert group.combine(1, 400_000, [11]) == (400_000, [11])
    assert group.combine(2, 150_000, [22]) == (550_000, [11, 22])
    assert group.combine(2, 120_000, [22]) == (520_000, [11, 22])  # renewed, not added
    now[0] += STALE_S + 0.1
    assert group.combine(2, 130_000, [22]) == (130_000, [22])  # the high stream stopped


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
