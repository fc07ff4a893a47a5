"""Recording without transcoding: a participant's forwarded Opus and VP8 packets, as they arrive,
muxed into one WebM file (Matroska) by PyAV — nothing is decoded or encoded.

Audio: one Opus RTP payload is one Opus packet; it is written with its RTP timestamp.
Video: the VP8 payloads of one frame (one RTP timestamp) are joined once the frame is complete
(first packet, marker packet and every sequence number between them arrived, retransmissions
included, in any order); a frame that stays incomplete is dropped and the file waits for the next
keyframe (``on_keyframe_needed`` asks the publisher for one), so the file never holds a frame
that references a missing one.

Both streams are placed on the recording's clock: a stream's first packet is stamped with its
arrival time since the recording started, later packets by their RTP timestamps from there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
from aiortc.codecs.vpx import vp8_depayload
from aiortc.rtp import RtpPacket

from media.vp8_layers import Vp8Descriptor

MS = Fraction(1, 1000)
AUDIO_RATE = 48000
VIDEO_RATE = 90000
HEADER_WAIT = 1.5
"""Seconds the file waits for the first video keyframe (its size goes in the file's header)
before it starts with audio alone and a default size."""
FRAME_WAIT = 0.6
"""Seconds an incomplete video frame may wait for its missing packets (a retransmission)."""
DEFAULT_SIZE = (640, 360)


def vp8_size(frame: bytes) -> tuple[int, int] | None:
    """Width and height of a VP8 keyframe (RFC 6386 section 9.1), or None for another frame."""
    if len(frame) < 10 or frame[0] & 1 or frame[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(frame[6:8], "little") & 0x3FFF
    height = int.from_bytes(frame[8:10], "little") & 0x3FFF
    return (width, height) if width and height else None


class _Unwrap:
    """32-bit RTP timestamps as a growing count from a stream's first packet."""

    def __init__(self, first: int) -> None:
        self._last = first
        self.total = 0

    def advance(self, ts: int) -> int | None:
        delta = (ts - self._last) & 0xFFFFFFFF
        if delta >= 0x80000000:  # older than the last one written
            return None
        self._last = ts
        self.total += delta
        return self.total


@dataclass
class _Frame:
    timestamp: int
    arrived: float
    parts: dict[int, bytes] = field(default_factory=dict)
    first: int | None = None
    last: int | None = None
    keyframe: bool = False
    picture: int | None = None
    modulus: int = 1 << 15

    def complete(self) -> bool:
        if self.first is None or self.last is None:
            return False
        count = ((self.last - self.first) & 0xFFFF) + 1
        return count == len(self.parts)

    def data(self) -> bytes:
        assert self.first is not None
        return b"".join(self.parts[(self.first + i) & 0xFFFF] for i in range(len(self.parts)))


@dataclass
class RecorderStats:
    audio_packets: int = 0
    video_frames: int = 0
    dropped_frames: int = 0
    bytes_in: int = 0


class ParticipantRecorder:
    """One participant's WebM file; fed from the SFU's receive path (the high video stream)."""

    def __init__(
        self,
        path: Path,
        origin: float,
        clock: Callable[[], float] = time.monotonic,
        on_keyframe_needed: Callable[[], None] | None = None,
    ) -> None:
        self.path = path
        self.stats = RecorderStats()
        self._origin = origin
        self._clock = clock
        self._on_keyframe_needed = on_keyframe_needed
        self._created = clock()
        self._container: av.container.OutputContainer | None = None
        self._audio_stream: av.stream.Stream | None = None
        self._video_stream: av.stream.Stream | None = None
        self._held: list[tuple[bytes, int]] = []  # audio before the header is written
        self._audio_clock: tuple[_Unwrap, float] | None = None
        self._video_clock: tuple[_Unwrap, float] | None = None
        self._last_pts = {"audio": -1, "video": -1}
        self._frames: dict[int, _Frame] = {}
        self._done: int | None = None  # RTP timestamp of the last frame written or dropped
        self._need_keyframe = True
        self._last_picture: int | None = None
        self._last_seq: int | None = None  # last packet of the last frame written
        self._closed = False

    # ------------------------------------------------------------------ input
    def audio(self, packet: RtpPacket) -> None:
        if self._closed or not packet.payload:
            return
        pts = self._stamp("audio", packet.timestamp, AUDIO_RATE)
        if pts is None:
            return
        self.stats.bytes_in += len(packet.payload)
        if self._container is None:
            self._held.append((packet.payload, pts))
            if self._clock() - self._created >= HEADER_WAIT:
                self._open(DEFAULT_SIZE)
            return
        self._write("audio", packet.payload, pts)

    def video(self, packet: RtpPacket, desc: Vp8Descriptor | None) -> None:
        if self._closed or desc is None:  # padding (bandwidth probes) carries no descriptor
            return
        now = self._clock()
        if self._done is not None and (packet.timestamp - self._done) & 0xFFFFFFFF >= 0x80000000:
            return  # a late copy of a frame already written or dropped
        if packet.timestamp == self._done:
            return
        frame = self._frames.get(packet.timestamp)
        if frame is None:
            frame = self._frames[packet.timestamp] = _Frame(packet.timestamp, now)
        seq = packet.sequence_number
        frame.parts[seq] = vp8_depayload(packet.payload)
        self.stats.bytes_in += len(packet.payload)
        if desc.frame_start:
            frame.first = seq
            frame.keyframe = desc.keyframe
            frame.picture, frame.modulus = desc.picture_id, desc.picture_modulus
        if packet.marker:
            frame.last = seq
        self._flush(now)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._container is None and not self._held:
            return  # nothing arrived: no file
        if self._container is None:
            self._open(DEFAULT_SIZE)
        assert self._container is not None
        self._container.close()

    # ------------------------------------------------------------------ video frames
    def _flush(self, now: float) -> None:
        """Write complete frames in timestamp order; drop the oldest when it waited too long."""
        while self._frames:
            oldest = min(self._frames.values(), key=self._age)
            if oldest.complete():
                del self._frames[oldest.timestamp]
                self._done = oldest.timestamp
                self._video_frame(oldest)
            elif now - oldest.arrived > FRAME_WAIT:
                del self._frames[oldest.timestamp]
                self._done = oldest.timestamp
                self._drop()
            else:
                return

    def _age(self, frame: _Frame) -> int:
        """The frame's RTP timestamp as a signed distance from the last frame written (or the
        first pending one): the smallest is the oldest, across the 32-bit wrap."""
        reference = self._done
        if reference is None:
            reference = next(iter(self._frames.values())).timestamp
        return ((frame.timestamp - reference + 0x80000000) & 0xFFFFFFFF) - 0x80000000

    def _drop(self) -> None:
        self.stats.dropped_frames += 1
        if not self._need_keyframe:
            self._need_keyframe = True
            if self._on_keyframe_needed is not None:
                self._on_keyframe_needed()

    def _follows(self, frame: _Frame) -> bool:
        """Whether ``frame`` comes right after the last frame written (no whole frame lost):
        by the VP8 picture id, or by sequence numbers when the sender sets none."""
        if frame.picture is not None and self._last_picture is not None:
            return (frame.picture - self._last_picture) % frame.modulus == 1
        return self._last_seq is None or frame.first == (self._last_seq + 1) & 0xFFFF

    def _video_frame(self, frame: _Frame) -> None:
        if not frame.keyframe and not self._need_keyframe and not self._follows(frame):
            self._drop()  # a whole frame was lost: what follows references it
        if self._need_keyframe and not frame.keyframe:
            return
        data = frame.data()
        if self._container is None:
            size = vp8_size(data)
            if size is None:
                return
            self._open(size)
        pts = self._stamp("video", frame.timestamp, VIDEO_RATE)
        if pts is None:
            return
        self._need_keyframe = False
        self._last_picture, self._last_seq = frame.picture, frame.last
        self.stats.video_frames += 1
        self._write("video", data, pts)

    # ------------------------------------------------------------------ muxing
    def _stamp(self, kind: str, timestamp: int, rate: int) -> int | None:
        """Milliseconds since the recording started, from the stream's RTP clock."""
        clock = self._audio_clock if kind == "audio" else self._video_clock
        if clock is None:
            clock = (_Unwrap(timestamp), self._clock() - self._origin)
            if kind == "audio":
                self._audio_clock = clock
            else:
                self._video_clock = clock
        unwrap, start = clock
        ticks = unwrap.advance(timestamp)
        if ticks is None:
            return None
        return round((start + ticks / rate) * 1000)

    def _open(self, size: tuple[int, int]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        container = av.open(str(self.path), "w", format="webm")
        video = container.add_stream("libvpx", rate=30)
        video.width, video.height = size
        audio = container.add_stream("libopus", rate=AUDIO_RATE)
        self._container, self._video_stream, self._audio_stream = container, video, audio
        held, self._held = self._held, []
        for payload, pts in held:
            self._write("audio", payload, pts)

    def _write(self, kind: str, data: bytes, pts: int) -> None:
        assert self._container is not None
        if pts <= self._last_pts[kind]:
            pts = self._last_pts[kind] + 1  # the muxer needs strictly growing times
        self._last_pts[kind] = pts
        packet = av.Packet(data)
        stream = self._audio_stream if kind == "audio" else self._video_stream
        assert stream is not None
        packet.stream = stream
        packet.pts = packet.dts = pts
        packet.time_base = MS
        if kind == "audio":
            self.stats.audio_packets += 1
        self._container.mux(packet)


__all__ = ["ParticipantRecorder", "RecorderStats", "vp8_size"]
