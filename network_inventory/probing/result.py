"""The outcome of one probe round of one target (several echo requests, or connects)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from pydantic import ConfigDict

from pendopo.declared import as_json


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
        """The round as it is stored with a site's status and answered in ``GET /api/state``."""
        return as_json(
            TargetRound(
                target_id=self.target_id,
                site_id=self.site_id,
                kind=self.kind,
                method=self.method,
                sent=self.sent,
                received=self.received,
                loss=round(self.loss, 4),
                rtt_min_ms=_round(self.rtt_min),
                rtt_median_ms=_round(self.rtt_median),
                rtt_max_ms=_round(self.rtt_max),
                error=self.error,
            )
        )


@dataclass(frozen=True, kw_only=True)
class TargetRound:
    """A round of one probe target as stored and answered (the last one of each target of a
    site in ``GET /api/state``). Declared once: its fields are that JSON and its schema."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    target_id: int | None
    site_id: int | None
    kind: str | None
    """icmp, tcp, http, ..."""
    method: str | None
    """how it was measured: icmp-raw, icmp-dgram, tcp-fallback, tcp, http"""
    sent: int | None
    received: int | None
    loss: float | None
    """0..1"""
    rtt_min_ms: float | None
    rtt_median_ms: float | None
    rtt_max_ms: float | None
    error: str | None

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> TargetRound:
        """From a round as ``ProbeResult.public()`` wrote it (a field it lacks: null)."""
        return cls(**{f.name: stored.get(f.name) for f in fields(cls)})


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
