"""The pass-through SFU: answers offers, wires subscriber slots, forwards encoded media.

Concurrency: every operation that touches a peer connection's signaling runs under that peer's
``asyncio.Lock``. The server never creates an offer while a client offer is being answered, and
only offers once the client's first offer is answered and signaling is ``stable`` — without
waiting for ICE and DTLS, so that the slots reserved in the lobby are negotiated while the
connection is still being set up (over a 600 ms link, the offer/answer round trip hides inside
ICE and DTLS's three); otherwise it notes ``negotiation_needed`` and offers once the pending
answer arrives or the connection comes up.
Collision (client offer while a server offer is pending): aiortc cannot roll back, so the server
is the "impolite" peer: the client's offer is refused with ``MediaError("offer_collision")``;
the client answers the server's offer first and then sends its own offer again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from typing import Any

import av
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc import sdp as aiortc_sdp
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcpeerconnection import filter_preferred_codecs
from aiortc.rtp import RtpPacket

from media import audio_sdp, hooks, vp8_layers
from media.announce import announce
from media.audio_protection import AudioProtection
from media.budget import TokenBucket
from media.datagram_gate import gates
from media.errors import MediaError
from media.events import CascadeEvents, MediaEvents
from media.forwarding import ForwardingTrack, is_vp8_keyframe
from media.keyframes import KeyframeThrottle, media_ssrc
from media.layer_control import LayerControl, valid_layer
from media.load_guard import LoadGuard
from media.loudest import Loudness
from media.nack_retry import NackRetry
from media.peer import Peer, Publication, Slot
from media.quality import PeerQuality
from media.quality import read as read_quality
from media.receive import ImmediateAudioBuffer
from media.recording import ParticipantRecorder
from media.relay import Address, RelayIn, RelayOut
from media.renegotiation import create_offer
from media.rtp_forward import PacketForwarder, VideoPacketTap
from media.rtp_forward import now as packet_clock
from media.settings import (
    KINDS,
    Kind,
    MediaSettings,
    TrackInfo,
    UplinkStats,
    require_kinds,
    rtc_configuration,
)
from media.stats import KindStats, SfuStats
from media.unheard_audio import UnheardAudio
from media.unseen_pause import UnseenWatch
from media.unseen_video import UnseenVideo, offered_ssrcs
from media.video_forward import VideoForwarder
from pendopo.tasks import TaskSet

logger = logging.getLogger(__name__)

# Nothing is transcoded, so every slot carries exactly what publishers send: VP8 and Opus.
_PINNED_MIME = {"audio": ("audio/opus",), "video": ("video/vp8", "video/rtx")}
_REOFFER_DELAY = 0.1  # let signaling deliver the answer before a server offer follows it
_TICK = 1.0  # seconds between rate measurements, layer choices and keyframe re-requests
_LOUDEST_TICK = 0.1  # seconds between checks of who the pooled audio slots carry


def pin_codecs(transceiver: object, kind: str) -> bool:
    """Restrict a transceiver to Opus / VP8 (+RTX); False if the remote offered neither."""
    caps = RTCRtpSender.getCapabilities(kind).codecs
    wanted = [c for c in caps if c.mimeType.lower() in _PINNED_MIME[kind]]
    transceiver.setCodecPreferences(wanted)  # type: ignore[attr-defined]
    current = hooks.negotiated_codecs(transceiver)
    if current:
        filtered = filter_preferred_codecs(current, wanted)
        hooks.set_negotiated_codecs(transceiver, filtered)
        return bool(filtered)
    return True


def _ignore_packet(packet: RtpPacket) -> None:
    """A second track of one kind from the same connection is drained, not forwarded."""


def _round_trip(peer: Peer) -> float | None:
    """The peer's round trip (seconds) as its receiver reports about the server's slots tell
    it: the latest measured one (packet path), else aiortc's smoothed one; None when unknown."""
    if peer.estimate.rtt is not None:
        return peer.estimate.rtt
    for slot in peer.slots:
        rtt = hooks.sender_rtt(slot.sender)
        if rtt is not None:
            return rtt
    return None


def _reason(exc: Exception) -> str:
    """Why aiortc refused an SDP, for people: its own messages ("RTCP mux is not enabled") are
    kept; a bare assert, a KeyError or the like from its parser says nothing to a reader and
    becomes a plain description instead of a Python exception name."""
    text = str(exc).strip()
    if isinstance(exc, ValueError | RuntimeError) and text and text.isprintable():
        return text[:200]
    return "a line is malformed, or a required one is missing"


def _offer_ufrag(offer_sdp: str) -> str | None:
    try:
        description = aiortc_sdp.SessionDescription.parse(offer_sdp)
    except Exception as exc:  # aiortc's parser raises many kinds on garbage
        raise MediaError("invalid_sdp", f"the offer is not valid SDP: {_reason(exc)}") from exc
    if not description.media:
        raise MediaError("invalid_sdp", "the offer has no media section")
    for media in description.media:
        if media.ice is not None and media.ice.usernameFragment:
            return str(media.ice.usernameFragment)
    raise MediaError("invalid_sdp", "the offer has no ICE credentials")


class Sfu:
    """The contract with signaling/: docs/media.md, section "API"."""

    def __init__(self, settings: MediaSettings, events: MediaEvents) -> None:
        hooks.install()
        self._settings = settings
        self._events = events
        self._peers: dict[str, Peer] = {}
        self._subscriptions: dict[str, dict[str, frozenset[Kind]]] = {}
        self._routes: dict[tuple[str, str], set[Slot]] = {}
        self._disabled: set[tuple[str, str]] = set()
        self._keyframes: dict[tuple[str, str], KeyframeThrottle] = {}  # (publisher, stream)
        self._unseen = UnseenWatch(settings.pause_unseen_after, self._seen, self._notify_seen)
        self._layers = LayerControl(
            self._peers,
            self._notify_layer,
            self._request_keyframe,
            settings.rate_control,
            selected=self._unseen.recheck,
        )
        self._load = LoadGuard(settings.cpu_limit)
        self._ticker: asyncio.Task[None] | None = None
        self._tasks = TaskSet("media task", logger)
        self._retired = SfuStats()
        self._frames = {"audio": KindStats(), "video": KindStats()}
        self._received_frames = {"audio": 0, "video": 0}
        self._closed = False
        self._audio = AudioProtection()
        self._reserved: dict[str, dict[str, int]] = {}
        self._recorders: dict[str, ParticipantRecorder] = {}
        # Audio for hundreds (media/loudest.py): subscribers with more audio subscriptions
        # than the limit, and whom their audio slots carry.
        self._loudness = Loudness(settings.loudest)
        self._priority: set[str] = set()
        self._audio_choice: dict[str, list[str]] = {}
        self._loudness_mark: object = None
        self._loudest_ticker: asyncio.Task[None] | None = None
        # The cascade (media/cascade.py, media/relay.py): packets to and from other workers.
        self._cascade: CascadeEvents | None = None
        self._relay = RelayIn()
        self._relays: dict[tuple[str, str], dict[Address, RelayOut]] = {}  # (publisher, kind)
        self._channels: dict[str, dict[tuple[str, str], int]] = {}  # relayed: (kind, stream)
        self._wanted: set[tuple[str, str]] = set()  # relayed (publisher, kind) asked for

    # ----------------------------------------------------------------- offers and answers

    async def answer(self, peer_id: str, offer_sdp: str) -> tuple[str, dict[str, TrackInfo]]:
        if not isinstance(offer_sdp, str) or not offer_sdp.startswith("v=0"):
            raise MediaError("invalid_sdp", "the offer is not SDP")
        ufrag = _offer_ufrag(offer_sdp)
        peer = self._peers.get(peer_id)
        if peer is not None and peer.relayed:  # its worker ended; it connects here now
            await self._drop_peer(peer)
            for channel in self._channels.pop(peer_id, {}).values():
                self._relay.remove(channel)
            for kind in KINDS:
                self._wanted.discard((peer_id, kind))
            peer = None
        if peer is not None and (
            peer.closed
            or str(peer.pc.connectionState) in ("failed", "closed")
            or (peer.remote_ufrag is not None and ufrag != peer.remote_ufrag)
        ):
            await self._drop_peer(peer)  # a new connection from the same participant
            peer = None
        created = peer is None
        if peer is None:
            peer = self._new_peer(peer_id)
        if self._ticker is None and self._settings.forwarding == "packet":
            self._ticker = self._tasks.spawn(self._tick_forever())
        if self._loudest_ticker is None and self._settings.loudest.limit > 0:
            self._loudest_ticker = self._tasks.spawn(self._loudest_forever())
        async with peer.lock:
            if str(peer.pc.signalingState) == "have-local-offer":
                raise MediaError(
                    "offer_collision",
                    "the server's offer is pending: answer it, then send this offer again",
                )
            try:
                await peer.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
                slot_transceivers = {id(s.transceiver) for s in peer.slots}
                for transceiver in peer.pc.getTransceivers():
                    if id(transceiver) not in slot_transceivers and not pin_codecs(
                        transceiver, transceiver.kind
                    ):
                        raise MediaError(
                            "unsupported_codec", f"no Opus/VP8 offered for {transceiver.kind}"
                        )
                hooks.answer_as_dtls_server(peer.pc.getTransceivers())
                answer = await peer.pc.createAnswer()
                answer = self._audio.protect_answer(peer, offer_sdp, answer)
                with self._host_addresses():
                    await peer.pc.setLocalDescription(answer)
            except MediaError:
                if created:
                    await self._drop_peer(peer)
                raise
            except Exception as exc:
                if created:
                    await self._drop_peer(peer)
                raise MediaError("invalid_sdp", f"the offer was refused: {_reason(exc)}") from exc
            peer.remote_ufrag = ufrag
            self._configure_consent(peer)
            hooks.set_receive_buffer(peer.pc.getTransceivers(), self._settings.udp_receive_buffer)
            hooks.set_read_batch(peer.pc.getTransceivers(), self._settings.udp_read_batch)
            self._gate_datagrams(peer, offer_sdp)
            hooks.set_direct_srtp(peer.pc.getTransceivers(), self._settings.direct_srtp)
            local_sdp = self._local_sdp(peer)
            tracks = self._track_map(peer)
        self._spawn(self._sync_later(peer_id, _REOFFER_DELAY))
        return local_sdp, tracks

    async def accept_answer(self, peer_id: str, answer_sdp: str) -> None:
        peer = self._peer(peer_id)
        if not isinstance(answer_sdp, str) or not answer_sdp.startswith("v=0"):
            raise MediaError("invalid_sdp", "the answer is not SDP")
        async with peer.lock:
            if str(peer.pc.signalingState) != "have-local-offer":
                raise MediaError("no_offer_pending", "there is no server offer to answer")
            try:
                await peer.pc.setRemoteDescription(RTCSessionDescription(answer_sdp, "answer"))
            except Exception as exc:
                raise MediaError("invalid_sdp", f"the answer was refused: {_reason(exc)}") from exc
            self._audio.answered(peer, answer_sdp)
            routed = False
            for slot in peer.slots:
                if not slot.live and slot.mid is not None:
                    slot.live = True
                    if slot.publisher is not None:
                        self._route(peer, slot)
                        routed = True
            if routed:
                # A slot given a publisher while its offer was unanswered: the offer's track map
                # did not name it yet, so the page learns whom it carries now.
                self._notify_tracks(peer_id, self._track_map(peer))
            again = peer.negotiation_needed
        if again:
            self._spawn(self._sync(peer_id))

    async def remove(self, peer_id: str) -> None:
        peer = self._peers.get(peer_id)
        if peer is not None:
            await self._drop_peer(peer)

    async def forget(self, participant: str) -> None:
        """Extension: remove the peer and every subscription to or from the participant."""
        self._subscriptions.pop(participant, None)
        for subscriber, subs in list(self._subscriptions.items()):
            if subs.pop(participant, None) is not None:
                await self._sync(subscriber)
        await self.remove(participant)
        self._audio.forget(participant)
        for key in [k for k in self._keyframes if k[0] == participant]:
            self._keyframes.pop(key).cancel()
        self._layers.priors.pop(participant, None)
        self._layers.ceilings.pop(participant, None)
        self._layers.shown.pop(participant, None)
        self._layers.shares.discard(participant)
        self._reserved.pop(participant, None)
        self._loudness.forget(participant)
        self._priority.discard(participant)
        self._audio_choice.pop(participant, None)
        for channel in self._channels.pop(participant, {}).values():
            self._relay.remove(channel)
        for kind in KINDS:
            self._relays.pop((participant, kind), None)
            self._wanted.discard((participant, kind))

    # ----------------------------------------------------------------- subscriptions

    async def subscribe(self, subscriber: str, publisher: str, kinds: frozenset[str]) -> None:
        require_kinds(kinds)
        if subscriber == publisher or not kinds:
            return
        subs = self._subscriptions.setdefault(subscriber, {})
        subs[publisher] = subs.get(publisher, frozenset()) | frozenset(
            k for k in KINDS if k in kinds
        )
        await self._sync(subscriber)

    def reserve(self, peer_id: str, kinds: Mapping[str, int]) -> None:
        """Keep at least ``kinds[kind]`` slots of each kind on the peer's connection, idle
        (forwarding nothing) until a subscription takes them. A participant waiting in the
        lobby gets the m-lines its admission will use: admission then routes packets into a
        negotiated slot (a keyframe) instead of an offer/answer round trip."""
        require_kinds(kinds)
        self._reserved[peer_id] = {k: max(0, int(n)) for k, n in kinds.items()}
        if peer_id in self._peers:
            self._spawn(self._sync(peer_id))

    async def unsubscribe(self, subscriber: str, publisher: str) -> None:
        subs = self._subscriptions.get(subscriber)
        if subs is not None and subs.pop(publisher, None) is not None:
            await self._sync(subscriber)

    def set_forwarding(self, publisher: str, kind: str, enabled: bool) -> None:
        if kind not in KINDS:
            raise MediaError("invalid_kind", f"unknown media kind: {kind}")
        if enabled:
            if (publisher, kind) in self._disabled:
                self._disabled.discard((publisher, kind))
                for slot in self._routes.get((publisher, kind), ()):
                    if slot.forwarder is not None:
                        slot.forwarder.restart()  # go on without a gap of the muted time
                if kind == "video":
                    self._request_keyframe(publisher, "high")
                    self._request_keyframe(publisher, "low")
        else:
            self._disabled.add((publisher, kind))

    def set_audio_priority(self, publisher: str, on: bool) -> None:
        """The publisher (the host, whoever has the floor) gets an audio slot of every
        subscriber as soon as it speaks, whatever the others' loudness (media/loudest.py)."""
        if on:
            self._priority.add(publisher)
        else:
            self._priority.discard(publisher)

    # ----------------------------------------------------------------- video layers

    def record(self, participant: str, recorder: ParticipantRecorder | None) -> None:
        """Feed (None: stop feeding) a participant's received audio and high video packets to
        a recorder, as they arrive (media/recording.py); a keyframe is asked for at once."""
        if recorder is None:
            self._recorders.pop(participant, None)
        else:
            self._recorders[participant] = recorder
            self._request_keyframe(participant)
            self._unseen.recheck(participant)
        for kind in KINDS:
            self._demand(participant, kind)

    def request_keyframe(self, participant: str, stream: str = "high") -> None:
        """Ask one of a publisher's video streams for a keyframe (throttled like every
        request)."""
        self._request_keyframe(participant, stream)

    def set_downlink_prior(self, peer_id: str, bps: int | None) -> None:
        """What the inventory says the participant's downlink carries (None: unknown). Its
        rate controller starts from it: a VSAT site starts low; it probes upward carefully."""
        self._layers.set_prior(peer_id, bps, time.monotonic())

    def set_video_ceiling(self, peer_id: str, layer: str) -> None:
        """The highest layer the subscriber may receive: "high" (default), "low",
        "low_base", "still" (audio-only mode: a still of each publisher every ~5 s), "off"."""
        if not valid_layer(layer):
            raise MediaError("invalid_layer", f"unknown video layer: {layer!r}")
        self._layers.set_ceiling(peer_id, layer, time.monotonic())

    def set_shown(self, peer_id: str, publishers: frozenset[str] | None) -> None:
        """The publishers whose video the subscriber's page shows (None: all). Video of the
        others is switched off for it (``video_layer`` reason "hidden"): last-N."""
        self._layers.set_shown(peer_id, publishers, time.monotonic())

    def set_share(self, publisher: str, share: bool) -> None:
        """``publisher`` is (no longer) a screen share: a weak receiver gets it at its lowest
        temporal layer and cameras as stills meanwhile (media/presenting.py)."""
        self._layers.set_share(publisher, share, time.monotonic())

    def uplink(self, peer_id: str) -> UplinkStats | None:
        """What the server received from the publisher's video over the last second, or None
        when it has no connection or sends no video."""
        peer = self._peers.get(peer_id)
        if peer is None or peer.closed or "video" not in peer.publications:
            return None
        return UplinkStats(received_bps=int(peer.uplink_bps), loss=round(peer.uplink_loss, 4))

    # ----------------------------------------------------------------- the cascade

    async def join_cascade(self, events: CascadeEvents) -> Address:
        """Take part in sessions spread over several workers (media/cascade.py): start the
        relay socket and tell ``events`` what other workers need; returns the socket's address."""
        self._cascade = events
        if not self._relay.started:
            await self._relay.start()
        for peer in list(self._peers.values()):
            if not peer.relayed:
                for pub in (*peer.publications.values(), peer.low):
                    if pub is not None:
                        events.published(peer.peer_id, pub.kind, pub.stream)
        return self._relay.address

    @property
    def relay_address(self) -> Address:
        """This worker's relay socket (after :meth:`join_cascade`)."""
        return self._relay.address

    def trust(self, addresses: Iterable[Address]) -> None:
        """The other workers' relay sockets: datagrams from anywhere else are dropped."""
        self._relay.trusted.update((str(h), int(p)) for h, p in addresses)

    def relay_in(self, publisher: str, kind: str, stream: str) -> int:
        """The stream of a publisher connected to another worker, fed here by the relay: its
        channel on this worker's relay socket (the same for the same stream)."""
        if kind not in KINDS or stream not in ("high", "low") or (kind, stream) == ("audio", "low"):
            raise MediaError("invalid_kind", f"no relayed {kind} stream {stream!r}")
        channels = self._channels.setdefault(publisher, {})
        known = channels.get((kind, stream))
        if known is not None:
            return known
        peer = self._peers.get(publisher)
        if peer is None or peer.closed:
            rate = self._settings.nack_budget_per_second
            peer = Peer(publisher, RTCPeerConnection(), TokenBucket(rate=rate), relayed=True)
            self._peers[publisher] = peer
        elif not peer.relayed:
            raise MediaError("connected_here", f"{publisher!r} is connected to this worker")
        pub = Publication(participant=publisher, kind=kind, track=None, receiver=None)
        pub.stream = stream
        if stream == "low":
            peer.low = pub
        else:
            peer.publications[kind] = pub
        channel = channels[(kind, stream)] = self._relay.add(self._packet_tap(pub))
        if stream == "high":
            self._refed(publisher, kind)
        if kind == "video":
            self._rechoose(publisher)
        self._demand(publisher, kind)
        return channel

    def relay_out(
        self, publisher: str, kind: str, address: Address, channels: Mapping[str, int] | None
    ) -> None:
        """Send (None: stop sending) every packet of the publisher's ``kind`` received here to
        another worker's relay socket, each stream on its channel there."""
        if kind not in KINDS:
            raise MediaError("invalid_kind", f"unknown media kind: {kind}")
        target = (str(address[0]), int(address[1]))
        out = self._relays.setdefault((publisher, kind), {})
        if channels is None:
            out.pop(target, None)
            if not out:
                del self._relays[(publisher, kind)]
            return
        out[target] = RelayOut(target, dict(channels), self._relay.send)
        if kind == "video":
            self._request_keyframe(publisher, "high")
            self._request_keyframe(publisher, "low")
            self._unseen.recheck(publisher)

    def hear(self, publisher: str, level_dbov: int, voiced: bool) -> None:
        """An audio level of a publisher connected to another worker (for the loudest choice
        of this worker's subscribers)."""
        self._loudness.level(publisher, level_dbov, time.monotonic())

    def _demand(self, publisher: str, kind: str) -> None:
        """A relayed publisher's kind is wanted here while a slot forwards it or a recorder
        takes it: the cascade hears of each change."""
        peer = self._peers.get(publisher)
        if self._cascade is None or peer is None or not peer.relayed:
            return
        key = (publisher, kind)
        wanted = bool(self._routes.get(key)) or publisher in self._recorders
        if wanted == (key in self._wanted):
            return
        if wanted:
            self._wanted.add(key)
        else:
            self._wanted.discard(key)
        try:
            self._cascade.relay_wanted(publisher, kind, wanted)
        except Exception:
            logger.exception("relay_wanted(%s, %s) failed", publisher, kind)

    async def _loudest_forever(self) -> None:
        while not self._closed:
            await asyncio.sleep(_LOUDEST_TICK)
            try:
                self._reselect_audio(time.monotonic())
            except Exception:  # one bad tick must not freeze everyone's audio choice
                logger.exception("audio selection tick failed")

    def _reselect_audio(self, now: float) -> None:
        """Subscribers whose loudest set changed get their audio slots switched (``_sync``)."""
        mark = self._loudness.signature(now)
        if mark == self._loudness_mark:
            return
        self._loudness_mark = mark
        for subscriber, current in list(self._audio_choice.items()):
            chosen = self._loudness.choose(
                current, self._audio_candidates(subscriber), self._priority, now, subscriber
            )
            if set(chosen) != set(current):
                self._spawn(self._sync(subscriber))

    def _audio_candidates(self, subscriber: str) -> set[str]:
        subs = self._subscriptions.get(subscriber, {})
        return {publisher for publisher, kinds in subs.items() if "audio" in kinds}

    def _pool_audio(self, subscriber: str, wanted: set[tuple[str, Kind]]) -> set[tuple[str, Kind]]:
        """Over the limit, the subscriber's audio slots carry only the loudest of its audio
        subscriptions (media/loudest.py); at or under it, each has its own slot, as before."""
        candidates = {publisher for publisher, kind in wanted if kind == "audio"}
        limit = self._settings.loudest.limit
        if limit <= 0 or len(candidates) <= limit:
            self._audio_choice.pop(subscriber, None)
            return wanted
        current = self._audio_choice.get(subscriber)
        if current is None:
            peer = self._peers.get(subscriber)
            slots = peer.slots if peer is not None else []
            current = [s.publisher for s in slots if s.kind == "audio" and s.publisher]
        chosen = self._loudness.choose(
            current, candidates, self._priority, time.monotonic(), subscriber
        )
        self._audio_choice[subscriber] = chosen
        return {w for w in wanted if w[1] != "audio"} | {(p, "audio") for p in chosen}

    async def _tick_forever(self) -> None:
        while not self._closed:
            await asyncio.sleep(_TICK)
            try:
                now = time.monotonic()
                self._layers.tick(now)
                self._guard_load(now)
                self._unseen.check(self._cameras(), now)
            except Exception:  # one bad tick must not end rate control for everyone
                logger.exception("layer control tick failed")

    def _guard_load(self, now: float) -> None:
        """The process's CPU against ``cpu_limit``: every subscriber's video ceiling follows."""
        video_slots = sum(
            1 for p in self._peers.values() for s in p.slots if s.video is not None and s.live
        )
        layer = self._load.tick(now, time.process_time(), video_slots)
        if layer is not None:
            self._layers.set_load_ceiling(layer, now)

    # ----------------------------------------------------------------- stats and shutdown

    def stats(self) -> SfuStats:
        out = SfuStats(
            peers=len(self._peers),
            connected_peers=sum(1 for p in self._peers.values() if p.connected),
            publications=sum(len(p.publications) for p in self._peers.values()),
            slots=sum(len(p.slots) for p in self._peers.values()),
            keyframe_requests=sum(t.requested for t in self._keyframes.values()),
            keyframe_requests_sent=sum(t.sent for t in self._keyframes.values()),
            keyframes_from_cache=self._layers.replayed,
            load_ceiling=self._load.ceiling,
            load_steps_down=self._load.steps_down,
            cpu_share=self._load.share,
        )
        for kind in KINDS:
            retired = self._retired.forwarded[kind]
            fwd = out.forwarded[kind]
            fwd.packets, fwd.bytes = retired.packets, retired.bytes
            fwd.frames = self._frames[kind].frames
            fwd.dropped = retired.dropped
            out.received[kind].packets = self._retired.received[kind].packets
            out.received[kind].frames = self._received_frames[kind]
        out.rtx_resent, out.rtx_dropped = self._retired.rtx_resent, self._retired.rtx_dropped
        out.late_audio_dropped = self._retired.late_audio_dropped
        out.unheard_audio_dropped = self._retired.unheard_audio_dropped
        out.unseen_video_dropped = self._retired.unseen_video_dropped
        out.upstream_nacked = self._retired.upstream_nacked
        out.upstream_nack_retries = self._retired.upstream_nack_retries
        out.upstream_repaired = self._retired.upstream_repaired
        out.upstream_repair_seconds = self._retired.upstream_repair_seconds
        out.upstream_given_up = self._retired.upstream_given_up
        out.red_packets = self._audio.red_packets
        out.thinned = self._retired.thinned
        out.layer_switches = self._retired.layer_switches
        out.keyframes_repeated = self._retired.keyframes_repeated
        out.layer_packets = dict(self._retired.layer_packets)
        for peer in self._peers.values():
            self._add_peer_counters(peer, out)
        return out

    async def peer_quality(self, peer_id: str) -> PeerQuality | None:
        """Extension: cumulative call-quality counters of the peer's connection (RTT, loss and
        jitter both ways, bytes; media/quality.py), or None while it is not connected."""
        peer = self._peers.get(peer_id)
        if peer is None or peer.closed or not peer.connected:
            return None
        try:
            report = await peer.pc.getStats()
        except Exception:  # closed under us: no figures this time
            logger.debug("getStats of %s failed", peer_id, exc_info=True)
            return None
        return read_quality(report.values(), time.monotonic())

    async def close(self) -> None:
        self._closed = True
        for peer in list(self._peers.values()):
            await self._drop_peer(peer)
        for throttle in self._keyframes.values():
            throttle.cancel()
        self._relay.close()
        await self._tasks.close()  # the ticker, publications' pumps, syncs, PLIs

    # ----------------------------------------------------------------- internals: peers

    def _peer(self, peer_id: str) -> Peer:
        peer = self._peers.get(peer_id)
        if peer is None or peer.closed:
            raise MediaError("unknown_peer", f"no media connection for {peer_id!r}")
        return peer

    def _new_peer(self, peer_id: str) -> Peer:
        if self._closed:
            raise MediaError("closed", "the media server is shutting down")
        pc = RTCPeerConnection(configuration=rtc_configuration(self._settings))
        rate = self._settings.nack_budget_per_second
        peer = Peer(peer_id=peer_id, pc=pc, budget=TokenBucket(rate=rate))
        self._peers[peer_id] = peer
        self._layers.new_peer(peer)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._add_publication(peer, track)

        @pc.on("connectionstatechange")
        def on_state() -> None:
            state = str(pc.connectionState)
            if self._peers.get(peer_id) is not peer:
                return  # a replaced connection: its end is not news
            self._notify_state(peer_id, state)
            if state == "connected":
                self._kick_waiting(peer)
                self._spawn(self._sync(peer_id))
            elif state == "failed":
                self._spawn(self._close_pc(peer))

        return peer

    async def _close_pc(self, peer: Peer) -> None:
        await peer.pc.close()

    async def _drop_peer(self, peer: Peer) -> None:
        if self._peers.get(peer.peer_id) is peer:
            del self._peers[peer.peer_id]
            self._unseen.forget(peer.peer_id)
        if peer.closed:
            return
        peer.closed = True
        for slot in peer.slots:
            self._unroute(slot)
        self._add_peer_counters(peer, self._retired)
        pubs = list(peer.publications.values())
        peer.publications.clear()
        for video in (*pubs, peer.low):
            if video is not None and video.nacks is not None:
                video.nacks.close()
        await peer.pc.close()
        for pub in pubs:
            if pub.task is not None:
                pub.task.cancel()

    def _add_peer_counters(self, peer: Peer, into: SfuStats) -> None:
        for slot in peer.slots:
            fwd = into.forwarded[slot.kind]
            packets, octets = hooks.sender_counters(slot.sender)
            fwd.packets += packets
            fwd.bytes += octets
            fwd.dropped += slot.track.dropped
            if slot.forwarder is not None:
                fwd.dropped += slot.forwarder.dropped
            if slot.video is not None:
                into.thinned += slot.video.thinned
                into.layer_switches += slot.video.switches
                into.keyframes_repeated += slot.video.key_repeats
                for layer, packets in slot.video.sent_by_layer.items():
                    into.layer_packets[layer] = into.layer_packets.get(layer, 0) + packets
        if peer.unheard is not None:
            into.unheard_audio_dropped += peer.unheard.dropped
        if peer.unseen is not None:
            into.unseen_video_dropped += peer.unseen.dropped
        into.rtx_resent += peer.budget.allowed
        into.rtx_dropped += peer.budget.refused
        for pub in peer.publications.values():
            if pub.receiver is None:
                continue  # relayed: counted where it is received
            into.received[pub.kind].packets += hooks.receiver_packets(pub.receiver)
            if pub.audio_buffer is not None:
                into.late_audio_dropped += pub.audio_buffer.late
        for video in (*peer.publications.values(), peer.low):
            if video is not None and video.nacks is not None:
                retry = video.nacks.policy
                into.upstream_nacked += retry.requested
                into.upstream_nack_retries += retry.retried
                into.upstream_repaired += retry.repaired
                into.upstream_repair_seconds += retry.repair_time
                into.upstream_given_up += retry.given_up

    def _gate_datagrams(self, peer: Peer, offer_sdp: str) -> None:
        """The publisher's datagrams nobody needs are dropped before SRTP: quiet audio nobody
        hears (media/unheard_audio.py), video nobody sees (media/unseen_video.py)."""
        transceivers = peer.pc.getTransceivers()
        peer.unheard = self._unheard_audio_gate(peer, offer_sdp)
        peer.unseen = self._unseen_video_gate(peer, offer_sdp)
        hooks.set_datagram_gate(transceivers, gates(peer.unheard, peer.unseen))

    def _unheard_audio_gate(self, peer: Peer, offer_sdp: str) -> UnheardAudio | None:
        """Audio without a negotiated level is never gated."""
        transceivers = peer.pc.getTransceivers()
        pub = peer.publications.get("audio")
        mid = next((t.mid for t in transceivers if pub and t.receiver is pub.receiver), None)
        wanted = self._settings.drop_unheard_audio and mid is not None
        level_id, ssrcs = audio_sdp.level_source(offer_sdp, mid) if wanted else (None, [])
        if pub is None or level_id is None or not ssrcs:
            return None
        publisher, receiver = peer.peer_id, pub.receiver
        gate = UnheardAudio(
            publisher,
            self._loudness,
            level_id,
            ssrcs,
            listened=lambda: self._listened(publisher),
            hear=lambda level, voiced: self._notify_level(publisher, level, voiced),
            tally=lambda ssrc, seq, ts: hooks.count_as_received(receiver, ssrc, seq, ts),
        )
        gate.dropped = peer.unheard.dropped if peer.unheard is not None else 0
        return gate

    def _unseen_video_gate(self, peer: Peer, offer_sdp: str) -> UnseenVideo | None:
        """Video whose m-sections name no SSRC is never gated, nor on the frame path (its
        slots take aiortc's reassembled frames, whose jitter buffer does not resume cleanly
        after a drop; tests/media/test_forwarding.py ``test_host_and_sites_each_way[frame]``)."""
        if not self._settings.drop_unseen_video or self._settings.forwarding != "packet":
            return None
        streams = [p for p in (peer.publications.get("video"), peer.low) if p is not None]
        receivers = [p.receiver for p in streams if p.receiver is not None]
        mids = [t.mid for t in peer.pc.getTransceivers() if t.receiver in receivers]
        ssrcs = offered_ssrcs(offer_sdp, mids) if receivers else []
        if not ssrcs:
            return None
        publisher, dtls = peer.peer_id, receivers[0].transport

        def tally(ssrc: int, seq: int, timestamp: int, octets: int) -> bool:
            return any(pub.count_dropped(ssrc, seq, timestamp, octets) for pub in streams)

        def interrupted() -> None:
            for pub in streams:
                pub.cache.interrupt()

        gate = UnseenVideo(
            publisher,
            ssrcs,
            seen=lambda: self._seen(publisher),
            keep=lambda datagram: hooks.decrypt_only(dtls, datagram),
            tally=tally,
            interrupted=interrupted,
        )
        gate.dropped = peer.unseen.dropped if peer.unseen is not None else 0
        return gate

    def _seen(self, publisher: str) -> bool:
        """Someone may see the publisher's video now: a slot has one of its streams selected,
        a recorder takes it, or another worker wants it (a camera the host turned off:
        nobody)."""
        key = (publisher, "video")
        if key in self._disabled:
            return False
        if self._relays.get(key) or publisher in self._recorders:
            return True
        for slot in self._routes.get(key, ()):
            if slot.video is None or slot.video.target is not None:
                return True
        return False

    def _cameras(self) -> list[str]:
        """Publishers connected here that send video (a relayed one is watched by its own
        worker)."""
        return [
            p.peer_id
            for p in self._peers.values()
            if not p.relayed and "video" in p.publications and p.connected
        ]

    def _listened(self, publisher: str) -> bool:
        """Someone may hear the publisher's audio now: a slot forwards it or a recorder takes
        it (a muted microphone: nobody)."""
        if (publisher, "audio") in self._disabled:
            return False
        key = (publisher, "audio")
        return bool(self._routes.get(key) or self._relays.get(key)) or publisher in self._recorders

    def _configure_consent(self, peer: Peer) -> None:
        hooks.set_consent_retransmissions(
            peer.pc.getTransceivers(), self._settings.consent_retransmissions
        )

    def _local_sdp(self, peer: Peer) -> str:
        return announce(str(peer.pc.localDescription.sdp), self._settings.announced_addresses)

    @contextlib.contextmanager
    def _host_addresses(self) -> Iterator[None]:
        if not self._settings.host_addresses:
            yield
            return
        token = hooks.host_addresses.set(self._settings.host_addresses)
        try:
            yield
        finally:
            hooks.host_addresses.reset(token)

    # ----------------------------------------------------------------- internals: publishing

    def _add_publication(self, peer: Peer, track: MediaStreamTrack) -> None:
        receiver = next(t.receiver for t in peer.pc.getTransceivers() if t.receiver.track is track)
        hooks.mark_passthrough(hooks.track_queue(track))
        kind: Kind = "audio" if track.kind == "audio" else "video"
        pub = Publication(participant=peer.peer_id, kind=kind, track=track, receiver=receiver)
        primary = kind not in peer.publications
        packets = self._settings.forwarding == "packet"
        # The second video m-line is the low layer (packet path only: the frame path forwards
        # one layer); further tracks are drained.
        low = packets and kind == "video" and not primary and peer.low is None
        on_packet = None
        if low:
            pub.stream = "low"
            peer.low = pub
        if packets:
            on_packet = self._packet_tap(pub) if primary or low else _ignore_packet
        if kind == "audio":
            self._audio.add_publication(peer.peer_id, receiver)
            pub.audio_buffer = ImmediateAudioBuffer(
                on_level=lambda level, voiced: self._notify_level(peer.peer_id, level, voiced),
                on_packet=on_packet,
            )
            hooks.set_receiver_jitter_buffer(receiver, pub.audio_buffer)
        elif on_packet is not None:
            hooks.set_receiver_jitter_buffer(receiver, VideoPacketTap(on_packet))
        if kind == "video":
            hooks.set_remb_group(receiver, peer.remb)
            if primary or low:
                pub.nacks = hooks.PacedNacks(receiver, NackRetry(lambda: _round_trip(peer)))
                hooks.set_nack_generator(receiver, pub.nacks)
        if primary:
            peer.publications[kind] = pub
        if not packets:
            pub.task = self._tasks.spawn(self._pump(pub, primary))
        if primary:
            self._refed(peer.peer_id, kind)
        if primary or low:
            self._rechoose(peer.peer_id)
            if self._cascade is not None:
                try:
                    self._cascade.published(peer.peer_id, kind, pub.stream)
                except Exception:
                    logger.exception("published(%s, %s) failed", peer.peer_id, kind)

    def _rechoose(self, publisher: str) -> None:
        """The publisher's video streams changed: its subscribers' layers are chosen again."""
        now = time.monotonic()
        for subscriber in list(self._peers.values()):
            if any(s.video is not None and s.publisher == publisher for s in subscriber.slots):
                self._layers.choose(subscriber, now)

    def _refed(self, publisher: str, kind: Kind) -> None:
        """Subscribers already holding a live slot for this publisher get it fed again."""
        for subscriber in self._peers.values():
            slots = subscriber.slots
            if any(s.live and s.publisher == publisher and s.kind == kind for s in slots):
                self._notify_tracks(subscriber.peer_id, self._track_map(subscriber))

    async def _pump(self, pub: Publication, primary: bool) -> None:
        track = pub.track
        assert track is not None  # the frame path: a publication received here
        key = (pub.participant, pub.kind)
        video = pub.kind == "video"
        counters = self._frames[pub.kind]
        try:
            while True:
                packet = await track.recv()
                self._received_frames[pub.kind] += 1
                if not primary or not isinstance(packet, av.Packet) or key in self._disabled:
                    continue
                slots = self._routes.get(key)
                if not slots:
                    continue
                keyframe = video and is_vp8_keyframe(packet)
                for slot in slots:
                    slot.track.push(packet, pub, keyframe)
                counters.frames += len(slots)
        except (MediaStreamError, asyncio.CancelledError):
            pass

    def _packet_tap(self, pub: Publication) -> Callable[[RtpPacket], None]:
        """Packet forwarding: what the publisher's receiver calls with each accepted packet."""
        if pub.kind == "video":
            return self._video_tap(pub)
        key = (pub.participant, pub.kind)
        counters = self._frames[pub.kind]
        received = self._received_frames

        recorders = self._recorders

        def on_packet(packet: RtpPacket) -> None:
            received["audio"] += 1
            if key in self._disabled:
                return  # a muted microphone is neither forwarded nor recorded
            recorder = recorders.get(pub.participant)
            if recorder is not None:
                recorder.audio(packet)
            relays = self._relays.get(key)
            if relays:
                for relay in relays.values():
                    relay.forward(packet, "high")
            slots = self._routes.get(key)
            if not slots:
                return
            ntp, wall = packet_clock()
            for slot in slots:
                if slot.forwarder is not None:
                    slot.forwarder.forward(packet, pub, False, ntp, wall)
            counters.frames += len(slots)

        return on_packet

    def _video_tap(self, pub: Publication) -> Callable[[RtpPacket], None]:
        """The descriptor is parsed once per received packet; every routed slot's forwarder
        decides from it (its target stream, its temporal cap)."""
        key = (pub.participant, "video")
        counters = self._frames["video"]
        received = self._received_frames
        octets = pub.octets_by_tid
        cache = pub.cache
        high = pub.stream == "high"
        stream = pub.stream
        recorders = self._recorders

        def on_packet(packet: RtpPacket) -> None:
            payload = packet.payload
            desc = vp8_layers.parse(payload)
            tid = desc.tid if desc is not None else None
            if tid is None:
                octets[0] += len(payload)
            else:
                octets[tid] += len(payload)
                pub.layered = True
            ntp, wall = packet_clock()
            cache.add(packet, desc, wall)
            if packet.marker and high:
                received["video"] += 1
            if key in self._disabled:
                return
            if high:
                recorder = recorders.get(pub.participant)
                if recorder is not None:
                    recorder.video(packet, desc)
            relays = self._relays.get(key)
            if relays:
                for relay in relays.values():
                    relay.forward(packet, stream)
            slots = self._routes.get(key)
            if not slots:
                return
            for slot in slots:
                video = slot.video
                if video is not None:
                    video.forward(packet, pub, desc, ntp, wall)
            if packet.marker and high:
                counters.frames += len(slots)

        return on_packet

    # ----------------------------------------------------------------- internals: keyframes

    def _request_keyframe(self, publisher: str, stream: str = "high") -> None:
        """Ask one of the publisher's video streams for a keyframe (throttled per stream)."""
        throttle = self._keyframes.get((publisher, stream))
        if throttle is None:
            throttle = self._keyframes[(publisher, stream)] = KeyframeThrottle(
                self._settings.keyframe_min_interval, lambda: self._send_pli(publisher, stream)
            )
        throttle.request()

    def _kick_waiting(self, peer: Peer) -> None:
        """The server's end of the connection is up: slots routed before it (a participant
        admitted while the last DTLS flight was on its way) get their first picture now, from
        the cached keyframe or a PLI, not at the next tick."""
        _ntp, wall = packet_clock()
        for slot in peer.slots:
            if slot.video is not None:
                self._layers.kick(slot, wall)

    def _send_pli(self, publisher: str, stream: str) -> bool:
        peer = self._peers.get(publisher)
        if peer is not None and peer.relayed:
            if self._cascade is None:
                return False
            self._cascade.keyframe_wanted(publisher, stream)  # its worker asks the publisher
            return True
        pub = None
        if peer is not None:
            pub = peer.low if stream == "low" else peer.publications.get("video")
        if pub is None or pub.receiver is None:
            return False
        ssrc = media_ssrc(pub.receiver)
        if ssrc is None:
            return False  # nothing received yet: its first frame is a keyframe anyway
        self._spawn(hooks.send_pli(pub.receiver, ssrc))
        logger.debug("PLI to %s's %s stream (ssrc %d)", publisher, stream, ssrc)
        return True

    # ----------------------------------------------------------------- internals: slots

    def _route(self, peer: Peer, slot: Slot) -> None:
        assert slot.publisher is not None
        self._routes.setdefault((slot.publisher, slot.kind), set()).add(slot)
        self._demand(slot.publisher, slot.kind)
        if slot.forwarder is not None:
            slot.forwarder.restart()
        if slot.video is not None:
            slot.rung = None  # a new publisher on this slot: placed afresh
            peer.estimate.note_path_rtt(hooks.path_rtt(peer.pc))  # before any RTCP
            self._layers.choose(peer, time.monotonic())
            _ntp, wall = packet_clock()
            self._layers.kick(slot, wall)  # a recent cached keyframe, or a PLI
        elif slot.kind == "video":
            slot.track.need_keyframe = True
            self._request_keyframe(slot.publisher)

    def _unroute(self, slot: Slot) -> None:
        if slot.publisher is None:
            return
        routes = self._routes.get((slot.publisher, slot.kind))
        if routes is not None:
            routes.discard(slot)
            if not routes:
                del self._routes[(slot.publisher, slot.kind)]
                self._demand(slot.publisher, slot.kind)

    def _track_map(self, peer: Peer) -> dict[str, TrackInfo]:
        return {
            slot.mid: {"participant": slot.publisher, "kind": slot.kind}
            for slot in peer.slots
            if slot.live and slot.publisher is not None and slot.mid is not None
        }

    async def _sync_later(self, peer_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._sync(peer_id)

    async def _sync(self, subscriber: str) -> None:
        """Make the subscriber's slots match its subscriptions; offer if slots are missing."""
        peer = self._peers.get(subscriber)
        if peer is None or peer.closed:
            return
        async with peer.lock:
            if peer.closed:
                return
            wanted = self._pool_audio(
                subscriber,
                {
                    (publisher, kind)
                    for publisher, kinds in self._subscriptions.get(subscriber, {}).items()
                    for kind in kinds
                },
            )
            refed = False
            for slot in peer.slots:
                if slot.publisher is not None and (slot.publisher, slot.kind) not in wanted:
                    self._unroute(slot)
                    slot.publisher = None
                    slot.track.detach()
                    if slot.forwarder is not None:
                        slot.forwarder.restart()
                    if slot.video is not None:
                        slot.video.select(None, "off", 0, False)
                        slot.ladder, slot.rung, slot.told = (), None, ("", "")
                    refed = True
            assigned = {(s.publisher, s.kind) for s in peer.slots if s.publisher is not None}
            missing: list[tuple[str | None, Kind]] = []
            for publisher, kind in sorted(wanted - assigned):
                idle = next((s for s in peer.slots if s.kind == kind and s.publisher is None), None)
                if idle is None:
                    missing.append((publisher, kind))
                    continue
                idle.publisher = publisher
                if idle.live:
                    self._route(peer, idle)
                    refed = True
            for reserved_kind in KINDS:
                count = self._reserved.get(subscriber, {}).get(reserved_kind, 0)
                have = sum(1 for s in peer.slots if s.kind == reserved_kind)
                have += sum(1 for _, k in missing if k == reserved_kind)
                missing += [(None, reserved_kind)] * max(0, count - have)
            if refed:
                self._notify_tracks(subscriber, self._track_map(peer))
            if missing or peer.negotiation_needed:
                await self._offer(peer, missing)

    async def _offer(self, peer: Peer, missing: list[tuple[str | None, Kind]]) -> None:
        """Add slots for ``missing`` and send a server offer (caller holds the peer lock)."""
        pc = peer.pc
        if (
            pc.remoteDescription is None
            or str(pc.signalingState) != "stable"
            or str(pc.connectionState) in ("failed", "closed")
        ):
            peer.negotiation_needed = True  # retried when connected / when the answer arrives
            return
        peer.negotiation_needed = False
        for publisher, kind in missing:
            self._add_slot(peer, publisher, kind)
        if not any(not s.live for s in peer.slots):
            return
        with self._host_addresses():
            offer = self._audio.protect_offer(peer, await create_offer(peer.pc))
            await peer.pc.setLocalDescription(offer)
        tracks = self._track_map(peer)
        for slot in peer.slots:
            if not slot.live and slot.publisher is not None and slot.mid is not None:
                tracks[slot.mid] = {"participant": slot.publisher, "kind": slot.kind}
        try:
            await self._events.send_offer(peer.peer_id, self._local_sdp(peer), tracks)
        except Exception:
            logger.exception("send_offer to %s failed", peer.peer_id)

    def _add_slot(self, peer: Peer, publisher: str | None, kind: Kind) -> Slot:
        track = ForwardingTrack(kind, on_need_keyframe=lambda: self._slot_needs_keyframe(slot))
        transceiver = peer.pc.addTransceiver(track, direction="sendonly")
        pin_codecs(transceiver, kind)
        slot = Slot(kind=kind, track=track, transceiver=transceiver, publisher=publisher)
        if self._settings.forwarding == "packet":
            if kind == "video":
                slot.forwarder = slot.video = VideoForwarder(transceiver)
            else:
                slot.forwarder = PacketForwarder(kind, transceiver)
            self._layers.listen(peer, slot)
        hooks.on_keyframe_request(transceiver.sender, lambda: self._slot_needs_keyframe(slot))
        hooks.set_nack_budget(transceiver.sender, peer.budget)
        if kind == "audio":
            self._audio.add_slot(peer, slot)
        peer.slots.append(slot)
        return slot

    def _slot_needs_keyframe(self, slot: Slot) -> None:
        """The subscriber's PLI/FIR: ask the stream the slot forwards (or waits for)."""
        if slot.publisher is None:
            return
        target = slot.video.target if slot.video is not None else None
        stream = target.stream if isinstance(target, Publication) else "high"
        self._request_keyframe(slot.publisher, stream)

    # ----------------------------------------------------------------- internals: events

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        self._tasks.spawn(coro)

    def _notify_tracks(self, peer_id: str, tracks: dict[str, TrackInfo]) -> None:
        try:
            self._events.tracks_changed(peer_id, tracks)
        except Exception:
            logger.exception("tracks_changed(%s) failed", peer_id)

    def _notify_level(self, peer_id: str, level: int, voiced: bool) -> None:
        if (peer_id, "audio") in self._disabled:
            return
        self._loudness.level(peer_id, level, time.monotonic())
        try:
            self._events.audio_level(peer_id, level, voiced)
        except Exception:
            logger.exception("audio_level(%s) failed", peer_id)

    def _notify_layer(self, subscriber: str, publisher: str, layer: str, reason: str) -> None:
        try:
            self._events.video_layer(subscriber, publisher, layer, reason)
        except Exception:
            logger.exception("video_layer(%s, %s) failed", subscriber, publisher)

    def _notify_seen(self, publisher: str, seen: bool) -> None:
        try:
            self._events.video_seen(publisher, seen)
        except Exception:
            logger.exception("video_seen(%s, %s) failed", publisher, seen)

    def _notify_state(self, peer_id: str, state: str) -> None:
        try:
            self._events.peer_state(peer_id, state)
        except Exception:
            logger.exception("peer_state(%s) failed", peer_id)
