"""bench/sfu.py's town hall: the light receiver's counting (frames from the marker bit, per
SSRC, on SRTP-protected packets it never decrypts) and the speaking schedule every process
shares, and what the sites send (open microphones or muted). Pure: no network."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from aiortc.rtp import RtpPacket
from pylibsrtp import Policy, Session

BENCH = Path(__file__).resolve().parents[2] / "bench" / "sfu.py"

SDP = """v=0
m=audio 9 UDP/TLS/RTP/SAVPF 111
a=mid:0
a=ssrc:1111 cname:x
m=video 9 UDP/TLS/RTP/SAVPF 97 98
a=mid:1
a=ssrc-group:FID 2222 3333
a=ssrc:2222 cname:x
a=ssrc:3333 cname:x
"""


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_sfu_townhall", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def srtp() -> Session:
    return Session(Policy(key=bytes(range(30)), ssrc_type=Policy.SSRC_ANY_OUTBOUND))


def rtp(session: Session, ssrc: int, seq: int, marker: bool, pt: int) -> bytes:
    packet = RtpPacket(payload_type=pt, marker=int(marker), sequence_number=seq, ssrc=ssrc)
    packet.payload = bytes(200)
    return bytes(session.protect(packet.serialize()))


def test_light_receiver_counts_frames_and_packets_without_decrypting() -> None:
    sfu = bench()
    kinds = sfu.sdp_ssrc_kinds(SDP)
    assert kinds == {1111: "audio", 2222: "video", 3333: "rtx"}
    session = srtp()
    counter = sfu.RtpCounter()
    seq = 0
    # 5 video frames of 3 packets (the marker on each last), 10 Opus packets (marker on all,
    # as aiortc sends them), 2 retransmissions with the marker: 5 frames, 10 audio packets.
    for _frame in range(5):
        for i in range(3):
            assert counter.add(rtp(session, 2222, seq, i == 2, 97))
            seq += 1
    for i in range(10):
        assert counter.add(rtp(session, 1111, i, True, 111))
    for i in range(2):
        assert counter.add(rtp(session, 3333, i, True, 98))
    # Not RTP: left to aiortc (STUN, DTLS, RTCP sender report).
    assert not counter.add(bytes([0x00, 0x01]) + bytes(18))
    assert not counter.add(bytes([22, 0xFE, 0xFD]) + bytes(20))
    assert not counter.add(bytes([0x80, 200]) + bytes(26))
    assert counter.totals(kinds) == (5, 10)
    assert counter.streams[2222] == [15, 5]
    assert counter.streams[3333] == [2, 2]


def test_speaking_schedule() -> None:
    sfu = bench()
    n = 228
    for turn in range(20):
        start = turn * sfu.TURN
        for t in (start, start + 1.5, start + 3.5):
            now = 1_000_000 * sfu.TURN + t
            speaking = sfu.speakers(n, now)
            assert 1 <= len(speaking) <= 2
            first, onset = speaking[0]
            assert onset <= now < onset + sfu.TURN
            assert sfu.site_level(first, n, now) == sfu.LOUD
            quiet = next(i for i in range(n) if i not in {s for s, _ in speaking})
            assert sfu.site_level(quiet, n, now) == sfu.QUIET < sfu.SPEAKING <= sfu.SECOND
        # An interjection in every other turn, from 1 s to 3 s into it.
        now = 1_000_000 * sfu.TURN + start
        assert len(sfu.speakers(n, now + 2)) == (2 if (1_000_000 + turn) % 2 else 1)
        assert len(sfu.speakers(n, now + 3.5)) == 1


class FakeStream:
    """A LightStream's sending side: records (payload, level) instead of sending."""

    def __init__(self) -> None:
        self.ready = True
        self.timestamp = 0
        self.sent: list[tuple[bytes, int | None]] = []
        self.transport = self

    def is_closing(self) -> bool:
        return False

    def send(self, payload: bytes, marker: bool, abs_time: int, level: int | None) -> None:
        self.sent.append((payload, level))


async def sites_send(muted: bool, seconds: float) -> list[list[tuple[bytes, int | None]]]:
    sfu = bench()
    n = 228
    sites = [sfu.LightSite(i, FakeStream(), None) for i in range(n)]
    task = asyncio.create_task(sfu.light_send_forever(sites, [b"opus"], [], n, 10.0, muted))
    await asyncio.sleep(seconds)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return [site.audio.sent for site in sites]


async def test_open_microphones_send_fifty_packets_a_second() -> None:
    sent = await sites_send(False, 1.0)
    assert all(40 <= len(s) <= 55 for s in sent)
    assert all(payload == b"opus" for s in sent for payload, _ in s)


async def test_muted_sites_send_dtx_and_the_floor_speaks() -> None:
    sfu = bench()
    sent = await sites_send(True, 1.0)
    speaking = [s for s in sent if any(level != -127 for _, level in s)]
    # the turn's speaker (and an interjector, or a turn's change): speech at 50 packets/s
    assert 1 <= len(speaking) <= 4
    assert all(
        payload == b"opus" and level in (sfu.LOUD, sfu.SECOND)
        for s in speaking
        for payload, level in s
        if level != -127
    )
    # everybody else: DTX, a silent packet every 200 ms (tests/browser/test_muted_audio.py)
    quiet = [s for s in sent if s not in speaking]
    assert len(quiet) >= 224
    assert all(3 <= len(s) <= 7 for s in quiet)
    assert all(payload == sfu.DTX_PAYLOAD for s in quiet for payload, _ in s)


class FakeVideo(FakeStream):
    """A LightStream's video side: records the frames it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[bytes] = []
        self.sender = None

    def send_frame(self, payload: bytes, abs_time: int) -> None:
        self.frames.append(payload)


async def test_a_site_told_unseen_sends_no_video_and_starts_again_at_its_keyframe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``LightSite.seen``, as a page applies ``media:limits`` ``unseen``."""
    sfu = bench()
    monkeypatch.setattr(sfu.hooks, "on_keyframe_request", lambda sender, answer: None)
    video = FakeVideo()
    site = sfu.LightSite(0, FakeStream(), video)
    cycle = [b"key", b"delta1", b"delta2", b"delta3"]
    task = asyncio.create_task(sfu.light_send_forever([site], [b"opus"], cycle, 1, 10.0))
    try:
        await asyncio.sleep(0.35)
        assert 2 <= len(video.frames) <= 5
        site.seen(False)
        paused_at, audio_at = len(video.frames), len(site.audio.sent)
        await asyncio.sleep(0.5)
        assert len(video.frames) == paused_at  # no video while unseen
        assert len(site.audio.sent) >= audio_at + 20  # the microphone goes on
        site.seen(True)
        await asyncio.sleep(0.25)
        assert video.frames[paused_at] == b"key"  # a page's encoder restarts with a keyframe
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
