"""Opus fmtp and RED in the server's SDP (media/audio_sdp.py), on a captured Chromium offer."""

from __future__ import annotations

from pathlib import Path

from aiortc import sdp as aiortc_sdp

from media import MediaSettings, Sfu
from media.audio_sdp import accepted_red, protect_offer, red_payload_type
from media.testing import LOOPBACK, ClientPeer, LoopbackEvents

DATA = Path(__file__).parent / "data"
# Chromium 156's offer (audio + camera, sendonly, max-bundle); candidates left out.
CHROMIUM_OFFER = (DATA / "chromium156_offer.sdp").read_bytes().decode()  # CRLF kept
FMTP = "a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1"


def _audio_lines(sdp: str) -> list[str]:
    section = sdp.split("m=audio", 1)[1].split("m=video", 1)[0]
    return ["m=audio" + section.splitlines()[0]] + [
        line for line in section.splitlines() if line.startswith(("a=rtpmap", "a=fmtp"))
    ]


async def test_answer_to_chromium_keeps_opus_fec_and_adds_dtx() -> None:
    events = LoopbackEvents()
    sfu = Sfu(MediaSettings(host_addresses=LOOPBACK), events)
    try:
        answer, _ = await sfu.answer("host", CHROMIUM_OFFER)
    finally:
        await sfu.close()
    lines = _audio_lines(answer)
    assert lines[0].endswith(" 111")  # Opus only, Chromium's payload type
    assert lines[1:] == ["a=rtpmap:111 opus/48000/2", FMTP]
    # the server receives here: no RED (aiortc could not depacketise it)
    assert "red/48000" not in answer


async def test_answer_to_aiortc_client_carries_the_fmtp() -> None:
    events = LoopbackEvents()
    sfu = Sfu(MediaSettings(host_addresses=LOOPBACK), events)
    client = ClientPeer("c")
    client.publish(video=False)
    try:
        answer, _ = await sfu.answer("c", await client.offer())
        await client.accept(answer)  # aiortc takes it
    finally:
        await client.close()
        await sfu.close()
    assert "a=fmtp:96 minptime=10;useinbandfec=1;usedtx=1" in answer


def test_red_payload_type_follows_the_client() -> None:
    chromium = aiortc_sdp.SessionDescription.parse(CHROMIUM_OFFER)
    assert red_payload_type(chromium) == 63
    # a client without RED: 63 unless taken, then a free dynamic one
    no_red = (
        CHROMIUM_OFFER.replace(" 111 63 ", " 111 ")
        .replace("a=rtpmap:63 red/48000/2\r\n", "")
        .replace("a=fmtp:63 111/111\r\n", "")
    )
    assert red_payload_type(aiortc_sdp.SessionDescription.parse(no_red)) == 63
    taken = no_red.replace("a=rtpmap:96 VP8", "a=rtpmap:63 VP8").replace(" 96 97 ", " 63 97 ")
    free = red_payload_type(aiortc_sdp.SessionDescription.parse(taken))
    assert free not in {int(c.payloadType) for m in _parsed(taken).media for c in m.rtp.codecs}


def _parsed(sdp: str) -> aiortc_sdp.SessionDescription:
    return aiortc_sdp.SessionDescription.parse(sdp)


def test_offer_adds_red_only_where_the_server_sends() -> None:
    description = _parsed(CHROMIUM_OFFER)
    publisher = description.media[0]
    publisher.direction = "recvonly"
    slot = _parsed(CHROMIUM_OFFER).media[0]
    slot.direction = "sendonly"
    slot.rtp.muxId = "2"
    slot.rtp.codecs = [c for c in slot.rtp.codecs if c.mimeType.lower() == "audio/opus"]
    for codec in slot.rtp.codecs:
        codec.parameters = {}  # what aiortc's createOffer writes
    slot.fmt = [111]
    description.media.append(slot)
    out = protect_offer(str(description), 63)
    sections = out.split("m=audio")[1:]
    assert len(sections) == 2
    slot_sdp = sections[1]
    assert " 111 63\r\n" in slot_sdp.splitlines(keepends=True)[0]
    assert FMTP in slot_sdp and "a=rtpmap:63 red/48000/2" in slot_sdp
    assert "a=fmtp:63 111/111" in slot_sdp
    assert accepted_red(out) == {"0": 63, "2": 63}  # the publisher's own offer had it too
    # the publisher's section is left as negotiated (its RED is Chromium's, not added)
    assert sections[0].count("red/48000") == 1


def test_accepted_red_needs_red_over_opus() -> None:
    sdp = CHROMIUM_OFFER.replace("a=fmtp:63 111/111", "a=fmtp:63 9/9")
    assert accepted_red(sdp) == {}
    assert accepted_red(CHROMIUM_OFFER) == {"0": 63}
