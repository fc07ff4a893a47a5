"""Real Chromium VP8 L1T3 packets (captured once by tests/media/data/capture_chrome_vp8.py,
committed as chrome_l1t3.json): the parser reads them, and a slot thinned to fewer temporal
layers is still a stream libvpx decodes without a single error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiortc.codecs.vpx import Vp8Decoder, vp8_depayload
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtp import RtpPacket

from media import vp8_layers
from media.video_forward import ALL_TIDS

from .test_thinning import Recorder, consecutive

DATA = json.loads((Path(__file__).parent / "data" / "chrome_l1t3.json").read_text())


def packets(stream: str) -> list[RtpPacket]:
    return [
        RtpPacket(
            payload_type=96,
            marker=int(row["marker"]),
            sequence_number=row["seq"],
            timestamp=row["ts"],
            payload=bytes.fromhex(row["payload"]),
        )
        for row in DATA["streams"][stream]
    ]


def decode(out: list[tuple[int, int, bytes, bool]]) -> list[Any]:
    """Depacketize (frames end at the marker bit) and decode with libvpx; raises on errors."""
    decoder = Vp8Decoder()
    frames: list[Any] = []
    data = b""
    for _seq, ts, payload, marker in out:
        data += vp8_depayload(payload)
        if marker:
            decoded = decoder.decode(JitterFrame(data=data, timestamp=ts))
            assert decoded, "libvpx could not decode a forwarded frame"
            frames.extend(decoded)
            data = b""
    return frames


@pytest.mark.parametrize("stream", ["high", "low"])
def test_chromium_l1t3_descriptors(stream: str) -> None:
    captured = packets(stream)
    seqs = [p.sequence_number for p in captured]
    assert consecutive(seqs, 1 << 16)  # captured on loopback without a loss
    descs = [vp8_layers.parse(p.payload) for p in captured]
    assert all(d is not None and d.tid is not None and d.tl0picidx is not None for d in descs)
    starts = [d for d in descs if d is not None and d.frame_start]
    assert starts[0].keyframe and starts[0].tid == 0
    assert {d.tid for d in starts} == {0, 1, 2}
    assert any(d.layer_sync for d in starts if d.tid)  # Chrome marks layer-sync frames
    assert all(d.picture_modulus == 1 << 15 for d in starts)
    assert consecutive([d.picture_id for d in starts if d.picture_id is not None], 1 << 15)
    tl0 = starts[0].tl0picidx
    for d in starts[1:]:
        if d.tid == 0:
            assert d.tl0picidx == ((tl0 or 0) + 1) & 0xFF  # TL0PICIDX counts base frames
        tl0 = d.tl0picidx


@pytest.mark.parametrize(("max_tid", "layer"), [(ALL_TIDS, "low"), (1, "high"), (0, "low_base")])
def test_thinned_chromium_stream_decodes(max_tid: int, layer: str) -> None:
    captured = packets("low")
    source = object()
    fwd = Recorder()
    fwd.select(source, layer, max_tid, still=False)
    for packet in captured:
        fwd.forward(packet, source, vp8_layers.parse(packet.payload), 0, 0.0)
    assert consecutive([s for s, _t, _p, _m in fwd.out], 1 << 16)
    descs = [vp8_layers.parse(p) for _s, _t, p, _m in fwd.out]
    assert all(d is not None and (d.tid or 0) <= max_tid for d in descs)
    assert consecutive([d.picture_id for d in descs if d is not None and d.frame_start], 1 << 15)
    frames = decode(fwd.out)
    starts = sum(1 for d in descs if d is not None and d.frame_start)
    assert len(frames) == starts > 3
    assert (frames[0].width, frames[0].height) == (320, 180)
    if max_tid < ALL_TIDS:
        assert fwd.thinned > 0


def test_switch_from_high_to_low_at_its_keyframe_decodes() -> None:
    high, low = object(), object()
    fwd = Recorder()
    fwd.select(high, "high", ALL_TIDS, still=False)
    high_packets = packets("high")
    end = next(i for i, p in enumerate(high_packets) if i >= 20 and p.marker)
    for packet in high_packets[: end + 1]:  # whole frames (see the decode helper)
        fwd.forward(packet, high, vp8_layers.parse(packet.payload), 0, 0.0)
    fwd.select(low, "low", ALL_TIDS, still=False)
    for packet in packets("low"):
        fwd.forward(packet, low, vp8_layers.parse(packet.payload), 0, 0.0)
    frames = decode(fwd.out)
    sizes = {(f.width, f.height) for f in frames}
    assert sizes == {(640, 360), (320, 180)}
    assert consecutive([s for s, _t, _p, _m in fwd.out], 1 << 16)
