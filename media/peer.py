"""State the SFU keeps per peer connection: its publications and its subscriber slots."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamTrack

from media.budget import TokenBucket
from media.forwarding import ForwardingTrack
from media.receive import ImmediateAudioBuffer
from media.rtp_forward import PacketForwarder
from media.settings import Kind


@dataclass(eq=False)
class Publication:
    """A track the peer sends to the server (first audio and first video m-line it offers)."""

    participant: str
    kind: Kind
    track: MediaStreamTrack
    receiver: RTCRtpReceiver
    audio_buffer: ImmediateAudioBuffer | None = None
    task: asyncio.Task[None] | None = None


@dataclass(eq=False)
class Slot:
    """One server->client m-line with its long-lived forwarding track."""

    kind: Kind
    track: ForwardingTrack
    transceiver: RTCRtpTransceiver
    publisher: str | None = None  # participant id it carries, None when idle
    live: bool = False  # negotiated: the sender reads the track
    forwarder: PacketForwarder | None = None  # packet forwarding only

    @property
    def sender(self) -> RTCRtpSender:
        sender: RTCRtpSender = self.transceiver.sender
        return sender

    @property
    def mid(self) -> str | None:
        mid: str | None = self.transceiver.mid
        return mid


@dataclass(eq=False)
class Peer:
    peer_id: str
    pc: RTCPeerConnection
    budget: TokenBucket
    remote_ufrag: str | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    publications: dict[Kind, Publication] = field(default_factory=dict)
    slots: list[Slot] = field(default_factory=list)
    negotiation_needed: bool = False
    closed: bool = False

    @property
    def connected(self) -> bool:
        return str(self.pc.connectionState) == "connected"
