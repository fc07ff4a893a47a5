"""A link's baseline: the loss and round trip at which its site counts as DEGRADED.

Each medium has its own defaults (a VSAT hop adds ~600 ms of round trip by physics, a fibre
one a few ms); a link may override either value (``link_thresholds``, one row per link, its
own component so the ``links`` table stays as it is). A site is judged by the baseline of its
primary active uplink; a site without one (the regency office) and a link of medium ``other``
use the settings' ``probe_loss_degraded`` / ``probe_rtt_degraded_ms``.

Overrides are changed like the other inventory records: validated, written with a change-log
entry (entity ``link``, action ``thresholds``) and the caller's audit ``then`` in one
transaction.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from network_inventory import changelog
from network_inventory import links as links_repo
from network_inventory.errors import ValidationError
from network_inventory.model import Medium
from network_inventory.state import Limits, Policy
from pendopo.db import Component, Database, Then, and_then

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

FIELDS = ("loss_degraded", "rtt_degraded_ms")
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


def public(medium: Medium | str, override: Override | None, policy: Policy) -> dict[str, Any]:
    """The JSON shape: the limits in force, the medium's defaults and the link's override."""
    limits = baseline(medium, override, policy)
    default = medium_limits(medium, policy)
    own = override or Override()
    return {
        "medium": str(medium),
        "loss_degraded": limits.loss_degraded,
        "rtt_degraded_ms": limits.rtt_degraded_ms,
        "default": {
            "loss_degraded": default.loss_degraded,
            "rtt_degraded_ms": default.rtt_degraded_ms,
        },
        "override": own.record(),
    }


def load_overrides(conn: sqlite3.Connection) -> dict[int, Override]:
    """Every link's override, by link id."""
    return {
        r["link_id"]: Override(r["loss_degraded"], r["rtt_degraded_ms"])
        for r in conn.execute("SELECT link_id, loss_degraded, rtt_degraded_ms FROM link_thresholds")
    }


def get_override(conn: sqlite3.Connection, link_id: int) -> Override | None:
    row = conn.execute(
        "SELECT loss_degraded, rtt_degraded_ms FROM link_thresholds WHERE link_id = ?", (link_id,)
    ).fetchone()
    return Override(row[0], row[1]) if row else None


def validate(data: Mapping[str, Any]) -> Override:
    """An override from a JSON object: each field a number in range or null."""
    details = [{"field": k, "message": "Unknown field."} for k in data if k not in FIELDS]
    values: dict[str, float | None] = {}
    for name in FIELDS:
        raw = data.get(name)
        if raw is None:
            values[name] = None
            continue
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            details.append({"field": name, "message": "Must be a number or null."})
            continue
        value = float(raw)
        if name == "loss_degraded" and not 0 < value <= 1:
            details.append({"field": name, "message": "Must be above 0 and at most 1."})
        elif name == "rtt_degraded_ms" and not 0 < value <= MAX_RTT_MS:
            details.append(
                {"field": name, "message": f"Must be above 0 and at most {MAX_RTT_MS:g}."}
            )
        else:
            values[name] = value
    if details:
        raise ValidationError(
            "; ".join(f"{d['field']}: {d['message']}" for d in details), details=details
        )
    return Override(values["loss_degraded"], values["rtt_degraded_ms"])


class LinkThresholds:
    """Reads and changes links' baselines over one :class:`Database`."""

    def __init__(self, db: Database, policy: Policy) -> None:
        self.db = db
        self.policy = policy

    async def get(self, link_id: int) -> dict[str, Any]:
        def run(conn: sqlite3.Connection) -> dict[str, Any]:
            link = links_repo.TABLE.require(conn, link_id)
            out = public(link.medium, get_override(conn, link_id), self.policy)
            return {"link_id": link_id, **out}

        return await self.db.read(run)

    async def put(
        self, link_id: int, data: Mapping[str, Any], *, user: str, then: Then | None = None
    ) -> dict[str, Any]:
        """Set the link's override (both fields; null or missing: the medium's default)."""
        wanted = validate(data)

        def run(conn: sqlite3.Connection) -> dict[str, Any]:
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
            return {"link_id": link_id, **public(link.medium, wanted, self.policy)}

        return await self.db.write(and_then(run, then))


def _store(conn: sqlite3.Connection, link_id: int, override: Override) -> None:
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
    "LinkThresholds",
    "Override",
    "baseline",
    "load_overrides",
    "medium_limits",
    "validate",
]
