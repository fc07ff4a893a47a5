"""media/rtp_peek.py on hand-built datagrams: aiortc's own serializer for the one-byte form,
the two-byte form by hand, and everything that is not a well-formed RTP packet."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensions, HeaderExtensionsMap, RtpPacket
from pylibsrtp import Policy, Session

from media import rtp_peek
from media.audio_sdp import LEVEL_URI

MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
ABS_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
SSRC = 0xDEADBEEF
CHROME = Path(__file__).parent / "data" / "chrome_audio.json"


def aiortc_packet(level: tuple[bool, int] | None, level_id: int = 1, csrc: int = 0) -> bytes:
    """An Opus packet as aiortc serializes it, with mid, abs-send-time and the level."""
    extensions = HeaderExtensionsMap()
    extensions.configure(
        RTCRtpParameters(
            headerExtensions=[
                RTCRtpHeaderExtensionParameters(id=level_id, uri=LEVEL_URI),
                RTCRtpHeaderExtensionParameters(id=2, uri=ABS_URI),
                RTCRtpHeaderExtensionParameters(id=4, uri=MID_URI),
            ]
        )
    )
    packet = RtpPacket(payload_type=111, sequence_number=65535, timestamp=123456, ssrc=SSRC)
    packet.csrc = list(range(1, csrc + 1))
    packet.extensions = HeaderExtensions(mid="0", abs_send_time=0x123456, audio_level=level)
    packet.payload = b"\xfc" + bytes(40)  # the payload stands in for SRTP's ciphertext
    return packet.serialize(extensions) + bytes(10)  # and an SRTP authentication tag


def with_block(profile: int, elements: bytes, first: int = 0x90, pt: int = 111) -> bytes:
    padded = elements + bytes(-len(elements) % 4)
    head = struct.pack("!BBHII", first, pt, 1, 2, SSRC)
    return head + struct.pack("!HH", profile, len(padded) // 4) + padded + b"payload"


@pytest.mark.parametrize(("voiced", "level"), [(True, 0), (False, 127), (True, 33), (False, 70)])
def test_one_byte_level_as_aiortc_writes_it(voiced: bool, level: int) -> None:
    data = aiortc_packet((voiced, level))
    assert rtp_peek.is_rtp(data)
    assert rtp_peek.header(data) == rtp_peek.RtpHeader(111, 65535, 123456, SSRC)
    assert rtp_peek.audio_level(data, 1) == (voiced, level)
    assert rtp_peek.audio_level(data, 3) is None  # an id the packet does not carry
    assert rtp_peek.extension(data, 4) == b"0"


def test_the_level_is_read_from_an_srtp_protected_packet() -> None:
    """SRTP encrypts the payload only: the peek reads the protected datagram as it arrives."""
    clear = aiortc_packet((True, 25))[:-10]
    session = Session(Policy(key=bytes(range(30)), ssrc_type=Policy.SSRC_ANY_OUTBOUND))
    protected = bytes(session.protect(clear))
    assert protected[-10:] != clear[-10:]  # the payload is ciphertext now
    assert rtp_peek.header(protected) == rtp_peek.RtpHeader(111, 65535, 123456, SSRC)
    assert rtp_peek.audio_level(protected, 1) == (True, 25)


def test_level_after_csrcs_and_under_another_id() -> None:
    data = aiortc_packet((False, 64), level_id=9, csrc=3)
    assert rtp_peek.audio_level(data, 9) == (False, 64)
    assert rtp_peek.audio_level(data, 1) is None


def test_no_extension_block() -> None:
    data = aiortc_packet(None)
    assert rtp_peek.audio_level(data, 1) is None
    bare = struct.pack("!BBHII", 0x80, 111, 1, 2, SSRC) + b"payload"
    assert rtp_peek.header(bare) is not None
    assert rtp_peek.audio_level(bare, 1) is None


def test_one_byte_form_with_padding_between_elements() -> None:
    # mid (id 4, 1 byte), two padding bytes, then the level (id 1, 1 byte: 0x80 | 42)
    data = with_block(0xBEDE, bytes([0x40, ord("a"), 0, 0, 0x10, 0x80 | 42]))
    assert rtp_peek.audio_level(data, 1) == (True, 42)


def test_one_byte_form_stops_at_the_reserved_id_15() -> None:
    data = with_block(0xBEDE, bytes([0xF0, 0x10, 0x2A]))
    assert rtp_peek.audio_level(data, 1) is None


def test_two_byte_form() -> None:
    # padding, an element of id 20 with 17 bytes, an empty element, then the level
    elements = bytes([0, 20, 17]) + bytes(17) + bytes([7, 0]) + bytes([1, 1, 0x80 | 5])
    for appbits in (0x1000, 0x100F):
        data = with_block(appbits, elements)
        assert rtp_peek.audio_level(data, 1) == (True, 5)
        assert rtp_peek.extension(data, 20) == bytes(17)
        assert rtp_peek.extension(data, 7) == b""
        assert rtp_peek.audio_level(data, 7) is None  # an empty element carries no level


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x90\x6f",
        bytes(11),
        # STUN binding request, DTLS handshake record
        bytes.fromhex("000100002112a442") + bytes(12),
        bytes([22, 0xFE, 0xFD]) + bytes(30),
        # RTCP sender and receiver reports (second byte 200, 201), and PT 64 / 95 with a marker
        bytes([0x80, 200]) + bytes(26),
        bytes([0x81, 201]) + bytes(30),
        bytes([0x80, 0x80 | 64]) + bytes(20),
        bytes([0x80, 0x80 | 95]) + bytes(20),
        # version 3, version 0
        bytes([0xD0, 111]) + bytes(30),
        bytes([0x10, 111]) + bytes(30),
    ],
)
def test_not_rtp(data: bytes) -> None:
    assert not rtp_peek.is_rtp(data)
    assert rtp_peek.header(data) is None
    assert rtp_peek.audio_level(data, 1) is None


def test_payload_types_next_to_the_rtcp_range_are_rtp() -> None:
    for pt in (63, 96, 111, 127):
        data = struct.pack("!BBHII", 0x80, 0x80 | pt, 1, 2, SSRC)
        assert rtp_peek.header(data) == rtp_peek.RtpHeader(pt, 1, 2, SSRC)


@pytest.mark.parametrize(
    "data",
    [
        # X bit set, no room for the block's 4-byte header
        struct.pack("!BBHII", 0x90, 111, 1, 2, SSRC) + b"\xbe",
        # CSRC count past the end
        struct.pack("!BBHII", 0x9F, 111, 1, 2, SSRC) + bytes(8),
        # block length past the end
        struct.pack("!BBHIIHH", 0x90, 111, 1, 2, SSRC, 0xBEDE, 200) + bytes([0x10, 0x05]),
        # one-byte element longer than the block
        with_block(0xBEDE, bytes([0x2F, 1, 2, 3])),
        # two-byte element whose length runs past the block, and one cut after its id
        with_block(0x1000, bytes([1, 9, 0x85])),
        with_block(0x1000, bytes([0, 0, 0, 1])),
        # an unknown profile
        with_block(0xABCD, bytes([0x10, 0x05])),
    ],
)
def test_malformed_extension_blocks_give_none(data: bytes) -> None:
    assert rtp_peek.audio_level(data, 1) is None


def test_every_truncation_of_a_real_packet_is_safe() -> None:
    data = aiortc_packet((True, 30))
    header_end = 12 + 4 + 4 * struct.unpack_from("!H", data, 14)[0]
    for cut in range(len(data)):
        level = rtp_peek.audio_level(data[:cut], 1)
        assert level == ((True, 30) if cut >= header_end else None)


def test_ids_out_of_range() -> None:
    data = aiortc_packet((True, 30))
    assert rtp_peek.extension(data, 0) is None
    assert rtp_peek.extension(data, 256) is None


def test_real_chromium_datagrams() -> None:
    """Chromium 156's SRTP-protected Opus datagrams as the server's ICE connection received them
    (tests/media/data/capture_chrome_audio.py: a tone loud for 0.5 s, silent for 0.5 s): every
    one's level is read, and it is the one aiortc's own parser reads from the same bytes."""
    capture = json.loads(CHROME.read_text())
    level_id = capture["level_id"]
    extensions = HeaderExtensionsMap()
    extensions.configure(
        RTCRtpParameters(
            headerExtensions=[RTCRtpHeaderExtensionParameters(id=level_id, uri=LEVEL_URI)]
        )
    )
    levels = []
    for text in capture["datagrams"]:
        data = bytes.fromhex(text)
        head = rtp_peek.header(data)
        assert head is not None and head.ssrc in capture["ssrcs"]
        level = rtp_peek.audio_level(data, level_id)
        assert level is not None
        assert level == RtpPacket.parse(data, extensions).extensions.audio_level
        levels.append(level)
    assert len(levels) >= 50
    assert any(lv.level <= 20 for lv in levels)  # the tone
    assert any(lv.level == 127 for lv in levels)  # digital silence
    # Chromium's voice flag stays set into the silence (its VAD's hangover): a reason the gate
    # judges by the level alone.
    assert any(lv.voiced and lv.level == 127 for lv in levels)
