"""What one subscriber's downlink carries, from the RTCP it sends (pure: no I/O, injected time).

Galène's rule: the estimate is the lower of a loss-based estimate and the receiver's REMB.
The loss-based estimate starts from the inventory's prior (a VSAT site starts low instead of
after trouble) and is updated once per controller tick from the receiver-report loss fractions
(and NACKed packets) since the last tick: under 2 % loss it grows by 5 %, above 10 % it shrinks
by half the loss, in between it holds. A random 5 % loss (a radio link) therefore never lets it
climb past the prior; a clean link climbs ~5 % a second.
"""

from __future__ import annotations

MIN_BPS = 30_000
MAX_BPS = 10_000_000
UNKNOWN_PRIOR_BPS = 2_000_000  # nothing known about the site: assume a LAN-ish office
REMB_TTL = 5.0  # seconds a REMB value stays valid without a newer one
GROW_BELOW = 0.02
SHRINK_ABOVE = 0.10
GROWTH = 1.05


def _clamp(bps: float) -> int:
    return int(min(MAX_BPS, max(MIN_BPS, bps)))


class DownlinkEstimate:
    def __init__(self, prior_bps: int | None = None) -> None:
        self.loss_bps = _clamp(prior_bps if prior_bps is not None else UNKNOWN_PRIOR_BPS)
        self.remb_bps: int | None = None
        self._remb_at = float("-inf")
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

    def report_remb(self, bps: int, now: float) -> None:
        self.remb_bps = int(bps)
        self._remb_at = now

    def report_nacks(self, count: int) -> None:
        self.nacks += count
        self._nacked += count

    def update(self, now: float, packets_sent: int) -> int:
        """Apply what was reported since the last call (``packets_sent`` to the subscriber in
        that time) and return the estimate. No report and no NACK: no information, no change."""
        nack_loss = self._nacked / packets_sent if packets_sent > 0 else 0.0
        if self._losses or self._nacked:
            rr_loss = sum(self._losses) / len(self._losses) if self._losses else 0.0
            loss = max(rr_loss, min(1.0, nack_loss))
            self.loss = loss
            if loss < GROW_BELOW:
                self.loss_bps = _clamp(self.loss_bps * GROWTH)
            elif loss > SHRINK_ABOVE:
                self.loss_bps = _clamp(self.loss_bps * (1 - loss / 2))
        self._losses.clear()
        self._nacked = 0
        return self.value(now)

    def value(self, now: float) -> int:
        if self.remb_bps is not None and now - self._remb_at <= REMB_TTL:
            return max(MIN_BPS, min(self.loss_bps, self.remb_bps))
        return self.loss_bps
