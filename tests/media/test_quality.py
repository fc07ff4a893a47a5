"""Sfu.peer_quality on real aiortc peers, and the interval arithmetic of media/quality.py."""

from __future__ import annotations

import asyncio

from media.quality import PeerQuality, interval
from media.testing import connect

from .conftest import Harness

BOTH = frozenset({"audio", "video"})


def reading(at: float, **counters: float | int | None) -> PeerQuality:
    values: dict[str, float | int | None] = {
        "rtt_ms": 20.0,
        "sent_packets": 0,
        "sent_lost": 0,
        "sent_jitter_ms": 1.0,
        "received_packets": 0,
        "received_lost": 0,
        "received_jitter_ms": 2.0,
        "bytes_sent": 0,
        "bytes_received": 0,
    }
    values.update(counters)
    return PeerQuality(at, **values)  # type: ignore[arg-type]


def test_interval_loss_both_ways_and_bitrates() -> None:
    before = reading(100.0, sent_packets=1000, sent_lost=10, received_packets=500, received_lost=5)
    now = reading(
        110.0,
        sent_packets=2000,
        sent_lost=60,
        received_packets=1400,
        received_lost=105,
        bytes_sent=1_250_000,
        bytes_received=500_000,
        sent_jitter_ms=7.5,
    )
    sample = interval(before, now)
    assert sample is not None
    assert sample.seconds == 10.0
    assert sample.loss_out == 50 / 1000
    assert sample.loss_in == 100 / 1000  # 900 received + 100 lost in the interval
    assert sample.kbps_out == 1000.0 and sample.kbps_in == 400.0
    assert sample.jitter_ms == 7.5 and sample.rtt_ms == 20.0


def test_interval_refuses_no_time_and_a_new_connection() -> None:
    a = reading(5.0, bytes_sent=1000, received_packets=100)
    assert interval(a, reading(5.0, bytes_sent=2000, received_packets=200)) is None
    assert interval(a, reading(6.0, bytes_sent=10, received_packets=3)) is None  # counters reset
    quiet = interval(a, reading(6.0, bytes_sent=1000, received_packets=100))
    assert quiet is not None and quiet.loss_in is None and quiet.loss_out is None


async def test_peer_quality_of_a_real_connection(harness: Harness) -> None:
    host = harness.client("host")
    host.publish(audio=True, video=True, fps=10.0)
    await connect(harness.sfu, "host", host)
    sub = harness.client("lurah")
    sub.publish(audio=True, video=False)
    await connect(harness.sfu, "lurah", sub)
    await harness.sfu.subscribe("lurah", "host", BOTH)
    await sub.wait_frames("host", "video", 5)
    assert await harness.sfu.peer_quality("nobody") is None

    first = await harness.sfu.peer_quality("lurah")
    assert first is not None
    # Receiver reports come every ~1 s; the RTT needs one that echoes a sender report. The
    # RTT may be known at the first reading already, so wait as well for the counters to move
    # on from it: the lurah's audio must be seen arriving, not assumed from one reading.
    readings: list[PeerQuality] = []

    async def rtt_known_and_counting() -> bool:
        q = await harness.sfu.peer_quality("lurah")
        assert q is not None
        readings.append(q)
        return (
            q.rtt_ms is not None
            and q.sent_packets > 0
            and q.received_packets > first.received_packets
            and q.bytes_received > first.bytes_received
            and q.bytes_sent > first.bytes_sent
        )

    deadline = asyncio.get_running_loop().time() + 20
    while not await rtt_known_and_counting():
        assert asyncio.get_running_loop().time() < deadline, readings[-1]
        await asyncio.sleep(0.25)
    last = readings[-1]
    assert last.rtt_ms is not None and 0 <= last.rtt_ms < 1000  # loopback
    assert last.received_packets > first.received_packets  # the lurah's audio reaches us
    assert last.bytes_sent > first.bytes_sent and last.bytes_received > first.bytes_received
    sample = interval(first, last)
    assert sample is not None and sample.kbps_out > 0 and sample.kbps_in > 0
    assert sample.loss_in is not None and sample.loss_in < 0.05  # loopback: next to nothing

    await harness.sfu.remove("lurah")
    assert await harness.sfu.peer_quality("lurah") is None
