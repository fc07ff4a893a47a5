"""The live half of the inventory: sweep, judge, record, alert, push — once per interval.

One sweep: read the inventory (sites, active uplinks, enabled targets), probe every due target
(parents before children, starts spread over part of the interval), pool each site's results,
run the state machine, then write samples, states, events and alerts in ONE write transaction,
push the changes on socket.io (namespace ``/inventory``) and hand alerts to the webhooks.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import statistics
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from network_inventory import history, maintenance_windows
from network_inventory.alerts import (
    AlertPlan,
    SiteInfo,
    Transition,
    WebhookDispatcher,
    alert_payload,
    plan_alerts,
)
from network_inventory.maintenance import RecurringWindow, in_maintenance
from network_inventory.model import VILLAGE_KINDS, ProbeTarget, iso
from network_inventory.probing import Prober, ProbeResult, SweepPlan
from network_inventory.state import (
    Observation,
    Policy,
    SiteFacts,
    State,
    Track,
    evaluate,
    order_sites,
)
from pendopo.db import Database
from pendopo.tasks import TaskSet, cancel_and_wait

log = logging.getLogger(__name__)

NAMESPACE = "/inventory"
SUMMARY_EVERY = 10
"""Sweeps between two ``summary`` pushes when nothing changed."""


class Emitter(Protocol):
    """What the service needs of socket.io's ``AsyncServer``."""

    async def emit(self, event: str, data: Any = None, *, namespace: str | None = None) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class LiveConfig:
    interval_s: float = 30.0
    spread_fraction: float = 0.5
    """Part of the interval over which a sweep's target starts are spread."""
    gap_s: float = 0.2
    concurrency: int = 256
    icmp_mode: str = "auto"
    policy: Policy = field(default_factory=Policy)
    retention: history.Retention = field(default_factory=history.Retention)


@dataclass(frozen=True)
class SiteRow:
    id: int
    code: str | None
    name: str
    kind: str
    parent_id: int | None
    maintenance_from: float | None
    maintenance_until: float | None


@dataclass(frozen=True)
class InventorySnapshot:
    """What a sweep reads of the inventory: sites, each site's active uplinks, enabled targets.
    (``network_inventory.service.Inventory`` is the service that edits it.)"""

    sites: dict[int, SiteRow]
    active_parents: dict[int, tuple[int, ...]]
    targets: list[ProbeTarget]
    recurring: Mapping[int, tuple[RecurringWindow, ...]] = field(default_factory=dict)
    """Each site's recurring maintenance windows."""


def load_inventory(conn: sqlite3.Connection) -> InventorySnapshot:
    sites = {
        r["id"]: SiteRow(
            r["id"],
            r["code"],
            r["name"],
            r["kind"],
            r["parent_id"],
            r["maintenance_from"],
            r["maintenance_until"],
        )
        for r in conn.execute(
            "SELECT id, code, name, kind, parent_id, maintenance_from, maintenance_until FROM sites"
        )
    }
    parents: dict[int, list[int]] = {}
    for r in conn.execute(
        "SELECT site_id, parent_site_id FROM links WHERE status = 'active' ORDER BY priority"
    ):
        parents.setdefault(r[0], []).append(r[1])
    targets = [
        ProbeTarget.from_row(r)
        for r in conn.execute("SELECT * FROM probe_targets WHERE enabled = 1 ORDER BY id")
    ]
    parent_ids = {k: tuple(v) for k, v in parents.items()}
    return InventorySnapshot(sites, parent_ids, targets, maintenance_windows.load_recurring(conn))


@dataclass
class Counters:
    """Totals since start, exported on ``/metrics``."""

    sweeps: int = 0
    last_sweep_s: float = 0.0
    last_sweep_at: float = 0.0
    rounds: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(kind, ok|failed) -> probe rounds."""
    packets_sent: Counter[str] = field(default_factory=Counter)
    packets_received: Counter[str] = field(default_factory=Counter)
    sweep_durations: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Measurement:
    """One site's measurements in a sweep, pooled over all its targets' rounds."""

    rtt_ms: float | None
    """Median round trip (ms) over every reply, rounded to µs."""
    rtt_min: float | None
    rtt_max: float | None
    loss: float
    method: str | None
    """The probe methods used, comma-separated (``icmp``, ``tcp``, ...)."""

    def public(self) -> dict[str, Any]:
        """What alerts and pushes show of it."""
        return {"rtt_ms": self.rtt_ms, "loss": self.loss, "method": self.method}


def pool(results: Sequence[ProbeResult]) -> tuple[Observation, Measurement]:
    """One site's observation from all its targets' rounds, and its measurement summary."""
    rtts = [r for res in results for r in res.rtts_ms]
    sent = sum(r.sent for r in results)
    received = sum(r.received for r in results)
    median = statistics.median(rtts) if rtts else None
    methods = sorted({r.method for r in results})
    obs = Observation(sent, received, median)
    return obs, Measurement(
        rtt_ms=None if median is None else round(median, 3),
        rtt_min=min(rtts) if rtts else None,
        rtt_max=max(rtts) if rtts else None,
        loss=round(obs.loss, 4),
        method=",".join(methods) or None,
    )


@dataclass(frozen=True)
class Planned:
    """Stage 1 of a sweep: what the inventory says and which targets are due, in probe order."""

    inventory: InventorySnapshot
    facts: list[SiteFacts]
    due: list[ProbeTarget]
    now: float


@dataclass(frozen=True)
class Probed:
    """Stage 2: every due target's round, grouped by site, and each site's pooled figures."""

    results: list[ProbeResult]
    by_site: dict[int, list[ProbeResult]]
    observations: dict[int, Observation]
    measured: dict[int, Measurement]


@dataclass(frozen=True)
class Verdict:
    """Stage 3: the new states and everything a sweep writes and publishes because of them."""

    transitions: list[Transition]
    alerts: list[AlertPlan]
    suppressed: dict[int, str]
    payloads: list[dict[str, Any]]
    infos: dict[int, SiteInfo]
    statuses: dict[int, history.SiteStatus]
    samples: list[history.Sample]


class LiveService:
    def __init__(
        self,
        db: Database,
        config: LiveConfig = LiveConfig(),
        *,
        emitter: Emitter | None = None,
        dispatcher: WebhookDispatcher | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.emitter = emitter
        self.dispatcher = dispatcher or WebhookDispatcher(db)
        self.status: dict[int, history.SiteStatus] = {}
        self.inventory = InventorySnapshot({}, {}, [])
        self.counters = Counters()
        self.prober: Prober | None = None
        self._task: asyncio.Task[None] | None = None
        self._last_probe: dict[int, float] = {}
        self._last_summary: dict[str, Any] | None = None
        self._sweeps_since_summary = 0
        self._lock = asyncio.Lock()
        self._reloads = TaskSet("re-reading the inventory", log)
        self._reads_asked = 0
        """Reads of the inventory asked for so far (each one's ticket)."""
        self._read_shown = 0
        """The ticket of the read ``self.inventory`` comes from."""
        self._last_sample_at = 0

    # -- lifecycle --------------------------------------------------------------------------
    async def load(self) -> None:
        """Read the stored states and the inventory (enough for the API without probing)."""
        self.status = await self.db.read(history.load_status)
        await self._read_inventory()

    async def start(self) -> None:
        await self.load()
        self.dispatcher.start()
        self.prober = Prober(icmp_mode=self.config.icmp_mode)
        self._task = asyncio.create_task(self._run(), name="prober")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        await self._reloads.close()  # an edit just before shutdown: no read after close
        await self.dispatcher.stop()
        if self.prober is not None:
            await self.prober.close()
            self.prober = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            began = loop.time()
            try:
                await self.sweep_once()
            except Exception:
                log.exception("sweep failed")
            elapsed = loop.time() - began
            if elapsed > self.config.interval_s:
                log.warning("sweep took %.1f s, longer than the interval", elapsed)
            await asyncio.sleep(max(0.0, self.config.interval_s - elapsed))

    # -- one sweep --------------------------------------------------------------------------
    async def sweep_once(self) -> list[Transition]:
        """Probe, judge, record, push. Returns the state changes of this sweep."""
        async with self._lock:
            return await self._sweep()

    async def _sweep(self) -> list[Transition]:
        """Plan, probe, judge, persist (one write transaction), publish."""
        if self.prober is None:  # a sweep asked for without start() (tests, one-off runs)
            self.prober = Prober(icmp_mode=self.config.icmp_mode)
        self.dispatcher.start()
        started = time.monotonic()
        planned = self._plan(await self._read_inventory(), time.time())
        probed = await self._probe(self.prober, planned)
        verdict = self._judge(planned, probed)
        alert_ids = await self.db.write(lambda conn: self._persist(conn, planned, probed, verdict))
        self.status = verdict.statuses
        self._count(probed.results, time.monotonic() - started, planned.now)
        await self._publish(verdict, alert_ids, probed.measured, planned.now)
        return verdict.transitions

    def _plan(self, inv: InventorySnapshot, now: float) -> Planned:
        """Sites in hierarchy order (parents before children) and the targets due now; planned
        sites (no active uplink yet) are not probed."""
        order = order_sites({s.id: s.parent_id for s in inv.sites.values()})
        rank = {site: i for i, site in enumerate(order)}
        facts = [self._facts(inv.sites[s], inv, now) for s in order]
        planned = {f.site_id for f in facts if f.planned}
        due = sorted(
            (
                t
                for t in inv.targets
                if t.site_id in rank and t.site_id not in planned and self._due(t, now)
            ),
            key=lambda t: (rank[t.site_id], t.id),
        )
        return Planned(inv, facts, due, now)

    async def _probe(self, prober: Prober, planned: Planned) -> Probed:
        cfg = self.config
        plan = SweepPlan(
            spread=cfg.interval_s * cfg.spread_fraction, gap=cfg.gap_s, concurrency=cfg.concurrency
        )
        results = await prober.sweep(planned.due, plan)
        for t in planned.due:
            self._last_probe[t.id] = planned.now
        by_site: dict[int, list[ProbeResult]] = {}
        for r in results:
            by_site.setdefault(r.site_id, []).append(r)
        observations: dict[int, Observation] = {}
        measured: dict[int, Measurement] = {}
        for site_id, site_results in by_site.items():
            observations[site_id], measured[site_id] = pool(site_results)
        return Probed(list(results), by_site, observations, measured)

    def _judge(self, planned: Planned, probed: Probed) -> Verdict:
        """Run the state machine; derive transitions, grouped alerts, statuses and samples."""
        now, inv = planned.now, planned.inventory
        old_tracks = {k: v.track for k, v in self.status.items()}
        tracks = evaluate(planned.facts, old_tracks, probed.observations, self.config.policy, now)
        transitions = []
        for sid, track in tracks.items():
            previous = old_tracks[sid].shown if sid in old_tracks else State.UNKNOWN
            if previous is not track.shown:
                transitions.append(Transition(sid, previous, track.shown))
        alerts, suppressed = plan_alerts(transitions, self._ancestors(inv))
        infos = {s.id: SiteInfo(s.id, s.code, s.name, s.kind) for s in inv.sites.values()}
        public = {sid: m.public() for sid, m in probed.measured.items()}
        payloads = [alert_payload(a, infos, at=now, measurements=public) for a in alerts]
        # One sample per site per second at most (the key): sweeps run back to back in tests.
        sample_at = self._last_sample_at = max(int(now), self._last_sample_at + 1)
        samples = [
            history.Sample(sid, sample_at, o.sent, o.received, m.rtt_min, m.rtt_ms, m.rtt_max)
            for sid, o in probed.observations.items()
            for m in (probed.measured[sid],)
        ]
        statuses = self._statuses(tracks, probed.by_site, probed.measured, now)
        return Verdict(
            transitions, list(alerts), dict(suppressed), payloads, infos, statuses, samples
        )

    def _persist(
        self, conn: sqlite3.Connection, planned: Planned, probed: Probed, verdict: Verdict
    ) -> list[int]:
        """Samples, states, alerts and events in the caller's one write transaction."""
        now, retention = planned.now, self.config.retention
        history.insert_samples(conn, verdict.samples)
        history.save_status(conn, verdict.statuses.values())
        alert_ids = _insert_alerts(conn, verdict.alerts, verdict.payloads, now)
        _insert_events(
            conn,
            verdict.transitions,
            verdict.alerts,
            alert_ids,
            verdict.suppressed,
            probed.measured,
            now,
        )
        # Retention scans the roll-ups (~0.7 s at a year's steady state for 229 sites,
        # bench/history_size.py): run it only when a 5-minute bucket was completed.
        if history.roll_up(conn, now, retention):
            history.apply_retention(conn, now, retention)
        return alert_ids

    async def _publish(
        self,
        verdict: Verdict,
        alert_ids: Sequence[int],
        measured: Mapping[int, Measurement],
        now: float,
    ) -> None:
        """Hand the alerts to the webhooks, then push the changes to the dashboards."""
        for payload, alert_id in zip(verdict.payloads, alert_ids, strict=True):
            payload["alert_id"] = alert_id
            self.dispatcher.submit(payload)
        await self._push(verdict.transitions, verdict.infos, measured, now)

    def _facts(self, site: SiteRow, inv: InventorySnapshot, now: float) -> SiteFacts:
        parents = inv.active_parents.get(site.id, ())
        return SiteFacts(
            site_id=site.id,
            parents=parents,
            planned=site.parent_id is not None and not parents,
            maintenance=in_maintenance(
                site.maintenance_from, site.maintenance_until, inv.recurring.get(site.id, ()), now
            ),
        )

    def _due(self, target: ProbeTarget, now: float) -> bool:
        interval = target.interval_s or self.config.interval_s
        last = self._last_probe.get(target.id)
        # A little slack so that a target of the sweep's own interval is never skipped.
        return last is None or now - last >= interval - self.config.interval_s * 0.5

    @staticmethod
    def _ancestors(inv: InventorySnapshot) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for site in inv.sites.values():
            chain: list[int] = []
            parent = site.parent_id
            while parent is not None and parent in inv.sites and parent not in chain:
                chain.append(parent)
                parent = inv.sites[parent].parent_id
            out[site.id] = chain
        return out

    def _statuses(
        self,
        tracks: Mapping[int, Track],
        by_site: Mapping[int, list[ProbeResult]],
        measured: Mapping[int, Measurement],
        now: float,
    ) -> dict[int, history.SiteStatus]:
        out: dict[int, history.SiteStatus] = {}
        for sid, track in tracks.items():
            if sid in measured:
                m = measured[sid]
                targets = tuple(r.public() for r in by_site[sid])
                out[sid] = history.SiteStatus(track, m.rtt_ms, m.loss, m.method, targets, now)
            else:
                prev = self.status.get(sid)
                if prev is not None and track.shown is not State.PLANNED:
                    out[sid] = history.SiteStatus(
                        track, prev.rtt_ms, prev.loss, prev.method, prev.targets, prev.updated_at
                    )
                else:
                    out[sid] = history.SiteStatus(track, updated_at=now)
        return out

    def _count(self, results: Sequence[ProbeResult], elapsed: float, now: float) -> None:
        c = self.counters
        c.sweeps += 1
        c.last_sweep_s = elapsed
        c.last_sweep_at = now
        c.sweep_durations.append(elapsed)
        del c.sweep_durations[:-100]
        for r in results:
            c.rounds[(r.kind, "ok" if r.ok else "failed")] += 1
            c.packets_sent[r.method] += r.sent
            c.packets_received[r.method] += r.received

    # -- pushes -----------------------------------------------------------------------------
    async def _push(
        self,
        transitions: Sequence[Transition],
        infos: Mapping[int, SiteInfo],
        measured: Mapping[int, Measurement],
        now: float,
    ) -> None:
        if self.emitter is None:
            return
        for t in transitions:
            info = infos[t.site_id]
            m = measured.get(t.site_id)
            await self.emitter.emit(
                "site:state",
                {
                    "site_id": t.site_id,
                    "code": info.code,
                    "name": info.name,
                    "state": t.state.value,
                    "previous": t.previous.value,
                    "rtt_ms": m.rtt_ms if m else None,
                    "loss": m.loss if m else None,
                    "method": m.method if m else None,
                    "changed_at": iso(now),
                },
                namespace=NAMESPACE,
            )
        summary = self.summary()
        self._sweeps_since_summary += 1
        if summary != self._last_summary or self._sweeps_since_summary >= SUMMARY_EVERY:
            self._last_summary = summary
            self._sweeps_since_summary = 0
            await self.emitter.emit("summary", summary, namespace=NAMESPACE)

    # -- read side --------------------------------------------------------------------------
    def state_of(self, site_id: int) -> str | None:
        """The shown state of a site (``network_inventory.service.SiteStates``)."""
        status = self.status.get(site_id)
        return status.track.shown.value if status else None

    def sites_in_state(self, state: str) -> set[int]:
        return {sid for sid, st in self.status.items() if st.track.shown.value == state}

    def inventory_changed(self, _event: object = None) -> None:
        """A listener for the inventory's committed changes: re-read sites, links, targets
        (the next sweep would anyway; this keeps ``/api/state`` current in between)."""
        self._reloads.spawn(self._reload())

    async def _reload(self) -> None:
        try:
            await self._read_inventory()
        except Exception:
            log.exception("could not re-read the inventory")

    async def _read_inventory(self) -> InventorySnapshot:
        """Read the inventory and show it, unless a read asked for later was shown already.

        Reads run on a pool of threads and finish in any order: a sweep's read begun before a
        change may end after the re-read the change asked for, and must not put the inventory
        from before the change back. A read asked for later starts after every change notified
        before it was committed, so the latest ticket is the newest inventory.
        """
        self._reads_asked += 1
        ticket = self._reads_asked
        inv = await self.db.read(load_inventory)
        if ticket > self._read_shown:
            self._read_shown = ticket
            self.inventory = inv
        return inv

    def summary(self) -> dict[str, Any]:
        counts = {s.value: 0 for s in State}
        for sid in self.inventory.sites:
            status = self.status.get(sid)
            counts[(status.track.shown if status else State.UNKNOWN).value] += 1
        villages = [s for s in self.inventory.sites.values() if s.kind in VILLAGE_KINDS]
        active = sum(1 for s in villages if self.inventory.active_parents.get(s.id))
        return {
            "counts": counts,
            "total_sites": len(self.inventory.sites),
            "rollout": {
                "active_villages": active,
                "total_villages": len(villages),
                # short aliases read by web/static/js/inventory-live.js
                "active": active,
                "total": len(villages),
            },
        }

    def site_states(self) -> list[dict[str, Any]]:
        """Every site's state, in hierarchy order (what ``GET /api/state`` lists)."""
        sites = self.inventory.sites
        out = []
        for sid in order_sites({s.id: s.parent_id for s in sites.values()}):
            site = sites[sid]
            status = self.status.get(sid)
            track = status.track if status else Track(sid)
            out.append(
                {
                    "site_id": sid,
                    "id": sid,
                    "code": site.code,
                    "name": site.name,
                    "kind": site.kind,
                    "parent_id": site.parent_id,
                    "state": track.shown.value,
                    "effective": track.effective.value,
                    "since": iso(track.since) if status else None,
                    "rtt_ms": status.rtt_ms if status else None,
                    "loss": status.loss if status else None,
                    "method": status.method if status else None,
                    "measured_at": iso(status.updated_at) if status and status.updated_at else None,
                    "targets": list(status.targets) if status else [],
                }
            )
        return out


def _insert_alerts(
    conn: sqlite3.Connection,
    plans: Sequence[AlertPlan],
    payloads: Sequence[dict[str, Any]],
    now: float,
) -> list[int]:
    import json

    ids = []
    for plan, payload in zip(plans, payloads, strict=True):
        cur = conn.execute(
            "INSERT INTO inventory_alerts (at, site_id, kind, payload) VALUES (?, ?, ?, ?)",
            (now, plan.lead.site_id, plan.kind, json.dumps(payload)),
        )
        ids.append(int(cur.lastrowid or 0))
    return ids


def _insert_events(
    conn: sqlite3.Connection,
    transitions: Sequence[Transition],
    plans: Sequence[AlertPlan],
    alert_ids: Sequence[int],
    suppressed: Mapping[int, str],
    measured: Mapping[int, Measurement],
    now: float,
) -> None:
    alert_of: dict[int, int] = {}
    for plan, alert_id in zip(plans, alert_ids, strict=True):
        alert_of[plan.lead.site_id] = alert_id
        for member in plan.members:
            alert_of[member.site_id] = alert_id
    conn.executemany(
        "INSERT INTO inventory_events (at, site_id, previous, state, rtt_ms, loss, method,"
        " alert_id, suppressed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                now,
                t.site_id,
                t.previous.value,
                t.state.value,
                m.rtt_ms if m else None,
                m.loss if m else None,
                m.method if m else None,
                alert_of.get(t.site_id),
                suppressed.get(t.site_id),
            )
            for t in transitions
            for m in (measured.get(t.site_id),)
        ],
    )


__all__ = [
    "NAMESPACE",
    "InventorySnapshot",
    "LiveConfig",
    "LiveService",
    "Measurement",
    "load_inventory",
]
