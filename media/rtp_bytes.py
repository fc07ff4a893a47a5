"""RTP packets as bytes, for the forwarding path: what a slot sends, built without an object.

A slot's outgoing packets all share one shape: a 12-byte header (no CSRC, no padding), the
same header-extension block (the slot's ``mid`` and an ``abs-send-time``) and the payload.
:class:`SlotHeader` holds that block once, as aiortc's own serializer laid it out, and builds
each packet as ``header + extensions + payload`` with one ``struct`` pack and one join: the
same bytes ``RtpPacket(...).serialize(map)`` gives for those fields (tests/media/
test_rtp_bytes.py), without a ``RtpPacket``, a ``HeaderExtensions`` and the extension map's
per-packet encoding for every copy.

:func:`rtx` wraps an already sent packet for retransmission (RFC 4588) as ``aiortc.rtp.
wrap_rtx`` + ``serialize`` would: the original sequence number ahead of the payload, the same
extensions, the RTX payload type, sequence number and SSRC.
"""

from __future__ import annotations

import struct

from aiortc.rtp import HeaderExtensions, HeaderExtensionsMap

HEADER = struct.Struct("!BBHII")
_SEQ = struct.Struct("!H")
VERSION_BITS = 0x80
EXTENSION_BIT = 0x10
PADDING_BIT = 0x20
ABS_SEND_TIME_LENGTH = 3


class SlotHeader:
    """The fixed part of a slot's packets: SSRC, extension block, where abs-send-time goes.

    ``profile``/``value``: the extension profile and the encoded elements, as
    ``HeaderExtensionsMap.set`` returns them (profile 0, value b"": no extensions);
    ``abs_at``: the offset of abs-send-time's 3 bytes inside ``value`` (None: not carried).
    """

    __slots__ = ("_abs", "_after", "_before", "_first", "payload_type", "ssrc")

    def __init__(
        self, ssrc: int, payload_type: int, profile: int, value: bytes, abs_at: int | None
    ) -> None:
        self.ssrc = ssrc
        self.payload_type = payload_type
        if value:
            self._first = VERSION_BITS | EXTENSION_BIT
            block = struct.pack("!HH", profile, len(value) >> 2) + value
        else:
            self._first = VERSION_BITS
            block = b""
        self._abs = abs_at is not None
        if abs_at is None:
            self._before, self._after = block, b""
        else:
            self._before = block[: 4 + abs_at]
            self._after = block[4 + abs_at + ABS_SEND_TIME_LENGTH :]

    def build(
        self, marker: int, payload_type: int, seq: int, timestamp: int, ntp: int, payload: bytes
    ) -> bytes:
        """One packet of the slot; ``ntp`` is the 64-bit NTP send time (abs-send-time is its
        24 bits of 6.18 fixed-point seconds)."""
        head = HEADER.pack(self._first, marker << 7 | payload_type, seq, timestamp, self.ssrc)
        if not self._abs:
            return b"".join((head, self._before, payload))
        abs_send_time = ((ntp >> 14) & 0xFFFFFF).to_bytes(3, "big")
        return b"".join((head, self._before, abs_send_time, self._after, payload))


def slot_header(
    extensions_map: HeaderExtensionsMap, mid: str | None, ssrc: int, payload_type: int
) -> SlotHeader:
    """A slot's header, its extension block laid out by aiortc's own encoder (the one
    ``RtpPacket.serialize`` uses): encoded with abs-send-time 0 and 0xFFFFFF, the bytes that
    differ are where the per-packet value goes."""
    profile, value = extensions_map.set(HeaderExtensions(mid=mid, abs_send_time=0))
    _profile, ones = extensions_map.set(HeaderExtensions(mid=mid, abs_send_time=0xFFFFFF))
    differ = [i for i, (a, b) in enumerate(zip(value, ones, strict=True)) if a != b]
    return SlotHeader(ssrc, payload_type, profile, value, differ[0] if differ else None)


def sequence_number(data: bytes) -> int:
    seq: int = _SEQ.unpack_from(data, 2)[0]
    return seq


def payload_start(data: bytes) -> int:
    """Where the payload of an RTP packet starts (after CSRCs and the extension block)."""
    start = 12 + 4 * (data[0] & 0x0F)
    if data[0] & EXTENSION_BIT:
        start += 4 + 4 * _SEQ.unpack_from(data, start + 2)[0]
    return start


def rtx(data: bytes, payload_type: int, seq: int, ssrc: int) -> bytes:
    """The RTX packet retransmitting ``data`` (padding dropped, as ``wrap_rtx`` does)."""
    start = payload_start(data)
    end = len(data) - (data[-1] if data[0] & PADDING_BIT else 0)
    head = HEADER.pack(
        data[0] & ~PADDING_BIT,
        (data[1] & 0x80) | payload_type,
        seq,
        struct.unpack_from("!I", data, 4)[0],
        ssrc,
    )
    return b"".join((head, data[12:start], data[2:4], data[start:end]))
