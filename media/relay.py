"""Packets between the workers of one session (the cascade, media/cascade.py): a publisher's
media reaches subscribers whose connections are on another worker.

The worker that receives a publisher's stream (its connection is there) sends each packet its
receiver accepts once to every worker that wants it (:class:`RelayOut`), in clear RTP over
loopback UDP: the packets never leave the machine, and SRTP stays on the browsers' legs. The
other worker (:class:`RelayIn`) hands it to the relayed publication's tap (``Sfu``), which
forwards it to that worker's own subscribers as if the publisher were connected there.

A datagram is a 2-byte channel number (which relayed publication: the receiving worker gives
them out) and the RTP fixed header (marker, payload type, sequence number, timestamp, SSRC)
followed by the payload. Header extensions and CSRCs are not carried: the subscribers' packets
are built with their own slot's extensions (media/rtp_bytes.py), and audio levels travel as
events (``CascadeEvents.audio_level``), not in the packets.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import Callable
from typing import Any

from aiortc.rtp import RtpPacket

log = logging.getLogger(__name__)

HEADER = struct.Struct("!HBBHII")
"""channel, version byte (0x80), marker|payload type, sequence number, timestamp, SSRC."""
RECEIVE_BUFFER = 4 * 1024 * 1024
"""SO_RCVBUF of a worker's relay socket: a town hall relays ~3,000 packets/s to each worker."""

Address = tuple[str, int]
Tap = Callable[[RtpPacket], None]


def encode(channel: int, packet: RtpPacket) -> bytes:
    head = HEADER.pack(
        channel,
        0x80,
        (packet.marker << 7) | packet.payload_type,
        packet.sequence_number,
        packet.timestamp,
        packet.ssrc,
    )
    return head + packet.payload


def decode(data: bytes) -> tuple[int, RtpPacket] | None:
    """(channel, packet), or None for a datagram that is not one of ours."""
    if len(data) < HEADER.size:
        return None
    channel, version, second, seq, timestamp, ssrc = HEADER.unpack_from(data)
    if version != 0x80:
        return None
    packet = RtpPacket(second & 0x7F, second >> 7, seq, timestamp, ssrc, data[HEADER.size :])
    return channel, packet


class RelayOut:
    """One receiving worker's share of a publisher's kind: the channel of each stream there."""

    __slots__ = ("_channels", "_send", "address", "sent")

    def __init__(
        self, address: Address, channels: dict[str, int], send: Callable[[bytes, Address], None]
    ) -> None:
        self.address = address
        self._channels = dict(channels)
        self._send = send
        self.sent = 0

    def forward(self, packet: RtpPacket, stream: str) -> None:
        channel = self._channels.get(stream)
        if channel is not None:
            self._send(encode(channel, packet), self.address)
            self.sent += 1


class RelayIn(asyncio.DatagramProtocol):
    """A worker's relay socket (loopback): each datagram to its relayed publication's tap.
    It also sends this worker's relayed packets (one socket both ways), so a datagram is taken
    only from another worker's relay socket (``trust``): any local program could send to it."""

    def __init__(self) -> None:
        self.trusted: set[Address] = set()
        self._taps: dict[int, Tap] = {}
        self._next = 1
        self._transport: asyncio.DatagramTransport | None = None
        self.received = 0
        self.unknown = 0

    async def start(self, host: str = "127.0.0.1") -> Address:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, RECEIVE_BUFFER)
        sock.bind((host, 0))
        transport, _ = await loop.create_datagram_endpoint(lambda: self, sock=sock)
        self._transport = transport
        return self.address

    @property
    def address(self) -> Address:
        assert self._transport is not None, "the relay socket is not started"
        host, port = self._transport.get_extra_info("sockname")[:2]
        return str(host), int(port)

    @property
    def started(self) -> bool:
        return self._transport is not None

    def add(self, tap: Tap) -> int:
        channel = self._next
        self._next = 1 if self._next >= 0xFFFF else self._next + 1
        while channel in self._taps:  # wrapped around: skip the ones still in use
            channel = self._next
            self._next = 1 if self._next >= 0xFFFF else self._next + 1
        self._taps[channel] = tap
        return channel

    def remove(self, channel: int) -> None:
        self._taps.pop(channel, None)

    def send(self, data: bytes, address: Address) -> None:
        if self._transport is not None:
            self._transport.sendto(data, address)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if (addr[0], addr[1]) not in self.trusted:
            self.unknown += 1
            return
        decoded = decode(data)
        if decoded is None:
            self.unknown += 1
            return
        channel, packet = decoded
        tap = self._taps.get(channel)
        if tap is None:
            self.unknown += 1  # relayed before this worker forgot the publisher
            return
        self.received += 1
        try:
            tap(packet)
        except Exception:  # one bad packet must not close the relay socket
            log.exception("relayed packet on channel %d", channel)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
