"""Per-receiver video layers: glue between RTCP, the estimator, the chooser and the forwarders.

Once a second (:meth:`LayerControl.tick`) and whenever something changes (a slot is routed, a
publisher's low stream appears, a prior or ceiling is set):

- each publisher stream's rate per temporal layer is measured from the packets the server
  received (``Publication.octets_by_tid``), and each publisher's uplink (bits/s, loss);
- each subscriber's :class:`~media.estimate.DownlinkEstimate` takes the RTCP its slot senders
  received (receiver-report loss, REMB, NACKs) and gives a downlink estimate; audio's share
  (``AUDIO_BPS`` per forwarded audio stream) comes off first, the rest is the video budget;
- :class:`~media.layer_choice.LayerChoice` moves the subscriber's slots on their publishers'
  ladders; each slot's :class:`~media.video_forward.VideoForwarder` is told its target;
- a slot waiting for a keyframe gets one: from the publisher stream's :class:`KeyframeCache`
  when it is recent (or, for a still, newer than the last still sent), else by a PLI to that
  stream (throttled per stream); asked again every tick until it arrives.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeGuard

from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    unpack_remb_fci,
)

from media import hooks
from media.estimate import MAX_BPS
from media.layer_choice import (
    AUDIO_BPS,
    LAYERS,
    SILENT_BPS,
    Layer,
    SlotView,
    ceiling_index,
    ladder,
    lower,
    reason_for,
    rung_rate,
)
from media.peer import Peer, Publication, Slot
from media.presenting import slot_ceiling
from media.rtp_forward import now as packet_clock

logger = logging.getLogger(__name__)

RATE_SMOOTHING = 0.5  # weight of the newest second in a stream's measured rate
UPLINK_LOSS_SMOOTHING = 0.2  # weight of the newest second in a publisher's uplink loss
PEAK_DECAY = 0.97  # a stream's peak rate falls by 3 % a second once it is past

Notify = Callable[[str, str, str, str], None]  # subscriber, publisher, layer, reason
RequestKeyframe = Callable[[str, str], None]  # publisher, stream
Selected = Callable[[str], None]  # publisher: a slot selected one of its streams


class LayerControl:
    def __init__(
        self,
        peers: dict[str, Peer],
        notify: Notify,
        request_keyframe: RequestKeyframe,
        rate_control: bool = True,
        selected: Selected | None = None,
    ) -> None:
        self._peers = peers
        self._rate_control = rate_control
        self._notify = notify
        self._request_keyframe = request_keyframe
        self._selected = selected
        self.priors: dict[str, int | None] = {}
        self.ceilings: dict[str, Layer] = {}
        self.load_ceiling: Layer = "high"
        """Every subscriber's video is at most this while the server is busy (load_guard.py)."""
        self.shown: dict[str, frozenset[str]] = {}
        """Per subscriber, the publishers its page shows (absent: all); see :meth:`set_shown`."""
        self.shares: set[str] = set()
        """Publishers that are screen shares (media/presenting.py: slides first at weak sites)."""
        self._last_tick: float | None = None
        self.replayed = 0  # slot starts and stills served from a keyframe cache

    # ------------------------------------------------------------------ inputs

    def new_peer(self, peer: Peer) -> None:
        peer.estimate.set_prior(self.priors.get(peer.peer_id))

    def set_prior(self, peer_id: str, bps: int | None, now: float) -> None:
        self.priors[peer_id] = bps
        peer = self._peers.get(peer_id)
        if peer is not None:
            peer.estimate.set_prior(bps)
            for slot in peer.slots:
                slot.rung = None  # authoritative news: place every slot afresh
            self.choose(peer, now)

    def set_ceiling(self, peer_id: str, layer: Layer, now: float) -> None:
        self.ceilings[peer_id] = layer
        peer = self._peers.get(peer_id)
        if peer is not None:
            self.choose(peer, now)

    def set_load_ceiling(self, layer: Layer, now: float) -> None:
        """The server's load caps every subscriber's video at ``layer`` ("high": no cap)."""
        self.load_ceiling = layer
        for peer in list(self._peers.values()):
            self.choose(peer, now)

    def set_shown(self, peer_id: str, publishers: frozenset[str] | None, now: float) -> None:
        """Last-N, an input apart from rate control: video of a publisher the subscriber's
        page does not show is ``off`` (reason ``hidden``) whatever the budget allows."""
        if publishers is None:
            self.shown.pop(peer_id, None)
        else:
            self.shown[peer_id] = publishers
        peer = self._peers.get(peer_id)
        if peer is not None:
            self.choose(peer, now)

    def set_share(self, publisher: str, share: bool, now: float) -> None:
        """``publisher`` is (no longer) a screen share: its receivers' layers are chosen again."""
        if share:
            self.shares.add(publisher)
        else:
            self.shares.discard(publisher)
        for peer in list(self._peers.values()):
            if any(s.publisher == publisher for s in peer.slots):
                self.choose(peer, now)

    def _hide(self, peer: Peer, slot: Slot) -> None:
        assert slot.video is not None
        slot.rung = None  # placed afresh when shown again
        slot.video.select(None, "off", 0, False)
        self._tell(peer, slot, "off", "hidden")

    def listen(self, peer: Peer, slot: Slot) -> None:
        """Feed the subscriber's estimate from the RTCP it sends about this slot."""
        sender = slot.sender
        estimate = peer.estimate

        def upstream() -> float:
            """The loss of the slot's publisher's uplink, before repair: it reaches this
            subscriber as gaps too, and is no fault of its link."""
            publisher = self._peers.get(slot.publisher) if slot.publisher else None
            return publisher.uplink_loss if publisher is not None else 0.0

        highest: list[int] = []  # the extended highest sequence number of the last report

        def on_rtcp(packet: Any) -> None:
            if isinstance(packet, (RtcpRrPacket, RtcpSrPacket)):
                ssrc = hooks.sender_ssrc(sender)
                for report in packet.reports:
                    if report.ssrc == ssrc:
                        # what the fraction counts: the packets expected since the last report
                        counted = report.highest_sequence - highest[0] if highest else 1
                        highest[:] = [report.highest_sequence]
                        estimate.report_loss(
                            downlink_loss(report.fraction_lost, upstream()), max(1, counted)
                        )
                        rtt = hooks.report_rtt(sender, report)
                        if rtt is not None:
                            estimate.report_rtt(rtt)
            elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
                try:
                    bitrate, ssrcs = unpack_remb_fci(packet.fci)
                except ValueError:
                    return
                # aiortc hands one REMB to every sender it names: take it once
                if ssrcs and ssrcs[0] == hooks.sender_ssrc(sender):
                    estimate.report_remb(bitrate, time.monotonic(), tuple(ssrcs))
            elif isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
                estimate.report_nacks(len(packet.lost))

        hooks.add_rtcp_listener(sender, on_rtcp)

    # ------------------------------------------------------------------ once a second

    def tick(self, now: float) -> None:
        dt = now - self._last_tick if self._last_tick is not None else 0.0
        self._last_tick = now
        peers = list(self._peers.values())
        if dt > 0:
            for peer in peers:
                self._measure(peer, dt)
        for peer in peers:
            if peer.closed or not any(s.video is not None for s in peer.slots):
                continue
            self._update_estimate(peer, now, dt)
            self.choose(peer, now)
            for slot in peer.slots:
                if slot.video is not None and slot.video.waiting(now):
                    self.kick(slot, now)

    def _update_estimate(self, peer: Peer, now: float, dt: float) -> None:
        """The subscriber's RTCP since the last tick, against what was sent to it."""
        packets = octets = 0
        by_ssrc: dict[int, int] = {}
        for slot in peer.slots:
            p, o = hooks.sender_counters(slot.sender)
            packets, octets = packets + p, octets + o
            if dt > 0:
                by_ssrc[hooks.sender_ssrc(slot.sender)] = int((o - slot.sent_octets) * 8 / dt)
            slot.sent_octets = o
        sent_bps = int((octets - peer.sent_mark[1]) * 8 / dt) if dt > 0 else 0
        estimate = peer.estimate
        estimate.update(now, packets - peer.sent_mark[0], sent_bps, by_ssrc)
        peer.sent_mark = (packets, octets)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "estimate %s: loss %.3f (link's own %.3f), rtt %s, sent %d bit/s, "
                "REMB deficit %d (sets %s), loss-based %d -> %d bit/s",
                peer.peer_id, estimate.loss, estimate.baseline,
                f"{estimate.rtt:.3f}" if estimate.rtt is not None else "-", sent_bps,
                estimate.remb_deficit(now), estimate.remb_sets, estimate.loss_bps,
                estimate.value(now),
            )  # fmt: skip
        if estimate.take_restart():
            for slot in peer.slots:
                slot.rung = None  # a weak link after all: place every slot afresh

    def _measure(self, peer: Peer, dt: float) -> None:
        total = 0.0
        expected = received = 0
        for pub in (peer.publications.get("video"), peer.low):
            if pub is None:
                continue
            marks = pub.octet_marks
            for tid, octets in enumerate(pub.octets_by_tid):
                rate = (octets - marks[tid]) * 8 / dt
                pub.rates[tid] += RATE_SMOOTHING * (rate - pub.rates[tid])
                pub.peaks[tid] = max(pub.rates[tid], pub.peaks[tid] * PEAK_DECAY**dt)
                marks[tid] = octets
                total += rate
            if sum(pub.rates) >= SILENT_BPS:
                pub.carried = True
            if pub.receiver is not None:  # relayed from another worker: its uplink is there
                e, r = hooks.receiver_media_counts(pub.receiver)
                expected += e
                received += r
        peer.uplink_bps = total
        old_e, old_r = peer.uplink_counts
        if expected > old_e:
            # smoothed: a thin uplink carries ten video packets a second, and a 5 % radio link
            # read 0 % one second and 10 % the next; the page's limits and the receivers'
            # loss accounting (downlink_loss) followed each reading
            loss = max(0.0, 1 - (received - old_r) / (expected - old_e))
            peer.uplink_loss += UPLINK_LOSS_SMOOTHING * (loss - peer.uplink_loss)
        peer.uplink_counts = (expected, received)

    # ------------------------------------------------------------------ choosing

    def choose(self, peer: Peer, now: float) -> None:
        """Move the subscriber's video slots on their ladders and tell their forwarders."""
        slots: list[Slot] = []
        views: list[SlotView] = []
        own = self.ceilings.get(peer.peer_id, "high")
        busy: list[bool] = []  # per slot: the server's load holds it lower than its own ceiling
        audio = sum(
            1 for s in peer.slots if s.kind == "audio" and s.live and s.publisher is not None
        )
        shown = self.shown.get(peer.peer_id)
        share_on = any(
            s.video is not None and s.live and s.publisher in self.shares for s in peer.slots
        )
        for slot in peer.slots:
            if slot.video is None or not slot.live or slot.publisher is None:
                continue
            if shown is not None and slot.publisher not in shown:
                self._hide(peer, slot)
                continue
            publisher = self._peers.get(slot.publisher)
            high = publisher.publications.get("video") if publisher is not None else None
            if publisher is None or high is None:
                self._apply(peer, slot, None, -1, 0)
                continue
            low = publisher.low
            # once measured, a high stream that stopped (the page's low_only limits) is silent:
            # forwarding it would freeze the picture, waiting for a keyframe that never comes
            silent = high.carried and sum(high.rates) < SILENT_BPS
            layered = high.layered or (low is not None and low.layered)
            rungs = ladder(low is not None, layered, silent)
            if slot.ladder is not rungs:
                slot.ladder, slot.rung = rungs, None
            # the peaks: a publisher's encoder dipped its high stream under the low one for a
            # few seconds, a 256 kbit/s receiver was moved up to it, and when it came back the
            # link's queue overflowed and the estimate fell to stills
            rates = {"high": high.peaks, "low": low.peaks if low is not None else []}
            wanted = slot_ceiling(own, slot.publisher in self.shares, share_on)
            # the server's load takes the high stream where a low one moves instead; a publisher
            # with one stream (a screen share, a page sending one) keeps it: its stills would
            # save little and freeze the tile
            ceiling = lower(wanted, self.load_ceiling) if low is not None else wanted
            cap = ceiling_index(rungs, ceiling)
            slots.append(slot)
            busy.append(ceiling != wanted)
            views.append(SlotView([rung_rate(r, rates) for r in rungs], cap, slot.rung))
        if not slots:
            return
        estimate = peer.estimate.value(now) if self._rate_control else MAX_BPS
        budget = max(0, estimate - AUDIO_BPS * audio)
        chosen = peer.choice.choose(views, budget, now)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "layers %s: budget %d bit/s, %s", peer.peer_id, budget,
                ", ".join(
                    f"{s.publisher} {s.ladder[i].layer if i >= 0 else 'off'} ({v.rates})"
                    for s, v, i in zip(slots, views, chosen, strict=True)
                ),
            )  # fmt: skip
        placed = [s.rung if s.rung is not None else -1 for s in slots]
        if any(i > was for i, was in zip(chosen, placed, strict=True)):
            peer.estimate.stepped_up(now)  # its REMBs speak of less than it is now sent
        pace = peer.estimate.repeat_pace(now)  # the same for every slot of this receiver
        for slot, view, index, held in zip(slots, views, chosen, busy, strict=True):
            self._apply(peer, slot, slot.ladder, index, view.cap, pace, held)

    def _apply(
        self,
        peer: Peer,
        slot: Slot,
        rungs: Any,
        index: int,
        cap: int,
        pace: int | None = None,
        busy: bool = False,
    ) -> None:
        video = slot.video
        assert video is not None and slot.publisher is not None
        publisher = self._peers.get(slot.publisher)
        capped = "server_busy" if busy else "ceiling"  # who holds the slot at its cap
        if rungs is None or index < 0 or publisher is None:
            slot.rung = -1 if rungs is not None else None
            video.select(None, "off", 0, False)
            self._tell(peer, slot, "off", "no_source" if rungs is None else capped)
            return
        rung = rungs[index]
        target = publisher.low if rung.stream == "low" else publisher.publications.get("video")
        video.repeat_pace = pace
        before = video.target
        slot.rung = index
        video.select(target, rung.layer, rung.max_tid, rung.still)
        has_low = publisher.low is not None
        reason = reason_for(rungs, index, cap, has_low)
        self._tell(peer, slot, rung.layer, capped if reason == "ceiling" else reason)
        if target is not before:
            _ntp, wall = packet_clock()
            self.kick(slot, wall)
            if target is not None and self._selected is not None:
                self._selected(slot.publisher)  # a paused camera sends again (unseen_pause.py)

    def _tell(self, peer: Peer, slot: Slot, layer: str, reason: str) -> None:
        if slot.told == (layer, reason) or slot.publisher is None:
            return
        slot.told = (layer, reason)
        self._notify(peer.peer_id, slot.publisher, layer, reason)

    # ------------------------------------------------------------------ keyframes

    def kick(self, slot: Slot, now: float) -> None:
        """A slot waits for a keyframe of its target: replay a cached one or ask for one."""
        video = slot.video
        if video is None or not video.waiting(now) or slot.publisher is None:
            return
        target = video.target
        if not isinstance(target, Publication):
            return
        cached = []
        if video.still_mode:
            if target.cache.at > slot.still_key_at:
                cached = target.cache.still()
                if cached:
                    slot.still_key_at = target.cache.at
            if now - target.cache.at > video.still_interval:
                self._request_keyframe(slot.publisher, target.stream)
        elif not video.forwarding:
            cached = target.cache.since_keyframe(now)
        if cached:
            self.replayed += 1
            ntp, wall = packet_clock()
            for packet, desc in cached:
                video.forward(packet, target, desc, ntp, wall)
        asks = video.waiting(now)
        if asks:
            self._request_keyframe(slot.publisher, target.stream)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "kick %s <- %s %s: %d cached packets replayed (keyframe %.2f s old), %s",
                hooks.sender_ssrc(slot.sender), slot.publisher, target.stream, len(cached),
                now - target.cache.at, "keyframe asked" if asks else "forwarding",
            )  # fmt: skip


def downlink_loss(fraction_lost: int, upstream: float) -> int:
    """A receiver report's loss fraction (0..255) less what its publisher's uplink lost: a
    lurah's 5 % radio uplink reached the host as 5 % gaps, and the host's estimate of its own
    clean link fell to 60 kbit/s, its view of that lurah to stills."""
    return max(0, fraction_lost - round(upstream * 256))


def valid_layer(layer: str) -> TypeGuard[Layer]:
    return layer in LAYERS
