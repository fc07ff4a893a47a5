"""A client behind a 600 ms round trip (VSAT) stays connected for 60 s.

Two sessions run side by side for the same minute, each with a subscriber behind its own
300 ms-each-way relay: one with the consent fix (2 retransmissions, the default), one with
upstream aioice behaviour (0 retransmissions) on both ends, which must drop after ~30 s.
"""

from __future__ import annotations

import asyncio
import time

from media import MediaSettings
from media.testing import LOOPBACK, ClientPeer, connect, wait_for

from .conftest import Harness
from .relay import DelayRelay

BOTH = frozenset({"audio", "video"})
DURATION = 60.0


async def _session(retransmissions: int) -> tuple[Harness, ClientPeer, DelayRelay]:
    h = Harness(MediaSettings(host_addresses=LOOPBACK, consent_retransmissions=retransmissions))
    host = h.client("host")
    host.publish(audio=True, video=True, width=320, height=180, fps=15)
    await connect(h.sfu, "host", host)
    relay = DelayRelay(one_way_delay=0.3)
    await relay.start()
    sub = h.client("kecamatan", consent_retransmissions=retransmissions)
    sub.outgoing_sdp = relay.from_client
    sub.incoming_sdp = relay.to_client
    await connect(h.sfu, "kecamatan", sub)
    await h.sfu.subscribe("kecamatan", "host", BOTH)
    return h, sub, relay


async def test_client_behind_600ms_rtt_stays_connected_for_60_s() -> None:
    fixed, fixed_sub, fixed_relay = await _session(retransmissions=2)
    upstream, upstream_sub, upstream_relay = await _session(retransmissions=0)
    try:
        video = await fixed_sub.wait_frames("host", "video", 5, within=30)
        audio = await fixed_sub.wait_frames("host", "audio", 10, within=30)
        await upstream_sub.wait_frames("host", "video", 5, within=30)
        start = time.monotonic()
        windows: list[tuple[int, int]] = []
        while time.monotonic() - start < DURATION:
            t = time.monotonic()
            await asyncio.sleep(10)
            assert fixed_sub.state == "connected", fixed.events.states
            windows.append((video.since(t), audio.since(t)))
        # Every 10 s window of the minute delivered video and audio through the delay.
        assert all(v >= 30 and a >= 100 for v, a in windows), windows
        server_states = fixed.events.states.get("kecamatan", [])
        assert "failed" not in server_states and "closed" not in server_states
        assert fixed_relay.forwarded > 1000

        # Without the fix, consent expired on one end or the other and the peer was dropped.
        await wait_for(
            lambda: (
                upstream_sub.state in ("failed", "closed")
                or bool({"failed", "closed"} & set(upstream.events.states.get("kecamatan", [])))
            ),
            within=5,
            what="upstream aioice behaviour dropping the 600 ms peer",
        )
    finally:
        for h, relay in ((fixed, fixed_relay), (upstream, upstream_relay)):
            await h.close()
            relay.close()
