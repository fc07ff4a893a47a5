"""What a received UDP datagram's clear RTP header says, read before DTLS and SRTP (pure).

SRTP (RFC 3711) encrypts an RTP packet's payload only: the fixed header, the CSRCs and the
header extension block travel in the clear, so the SSRC, the payload type, the sequence
number, the timestamp and an RFC 6464 ``ssrc-audio-level`` element can be read from the raw
datagram. Nothing here is authenticated yet (the tag is checked only by ``unprotect``): a
reader must treat what it reads as a claim of the sender's, never as proof.

Demultiplexing as RFC 7983 does: a first byte of 128-191 is RTP or RTCP (STUN is 0-3, DTLS
20-63); RTCP is told apart by its packet type (RFC 5761: 64-95 once the marker bit is masked
off, i.e. a second byte of 192-223).

Every function returns None for anything malformed or truncated and never raises.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from media import rtp_bytes

FIXED_HEADER = 12
ONE_BYTE_PROFILE = 0xBEDE  # RFC 8285 section 4.2
TWO_BYTE_PROFILE = 0x1000  # RFC 8285 section 4.3: 0x100 in the top 12 bits, "appbits" below
_WORDS = struct.Struct("!HH")


class RtpHeader(NamedTuple):
    payload_type: int
    sequence_number: int
    timestamp: int
    ssrc: int


class AudioLevel(NamedTuple):
    """RFC 6464: ``level`` is 0 (loudest) .. 127 (silence) in -dBov; ``voiced`` is the V bit
    (the sender's voice activity detector)."""

    voiced: bool
    level: int


def is_rtp(data: bytes) -> bool:
    """RTP (not RTCP, STUN or DTLS), long enough for its fixed header."""
    return len(data) >= FIXED_HEADER and 128 <= data[0] <= 191 and not 64 <= data[1] & 0x7F <= 95


def header(data: bytes) -> RtpHeader | None:
    """The fixed header's fields of an RTP datagram, or None when it is not RTP."""
    if not is_rtp(data):
        return None
    _first, second, seq, timestamp, ssrc = rtp_bytes.HEADER.unpack_from(data)
    return RtpHeader(second & 0x7F, seq, timestamp, ssrc)


def extension(data: bytes, ext_id: int) -> bytes | None:
    """The value of header-extension element ``ext_id`` (one-byte or two-byte form), or None
    when the packet carries none, is not RTP, or its extension block is malformed."""
    if not is_rtp(data) or not data[0] & 0x10 or not 1 <= ext_id <= 255:
        return None
    start = FIXED_HEADER + 4 * (data[0] & 0x0F)  # after the CSRCs
    if start + 4 > len(data):
        return None
    profile, words = _WORDS.unpack_from(data, start)
    pos = start + 4
    end = pos + 4 * words
    if end > len(data):
        return None
    if profile == ONE_BYTE_PROFILE:
        return _element(data, pos, end, ext_id, two_byte=False)
    if profile & 0xFFF0 == TWO_BYTE_PROFILE:
        return _element(data, pos, end, ext_id, two_byte=True)
    return None


def _element(data: bytes, pos: int, end: int, ext_id: int, two_byte: bool) -> bytes | None:
    """Walk the elements of a block: one-byte form, a byte of id (4 bits) and length - 1;
    two-byte form, a byte of id and a byte of length. Id 0 is a padding byte in both."""
    while pos < end:
        byte = data[pos]
        element = byte if two_byte else byte >> 4
        if element == 0:
            pos += 1
            continue
        if two_byte:
            if pos + 2 > end:
                return None
            length = data[pos + 1]
            pos += 2
        else:
            if element == 15:  # reserved: stop reading the block (RFC 8285)
                return None
            length = (byte & 0x0F) + 1
            pos += 1
        if pos + length > end:
            return None
        if element == ext_id:
            return data[pos : pos + length]
        pos += length
    return None


def audio_level(data: bytes, ext_id: int) -> AudioLevel | None:
    """The RFC 6464 level element ``ext_id`` of an RTP datagram, or None (not RTP, no such
    element, an empty one, or a malformed block)."""
    value = extension(data, ext_id)
    if not value:
        return None
    return AudioLevel(bool(value[0] & 0x80), value[0] & 0x7F)
