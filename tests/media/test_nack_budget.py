"""Retransmissions have a budget per subscriber: a NACK storm cannot start a resend spiral."""

from __future__ import annotations

import time

from aiortc.utils import uint16_add

from media import MediaSettings
from media.budget import TokenBucket
from media.testing import LOOPBACK, connect, wait_for

from .conftest import Harness


def test_token_bucket_refills_at_rate_up_to_burst() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=10, clock=lambda: now[0])
    assert sum(bucket.allow() for _ in range(25)) == 10  # starts full: one second's worth
    assert (bucket.allowed, bucket.refused) == (10, 15)
    now[0] = 0.5
    assert sum(bucket.allow() for _ in range(25)) == 5
    now[0] = 100.0  # long idle: capped at burst, not 995 tokens
    assert sum(bucket.allow() for _ in range(25)) == 10
    zero = TokenBucket(rate=0, clock=lambda: now[0])
    assert not zero.allow()


async def test_budget_caps_resends_of_a_nack_storm() -> None:
    rate = 20
    h = Harness(MediaSettings(host_addresses=LOOPBACK, nack_budget_per_second=rate))
    try:
        host = h.client("host")
        host.publish(audio=False, video=True)
        await connect(h.sfu, "host", host)
        sub = h.client("lurah")
        await connect(h.sfu, "lurah", sub)
        await h.sfu.subscribe("lurah", "host", frozenset({"video"}))
        await sub.wait_frames("host", "video", 30)  # > 128 packets of history exist by now

        receiver = next(
            t.receiver
            for t in sub.pc.getTransceivers()
            if t.receiver.track is not None and t.receiver.track.kind == "video"
        )
        streams = receiver._RTCRtpReceiver__remote_streams
        ssrc, stream = next(iter(streams.items()))
        before = h.sfu.stats()
        lost = sorted({uint16_add(stream.max_seq, -n) for n in range(1, 101)})
        t0 = time.monotonic()
        # The subscriber's real receiver reports 100 packets lost, over the real transport.
        await receiver._send_rtcp_nack(ssrc, lost)
        await wait_for(
            lambda: (
                h.sfu.stats().rtx_resent
                + h.sfu.stats().rtx_dropped
                - before.rtx_resent
                - before.rtx_dropped
                >= 100
            ),
            what="the NACK reached the server",
        )
        elapsed = time.monotonic() - t0
        after = h.sfu.stats()
        resent = after.rtx_resent - before.rtx_resent
        dropped = after.rtx_dropped - before.rtx_dropped
        assert resent > 0
        assert resent <= rate + rate * elapsed + 1
        assert dropped >= 100 - resent
    finally:
        await h.close()
