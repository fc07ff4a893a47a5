"""A link's baseline: the loss and round trip at which its site counts as DEGRADED.

Each medium has its own defaults (a VSAT hop adds ~600 ms of round trip by physics, a fibre
one a few ms); a link may override either value (``link_thresholds``, one row per link, its
own component so the ``links`` table stays as it is). A site is judged by the baseline of its
primary active uplink; a site without one (the regency office) and a link of medium ``other``
use the settings' ``probe_loss_degraded`` / ``probe_rtt_degraded_ms``.

Overrides are changed like the other inventory records: checked by their declaration
(``ThresholdsInput``; ``Baseline`` is the answer), written with a change-log
entry (entity ``link``, action ``thresholds``) and the caller's audit ``then`` in one
transaction.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import ConfigDict, Field, TypeAdapter

from network_inventory import changelog
from network_inventory import links as links_repo
from network_inventory.model import Medium
from network_inventory.records import NUMBER, Input
from network_inventory.state import Limits, Policy
from pendopo.db import Component, Connection, Database, Then, and_then

MEDIUM_RTT_MS: Mapping[Medium, float] = {
    Medium.FIBER: 150.0,
    Medium.WIRELESS: 300.0,
    Medium.ADSL: 300.0,
    Medium.CELLULAR: 600.0,
    Medium.VSAT: 1500.0,
}
"""Median round trip (ms) at or above which a round over this medium is degraded. Geostationary
VSAT is ~550–700 ms when healthy; radio and ADSL hops tens of ms; mobile data 50–300 ms. A
medium missing here (``other``) uses the settings' value."""

MAX_RTT_MS = 60_000.0

_V1 = """
CREATE TABLE link_thresholds (
    id INTEGER PRIMARY KEY,
    link_id INTEGER NOT NULL UNIQUE REFERENCES links (id) ON DELETE CASCADE,
    loss_degraded REAL CHECK (loss_degraded IS NULL OR (loss_degraded > 0 AND loss_degraded <= 1)),
    rtt_degraded_ms REAL CHECK (rtt_degraded_ms IS NULL OR rtt_degraded_ms > 0),
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
"""

COMPONENT = Component("link_thresholds", [_V1])


@dataclass(frozen=True)
class Override:
    """A link's own values (None: the medium's default)."""

    loss_degraded: float | None = None
    rtt_degraded_ms: float | None = None

    def record(self) -> dict[str, Any]:
        return {"loss_degraded": self.loss_degraded, "rtt_degraded_ms": self.rtt_degraded_ms}

    @property
    def empty(self) -> bool:
        return self.loss_degraded is None and self.rtt_degraded_ms is None


def medium_limits(medium: Medium | str, policy: Policy) -> Limits:
    """The defaults of a medium."""
    try:
        rtt = MEDIUM_RTT_MS.get(Medium(medium), policy.rtt_degraded_ms)
    except ValueError:
        rtt = policy.rtt_degraded_ms
    return Limits(policy.loss_degraded, rtt)


def baseline(medium: Medium | str, override: Override | None, policy: Policy) -> Limits:
    """The limits a link's site is judged by: the medium's defaults, then the link's own."""
    base = medium_limits(medium, policy)
    if override is None:
        return base
    return Limits(
        override.loss_degraded if override.loss_degraded is not None else base.loss_degraded,
        override.rtt_degraded_ms if override.rtt_degraded_ms is not None else base.rtt_degraded_ms,
    )


class ThresholdsInput(Input):
    """A link's own thresholds as a client writes them (PUT: both; null or missing: the
    medium's default)."""

    ENTITY = "link's thresholds"

    loss_degraded: Annotated[
        Annotated[float, Field(gt=0, le=1)] | None,
        NUMBER,
        Field(description="loss ratio at or above which a round is degraded; null: default"),
    ] = None
    rtt_degraded_ms: Annotated[
        Annotated[float, Field(gt=0, le=MAX_RTT_MS)] | None,
        NUMBER,
        Field(description="median round trip (ms) at or above which a round is degraded"),
    ] = None

    def override(self) -> Override:
        return Override(self.loss_degraded, self.rtt_degraded_ms)


@dataclass(frozen=True, kw_only=True)
class Baseline:
    """A link's baseline as the API answers it."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    link_id: int
    medium: str
    loss_degraded: float
    """in force: the override, else the default"""
    rtt_degraded_ms: float
    """in force: the override, else the default"""
    default: Override
    """the medium's defaults"""
    override: Override
    """the link's own values (null: the default)"""


_BASELINE = TypeAdapter(Baseline)


def public(
    link_id: int, medium: Medium | str, override: Override | None, policy: Policy
) -> dict[str, Any]:
    """The JSON shape: the limits in force, the medium's defaults and the link's override."""
    limits = baseline(medium, override, policy)
    default = medium_limits(medium, policy)
    answer = Baseline(
        link_id=link_id,
        medium=str(medium),
        loss_degraded=limits.loss_degraded,
        rtt_degraded_ms=limits.rtt_degraded_ms,
        default=Override(default.loss_degraded, default.rtt_degraded_ms),
        override=override or Override(),
    )
    data: dict[str, Any] = _BASELINE.dump_python(answer, mode="json")
    return data


def load_overrides(conn: Connection) -> dict[int, Override]:
    """Every link's override, by link id."""
    return {
        r["link_id"]: Override(r["loss_degraded"], r["rtt_degraded_ms"])
        for r in conn.execute("SELECT link_id, loss_degraded, rtt_degraded_ms FROM link_thresholds")
    }


def get_override(conn: Connection, link_id: int) -> Override | None:
    row = conn.execute(
        "SELECT loss_degraded, rtt_degraded_ms FROM link_thresholds WHERE link_id = ?", (link_id,)
    ).fetchone()
    return Override(row[0], row[1]) if row else None


class LinkThresholds:
    """Reads and changes links' baselines over one :class:`Database`."""

    def __init__(self, db: Database, policy: Policy) -> None:
        self.db = db
        self.policy = policy

    async def get(self, link_id: int) -> dict[str, Any]:
        def run(conn: Connection) -> dict[str, Any]:
            link = links_repo.TABLE.require(conn, link_id)
            return public(link_id, link.medium, get_override(conn, link_id), self.policy)

        return await self.db.read(run)

    async def put(
        self, link_id: int, data: Mapping[str, Any], *, user: str, then: Then | None = None
    ) -> dict[str, Any]:
        """Set the link's override (both fields; null or missing: the medium's default)."""
        wanted = ThresholdsInput.parse(data).override()

        def run(conn: Connection) -> dict[str, Any]:
            link = links_repo.TABLE.require(conn, link_id)
            before = get_override(conn, link_id) or Override()
            old, new = changelog.diff(before.record(), wanted.record())
            if new:
                _store(conn, link_id, wanted)
                changelog.record(
                    conn,
                    user=user,
                    entity="link",
                    entity_id=link_id,
                    action="thresholds",
                    before=old,
                    after=new,
                )
            return public(link_id, link.medium, wanted, self.policy)

        return await self.db.write(and_then(run, then))


def _store(conn: Connection, link_id: int, override: Override) -> None:
    if override.empty:
        conn.execute("DELETE FROM link_thresholds WHERE link_id = ?", (link_id,))
        return
    now = time.time()
    conn.execute(
        "INSERT INTO link_thresholds (link_id, loss_degraded, rtt_degraded_ms, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (link_id) DO UPDATE SET"
        " loss_degraded = excluded.loss_degraded, rtt_degraded_ms = excluded.rtt_degraded_ms,"
        " updated_at = excluded.updated_at",
        (link_id, override.loss_degraded, override.rtt_degraded_ms, now, now),
    )


__all__ = [
    "COMPONENT",
    "MEDIUM_RTT_MS",
    "Baseline",
    "LinkThresholds",
    "Override",
    "ThresholdsInput",
    "baseline",
    "load_overrides",
    "medium_limits",
    "public",
]
