"""Thinning and renumbering: media/thinning.py and media/video_forward.py (no network)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from aiortc.rtp import RtpPacket

from media import vp8_layers
from media.thinning import ThinningMap
from media.video_forward import ALL_TIDS, STILL_INTERVAL, VideoForwarder

from .vp8_packets import l1t3_stream


def test_skips_close_up_and_late_inputs_keep_their_numbers() -> None:
    m = ThinningMap(1 << 16, 65530, 100)
    assert m.keep(65530) == 100
    assert m.keep(65531) == 101
    m.skip(65532)
    m.skip(65533)
    assert m.keep(65534) == 102  # the two skipped numbers left no hole
    assert m.keep(1) == 105  # a real gap (65535, 0 lost upstream) stays a gap
    assert m.keep(0) == 104  # ... and the late packets fill it with their own numbers
    assert m.keep(65535) == 103
    assert m.keep(65531) == 101  # a retransmission maps as the first time
    assert m.keep(65533) is None  # a skipped input stays skipped
    assert m.keep(65529) is None  # from before the map started
    m.skip(3)  # after a gap: 2 (missing) keeps the old shift
    assert m.keep(4) == 107
    assert m.keep(2) == 106


def test_picture_ids_wrap_at_fifteen_bits() -> None:
    m = ThinningMap(1 << 15, 32766, 32766)
    m.skip(32767)
    assert m.keep(0) == 32767
    assert m.keep(1) == 0


class Recorder(VideoForwarder):
    """A forwarder whose sent packets are recorded instead of going to a transport."""

    def __init__(self) -> None:
        super().__init__(transceiver=None)
        self.out: list[tuple[int, int, bytes, bool]] = []
        self.connected = True  # the server's end of DTLS is up

    def can_send(self) -> bool:
        return self.connected

    def _send(
        self, packet: RtpPacket, seq: int, ts: int, payload: bytes, ntp: int, wall: float
    ) -> None:
        self.out.append((seq, ts, payload, bool(packet.marker)))
        self.sent += 1
        self._last_seq, self._last_ts, self._last_wall = seq, ts, wall

    def descs(self) -> list[Any]:
        return [vp8_layers.parse(p) for _s, _t, p, _m in self.out]


def feed(fwd: VideoForwarder, source: object, packets: list[RtpPacket], wall: float = 0.0) -> None:
    for packet in packets:
        fwd.forward(packet, source, vp8_layers.parse(packet.payload), 0, wall)


def consecutive(values: list[int], modulus: int) -> bool:
    return all((b - a) % modulus == 1 for a, b in itertools.pairwise(values))


def test_base_layer_only_is_one_continuous_stream() -> None:
    source = object()
    fwd = Recorder()
    fwd.select(source, "low_base", 0, still=False)
    feed(fwd, source, l1t3_stream(16))
    descs = fwd.descs()
    assert {d.tid for d in descs} == {0}
    assert len(fwd.out) == 4 * 2  # frames 0, 4, 8, 12: two packets each
    assert consecutive([s for s, _t, _p, _m in fwd.out], 1 << 16)
    starts = [d.picture_id for d in descs if d.frame_start]
    assert consecutive(starts, 1 << 15)
    assert [d.tl0picidx for d in descs if d.frame_start] == [7, 8, 9, 10]
    assert fwd.thinned == 12 * 2


def test_raising_the_cap_waits_for_a_layer_sync_frame() -> None:
    source = object()
    fwd = Recorder()
    fwd.select(source, "low_base", 0, still=False)
    packets = l1t3_stream(12)
    feed(fwd, source, packets[:6])  # frames 0..2: only frame 0 passes
    fwd.select(source, "low", 3, still=False)
    feed(fwd, source, packets[6:])  # frame 3 (TID 2, no sync) still dropped; 4.. all pass
    tids = [d.tid for d in fwd.descs() if d.frame_start]
    assert tids == [0, 0, 2, 1, 2, 0, 2, 1, 2]
    assert consecutive([s for s, _t, _p, _m in fwd.out], 1 << 16)
    assert consecutive([d.picture_id for d in fwd.descs() if d.frame_start], 1 << 15)


def test_a_climb_without_layer_sync_asks_for_a_keyframe() -> None:
    source = object()
    fwd = Recorder()
    fwd.select(source, "low_base", 0, still=False)
    packets = l1t3_stream(4)
    feed(fwd, source, packets)
    fwd.select(source, "low", 3, still=False)
    assert not fwd.waiting(10.0)  # the climb starts waiting for a layer-sync frame
    assert not fwd.waiting(11.9)
    assert fwd.waiting(12.0)  # none in 2 s: the SFU asks the stream for a keyframe
    feed(fwd, source, l1t3_stream(4, first_seq=1008, first_picture=104))  # a keyframe
    assert not fwd.waiting(12.5)


def test_a_keyframe_before_the_connection_is_up_does_not_start_the_run() -> None:
    """A participant admitted while the server's last DTLS flight is on its way: the keyframe
    that would start the picture cannot go out, so the slot keeps waiting (and the SFU asks
    again) instead of forwarding the frames after it, which the page cannot decode."""
    source = object()
    fwd = Recorder()
    fwd.select(source, "low", ALL_TIDS, still=False)
    fwd.connected = False
    feed(fwd, source, l1t3_stream(4))  # a keyframe and what follows it
    assert fwd.out == [] and fwd.waiting(0.0)
    fwd.connected = True
    feed(fwd, source, l1t3_stream(4, first_seq=1008, first_picture=104)[2:])  # no keyframe
    assert fwd.out == [] and fwd.waiting(0.0)
    feed(fwd, source, l1t3_stream(4, first_seq=1016, first_picture=108))  # the next one
    assert fwd.out and fwd.descs()[0].keyframe and not fwd.waiting(0.0)


def test_retransmissions_map_to_their_first_numbers() -> None:
    source = object()
    fwd = Recorder()
    fwd.select(source, "low_base", 0, still=False)
    packets = l1t3_stream(12)
    lost = packets[9]  # frame 4 (TID 0), second packet: lost on the way in
    feed(fwd, source, packets[:9] + packets[10:])
    seqs = [s for s, _t, _p, _m in fwd.out]
    assert (seqs[2] - seqs[1]) % (1 << 16) == 1
    assert (seqs[3] - seqs[2]) % (1 << 16) == 2  # the real loss stays visible: a NACK repairs it
    feed(fwd, source, [lost])
    assert fwd.out[-1][0] == (seqs[2] + 1) % (1 << 16)
    dropped = len(fwd.out)
    feed(fwd, source, [packets[2]])  # a late packet of a thinned frame: still not forwarded
    assert len(fwd.out) == dropped


def test_spatial_switch_at_the_target_keyframe_continues_the_numbers() -> None:
    high, low = object(), object()
    fwd = Recorder()
    fwd.select(high, "high", 3, still=False)
    feed(fwd, high, l1t3_stream(4, first_seq=100, first_picture=10))
    fwd.select(low, "low", 3, still=False)
    assert fwd.waiting(0.0)
    feed(fwd, low, l1t3_stream(8, first_seq=5000, first_picture=900)[2:])  # no keyframe yet
    feed(fwd, high, l1t3_stream(6, first_seq=100, first_picture=10)[8:])  # high goes on
    assert len(fwd.out) == 12
    feed(fwd, low, l1t3_stream(4, first_seq=7000, first_picture=2000))  # starts with a key
    assert not fwd.waiting(0.0)
    descs = fwd.descs()
    assert consecutive([s for s, _t, _p, _m in fwd.out], 1 << 16)
    assert consecutive([d.picture_id for d in descs if d.frame_start], 1 << 15)
    assert [d.tl0picidx for d in descs if d.frame_start] == [7, 7, 7, 7, 8, 8, 9, 9, 9, 9]
    assert fwd.switches == 1
    assert fwd.sent_by_layer == {"high": 12, "low": 8}


def test_still_mode_forwards_one_keyframe_per_interval() -> None:
    low = object()
    fwd = Recorder()
    fwd.select(low, "still", 3, still=True)
    feed(fwd, low, l1t3_stream(4), wall=10.0)
    assert len(fwd.out) == 2 and fwd.out[-1][3]  # the keyframe's two packets, up to its marker
    assert not fwd.waiting(10.0 + STILL_INTERVAL - 0.1) and fwd.waiting(10.0 + STILL_INTERVAL)
    feed(fwd, low, l1t3_stream(4, first_seq=1004), wall=12.0)  # a keyframe too early
    assert len(fwd.out) == 2
    feed(fwd, low, l1t3_stream(4, first_seq=1100, first_picture=500), wall=16.0)
    assert len(fwd.out) == 4
    assert consecutive([s for s, _t, _p, _m in fwd.out], 1 << 16)
    pics = [d.picture_id for d in fwd.descs() if d.frame_start]
    assert consecutive(pics, 1 << 15)
    assert fwd.out[2][1] - fwd.out[1][1] == pytest.approx(6.0 * 90000, abs=1)  # wall-clock gap


def test_off_forwards_nothing() -> None:
    source = object()
    fwd = Recorder()
    fwd.select(source, "high", 3, still=False)
    feed(fwd, source, l1t3_stream(2))
    fwd.select(None, "off", 0, still=False)
    feed(fwd, source, l1t3_stream(4, first_seq=1004))
    assert len(fwd.out) == 4 and not fwd.waiting(0.0)
