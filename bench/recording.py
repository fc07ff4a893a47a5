"""What recording costs: CPU per recorded participant and disk per hour (issue 10).

A participant's media is encoded once up front (VP8 at the size and rate given, Opus 20 ms
frames), cut into RTP packets as a browser sends them, and then fed to ``--streams`` recorders
(media/recording.py, the code the SFU runs) as fast as they take it. Encoding is not counted:
the SFU never encodes. Prints the CPU seconds the recorders spent per second of media (= cores
per recorded participant in a live session), and the file size per hour.

    .venv/bin/python bench/recording.py --seconds 60 --streams 4
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtp import RtpPacket

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from media import vp8_layers
from media.recording import ParticipantRecorder


def media(
    seconds: int, width: int, height: int, fps: int, kbps: int
) -> list[tuple[float, str, RtpPacket]]:
    """(media time, kind, packet) in sending order."""
    enc = av.CodecContext.create("libvpx", "w")
    enc.width, enc.height = width, height  # type: ignore[attr-defined]
    enc.pix_fmt = "yuv420p"  # type: ignore[attr-defined]
    enc.time_base = Fraction(1, fps)
    enc.bit_rate = kbps * 1000
    enc.gop_size = fps * 10  # type: ignore[attr-defined]
    packer = Vp8Encoder()
    out: list[tuple[float, str, RtpPacket]] = []
    seq = 0
    for i in range(seconds * fps):
        frame = av.VideoFrame(width, height, "yuv420p")
        for plane in frame.planes:  # noise: the encoder spends its whole bitrate
            plane.update(os.urandom(plane.buffer_size))
        frame.pts = i
        for data in enc.encode(frame):  # type: ignore[attr-defined]
            data.time_base = Fraction(1, fps)
            payloads, ts = packer.pack(data)
            for j, payload in enumerate(payloads):
                marker = int(j == len(payloads) - 1)
                packet = RtpPacket(
                    payload_type=96,
                    sequence_number=seq & 0xFFFF,
                    timestamp=ts,
                    marker=marker,
                    payload=payload,
                )
                out.append((i / fps, "video", packet))
                seq += 1
    aenc = av.CodecContext.create("libopus", "w")
    aenc.sample_rate = 48000  # type: ignore[attr-defined]
    aenc.layout = "mono"  # type: ignore[attr-defined]
    aenc.format = "s16"  # type: ignore[attr-defined]
    aenc.bit_rate = 32000
    for i in range(seconds * 50):
        frame = av.AudioFrame(format="s16", layout="mono", samples=960)
        frame.planes[0].update(os.urandom(frame.planes[0].buffer_size))  # noise: no DTX
        frame.sample_rate = 48000
        frame.pts = i * 960
        for data in aenc.encode(frame):  # type: ignore[attr-defined]
            rtp = RtpPacket(
                payload_type=111, sequence_number=i & 0xFFFF, timestamp=i * 960, payload=bytes(data)
            )
            out.append((i / 50, "audio", rtp))
    out.sort(key=lambda item: item[0])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=60, help="media length per participant")
    parser.add_argument("--streams", type=int, default=4, help="participants recorded at once")
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--kbps", type=int, default=500, help="video bitrate")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    packets = media(args.seconds, width, height, args.fps, args.kbps)
    descs = [vp8_layers.parse(p.payload) if kind == "video" else None for _, kind, p in packets]
    media_clock = [0.0]
    with tempfile.TemporaryDirectory() as tmp:
        recorders = [
            ParticipantRecorder(Path(tmp) / f"p{n}.webm", 0.0, lambda: media_clock[0])
            for n in range(args.streams)
        ]
        cpu = time.process_time()
        for (at, kind, packet), desc in zip(packets, descs, strict=True):
            media_clock[0] = at
            for recorder in recorders:
                if kind == "video":
                    recorder.video(packet, desc)
                else:
                    recorder.audio(packet)
        for recorder in recorders:
            recorder.close()
        spent = time.process_time() - cpu
        sizes = [r.path.stat().st_size for r in recorders]
        frames = recorders[0].stats.video_frames
    per_stream = spent / args.streams / args.seconds
    size = sum(sizes) / len(sizes)
    mbit = size * 8 / args.seconds / 1e6
    print(
        f"recorded {args.streams} participants x {args.seconds} s of {args.size} "
        f"{args.fps} fps VP8 ~{args.kbps} kbit/s + Opus "
        f"({frames} frames, {len(packets)} packets each)"
    )
    print(
        f"CPU per recorded participant: {per_stream * 100:.2f} % of one core "
        f"({spent / args.streams / len(packets) * 1e6:.1f} µs per packet)"
    )
    print(
        f"disk per participant-hour: {size / args.seconds * 3600 / 1e6:.0f} MB ({mbit:.2f} Mbit/s)"
    )


if __name__ == "__main__":
    main()
