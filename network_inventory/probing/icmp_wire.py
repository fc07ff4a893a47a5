"""ICMP echo on the wire: building a request, reading a reply (pure functions, no sockets)."""

from __future__ import annotations

import struct

PAYLOAD = b"pendopo-probe-0123456789"
_PAYLOAD_SUM = sum(struct.unpack(f"!{len(PAYLOAD) // 2}H", PAYLOAD))
_HEADER = struct.Struct("!BBHHH")
_ID_SEQ = struct.Struct("!HH")

ECHO_REPLY = 0
DEST_UNREACHABLE = 3
ECHO_REQUEST = 8
TIME_EXCEEDED = 11


def echo_request(ident: int, seq: int) -> bytes:
    """An ICMP echo request with a fixed payload.

    Built here rather than with icmplib's ``ICMPRequest``/``send``: those resolve the address,
    set TTL and traffic class and draw a random payload on every packet, which tripled the CPU
    of a 5,000-target sweep (bench/probe.py). Datagram sockets rewrite id and checksum.
    """
    total = (ECHO_REQUEST << 8) + ident + seq + _PAYLOAD_SUM
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return _HEADER.pack(ECHO_REQUEST, 0, ~total & 0xFFFF, ident, seq) + PAYLOAD


def parse_reply(packet: bytes, *, has_ip_header: bool) -> tuple[int, int, int] | None:
    """``(type, id, sequence)`` of an echo reply, or of the echo request quoted in an error.

    Raw sockets deliver the IPv4 header; datagram sockets on Linux start at the ICMP header.
    """
    offset = (packet[0] & 0x0F) * 4 if has_ip_header and packet else 0
    if len(packet) < offset + 8:
        return None
    icmp_type = packet[offset]
    if icmp_type == ECHO_REPLY:
        ident, seq = _ID_SEQ.unpack_from(packet, offset + 4)
        return icmp_type, ident, seq
    if icmp_type in (DEST_UNREACHABLE, TIME_EXCEEDED):
        # The error quotes the original IP header plus the first 8 bytes of our request.
        inner = offset + 8
        if len(packet) < inner + 1:
            return None
        inner_icmp = inner + (packet[inner] & 0x0F) * 4
        if len(packet) < inner_icmp + 8 or packet[inner_icmp] != ECHO_REQUEST:
            return None
        ident, seq = _ID_SEQ.unpack_from(packet, inner_icmp + 4)
        return icmp_type, ident, seq
    return None


def raw_type_filter(*keep: int) -> bytes:
    """The value of Linux's ``ICMP_FILTER`` option on a raw socket: a bit per type to drop.

    Without it a raw socket also reads every echo *request* arriving on the machine (on
    loopback: our own), which doubled the packets the reader had to look at.
    """
    mask = 0xFFFFFFFF
    for icmp_type in keep:
        mask &= ~(1 << icmp_type)
    return struct.pack("=I", mask)
