"""The live half's state as ``GET /api/state`` answers it (and the ``summary`` push of the
``/inventory`` namespace): declared once, as dataclasses whose fields are the JSON answer and its
OpenAPI schema (``web.openapi.declared``). ``LiveService`` builds them (``live.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import ConfigDict

from network_inventory.model import Moment
from network_inventory.probing.result import TargetRound
from network_inventory.state import State

_CONFIG = ConfigDict(use_attribute_docstrings=True)


@dataclass(frozen=True, kw_only=True)
class SiteBaseline:
    """The thresholds a site is judged by and where they come from."""

    __pydantic_config__ = _CONFIG

    loss_degraded: float
    """0..1: a round with this loss or more is degraded"""
    rtt_degraded_ms: float
    medium: str | None
    """its primary active uplink's medium (null: none)"""
    source: Literal["medium", "link", "settings"]
    """the medium's defaults, the link's own values, or the settings (no active uplink)"""


@dataclass(frozen=True, kw_only=True)
class SiteState:
    """One site's probe state (an item of ``GET /api/state``)."""

    __pydantic_config__ = _CONFIG

    site_id: int
    id: int
    """the same as site_id"""
    code: str | None
    name: str
    kind: str
    parent_id: int | None
    state: State
    """the state shown (flapping holds it)"""
    effective: State
    """the state the last rounds say"""
    flapping: bool
    since: Moment
    """when the shown state began (null: never probed)"""
    rtt_ms: float | None
    loss: float | None
    method: str | None
    measured_at: Moment
    targets: list[TargetRound]
    baseline: SiteBaseline


@dataclass(frozen=True, kw_only=True)
class Rollout:
    """Villages (desa, kelurahan) with an active uplink."""

    __pydantic_config__ = _CONFIG

    active_villages: int
    total_villages: int
    active: int
    """the same as active_villages (read by web/static/js/inventory-live.js)"""
    total: int
    """the same as total_villages"""


@dataclass(frozen=True, kw_only=True)
class LiveSummary:
    """Sites by shown state and the rollout (also pushed as ``summary``)."""

    __pydantic_config__ = _CONFIG

    counts: dict[str, int]
    """sites per state (every state, zeros too)"""
    total_sites: int
    rollout: Rollout


@dataclass(frozen=True, kw_only=True)
class ProbingStatus:
    """Whether the prober runs, how it pings, and its last sweep."""

    __pydantic_config__ = _CONFIG

    running: bool
    icmp_method: str | None
    icmp_error: str | None
    """why ICMP is not available (then TCP and HTTP targets still work)"""
    last_sweep_at: Moment
    last_sweep_s: float | None
    """how long the last sweep took"""


@dataclass(frozen=True, kw_only=True)
class StateAnswer(LiveSummary):
    """``GET /api/state``: the summary, the prober, and one page of the sites' states."""

    probing: ProbingStatus
    items: list[SiteState]
    total: int
    """sites matching the filters"""
    limit: int
    offset: int

    @classmethod
    def of(
        cls,
        summary: LiveSummary,
        probing: ProbingStatus,
        items: list[SiteState],
        *,
        total: int,
        limit: int,
        offset: int,
    ) -> StateAnswer:
        return cls(
            counts=summary.counts,
            total_sites=summary.total_sites,
            rollout=summary.rollout,
            probing=probing,
            items=items,
            total=total,
            limit=limit,
            offset=offset,
        )


__all__ = [
    "LiveSummary",
    "ProbingStatus",
    "Rollout",
    "SiteBaseline",
    "SiteState",
    "StateAnswer",
]
