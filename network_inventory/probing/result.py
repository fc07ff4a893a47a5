"""The outcome of one probe round of one target (several echo requests, or connects)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProbeResult:
    target_id: int
    site_id: int
    kind: str
    """icmp | tcp | http (the target's kind)."""
    method: str
    """How it was measured: icmp-raw | icmp-dgram | tcp-fallback | tcp | http."""
    sent: int
    received: int
    rtts_ms: tuple[float, ...] = ()
    error: str | None = None
    at: float = 0.0
    """Unix seconds when the round started."""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.received > 0

    @property
    def loss(self) -> float:
        return 1.0 - self.received / self.sent if self.sent else 1.0

    @property
    def rtt_min(self) -> float | None:
        return min(self.rtts_ms) if self.rtts_ms else None

    @property
    def rtt_median(self) -> float | None:
        return statistics.median(self.rtts_ms) if self.rtts_ms else None

    @property
    def rtt_max(self) -> float | None:
        return max(self.rtts_ms) if self.rtts_ms else None

    def public(self) -> dict[str, Any]:
        return {
            "target_id": self.target_id,
            "site_id": self.site_id,
            "kind": self.kind,
            "method": self.method,
            "sent": self.sent,
            "received": self.received,
            "loss": round(self.loss, 4),
            "rtt_min_ms": _round(self.rtt_min),
            "rtt_median_ms": _round(self.rtt_median),
            "rtt_max_ms": _round(self.rtt_max),
            "error": self.error,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
