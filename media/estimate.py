"""What one subscriber's downlink carries, from the RTCP it sends (pure: no I/O, injected time).

Galène's rule: the estimate is the lower of a loss-based estimate and the receiver's REMB.

The loss-based estimate starts from the inventory's prior (a VSAT site starts low instead of
after trouble) and is updated once per controller tick from the receiver-report loss fractions
(NACKed packets only when no report came) since the last tick: under 2 % loss it grows by 5 %,
above 10 % it shrinks by half the loss, in between it holds. A random 5 % loss (a radio link)
therefore never lets it climb past the prior; a clean link climbs ~5 % a second.

A REMB covers the SSRCs it lists (Chrome sends one for all its video streams, aiortc one per
stream). A receiver's REMB never runs far ahead of what it receives (delay-based estimators cap
it near 1.5x the incoming rate), so a REMB above what the server sends on those SSRCs says
nothing about the link; one below it says queues build up, and the receiver can take what is
sent minus that deficit. Otherwise one cut to a low layer would keep REMB, and so the layer,
low for good. A single dip does not count: per SSRC set the highest REMB of the last
``REMB_WINDOW`` seconds is used (an estimator ramping up after its start dips for a moment).
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


def _clamp(bps: float) -> int:
    return int(min(MAX_BPS, max(MIN_BPS, bps)))


class DownlinkEstimate:
    def __init__(self, prior_bps: int | None = None) -> None:
        self.loss_bps = _clamp(prior_bps if prior_bps is not None else UNKNOWN_PRIOR_BPS)
        self._rembs: dict[tuple[int, ...], deque[tuple[float, int]]] = {}
        self.sent_bps = 0  # what the server sent to the receiver over the last update
        self._sent_by_ssrc: dict[int, int] = {}  # ... per slot SSRC
        self.loss = 0.0  # the loss fraction of the last update
        self.nacks = 0  # NACKed packets, cumulative
        self._losses: list[float] = []
        self._nacked = 0

    def set_prior(self, bps: int | None) -> None:
        """The inventory's figure changed: start again from it."""
        self.loss_bps = _clamp(bps if bps is not None else UNKNOWN_PRIOR_BPS)

    def report_loss(self, fraction_lost: int) -> None:
        """One receiver-report block about a stream sent to this subscriber (0..255)."""
        self._losses.append(fraction_lost / 256)

    def report_remb(self, bps: int, now: float, ssrcs: tuple[int, ...] = ()) -> None:
        """A REMB about the streams ``ssrcs`` (all of them when the receiver sends one)."""
        heard = self._rembs.setdefault(ssrcs, deque())
        heard.append((now, int(bps)))
        while heard[0][0] < now - REMB_WINDOW:
            heard.popleft()

    def remb_deficit(self, now: float) -> int:
        """How far what is sent exceeds what the receiver's REMBs say it takes (0: no REMB
        binds). An empty SSRC set covers everything sent."""
        deficit = 0
        by_ssrc = self._sent_by_ssrc
        for ssrcs, heard in list(self._rembs.items()):
            if now - heard[-1][0] > REMB_TTL:
                del self._rembs[ssrcs]
                continue
            covered = sum(by_ssrc.get(s, 0) for s in ssrcs) if ssrcs else self.sent_bps
            deficit += max(0, covered - max(b for _t, b in heard))
        return deficit

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
            rr_loss = sum(self._losses) / len(self._losses) if self._losses else 0.0
            loss = rr_loss if self._losses else min(1.0, nack_loss)
            self.loss = loss
            if loss < GROW_BELOW:
                self.loss_bps = _clamp(self.loss_bps * GROWTH)
            elif loss > SHRINK_ABOVE:
                self.loss_bps = _clamp(self.loss_bps * (1 - loss / 2))
        self._losses.clear()
        self._nacked = 0
        return self.value(now)

    def value(self, now: float) -> int:
        deficit = self.remb_deficit(now)
        if deficit:
            return max(MIN_BPS, min(self.loss_bps, self.sent_bps - deficit))
        return self.loss_bps
