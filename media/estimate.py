"""What one subscriber's downlink carries, from the RTCP it sends (pure: no I/O, injected time).

Galène's rule: the estimate is the lower of a loss-based estimate and the receiver's REMB.

The loss-based estimate starts from the inventory's prior (a VSAT site starts low instead of
after trouble) and is updated once per controller tick from the receiver-report loss fractions
(NACKed packets only when no report came) since the last tick, each weighed by the packets it
counts, smoothed over the ticks (``LOSS_SMOOTHING``). Weighed: a 256 kbit/s receiver gets the
host's low stream at its lowest frame rate in 5-8 packets a second beside 50 of audio; two
random losses in one such video report read 25-40 %, and averaged with the audio report as an
equal, a 5 % link read 10-15 % now and then and was cut to 70 kbit/s, again and again. Loss is
read against the link's own loss, the lowest smoothed loss of the last ``BASELINE_WINDOW``
seconds (at most ``BASELINE_MAX``): a radio link loses 5 % at any rate, a full queue loses more
the more is sent. Within 2 % of the link's own loss the estimate grows by 5 % a second; over 10
%, and ``CONGESTION_ABOVE`` over the link's own, it falls to what was sent less half the loss,
and not again for ``CUT_SETTLE`` seconds and a round trip (the reports of those seconds still
tell of what was sent before the cut: cutting on them took a 256 kbit/s receiver down to
stills). Those reports are not kept in the smoothed loss either: it starts afresh once the cut
settled (kept, the overfull start's 25-35 % decayed for seconds past the settling and cut a VSAT
receiver a second time, to 75 kbit/s). In between it holds. So one unlucky second does not cut
it, and a 5 % radio link is not read as congestion for ever (Galène's fixed 2 %/10 % thresholds
kept such a receiver at its lowest layer).

A REMB covers the SSRCs it lists (Chrome sends one for all its video streams, aiortc one per
stream). A receiver's REMB never runs far ahead of what it receives (delay-based estimators cap
it near 1.5x the incoming rate), so a REMB above what the server sends on those SSRCs says
nothing about the link; one below it says queues build up, and the receiver can take what is
sent minus that deficit. Otherwise one cut to a low layer would keep REMB, and so the layer,
low for good. A single dip does not count: per SSRC set the highest REMB of the last
``REMB_WINDOW`` seconds is used (an estimator ramping up after its start dips for a moment).
Nor does a REMB still climbing after a step up (:meth:`DownlinkEstimate.stepped_up`): the
receiver's estimator held itself near 1.5x the lower rate and, once more arrives, rises by
some 8 % a second, so it stays below the new rate for seconds with no queue anywhere. Read as
a deficit, every step up from a low layer failed at once: a 2 Mbit/s receiver flapped between
the low and the high layer for 50 s. For ``STEP_GRACE`` seconds after a step up a REMB series
binds only once it held or fell (the estimator saw a queue build).

A receiver the inventory knows nothing about starts at ``UNKNOWN_PRIOR_BPS`` (a LAN), but its
first round trips (from the receiver reports) tell a weak link apart: when the shortest of the
first ``RTT_SAMPLES`` is over ``SLOW_RTT`` and the reports show loss (VSAT, long radio paths:
a long but clean path may be wide; one without loss yet is watched for ``SLOW_WATCH`` updates)
it starts again from ``SLOW_START_BPS``, as a site the inventory calls slow would, before the
high layer has filled the link's queue
(:meth:`DownlinkEstimate.take_restart` tells the controller to place its slots afresh).
Before any report, the ICE checks' round trip (measured while the participant waits in the
lobby, :meth:`DownlinkEstimate.note_path_rtt`) already tells a long path: such a receiver
starts from ``SLOW_START_BPS`` and its first picture is the low stream's.
"""

from __future__ import annotations

from collections import deque

MIN_BPS = 30_000
MAX_BPS = 20_000_000
# Nothing known about the site (no inventory figure): as before rate control, everything fits
# until the receiver's loss or REMB says otherwise.
UNKNOWN_PRIOR_BPS = 10_000_000
REMB_TTL = 5.0  # seconds a REMB value stays valid without a newer one
REMB_WINDOW = 3.0  # seconds over which the highest REMB is taken
GROW_BELOW = 0.02
SHRINK_ABOVE = 0.10
GROWTH = 1.05
LOSS_SMOOTHING = 0.25  # weight of the newest update's loss
SLOW_RTT = 0.4  # seconds: a round trip over this is a VSAT or long radio link
RTT_SAMPLES = 3  # the shortest of the first round trips decides (a stalled stream's are long)
BASELINE_WINDOW = 20.0  # seconds over which the link's own (random) loss is learnt
BASELINE_MAX = 0.08  # loss above this is never the link's own: it is congestion
CONGESTION_ABOVE = 0.05  # loss this far above the link's own is congestion (over 10 % anyway)
SLOW_START_BPS = 200_000  # where such a receiver starts when the inventory knows nothing
REPEAT_RTT = 0.25  # seconds: a lost packet's repair costs more than this: a start is sent twice
REPEAT_LOSS = 0.02  # ... or the receiver's smoothed loss is at least this
CUT_SETTLE = 2.0  # seconds (plus a round trip) after a cut before the loss may cut again
STEP_GRACE = 15.0  # seconds after a step up in which a still-climbing REMB binds nothing
SLOW_WATCH = 10  # updates a long path without loss is watched for loss before it counts as wide


def _clamp(bps: float) -> int:
    return int(min(MAX_BPS, max(MIN_BPS, bps)))


class DownlinkEstimate:
    def __init__(self, prior_bps: int | None = None) -> None:
        self.loss_bps = _clamp(prior_bps if prior_bps is not None else UNKNOWN_PRIOR_BPS)
        self._unknown = prior_bps is None  # no inventory figure: the round trip may lower it
        self._path_noted = False  # note_path_rtt decided once
        self._restarted = False
        self._cut_at = float("-inf")  # when congestion last cut the estimate
        self._watched = 0  # updates since the first round trips came (SLOW_WATCH)
        self.rtt: float | None = None  # seconds, the latest measured round trip
        self._rtts: list[float] = []  # the first RTT_SAMPLES round trips
        self._loss_seen: deque[tuple[float, float]] = deque()  # (time, smoothed loss)
        self._baseline_ready = False
        self._smoothed: float | None = None  # the loss fraction, smoothed over the updates
        self._rembs: dict[tuple[int, ...], deque[tuple[float, int]]] = {}
        self._stepped_up_at = float("-inf")  # when the controller last sent more (stepped_up)
        self._held: set[tuple[int, ...]] = set()  # REMB series that held or fell since then
        self.sent_bps = 0  # what the server sent to the receiver over the last update
        self._sent_by_ssrc: dict[int, int] = {}  # ... per slot SSRC
        self.loss = 0.0  # the loss fraction of the last update
        self.baseline = 0.0  # the link's own loss as last learnt (``_baseline``)
        self.nacks = 0  # NACKed packets, cumulative
        self._losses: list[tuple[float, int]] = []  # (fraction, packets it counts)
        self._nacked = 0

    def set_prior(self, bps: int | None) -> None:
        """The inventory's figure changed: start again from it."""
        self.loss_bps = _clamp(bps if bps is not None else UNKNOWN_PRIOR_BPS)
        self._unknown = bps is None

    def note_path_rtt(self, rtt: float | None) -> None:
        """The ICE checks' round trip (s), known before any media flows: a receiver the
        inventory knows nothing about whose path is longer than ``SLOW_RTT`` starts from
        ``SLOW_START_BPS`` (its first picture is the low stream's small keyframe, not the high
        one's, which a 256 kbit/s link drains in 0.6 s and a lost packet of which costs another
        round trip), and grows from there while its reports show no loss. Only before the
        first receiver report's round trip; a later call does nothing."""
        if rtt is None or not self._unknown or self._rtts or self._path_noted:
            return
        self._path_noted = True
        if rtt > SLOW_RTT:
            self.loss_bps = SLOW_START_BPS

    def take_restart(self) -> bool:
        """True once after the round trip lowered an unknown receiver's start."""
        restarted, self._restarted = self._restarted, False
        return restarted

    def report_loss(self, fraction_lost: int, packets: int = 1) -> None:
        """One receiver-report block about a stream sent to this subscriber: its loss fraction
        (0..255) over the ``packets`` it expected since its previous report."""
        self._losses.append((fraction_lost / 256, max(1, packets)))

    def report_remb(self, bps: int, now: float, ssrcs: tuple[int, ...] = ()) -> None:
        """A REMB about the streams ``ssrcs`` (all of them when the receiver sends one).

        A REMB supersedes the receiver's earlier ones about any of the same streams: Chrome
        lists the streams its estimator has seen lately, so its set grows and shrinks (a
        retransmission stream comes and goes) while it speaks of one link. Kept side by side,
        each old set's deficit counted the same video again: a probe on profile d read a
        34 kbit/s REMB out of two of ~200 kbit/s and sent the lurah stills for 40 s. The
        superseded sets' history moves to the new one, so a dip is still weighed against the
        last ``REMB_WINDOW`` seconds."""
        heard = self._rembs.get(ssrcs)
        if heard is None:
            named = set(ssrcs)
            superseded = [k for k in self._rembs if named.intersection(k)]
            heard = deque(sorted(e for k in superseded for e in self._rembs.pop(k)))
            self._rembs[ssrcs] = heard
            if self._held.intersection(superseded):
                self._held.add(ssrcs)
        if heard and bps <= heard[-1][1]:
            self._held.add(ssrcs)
        heard.append((now, int(bps)))
        while heard[0][0] < now - REMB_WINDOW:
            heard.popleft()

    def stepped_up(self, now: float) -> None:
        """The controller now sends more than the receiver's REMBs have seen: for
        ``STEP_GRACE`` seconds a series binds only once it stops climbing."""
        self._stepped_up_at = now
        self._held.clear()

    @property
    def remb_sets(self) -> list[tuple[int, ...]]:
        """The SSRC sets the receiver's live REMBs speak of (one per REMB series)."""
        return list(self._rembs)

    def remb_deficit(self, now: float) -> int:
        """How far what is sent exceeds what the receiver's REMBs say it takes (0: no REMB
        binds). An empty SSRC set covers everything sent."""
        deficit = 0
        by_ssrc = self._sent_by_ssrc
        for ssrcs, heard in list(self._rembs.items()):
            if now - heard[-1][0] > REMB_TTL:
                del self._rembs[ssrcs]
                self._held.discard(ssrcs)
                continue
            if now - self._stepped_up_at < STEP_GRACE and ssrcs not in self._held:
                continue  # still climbing towards what it now receives
            covered = sum(by_ssrc.get(s, 0) for s in ssrcs) if ssrcs else self.sent_bps
            deficit += max(0, covered - max(b for _t, b in heard))
        return deficit

    def report_rtt(self, seconds: float) -> None:
        """A round trip measured from a receiver report (media/hooks.py ``report_rtt``)."""
        if len(self._rtts) < RTT_SAMPLES:
            self._rtts.append(seconds)
        self.rtt = seconds

    def _baseline(self, now: float, loss: float) -> float:
        """The link's own loss: the lowest smoothed loss of the last ``BASELINE_WINDOW``
        seconds (at most ``BASELINE_MAX``), once that long was seen; 0 before."""
        seen = self._loss_seen
        seen.append((now, loss))
        while seen[0][0] < now - BASELINE_WINDOW:
            seen.popleft()
            self._baseline_ready = True
        if not self._baseline_ready:
            return 0.0
        return min(BASELINE_MAX, min(x for _t, x in seen))

    def report_nacks(self, count: int) -> None:
        self.nacks += count
        self._nacked += count

    def update(
        self,
        now: float,
        packets_sent: int,
        sent_bps: int = 0,
        sent_by_ssrc: dict[int, int] | None = None,
    ) -> int:
        """Apply what was reported since the last call (``packets_sent`` to the subscriber in
        that time, at ``sent_bps``, per SSRC ``sent_by_ssrc``) and return the estimate. No
        report and no NACK: no information, no change to the loss-based part."""
        self.sent_bps = sent_bps
        self._sent_by_ssrc = sent_by_ssrc or {}
        nack_loss = self._nacked / packets_sent if packets_sent > 0 else 0.0
        if self._losses or self._nacked:
            # The receiver's own count when it reported one; NACKs only stand in for it. Over a
            # 600 ms round trip a browser NACKs a lost packet again each round trip until it
            # arrives, so NACKs count a 5 % random loss as 10 % and more, and the estimate
            # would shrink on a link that is not congested.
            counted = sum(n for _f, n in self._losses)
            rr_loss = sum(f * n for f, n in self._losses) / counted if counted else 0.0
            loss = rr_loss if self._losses else min(1.0, nack_loss)
            # Smoothed: a random 5 % (a radio link) reads as about 5 % every second, not as a
            # clean second (growth) now and a 15 % second (a cut) then, while congestion —
            # loss that stays high — still shows within two or three seconds.
            settling = now - self._cut_at < CUT_SETTLE + (self.rtt or 0.0)
            if settling:
                # still about what was sent before the cut: the smoothing starts afresh after
                self._smoothed = None
                self.loss = loss
            else:
                if self._smoothed is None:
                    self._smoothed = loss
                else:
                    self._smoothed += LOSS_SMOOTHING * (loss - self._smoothed)
                loss = self.loss = self._smoothed
                baseline = self.baseline = self._baseline(now, loss)
            if settling:
                pass  # neither grows nor cuts
            elif loss < baseline + GROW_BELOW:
                self.loss_bps = _clamp(self.loss_bps * GROWTH)
            elif loss > max(SHRINK_ABOVE, baseline + CONGESTION_ABOVE):
                # congestion: the link carries less than what was sent, whatever the estimate
                # said (an estimate of 10 Mbit/s halving by a few % a second took half a
                # minute to come down to a 256 kbit/s link)
                held = min(self.loss_bps, self.sent_bps) if self.sent_bps > 0 else self.loss_bps
                self.loss_bps = _clamp(held * (1 - loss / 2))
                self._cut_at = now
        self._losses.clear()
        self._nacked = 0
        if self._unknown and len(self._rtts) >= RTT_SAMPLES:
            # decided on the shortest of the first round trips; a long path that shows no loss
            # yet is watched for SLOW_WATCH updates (one lucky first second at 5 % random loss
            # read 1.6 % and left a 256 kbit/s VSAT receiver at 10 Mbit/s)
            long_path = min(self._rtts) > SLOW_RTT
            self._watched += 1
            if not long_path or self._watched >= SLOW_WATCH:
                self._unknown = False
            if long_path and self.loss >= GROW_BELOW:
                # a start from the link's kind, as a prior would be: also up from a first cut
                # that overshot (a high layer placed at the start overfilled a 256 kbit/s link,
                # the cut took the estimate to 70 kbit/s, where it held while the link's own
                # loss was learnt: 5 fps for half a minute)
                self._unknown = False
                if self.loss_bps != SLOW_START_BPS:
                    self.loss_bps = SLOW_START_BPS
                    self._restarted = True
                    # the loss so far tells of the overfull start, not of the new rate: cut
                    # on it, the restart went on down to 5 fps
                    self._smoothed = None
                    self._cut_at = now
        return self.value(now)

    def repeat_pace(self, now: float) -> int | None:
        """The rate (bits/s) at which a new run's keyframe may be sent a second time to this
        receiver, or None when one copy is enough.

        A picture starts (admission, a layer switch) with a keyframe of several packets; over a
        600 ms, 5 % link one of six is lost a quarter of the time, and its repair (a NACK round
        trip) pushed the first frame from about 1.0 s to 1.6 s. A second copy once the first
        has drained repairs it before the NACK could. Sent twice where a repair is slow or
        likely: a round trip of ``REPEAT_RTT`` or more, loss of ``REPEAT_LOSS`` or more, or no
        round trip measured yet (a receiver admitted from the lobby has been sent nothing).
        Until the link is known, the copy waits as long as ``SLOW_START_BPS`` would need, so
        that it never joins the first copy in a VSAT modem's queue."""
        smoothed = self._smoothed or 0.0
        if self.rtt is not None and self.rtt < REPEAT_RTT and smoothed < REPEAT_LOSS:
            return None
        value = self.value(now)
        return min(value, SLOW_START_BPS) if self._unknown or self.rtt is None else value

    def value(self, now: float) -> int:
        deficit = self.remb_deficit(now)
        if deficit:
            return max(MIN_BPS, min(self.loss_bps, self.sent_bps - deficit))
        return self.loss_bps
