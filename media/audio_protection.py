"""Protected audio: what each subscriber's loss reports switch on, and what publishers hear.

Three things, all driven by the receiver reports (RTCP RR) subscribers send about the server's
audio slots:

- :class:`RedSwitch` (one per subscriber connection): RED on while its reported audio loss is
  above ``on`` (2 %), off again once no report went above ``off`` (1 %) for ``hold`` seconds;
  two earlier frames per packet instead of one while the loss is ``heavy`` (10 %).
- :class:`WorstLoss` (one per publisher): the worst loss any subscriber reported recently for
  that publisher's audio. The server's own receiver reports to the publisher carry it (raised
  ``fraction_lost`` only, media/hooks.py ``set_rr_loss_floor``), so Chromium's Opus encoder
  raises its in-band FEC for the listener who needs it. The cumulative ``packets_lost`` stays
  the server's own: Chromium's bandwidth estimate reads that one, so the publisher's video
  rate is not cut for a far listener's loss.
- :class:`AudioProtection`: the glue the ``Sfu`` calls at its few seams (answer, offer, answer
  accepted, new slot, new publication).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCSessionDescription
from aiortc import sdp as aiortc_sdp
from aiortc.rtp import RtcpRrPacket, RtcpSrPacket

from media import audio_sdp, hooks
from media.peer import Peer, Slot
from media.red import RedEncoder
from media.rtp_forward import PayloadRewrite

Clock = Callable[[], float]

ON_LOSS = 0.02
OFF_LOSS = 0.01
HEAVY_LOSS = 0.10
HOLD_SECONDS = 10.0
REPORT_WINDOW = 12.0  # Chromium reports on audio every ~5 s (2.5-7.5 s)


def loss_of(fraction_lost: int) -> float:
    """RTCP ``fraction lost`` (0..255, lost/expected in 1/256) as a fraction."""
    return max(0, min(255, fraction_lost)) / 256


class RedSwitch:
    """Whether to send RED to one subscriber, and with how many earlier frames (0, 1 or 2)."""

    def __init__(
        self,
        clock: Clock = time.monotonic,
        on: float = ON_LOSS,
        off: float = OFF_LOSS,
        heavy: float = HEAVY_LOSS,
        hold: float = HOLD_SECONDS,
    ) -> None:
        self._clock = clock
        self._on, self._off, self._heavy, self._hold = on, off, heavy, hold
        self._active = False
        self._lossy_at = float("-inf")  # last report above ``off``
        self._heavy_at = float("-inf")  # last report at or above ``heavy``
        self.switches = 0

    def report(self, fraction_lost: int) -> None:
        loss = loss_of(fraction_lost)
        now = self._clock()
        if loss > self._off:
            self._lossy_at = now
        if loss >= self._heavy:
            self._heavy_at = now
        if loss > self._on and not self._active:
            self._active = True
            self.switches += 1

    def distance(self) -> int:
        """Earlier frames to carry per packet: 0 = plain Opus."""
        if not self._active:
            return 0
        now = self._clock()
        if now - self._lossy_at > self._hold:
            self._active = False
            self.switches += 1
            return 0
        return 2 if now - self._heavy_at <= self._hold else 1


class WorstLoss:
    """The worst ``fraction_lost`` subscribers reported for one publisher's audio recently."""

    def __init__(self, clock: Clock = time.monotonic, window: float = REPORT_WINDOW) -> None:
        self._clock = clock
        self._window = window
        self._reports: dict[str, tuple[int, float]] = {}  # subscriber -> (fraction, when)

    def report(self, subscriber: str, fraction_lost: int) -> None:
        self._reports[subscriber] = (max(0, min(255, fraction_lost)), self._clock())

    def worst(self) -> int:
        now = self._clock()
        stale = [s for s, (_, at) in self._reports.items() if now - at > self._window]
        for subscriber in stale:
            del self._reports[subscriber]
        return max((fraction for fraction, _ in self._reports.values()), default=0)


@dataclass(eq=False)
class _Subscriber:
    """Per subscriber connection: its RED switch and which slots (mids) accepted RED."""

    peer_id: str
    switch: RedSwitch
    red: dict[str, int] = field(default_factory=dict)  # mid -> RED payload type


class AudioProtection:
    """Opus FEC/DTX parameters, RED per subscriber, subscriber loss reflected to publishers."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._subscribers: weakref.WeakKeyDictionary[Peer, _Subscriber] = (
            weakref.WeakKeyDictionary()
        )
        self._worst: dict[str, WorstLoss] = {}
        self.red_packets = 0  # audio packets sent as RED carrying at least one earlier frame

    # ----------------------------------------------------------------- SDP

    def protect_answer(
        self, peer: Peer, offer_sdp: str, answer: RTCSessionDescription
    ) -> RTCSessionDescription:
        """The server's answer with Opus fmtp everywhere and RED kept on the slots where the
        client's offer has it (a client re-offer must not drop what was negotiated)."""
        offered = audio_sdp.accepted_red(offer_sdp)
        description = aiortc_sdp.SessionDescription.parse(answer.sdp)
        red: dict[str, int] = {}
        for media in description.media:
            if media.kind != "audio":
                continue
            audio_sdp.protect_opus(media.rtp.codecs)
            mid = media.rtp.muxId
            if media.direction == "sendonly" and mid in offered:
                audio_sdp.add_red(media, offered[mid])
                red[mid] = offered[mid]
        self._subscriber(peer).red = red
        return RTCSessionDescription(sdp=str(description), type="answer")

    def protect_offer(self, peer: Peer, offer: RTCSessionDescription) -> RTCSessionDescription:
        """A server offer with Opus fmtp everywhere and RED on every subscriber slot."""
        described = [aiortc_sdp.SessionDescription.parse(offer.sdp)]
        remote = peer.pc.remoteDescription
        if remote is not None:
            described.insert(0, aiortc_sdp.SessionDescription.parse(remote.sdp))
        sdp = audio_sdp.protect_offer(offer.sdp, audio_sdp.red_payload_type(*described))
        return RTCSessionDescription(sdp=sdp, type="offer")

    def answered(self, peer: Peer, answer_sdp: str) -> None:
        """The client answered a server offer: which slots now carry RED."""
        self._subscriber(peer).red = audio_sdp.accepted_red(answer_sdp)

    # ----------------------------------------------------------------- media

    def add_slot(self, peer: Peer, slot: Slot) -> None:
        """Watch an audio slot's receiver reports; wrap its packets in RED when lossy."""
        state = self._subscriber(peer)
        ssrc = hooks.sender_ssrc(slot.sender)

        def on_rtcp(packet: Any) -> None:
            if not isinstance(packet, (RtcpRrPacket, RtcpSrPacket)):
                return
            for report in packet.reports:
                if report.ssrc != ssrc:
                    continue
                state.switch.report(report.fraction_lost)
                if slot.publisher is not None:
                    self._worst_of(slot.publisher).report(state.peer_id, report.fraction_lost)

        hooks.add_rtcp_listener(slot.sender, on_rtcp)
        if slot.forwarder is not None:
            slot.forwarder.rewrite_payload = self._red_rewriter(state, slot)

    def add_publication(self, participant: str, receiver: Any) -> None:
        """The server's receiver reports to this publisher carry its subscribers' worst loss."""
        hooks.set_rr_loss_floor(receiver, lambda: self.worst_loss(participant))

    def forget(self, participant: str) -> None:
        """The participant left for good: drop what its listeners reported."""
        self._worst.pop(participant, None)

    def worst_loss(self, participant: str) -> int:
        """The ``fraction_lost`` (0..255) reflected to the participant's audio right now."""
        worst = self._worst.get(participant)
        return 0 if worst is None else worst.worst()

    def red_distance(self, peer: Peer) -> int:
        """Earlier frames per packet the subscriber's audio slots carry now (0: plain Opus)."""
        state = self._subscribers.get(peer)
        return 0 if state is None else state.switch.distance()

    def _red_rewriter(self, state: _Subscriber, slot: Slot) -> PayloadRewrite:
        encoder = RedEncoder()

        def rewrite(timestamp: int, payload: bytes, payload_type: int) -> tuple[bytes, int]:
            red_pt = state.red.get(slot.mid or "")
            distance = state.switch.distance() if red_pt is not None else 0
            wrapped = encoder.wrapped
            red = encoder.wrap(timestamp, payload, payload_type, distance)
            if red_pt is not None and distance:
                self.red_packets += encoder.wrapped - wrapped
                return red, red_pt
            return payload, payload_type

        return rewrite

    def _subscriber(self, peer: Peer) -> _Subscriber:
        state = self._subscribers.get(peer)
        if state is None:
            state = _Subscriber(peer_id=peer.peer_id, switch=RedSwitch(self._clock))
            self._subscribers[peer] = state
        return state

    def _worst_of(self, participant: str) -> WorstLoss:
        worst = self._worst.get(participant)
        if worst is None:
            worst = self._worst[participant] = WorstLoss(self._clock)
        return worst
