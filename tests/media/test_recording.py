"""The recorder muxes real VP8 and Opus RTP packets into a WebM file without transcoding: the
file decodes, holds every frame sent, lasts as long as what was sent, and never starts or resumes
on a frame that references a missing one."""

from __future__ import annotations

import os
import random
from fractions import Fraction
from pathlib import Path

import av
import pytest
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtp import RtpPacket

from media import vp8_layers
from media.recording import ParticipantRecorder, vp8_size
from media.recordings import RecordingLibrary, UnknownRecording

FPS = 15
SECONDS = 4


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def vp8_frames(count: int, gop: int = 30) -> list[bytes]:
    enc = av.CodecContext.create("libvpx", "w")
    enc.width, enc.height = 320, 180  # type: ignore[attr-defined]
    enc.pix_fmt = "yuv420p"  # type: ignore[attr-defined]
    enc.time_base = Fraction(1, FPS)
    enc.bit_rate = 300_000
    enc.gop_size = gop  # type: ignore[attr-defined]
    out: list[bytes] = []
    for i in range(count):
        frame = av.VideoFrame(320, 180, "yuv420p")
        for plane in frame.planes:
            plane.update(os.urandom(plane.buffer_size))  # noise: frames of several packets
        frame.pts = i
        out += [bytes(p) for p in enc.encode(frame)]  # type: ignore[attr-defined]
    out += [bytes(p) for p in enc.encode(None)]  # type: ignore[attr-defined]
    return out


def opus_packets(count: int) -> list[bytes]:
    enc = av.CodecContext.create("libopus", "w")
    enc.sample_rate = 48000  # type: ignore[attr-defined]
    enc.layout = "stereo"  # type: ignore[attr-defined]
    enc.format = "s16"  # type: ignore[attr-defined]
    enc.time_base = Fraction(1, 48000)
    out: list[bytes] = []
    for i in range(count):
        frame = av.AudioFrame(format="s16", layout="stereo", samples=960)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = 48000
        frame.pts = i * 960
        out += [bytes(p) for p in enc.encode(frame)]  # type: ignore[attr-defined]
    return out


def rtp_video(frames: list[bytes]) -> list[list[RtpPacket]]:
    """Each frame as the RTP packets a browser would send (VP8 payload descriptor included)."""
    packer = Vp8Encoder()
    seq = 1000
    result = []
    for i, data in enumerate(frames):
        packet = av.Packet(data)
        packet.pts = i
        packet.time_base = Fraction(1, FPS)
        payloads, timestamp = packer.pack(packet)
        group = []
        for j, payload in enumerate(payloads):
            group.append(
                RtpPacket(
                    payload_type=96,
                    sequence_number=seq & 0xFFFF,
                    timestamp=(timestamp + 0xFFFF0000) & 0xFFFFFFFF,  # wraps mid-test
                    marker=int(j == len(payloads) - 1),
                    payload=payload,
                )
            )
            seq += 1
        result.append(group)
    return result


def rtp_audio(packets: list[bytes]) -> list[RtpPacket]:
    return [
        RtpPacket(payload_type=111, sequence_number=i, timestamp=i * 960, payload=p)
        for i, p in enumerate(packets)
    ]


def record(
    tmp_path: Path,
    video: list[list[RtpPacket]],
    audio: list[RtpPacket],
    shuffle: bool = False,
    drop: set[int] | None = None,
) -> tuple[Path, ParticipantRecorder]:
    clock = Clock()
    asked: list[float] = []
    path = tmp_path / "p.webm"
    rec = ParticipantRecorder(path, clock.now, clock, lambda: asked.append(clock.now))
    for i, group in enumerate(video):
        packets = list(group)
        if shuffle:
            random.Random(i).shuffle(packets)  # retransmissions arrive out of order
        for packet in packets:
            if drop and packet.sequence_number in drop:
                continue
            rec.video(packet, vp8_layers.parse(packet.payload))
        n = len(video)
        for packet in audio[i * len(audio) // n : (i + 1) * len(audio) // n]:
            rec.audio(packet)
        clock.now += 1 / FPS
    rec.close()
    rec.asked = asked  # type: ignore[attr-defined]
    return path, rec


def probe(path: Path) -> tuple[int, int, float]:
    with av.open(str(path)) as c:
        video = sum(1 for _ in c.decode(video=0))
    with av.open(str(path)) as c:
        audio = sum(1 for _ in c.demux(audio=0) if _.size)
        duration = (c.duration or 0) / 1_000_000
    return video, audio, duration


def test_file_decodes_with_every_frame_and_its_duration(tmp_path: Path) -> None:
    frames = vp8_frames(FPS * SECONDS)
    assert vp8_size(frames[0]) == (320, 180)
    video = rtp_video(frames)
    assert max(len(g) for g in video) > 1  # frames of several packets are reassembled
    audio = rtp_audio(opus_packets(50 * SECONDS))
    path, rec = record(tmp_path, video, audio, shuffle=True)
    decoded, audio_count, duration = probe(path)
    assert decoded == len(frames)
    assert audio_count == 50 * SECONDS
    assert duration == pytest.approx(SECONDS, abs=0.3)
    assert rec.stats.dropped_frames == 0


def test_a_lost_packet_drops_frames_until_the_next_keyframe_and_asks_for_one(
    tmp_path: Path,
) -> None:
    frames = vp8_frames(FPS * SECONDS, gop=FPS)  # a keyframe every second
    video = rtp_video(frames)
    keyframes = [i for i, f in enumerate(frames) if vp8_size(f)]
    assert keyframes[:2] == [0, FPS]
    lost = video[5][0].sequence_number  # frame 5 (its first packet, or all of it) is lost
    path, rec = record(tmp_path, video, [], drop={lost})
    decoded, _, _ = probe(path)
    assert rec.stats.dropped_frames == 1
    assert rec.asked, "the recorder asks the publisher for a keyframe"
    assert decoded == len(frames) - (FPS - 5)  # frames 5..14 wait for the keyframe at 15
    several = next(i for i in range(FPS + 1, FPS * 2) if len(video[i]) > 1)
    path, rec = record(tmp_path, video, [], drop={video[several][-1].sequence_number})
    decoded, _, _ = probe(path)
    resume = min(k for k in keyframes if k > several)
    assert decoded == len(frames) - (resume - several)  # a frame missing its last packet


def test_audio_alone_after_the_header_wait(tmp_path: Path) -> None:
    path, _ = record(tmp_path, [[]] * (FPS * 2), rtp_audio(opus_packets(100)))
    with av.open(str(path)) as c:
        assert sum(1 for p in c.demux(audio=0) if p.size) == 100


def test_library_lists_and_prunes_and_refuses_foreign_paths(tmp_path: Path) -> None:
    now = [1_000_000.0]
    library = RecordingLibrary(tmp_path, wall=lambda: now[0])
    clock = Clock()
    recording = library.start("room_1", "Rapat", "p_host", clock)
    recorder = recording.add("p_a", "Pak A", "33.14.01", None)
    for packet in rtp_audio(opus_packets(100)):
        recorder.audio(packet)
        clock.now += 0.02
    recording.spoke("p_a", True)
    meta = recording.stop()
    assert [p.file for p in meta.participants] == ["p_a.webm"]
    assert library.of_room("room_1")[0].timeline == [(pytest.approx(2.0), "p_a", True)]
    assert library.file("room_1", meta.id, "p_a.webm").is_file()
    with pytest.raises(UnknownRecording):
        library.file("room_1", meta.id, "../../etc/passwd")
    with pytest.raises(UnknownRecording):
        library.of_room("..")
    now[0] += 3 * 86400
    assert library.prune(keep_days=7) == []
    now[0] += 5 * 86400
    assert library.prune(keep_days=7) == [meta.id]
    assert library.of_room("room_1") == []
