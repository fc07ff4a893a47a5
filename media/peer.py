"""State the SFU keeps per peer connection: its publications and its subscriber slots."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamTrack

from media import hooks
from media.budget import TokenBucket
from media.estimate import DownlinkEstimate
from media.forwarding import ForwardingTrack
from media.hooks import PacedNacks
from media.keyframes import KeyframeCache
from media.layer_choice import LayerChoice, Rung
from media.receive import ImmediateAudioBuffer
from media.remb import RembGroup
from media.rtp_forward import PacketForwarder
from media.settings import Kind
from media.unheard_audio import UnheardAudio
from media.unseen_video import UnseenVideo
from media.video_forward import VideoForwarder


@dataclass(eq=False)
class Publication:
    """A track the peer sends to the server (first audio and first video m-line it offers)."""

    participant: str
    kind: Kind
    track: MediaStreamTrack | None
    receiver: RTCRtpReceiver | None
    """None for a publication relayed from another worker (media/relay.py)."""
    audio_buffer: ImmediateAudioBuffer | None = None
    task: asyncio.Task[None] | None = None
    stream: str = "high"  # video: "high" (first video m-line) or "low" (second)
    cache: KeyframeCache = field(default_factory=KeyframeCache)
    layered: bool = False  # its VP8 descriptors carry temporal layers (TID)
    octets_by_tid: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # cumulative
    octet_marks: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # at the last tick
    rates: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])  # bits/s by TID
    peaks: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])
    """The highest rates lately, by TID (falling by ``PEAK_DECAY`` a second): a layer is
    chosen for what it may cost, not for a dip of the publisher's encoder."""
    carried: bool = False  # its measured rate once reached SILENT_BPS (so silence means stopped)
    nacks: PacedNacks | None = None  # video: the server's NACKs to the publisher, retried

    def count_dropped(self, ssrc: int, seq: int, timestamp: int, octets: int) -> bool:
        """A datagram of this stream (``ssrc``: its media or its RTX SSRC) that the server
        dropped unread (media/unseen_video.py) counts as received: in the receiver's statistics
        of ``ssrc``; for the media SSRC also in the NACK policy (not asked for) and the measured
        rate (``octets`` of payload). False when the receiver has no statistics of ``ssrc`` (not
        this stream's, or nothing received yet)."""
        receiver = self.receiver
        if receiver is None or not hooks.count_as_received(receiver, ssrc, seq, timestamp):
            return False
        if ssrc in hooks.receiver_rtx_ssrcs(receiver):
            return True  # a retransmission: its sequence numbers are the RTX stream's own
        if self.nacks is not None:
            self.nacks.policy.skipped(seq)
        self.count_unread(octets)
        return True

    def count_unread(self, octets: int) -> None:
        """Payload octets received but dropped unread, shared among the temporal layers as the
        stream's rates last were (its descriptors are encrypted)."""
        rates, counts = self.rates, self.octets_by_tid
        total = sum(rates)
        if total <= 0:
            counts[0] += octets
            return
        for tid, rate in enumerate(rates):
            counts[tid] += round(octets * rate / total)


@dataclass(eq=False)
class Slot:
    """One server->client m-line with its long-lived forwarding track."""

    kind: Kind
    track: ForwardingTrack
    transceiver: RTCRtpTransceiver
    publisher: str | None = None  # participant id it carries, None when idle
    live: bool = False  # negotiated: the sender reads the track
    forwarder: PacketForwarder | None = None  # packet forwarding only
    # video on the packet path: the forwarder's layers and what the subscriber was last told
    video: VideoForwarder | None = None
    ladder: tuple[Rung, ...] = ()
    rung: int | None = None  # index into ladder (-1: off), None: not chosen yet
    told: tuple[str, str] = ("", "")  # (layer, reason) last sent to events.video_layer
    still_key_at: float = float("-inf")  # the cached keyframe last replayed as a still
    sent_octets: int = 0  # payload bytes sent, at the last controller tick

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
    low: Publication | None = None  # the second video m-line it sends ("low" layer)
    # as a subscriber: what its downlink carries and which layers its slots get
    estimate: DownlinkEstimate = field(default_factory=DownlinkEstimate)
    choice: LayerChoice = field(default_factory=LayerChoice)
    sent_mark: tuple[int, int] = (0, 0)  # (packets, payload bytes) sent on its slots
    # as a publisher: what the server receives from it (media/settings.py UplinkStats)
    uplink_bps: float = 0.0
    uplink_loss: float = 0.0
    uplink_counts: tuple[int, int] = (0, 0)  # (expected, received) media packets, cumulative
    remb: RembGroup = field(default_factory=RembGroup)  # one REMB for all its video receivers
    unheard: UnheardAudio | None = None  # the gate on its quiet audio (media/unheard_audio.py)
    unseen: UnseenVideo | None = None  # the gate on video nobody sees (media/unseen_video.py)
    relayed: bool = False
    """A publisher connected to another worker of the cascade: its publications are fed by
    the relay (media/relay.py), ``pc`` is never negotiated."""

    @property
    def connected(self) -> bool:
        return str(self.pc.connectionState) == "connected"
