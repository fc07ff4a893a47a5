"""The link profiles of issue 8 (rate, round trip, loss of the lurah's link)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    rate_kbit: int | None
    """Rate each way (kernel tbf); None: not limited."""
    rtt_ms: int
    """Round trip added by the bridge (half of it each way)."""
    loss: float
    """Random loss each way (0..1) of every frame but ARP."""

    def describe(self) -> str:
        if self.rate_kbit is None and self.rtt_ms == 0 and self.loss == 0:
            return "clean"
        rate = "unlimited" if self.rate_kbit is None else f"{self.rate_kbit} kbit/s"
        return f"{rate}, {self.rtt_ms} ms RTT, {100 * self.loss:g} % loss"


PROFILES: dict[str, Profile] = {
    "a": Profile("a", None, 0, 0.0),
    "b": Profile("b", 2000, 100, 0.005),
    "c": Profile("c", 384, 600, 0.05),
    "d": Profile("d", 256, 600, 0.05),
}
