"""Quiet audio nobody hears is dropped before DTLS/SRTP (media/unheard_audio.py), with real
aiortc peers on 127.0.0.1 (aiortc writes the RFC 6464 level from the samples): a receiver with
three audio slots and more candidates, so that a quiet publisher is heard by nobody."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiortc.rtp import RtpPacket

from media import MediaSettings, audio_sdp, hooks, rtp_peek
from media.loudest import LoudestSettings
from media.testing import LOOPBACK, ClientPeer, connect, wait_for

from .conftest import Harness, tone

AUDIO = frozenset({"audio"})
VIDEO = frozenset({"video"})
LOUD, QUIET = 0.3, 0.0003  # about -13 dBov and -73 dBov


@pytest.fixture
async def harness(loudest_harness: Harness) -> Harness:
    return loudest_harness


def sending(client: ClientPeer) -> list[bytes]:
    """Every RTP packet the client sends, before SRTP (aiortc's ``_send_rtp``)."""
    sent: list[bytes] = []
    transport = client.pc.getTransceivers()[0].sender.transport
    original = transport._send_rtp

    async def send_rtp(data: bytes) -> None:
        sent.append(data)
        await original(data)

    transport._send_rtp = send_rtp
    return sent


def ssrc_of(client: ClientPeer, kind: str = "audio") -> int:
    sender = next(t.sender for t in client.pc.getTransceivers() if t.kind == kind)
    return hooks.sender_ssrc(sender)


async def publishers(harness: Harness, levels: dict[str, float], **kw: Any) -> dict[str, Any]:
    out = {}
    for name, amplitude in levels.items():
        client = harness.client(name)
        client.publish(audio=True, video=kw.get("video", {}).get(name, False))
        tone(client).set_amplitude(amplitude)
        if name in kw.get("no_level", ()):
            client.outgoing_sdp = without_level
        await connect(harness.sfu, name, client)
        out[name] = client
    return out


def without_level(sdp: str) -> str:
    return "".join(line for line in sdp.splitlines(True) if audio_sdp.LEVEL_URI not in line)


def heard(receiver: ClientPeer, participant: str, since: float, frames: int = 10) -> bool:
    rec = receiver.from_participant(participant, "audio")
    return rec is not None and rec.since(since) >= frames


async def listen(harness: Harness, names: list[str], loud: list[str]) -> ClientPeer:
    receiver = harness.client("bupati")
    await connect(harness.sfu, "bupati", receiver)
    for name in names:
        await harness.sfu.subscribe("bupati", name, AUDIO)
    t0 = time.monotonic()
    await wait_for(
        lambda: all(heard(receiver, p, t0) for p in loud), within=30, what="the loud ones heard"
    )
    return receiver


def rtp_of(packets: list[RtpPacket], ssrc: int) -> int:
    return sum(1 for p in packets if p.ssrc == ssrc)


async def test_quiet_audio_is_dropped_before_decryption(harness: Harness) -> None:
    clients = await publishers(harness, {"site0": LOUD, "site1": LOUD, "site2": LOUD, "q": QUIET})
    receiver = await listen(harness, list(clients), ["site0", "site1", "site2"])
    gate = harness.server_peer("q").unheard
    assert gate is not None
    # The id the gate reads is the one the server's answer negotiated.
    answer = str(clients["q"].pc.remoteDescription.sdp)
    assert f"a=extmap:{gate.level_id} {audio_sdp.LEVEL_URI}" in answer

    decrypted = harness.arriving("q")
    ssrc = ssrc_of(clients["q"])
    sent0, dropped0 = tone(clients["q"]).sent, harness.sfu.stats().unheard_audio_dropped
    t0 = time.monotonic()
    await asyncio.sleep(3.0)
    sent = tone(clients["q"]).sent - sent0
    dropped = harness.sfu.stats().unheard_audio_dropped - dropped0
    assert sent >= 120
    assert rtp_of(decrypted, ssrc) <= 5  # one a second reaches SRTP
    assert dropped >= sent - 10
    # The server's receive statistics count the dropped ones as received: no loss to report.
    pub = harness.server_peer("q").publications["audio"]
    expected, got = hooks.receiver_media_counts(pub.receiver)
    assert expected - got <= 2
    # The loud ones are still heard, at full rate.
    for name in ("site0", "site1", "site2"):
        rec = receiver.from_participant(name, "audio")
        assert rec is not None and rec.since(t0) >= 120
    assert not harness.events.errors


async def test_a_publisher_who_starts_speaking_passes_from_its_first_loud_packet(
    harness: Harness,
) -> None:
    levels = {"site0": LOUD, "site1": LOUD, "q": QUIET, "x": QUIET}
    clients = await publishers(harness, levels)
    receiver = await listen(harness, list(clients), ["site0", "site1"])
    gate = harness.server_peer("x").unheard
    assert gate is not None
    await wait_for(lambda: gate.dropped > 50, within=10, what="x's quiet audio dropped")

    sent = sending(clients["x"])
    decrypted = harness.arriving("x")
    ssrc = ssrc_of(clients["x"])
    await asyncio.sleep(1.0)
    tone(clients["x"]).set_amplitude(LOUD)
    t0 = time.monotonic()
    await wait_for(lambda: heard(receiver, "x", t0), within=20, what="x heard")
    await asyncio.sleep(0.5)

    levels_sent = [
        (rtp_peek.header(d), rtp_peek.audio_level(d, gate.level_id))
        for d in sent
        if (head := rtp_peek.header(d)) is not None and head.ssrc == ssrc
    ]
    loud = [h.sequence_number for h, lv in levels_sent if h and lv and lv.level <= 50]
    arrived = {p.sequence_number for p in decrypted if p.ssrc == ssrc}
    assert loud, "x sent no loud packet"
    # Its first loud packet and every one after it reached the receive path (the last few
    # may still be on their way).
    assert loud[0] in arrived
    assert set(loud[:-5]) <= arrived
    # The quiet ones before it were dropped.
    quiet = [h.sequence_number for h, lv in levels_sent if h and lv and lv.level > 50]
    assert quiet and len(set(quiet) & arrived) <= 2


async def test_video_is_never_dropped(harness: Harness) -> None:
    levels = {"site0": LOUD, "site1": LOUD, "site2": LOUD, "cam": QUIET}
    clients = await publishers(harness, levels, video={"cam": True})
    receiver = await listen(harness, list(clients), ["site0", "site1", "site2"])
    await harness.sfu.subscribe("bupati", "cam", VIDEO | AUDIO)
    await receiver.wait_frames("cam", "video", 10, within=30)

    decrypted = harness.arriving("cam")
    gate = harness.server_peer("cam").unheard
    assert gate is not None
    dropped0 = gate.dropped
    video = receiver.from_participant("cam", "video")
    assert video is not None
    frames0, t0 = video.frames, time.monotonic()
    await asyncio.sleep(3.0)
    assert gate.dropped - dropped0 >= 100  # its quiet audio is dropped...
    # ...its video is not: every sequence number of its video stream arrives, and the
    # receiver gets the frames.
    camera = ssrc_of(clients["cam"], "video")
    video_seqs = sorted({p.sequence_number for p in decrypted if p.ssrc == camera})
    assert len(video_seqs) >= 40
    assert video_seqs[-1] - video_seqs[0] + 1 - len(video_seqs) <= 0
    assert video.frames - frames0 >= 0.6 * 20 * (time.monotonic() - t0)


async def test_a_peer_without_the_level_extension_is_untouched(harness: Harness) -> None:
    levels = {"site0": LOUD, "site1": LOUD, "site2": LOUD, "q": QUIET, "plain": QUIET}
    clients = await publishers(harness, levels, no_level=("plain",))
    assert audio_sdp.LEVEL_URI not in str(clients["plain"].pc.remoteDescription.sdp)
    await listen(harness, list(clients), ["site0", "site1", "site2"])
    assert harness.server_peer("plain").unheard is None
    q = harness.server_peer("q").unheard
    assert q is not None

    decrypted = harness.arriving("plain")
    ssrc = ssrc_of(clients["plain"])
    sent0, q0 = tone(clients["plain"]).sent, q.dropped
    await asyncio.sleep(2.0)
    sent = tone(clients["plain"]).sent - sent0
    assert q.dropped - q0 >= 80  # the other quiet publisher is gated
    assert rtp_of(decrypted, ssrc) >= sent - 5  # this one reaches the receive path whole


async def test_setting_off_drops_nothing() -> None:
    settings = MediaSettings(
        host_addresses=LOOPBACK,
        loudest=LoudestSettings(limit=3, hold=1.0),
        drop_unheard_audio=False,
    )
    harness = Harness(settings)
    try:
        levels = {"site0": LOUD, "site1": LOUD, "site2": LOUD, "q": QUIET}
        clients = await publishers(harness, levels)
        await listen(harness, list(clients), ["site0", "site1", "site2"])
        assert harness.server_peer("q").unheard is None
        decrypted = harness.arriving("q")
        ssrc = ssrc_of(clients["q"])
        sent0 = tone(clients["q"]).sent
        await asyncio.sleep(2.0)
        sent = tone(clients["q"]).sent - sent0
        assert rtp_of(decrypted, ssrc) >= sent - 5
        assert harness.sfu.stats().unheard_audio_dropped == 0
    finally:
        await harness.close()
