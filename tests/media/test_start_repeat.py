"""A run's first keyframe sent twice to long or lossy links: the policy
(``DownlinkEstimate.repeat_pace``) and the forwarder's copy (media/video_forward.py), without
a network."""

from __future__ import annotations

import asyncio

from aiortc.rtp import RtpPacket

from media import vp8_layers
from media.estimate import SLOW_START_BPS, UNKNOWN_PRIOR_BPS, DownlinkEstimate
from media.video_forward import REPEAT_MARGIN, VideoForwarder

from .vp8_packets import l1t3_stream


class FakeOut:
    """Stands in for the slot's ``SlotSender``: records what is resent, and when."""

    def __init__(self) -> None:
        self.resent: list[tuple[int, float]] = []

    def ready(self) -> bool:
        return True

    async def retransmit(self, seq: int) -> None:
        self.resent.append((seq, asyncio.get_running_loop().time()))


class Recorder(VideoForwarder):
    """A forwarder whose packets are recorded instead of going to a transport."""

    def __init__(self) -> None:
        super().__init__(transceiver=None)
        self.fake = FakeOut()
        self._out = self.fake  # type: ignore[assignment]
        self.out: list[int] = []

    def _send(
        self, packet: RtpPacket, seq: int, ts: int, payload: bytes, ntp: int, wall: float
    ) -> None:
        self.out.append(seq)
        self.sent += 1
        self._last_seq, self._last_ts, self._last_wall = seq, ts, wall


def feed(fwd: VideoForwarder, source: object, packets: list[RtpPacket]) -> None:
    for packet in packets:
        fwd.forward(packet, source, vp8_layers.parse(packet.payload), 0, 0.0)


async def settle(fwd: Recorder, seconds: float) -> None:
    task = fwd._repeat_task
    if task is not None:
        await asyncio.wait_for(task, seconds)


async def test_the_first_keyframe_is_sent_again_once_it_has_drained() -> None:
    source = object()
    fwd = Recorder()
    fwd.repeat_pace = 8_000  # one byte a millisecond: the keyframe's size in ms, plus a margin
    fwd.select(source, "low", 3, still=False)
    packets = l1t3_stream(4, packets_per_frame=3)
    key_bytes = sum(len(p.payload) for p in packets[:3])
    start = asyncio.get_running_loop().time()
    feed(fwd, source, packets)
    assert len(fwd.out) == 12 and not fwd.fake.resent  # nothing again at once
    await settle(fwd, 5.0)
    # the keyframe's three packets (its outgoing numbers), not the frames after it
    assert [seq for seq, _at in fwd.fake.resent] == fwd.out[:3]
    waited = fwd.fake.resent[0][1] - start
    assert waited >= key_bytes / 1000 + REPEAT_MARGIN - 0.005
    assert fwd.key_repeats == 1


async def test_only_a_routes_first_picture_is_repeated() -> None:
    high, low = object(), object()
    fwd = Recorder()
    fwd.repeat_pace = 10_000_000
    fwd.select(high, "high", 3, still=False)
    feed(fwd, high, l1t3_stream(2))
    await settle(fwd, 5.0)
    fwd.select(low, "low", 3, still=False)  # the high picture stays until low's keyframe
    feed(fwd, low, l1t3_stream(4, first_seq=5000, first_picture=900))
    await settle(fwd, 5.0)
    assert [seq for seq, _at in fwd.fake.resent] == fwd.out[:2]
    fwd.select(None, "off", 0, still=False)  # video off, then on again: sent once
    fwd.select(low, "low", 3, still=False)
    feed(fwd, low, l1t3_stream(2, first_seq=6000, first_picture=1000))
    await settle(fwd, 5.0)
    assert [seq for seq, _at in fwd.fake.resent] == fwd.out[:2]
    fwd.restart()  # the slot re-fed (another publisher, a publisher's new connection)
    feed(fwd, low, l1t3_stream(2, first_seq=7000, first_picture=1100))
    await settle(fwd, 5.0)
    assert [seq for seq, _at in fwd.fake.resent] == [*fwd.out[:2], *fwd.out[-4:-2]]
    assert fwd.key_repeats == 2


async def test_no_pace_no_copy_and_stills_are_sent_once() -> None:
    source = object()
    fwd = Recorder()
    fwd.select(source, "high", 3, still=False)  # repeat_pace None: a short, clean link
    feed(fwd, source, l1t3_stream(4))
    still = Recorder()
    still.repeat_pace = 10_000_000
    still.select(source, "still", 3, still=True)
    feed(still, source, l1t3_stream(4))
    await asyncio.sleep(0.05)
    assert fwd.out and still.out
    assert not fwd.fake.resent and fwd._repeat_task is None
    assert not still.fake.resent and still._repeat_task is None


def test_repeat_pace_where_a_repair_is_slow_or_likely() -> None:
    unknown = DownlinkEstimate()
    # nothing measured yet (admitted from the lobby): sent twice, paced as a slow link would be
    assert unknown.repeat_pace(0.0) == SLOW_START_BPS
    lan = DownlinkEstimate(prior_bps=UNKNOWN_PRIOR_BPS)
    lan.report_rtt(0.01)
    assert lan.repeat_pace(0.0) is None  # short and clean: one copy
    vsat = DownlinkEstimate(prior_bps=300_000)
    vsat.report_rtt(0.6)
    assert vsat.repeat_pace(0.0) == 300_000  # long: at the estimate's pace
    lossy = DownlinkEstimate(prior_bps=2_000_000)
    lossy.report_rtt(0.05)
    lossy.report_loss(13)  # 5 %
    lossy.update(1.0, packets_sent=100)
    assert lossy.repeat_pace(1.0) is not None
