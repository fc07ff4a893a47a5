"""The live half of the inventory: sweep, judge, record, alert, push.

One *sweep* per interval: read the inventory (sites, active uplinks, their baselines, enabled
targets), probe every due target (parents before children, starts spread over part of the
interval), pool each site's results, run the state machine, then write samples, states, events
and alerts in ONE write transaction, push the changes on socket.io (namespace ``/inventory``)
and hand alerts to the webhooks.

Beside the sweeps, a *check* every ``check_interval_s``: ``check_count`` (2) echoes to every
probed ICMP/TCP target, stored nowhere unless it says something changed. When a sweep's or a
check's round disagrees with a site's state, *confirmation* rounds of that site and the sites
behind it follow until the state machine has decided: *reach* rounds (``confirm_count``
echoes, ``confirm_gap_s`` apart) when it failed or answered while DOWN, *quality* rounds
(``quality_count`` echoes, ``quality_gap_s`` apart, judged on their own) when its loss or
round trip crossed its baseline (a reach round's loss counts too). An outage shows in seconds,
not after three intervals, and lost echoes on a lossy link never alert anyone. A change of the
inventory is judged at once (a *judge* pass without probing), so ``/api/state`` never waits for
a sweep to show a new link or window.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import statistics
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from network_inventory import history, maintenance_windows, thresholds
from network_inventory.alert_log import AlertSite
from network_inventory.alerts import (
    AlertPlan,
    Transition,
    WebhookDispatcher,
    alert_payload,
    plan_alerts,
)
from network_inventory.alerts import transitions as changes_between
from network_inventory.flapping import Phase
from network_inventory.live_answer import (
    LiveSummary,
    ProbingStatus,
    Rollout,
    SiteBaseline,
    SiteState,
    TargetRound,
)
from network_inventory.maintenance import RecurringWindow, in_maintenance
from network_inventory.model import VILLAGE_KINDS, ProbeKind, ProbeTarget, iso
from network_inventory.probing import Prober, ProbeResult, SweepPlan
from network_inventory.state import (
    Health,
    Limits,
    Observation,
    Policy,
    SiteFacts,
    State,
    Track,
    evaluate,
    order_sites,
    round_health,
)
from pendopo.db import Connection, Database
from pendopo.declared import as_json
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
    check_interval_s: float = 3.0
    """Seconds between two checks (``check_count`` echoes per target) between sweeps; 0: no
    checks."""
    check_count: int = 4
    """Echo requests of each ICMP/TCP target in a check: it fails when none is answered (a
    reach confirmation follows), and losing one suspects a degradation (a quality one). Four
    see 30 % loss in 76 % of checks (two: 51 %; the wait for a check that sees it was the
    larger part of the time to DEGRADED)."""
    confirm_count: int = 10
    """Echo requests (or connects) of each target in one round confirming an outage or a
    recovery from one (a round fails only when none of them is answered)."""
    quality_count: int = 80
    """Echo requests of each target in one round confirming a degradation (or its end): at
    9.75 % loss (a VSAT link's 5 % each way) 16 of 80 lost three rounds running happens once in
    ~14 million confirmations (at the 10.35 % bench/detect.py measured: once in ~2.5 million;
    40 echoes: once in ~20,000 and ~8,000); at 30 % loss three such rounds come 95 % of the
    time (40 echoes: 84 %)."""
    confirm_gap_s: float = 1.0
    """Seconds between two reach rounds."""
    quality_gap_s: float = 0.0
    """Seconds between two quality rounds (each already ends with its echoes' wait)."""
    confirm_echo_gap_s: float = 0.05
    """Seconds between the echo requests of a check or reach round."""
    quality_echo_gap_s: float = 0.0125
    """Seconds between the echo requests of a quality round (80 in one second: ~40 kbit/s while
    a confirmation lasts, a few seconds)."""
    quality_timeout_factor: float = 2.0
    """A check or quality round waits for an echo at most this many times the site's round-trip
    threshold (at least 1 s, at most the target's own timeout): a reply slower than that says
    the link is degraded anyway, and a lossy round need not wait out the full timeout."""


class Pass(enum.Enum):
    """What one pass over the inventory does."""

    SWEEP = "sweep"
    """Every due target, a full round each; samples recorded (the regular measurement)."""
    CHECK = "check"
    """A couple of echoes per probed ICMP/TCP target; only a failure (or an answer while DOWN)
    counts; a lost echo suspects a degradation."""
    REACH = "reach"
    """Rounds confirming that suspected sites (and those behind them) stopped answering, or
    answer again: only whether they answer counts."""
    QUALITY = "quality"
    """Rounds confirming that suspected sites degraded (or recovered from it), judged on their
    own: the degraded rounds counted before start again."""
    JUDGE = "judge"
    """No probing: the inventory changed (a new active link, a window), states follow at once."""


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
    uplinks: dict[int, tuple[str, thresholds.Override | None]] = field(default_factory=dict)
    """Each site's primary active uplink: its medium and its own thresholds, if any."""
    recurring: Mapping[int, tuple[RecurringWindow, ...]] = field(default_factory=dict)
    """Each site's recurring maintenance windows."""


def load_inventory(conn: Connection) -> InventorySnapshot:
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
    has_overrides = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'link_thresholds'"
    ).fetchone()
    overrides = thresholds.load_overrides(conn) if has_overrides else {}
    uplinks: dict[int, tuple[str, thresholds.Override | None]] = {}
    for r in conn.execute(
        "SELECT id, site_id, parent_site_id, medium FROM links WHERE status = 'active'"
        " ORDER BY priority, id"
    ):
        parents.setdefault(r["site_id"], []).append(r["parent_site_id"])
        uplinks.setdefault(r["site_id"], (r["medium"], overrides.get(r["id"])))
    targets = [
        ProbeTarget.from_row(r)
        for r in conn.execute("SELECT * FROM probe_targets WHERE enabled = 1 ORDER BY id")
    ]
    parent_ids = {k: tuple(v) for k, v in parents.items()}
    recurring = maintenance_windows.load_recurring(conn)
    return InventorySnapshot(sites, parent_ids, targets, uplinks, recurring)


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
    at = max((r.at for r in results), default=None)
    obs = Observation(sent, received, median, at or None)
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
    kind: Pass = Pass.SWEEP


@dataclass(frozen=True)
class Probed:
    """Stage 2: every due target's round, grouped by site, and each site's pooled figures."""

    results: list[ProbeResult]
    by_site: dict[int, list[ProbeResult]]
    observations: dict[int, Observation]
    measured: dict[int, Measurement]


@dataclass(frozen=True)
class Judged:
    """Stage 3: the new states and everything a sweep writes and publishes because of them."""

    transitions: list[Transition]
    alerts: list[AlertPlan]
    suppressed: dict[int, str]
    payloads: list[dict[str, Any]]
    infos: dict[int, AlertSite]
    statuses: dict[int, history.SiteStatus]
    samples: list[history.Sample]
    changed_at: dict[int, float] = field(default_factory=dict)
    """When each transition happened (the round that made it; a flapping site stable again:
    when it last changed)."""
    suspects: dict[Pass, set[int]] = field(default_factory=dict)
    """Sites whose round disagrees with their state, by the pass that is to confirm it
    (``REACH`` or ``QUALITY``)."""


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
        self._judged_at: dict[int, float] = {}
        """The time of each site's latest round the state machine took."""
        self._judging: asyncio.Task[None] | None = None
        """The latest judge pass asked for by an inventory change."""
        self._weighing: set[int] = set()
        """Sites a quality confirmation is judging now: one at a time per site, and meanwhile
        the other passes' rounds of them count as reach rounds (see :meth:`_aside`)."""

    # -- lifecycle --------------------------------------------------------------------------
    async def load(self) -> None:
        """Read the stored states and the inventory (enough for the API without probing)."""
        self.status = await self.db.read(history.load_status)
        await self._pass(Pass.JUDGE)  # planned and maintenance overlays before any probing

    async def follow(self, every_s: float) -> None:
        """Another process probes (``probe_enabled`` is off here; several nodes or workers,
        docs/scaling.md): read the states it stores and the inventory now and every
        ``every_s``, so that this process's API and pages answer as the prober's do, at most
        ``every_s`` later. Nothing is probed, judged or written after :meth:`load`."""
        await self.load()
        self._task = asyncio.create_task(self._follow(every_s), name="following the prober")

    async def _follow(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                await self._read_inventory()
                status = await self.db.read(history.load_status)
                async with self._lock:
                    self.status = status
            except Exception:  # a busy database this time: the next read catches up
                log.exception("could not re-read the probed states")

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
        """Sweeps every ``interval_s``; checks run beside them (a sweep's starts are spread over
        half its interval, and a check must not wait for that)."""
        loop = asyncio.get_running_loop()
        cfg = self.config
        checks = None
        if cfg.check_interval_s > 0:
            checks = asyncio.create_task(self._checks(), name="prober checks")
        try:
            while True:
                began = loop.time()
                await self._cycle(Pass.SWEEP)
                elapsed = loop.time() - began
                if elapsed > cfg.interval_s:
                    log.warning("sweep took %.1f s, longer than the interval", elapsed)
                await asyncio.sleep(max(0.0, cfg.interval_s - elapsed))
        finally:
            await cancel_and_wait(checks)

    async def _checks(self) -> None:
        while True:
            await asyncio.sleep(self.config.check_interval_s)
            await self._cycle(Pass.CHECK)

    async def _cycle(self, kind: Pass) -> None:
        """A sweep or a check, then the confirmation of whatever it found changed (outages
        first; a reach round losing as much as the threshold suspects a degradation too)."""
        try:
            suspects = (await self._pass(kind)).suspects
            quality = set(suspects.get(Pass.QUALITY, ()))
            if suspects.get(Pass.REACH):
                found: dict[Pass, set[int]] = {}
                await self.confirm(Pass.REACH, suspects[Pass.REACH], found)
                quality |= found.get(Pass.QUALITY, set())
            if quality:
                await self.confirm(Pass.QUALITY, quality)
        except Exception:
            log.exception("%s failed", kind.value)

    # -- one pass ---------------------------------------------------------------------------
    async def sweep_once(self) -> list[Transition]:
        """Probe, judge, record, push. Returns the state changes of this sweep."""
        return (await self._pass(Pass.SWEEP)).transitions

    async def check_once(self) -> dict[Pass, set[int]]:
        """One check (an echo per target); returns the sites to confirm, by question."""
        return (await self._pass(Pass.CHECK)).suspects

    async def confirm(
        self, question: Pass, suspects: set[int], found: dict[Pass, set[int]] | None = None
    ) -> list[Transition]:
        """``REACH`` or ``QUALITY`` rounds of ``suspects`` and the sites behind them,
        ``confirm_gap_s`` apart, until no site's round disagrees with its state any more (at
        most as many rounds as the policy needs to change a state; a quality confirmation
        weighs a site with mixed rounds once more). A quality confirmation
        counts only its own rounds: the degraded/clean rounds counted before it, and what it
        leaves uncounted, start again (a sweep's five echoes never tip a site into DEGRADED).
        Returns the state changes made; ``found`` collects the sites its rounds suspect of
        something else (a reach round that answered but lost as much as the threshold)."""
        policy = self.config.policy
        if question is Pass.QUALITY:
            # A site already being weighed is left to that confirmation: a second one would
            # forget the rounds the first has counted, at its start and again at its end.
            suspects = suspects - self._weighing
            if not suspects:
                return []
            self._weighing |= suspects
            await self._fresh_judgement(suspects)
        changes: list[Transition] = []
        pending = set(suspects)
        rounds = max(policy.down_rounds, policy.up_rounds)
        disagreed: set[int] = set()  # sites one of whose rounds here disagreed with their state
        retried: set[int] = set()
        try:
            gap = self.config.quality_gap_s if question is Pass.QUALITY else None
            # A quality confirmation may weigh a site once more after a round that agreed with
            # its state had followed one that did not (mixed evidence: 30 % loss gives one
            # clean 80-echo round in twenty): without it, the site waited for the next check
            # (3 s, and the check's own wait) to start over.
            budget = 2 * rounds if question is Pass.QUALITY else rounds
            for i in range(budget):
                if i:
                    await asyncio.sleep(gap if gap is not None else self.config.confirm_gap_s)
                verdict = await self._pass(question, self._with_descendants(pending))
                changes.extend(verdict.transitions)
                if found is not None:
                    for other, sites in verdict.suspects.items():
                        if other is not question:
                            found.setdefault(other, set()).update(sites)
                still = verdict.suspects.get(question, set()) & pending
                if question is Pass.QUALITY:
                    changed = {t.site_id for t in verdict.transitions}
                    again = (pending - still - changed) & (disagreed - retried)
                    retried |= again
                    disagreed |= still
                    still |= again
                pending = still
                if not pending:
                    break
        finally:
            if question is Pass.QUALITY:
                await self._fresh_judgement(suspects)
                self._weighing -= suspects
        return changes

    async def _pass(self, kind: Pass, only: set[int] | None = None) -> Judged:
        """Plan and probe; then, holding the lock, judge, persist (one write transaction) and
        publish. Passes probe side by side (a check during a sweep's spread); a round older
        than the last one judged for its site is left out (it would judge the past)."""
        if self.prober is None and kind is not Pass.JUDGE:  # without start(): tests, one-offs
            self.prober = Prober(icmp_mode=self.config.icmp_mode)
        self.dispatcher.start()
        started = time.monotonic()
        planned = self._plan(await self._read_inventory(), time.time(), kind, only)
        measured = await self._probe(self.prober, planned) if self.prober else _nothing()
        async with self._lock:
            planned = self._judged_on(self.inventory, planned)
            raw = self._aside(kind, self._newer(_only(measured, set(planned.inventory.sites))))
            probed = self._counted(planned, raw)
            verdict = self._judge(planned, probed, raw)
            for sid, obs in probed.observations.items():
                beside = kind is not Pass.QUALITY and sid in self._weighing
                if obs.at is None or (beside and obs.answered):
                    continue  # an answer beside a quality confirmation must not outdate its rounds
                self._judged_at[sid] = max(obs.at, self._judged_at.get(sid, obs.at))
            elapsed = time.monotonic() - started if kind is Pass.SWEEP else None
            self._count(measured.results, elapsed, planned.now)
            if kind is Pass.CHECK and not probed.observations and not verdict.transitions:
                return verdict  # nothing to record: every answer agreed with its site's state
            alert_ids = await self.db.write(
                lambda conn: self._persist(conn, planned, probed, verdict)
            )
            self.status = verdict.statuses
            await self._publish(verdict, alert_ids, probed.measured, planned.now)
        return verdict

    def _judged_on(self, inv: InventorySnapshot, planned: Planned) -> Planned:
        """The pass judged on the inventory as it is now (an edit may have come while it
        probed), not as it was when the pass began."""
        if inv is planned.inventory:
            return planned
        order = order_sites({s.id: s.parent_id for s in inv.sites.values()})
        facts = [self._facts(inv.sites[s], inv, planned.now) for s in order]
        return replace(planned, inventory=inv, facts=facts)

    def _newer(self, probed: Probed) -> Probed:
        """Leave out a round measured before its site's latest change or its latest round judged
        (a sweep's round taken before a cut that checks have meanwhile counted: judged after
        them, its answer would undo their failures)."""
        stale = {
            sid
            for sid, obs in probed.observations.items()
            if obs.at is not None
            and (
                (sid in self.status and obs.at < self.status[sid].track.since)
                or obs.at < self._judged_at.get(sid, obs.at)
            )
        }
        if not stale:
            return probed
        return _only(probed, set(probed.observations) - stale)

    def _plan(
        self,
        inv: InventorySnapshot,
        now: float,
        kind: Pass = Pass.SWEEP,
        only: set[int] | None = None,
    ) -> Planned:
        """Sites in hierarchy order (parents before children) and the targets of this pass;
        planned sites (no active uplink yet) are not probed."""
        order = order_sites({s.id: s.parent_id for s in inv.sites.values()})
        rank = {site: i for i, site in enumerate(order)}
        facts = [self._facts(inv.sites[s], inv, now) for s in order]
        planned = {f.site_id for f in facts if f.planned}
        probed = [t for t in inv.targets if t.site_id in rank and t.site_id not in planned]
        if kind is Pass.SWEEP:
            due = [t for t in probed if self._due(t, now)]
        elif kind is Pass.CHECK:
            count = self.config.check_count
            due = [
                replace(t, count=count, timeout_s=self._short_wait(t, inv))
                for t in probed
                if t.kind is not ProbeKind.HTTP
            ]
        elif kind is Pass.REACH:
            wanted = only or set()
            count = self.config.confirm_count
            due = [replace(t, count=count) for t in probed if t.site_id in wanted]
        elif kind is Pass.QUALITY:
            wanted = only or set()
            due = [self._quality_round(t, inv) for t in probed if t.site_id in wanted]
        else:
            due = []
        due.sort(key=lambda t: (rank[t.site_id], t.id))
        return Planned(inv, facts, due, now, kind)

    def _quality_round(self, target: ProbeTarget, inv: InventorySnapshot) -> ProbeTarget:
        """A target's quality round: ``quality_count`` requests, each awaited
        :meth:`_short_wait`."""
        wait = self._short_wait(target, inv)
        return replace(target, count=self.config.quality_count, timeout_s=wait)

    def _short_wait(self, target: ProbeTarget, inv: InventorySnapshot) -> float:
        """How long a check's or a quality round's echo is awaited: ``quality_timeout_factor``
        times its site's round-trip threshold, 1 s at least, the target's timeout at most (a
        slower reply says the link is degraded anyway; a reach round, which decides an outage,
        waits the full timeout)."""
        limit_s = self.limits_of(target.site_id, inv).rtt_degraded_ms / 1000
        return min(target.timeout_s, max(1.0, self.config.quality_timeout_factor * limit_s))

    async def _probe(self, prober: Prober, planned: Planned) -> Probed:
        cfg = self.config
        if planned.kind is Pass.SWEEP:
            plan = SweepPlan(
                spread=cfg.interval_s * cfg.spread_fraction,
                gap=cfg.gap_s,
                concurrency=cfg.concurrency,
            )
        elif planned.kind is Pass.QUALITY:
            plan = SweepPlan(gap=cfg.quality_echo_gap_s, concurrency=cfg.concurrency)
        else:
            plan = SweepPlan(gap=cfg.confirm_echo_gap_s, concurrency=cfg.concurrency)
        results = await prober.sweep(planned.due, plan)
        if planned.kind is Pass.SWEEP:
            for t in planned.due:
                self._last_probe[t.id] = planned.now
        by_site: dict[int, list[ProbeResult]] = {}
        for r in results:
            by_site.setdefault(r.site_id, []).append(r)
        observations: dict[int, Observation] = {}
        measured: dict[int, Measurement] = {}
        reach_only = planned.kind in (Pass.CHECK, Pass.REACH)
        for site_id, site_results in by_site.items():
            obs, measured[site_id] = pool(site_results)
            observations[site_id] = replace(obs, reach_only=reach_only)
        return Probed(list(results), by_site, observations, measured)

    def _aside(self, kind: Pass, probed: Probed) -> Probed:
        """Rounds of sites a quality confirmation is weighing, taken by another pass (a sweep's
        five echoes, a check's two, a reach round): they tell whether the site answers, never
        how well. Counted as degraded or clean they would break the confirmation's run of
        rounds (one clean sweep round in the middle resets it, and a site at 30 % loss then
        waited for the next check to start over); their answers also leave the confirmation's
        rounds their place (:meth:`_pass`), while a failure still outdates them."""
        if kind is Pass.QUALITY or not self._weighing:
            return probed
        observations = {
            sid: replace(obs, reach_only=True) if sid in self._weighing else obs
            for sid, obs in probed.observations.items()
        }
        return replace(probed, observations=observations)

    def _counted(self, planned: Planned, raw: Probed) -> Probed:
        """The observations the state machine takes. A check's single echo tells reachability
        only: it counts when it failed or when its site is DOWN (or not measured yet), never as a
        clean round (that would undo the degraded rounds counted so far)."""
        if planned.kind is not Pass.CHECK:
            return raw
        keep = {
            sid
            for sid, obs in raw.observations.items()
            if not obs.answered or self._health(sid).state in (State.DOWN, State.UNKNOWN)
        }
        return _only(raw, keep)

    def _judge(self, planned: Planned, probed: Probed, raw: Probed | None = None) -> Judged:
        """Run the state machine; derive transitions, grouped alerts, statuses and samples, and
        the sites whose round (``raw``: all of this pass's rounds) disagrees with their state."""
        now, inv = planned.now, planned.inventory
        old_tracks = {k: v.track for k, v in self.status.items()}
        tracks = evaluate(planned.facts, old_tracks, probed.observations, self.config.policy, now)
        transitions = changes_between(old_tracks, tracks)
        changed_at = {t.site_id: tracks[t.site_id].since for t in transitions}
        alerts, suppressed = plan_alerts(transitions, self._ancestors(inv))
        infos = {
            s.id: AlertSite(id=s.id, code=s.code, name=s.name, kind=s.kind)
            for s in inv.sites.values()
        }
        public = {sid: m.public() for sid, m in probed.measured.items()}
        rule = self.config.policy.flap_rule
        payloads = [
            alert_payload(
                a,
                infos,
                at=changed_at.get(a.lead.site_id, now),
                measurements=public,
                flap_rule=rule,
            )
            for a in alerts
        ]
        samples: list[history.Sample] = []
        if planned.kind is Pass.SWEEP:
            # One sample per site per second at most (the key): sweeps run back to back in tests.
            # Checks and confirmations add none: availability stays answered sweeps / sweeps.
            sample_at = self._last_sample_at = max(int(now), self._last_sample_at + 1)
            samples = [
                history.Sample(sid, sample_at, o.sent, o.received, m.rtt_min, m.rtt_ms, m.rtt_max)
                for sid, o in probed.observations.items()
                for m in (probed.measured[sid],)
            ]
        statuses = self._statuses(tracks, probed.by_site, probed.measured, now)
        limits = {f.site_id: f.limits for f in planned.facts}
        suspects: dict[Pass, set[int]] = {}
        for sid, obs in (raw or probed).observations.items():
            if sid in tracks:
                question = self._question(tracks[sid].health, obs, limits.get(sid))
                if question is not None:
                    suspects.setdefault(question, set()).add(sid)
        return Judged(
            transitions,
            list(alerts),
            dict(suppressed),
            payloads,
            infos,
            statuses,
            samples,
            changed_at,
            suspects,
        )

    def _question(self, health: Health, obs: Observation, limits: Limits | None) -> Pass | None:
        """Does this round disagree with the site's (new) health, and which rounds are to
        confirm it: ``REACH`` (it failed, or answered while DOWN), ``QUALITY`` (its loss or round
        trip crossed the baseline either way), or none. A reach round's answers say nothing
        about loss."""
        policy = self.config.policy
        if health.state is State.DOWN:
            return Pass.REACH if obs.answered else None
        if not obs.answered:
            return Pass.REACH
        if obs.reach_only:  # a check's or reach round's lost echoes suspect a degradation
            lim = limits or policy.limits
            rtt = obs.rtt_median_ms
            slow = rtt is not None and rtt >= lim.rtt_degraded_ms
            lossy = obs.sent > 1 and obs.loss >= lim.loss_degraded - 1e-9
            return Pass.QUALITY if (slow or lossy) and health.state is State.UP else None
        verdict = round_health(obs, policy, limits)
        if health.state is State.UNKNOWN or verdict is health.state:
            return None
        return Pass.QUALITY

    async def _fresh_judgement(self, sites: set[int]) -> None:
        """Forget the degraded/clean rounds counted so far for these sites."""
        async with self._lock:
            for sid in sites:
                status = self.status.get(sid)
                if status is None:
                    continue
                health = replace(status.track.health, degraded=0, clean=0)
                self.status[sid] = replace(status, track=replace(status.track, health=health))

    def _health(self, site_id: int) -> Health:
        status = self.status.get(site_id)
        return status.track.health if status else Health()

    def _with_descendants(self, sites: set[int]) -> set[int]:
        children: dict[int, list[int]] = {}
        for site in self.inventory.sites.values():
            if site.parent_id is not None:
                children.setdefault(site.parent_id, []).append(site.id)
        out: set[int] = set()
        todo = list(sites)
        while todo:
            sid = todo.pop()
            if sid not in out:
                out.add(sid)
                todo.extend(children.get(sid, ()))
        return out

    def _persist(
        self, conn: Connection, planned: Planned, probed: Probed, verdict: Judged
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
            verdict.changed_at,
        )
        # Retention scans the roll-ups (~0.7 s at a year's steady state for 229 sites,
        # bench/history_size.py): run it only when a 5-minute bucket was completed.
        if planned.kind is Pass.SWEEP and history.roll_up(conn, now, retention):
            history.apply_retention(conn, now, retention)
        return alert_ids

    async def _publish(
        self,
        verdict: Judged,
        alert_ids: Sequence[int],
        measured: Mapping[int, Measurement],
        now: float,
    ) -> None:
        """Hand the alerts to the webhooks, then push the changes to the dashboards."""
        for payload, alert_id in zip(verdict.payloads, alert_ids, strict=True):
            payload["alert_id"] = alert_id
            self.dispatcher.submit(payload)
        await self._push(verdict.transitions, verdict.infos, measured, verdict.changed_at)

    def _facts(self, site: SiteRow, inv: InventorySnapshot, now: float) -> SiteFacts:
        parents = inv.active_parents.get(site.id, ())
        return SiteFacts(
            site_id=site.id,
            parents=parents,
            planned=site.parent_id is not None and not parents,
            maintenance=in_maintenance(
                site.maintenance_from, site.maintenance_until, inv.recurring.get(site.id, ()), now
            ),
            limits=self.limits_of(site.id, inv),
        )

    def limits_of(self, site_id: int, inv: InventorySnapshot | None = None) -> Limits:
        """The thresholds a site is judged by: its primary active uplink's baseline."""
        uplink = (inv or self.inventory).uplinks.get(site_id)
        if uplink is None:
            return self.config.policy.limits
        return thresholds.baseline(uplink[0], uplink[1], self.config.policy)

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

    def _count(self, results: Sequence[ProbeResult], elapsed: float | None, now: float) -> None:
        """Rounds and packets of every pass; ``elapsed``: a sweep's duration (None otherwise)."""
        c = self.counters
        if elapsed is not None:
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
        infos: Mapping[int, AlertSite],
        measured: Mapping[int, Measurement],
        changed_at: Mapping[int, float],
    ) -> None:
        if self.emitter is None:
            return
        for t in transitions:  # (a flapping site stable again is pushed too: its flag changed)
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
                    "flapping": t.flap in (Phase.STARTED, Phase.HELD),
                    "rtt_ms": m.rtt_ms if m else None,
                    "loss": m.loss if m else None,
                    "method": m.method if m else None,
                    "changed_at": iso(changed_at.get(t.site_id)),
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
        """A listener for the inventory's committed changes: re-read sites, links, targets and
        judge the states again without probing (a link made active shows UNKNOWN, not PLANNED,
        and the counts of ``/api/state`` follow at once, not at the next sweep)."""
        self._judging = self._reloads.spawn(self._reload())

    async def caught_up(self, wait_s: float = 2.0) -> None:
        """Wait (at most ``wait_s``: a sweep may hold the states) until the inventory changes
        notified so far are judged, so that a read right after an edit or import sees them."""
        task = self._judging
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=wait_s)

    async def _reload(self) -> None:
        try:
            await self._pass(Pass.JUDGE)
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

    def live_summary(self) -> LiveSummary:
        counts = {s.value: 0 for s in State}
        for sid in self.inventory.sites:
            status = self.status.get(sid)
            counts[(status.track.shown if status else State.UNKNOWN).value] += 1
        villages = [s for s in self.inventory.sites.values() if s.kind in VILLAGE_KINDS]
        active = sum(1 for s in villages if self.inventory.active_parents.get(s.id))
        return LiveSummary(
            counts=counts,
            total_sites=len(self.inventory.sites),
            rollout=Rollout(
                active_villages=active,
                total_villages=len(villages),
                active=active,
                total=len(villages),
            ),
        )

    def summary(self) -> dict[str, Any]:
        """:meth:`live_summary` as JSON (the ``summary`` push, the metrics)."""
        return as_json(self.live_summary())

    def probing_status(self) -> ProbingStatus:
        prober, swept = self.prober, self.counters.sweeps > 0
        return ProbingStatus(
            running=prober is not None,
            icmp_method=prober.icmp_method if prober else None,
            icmp_error=prober.icmp_error if prober else None,
            last_sweep_at=self.counters.last_sweep_at if swept else None,
            last_sweep_s=round(self.counters.last_sweep_s, 3) if swept else None,
        )

    def _baseline(self, site_id: int) -> SiteBaseline:
        """The thresholds a site is judged by and where they come from (its uplink's medium,
        the link's own values, or the settings for a site without an active uplink)."""
        limits = self.limits_of(site_id)
        uplink = self.inventory.uplinks.get(site_id)
        source: Literal["medium", "link", "settings"] = "settings"
        if uplink is not None:
            own = uplink[1]
            source = "link" if own is not None and not own.empty else "medium"
        return SiteBaseline(
            loss_degraded=limits.loss_degraded,
            rtt_degraded_ms=limits.rtt_degraded_ms,
            medium=uplink[0] if uplink else None,
            source=source,
        )

    def site_id_of(self, code: str) -> int | None:
        """The id of the site with this Kemendagri code, if the inventory has it."""
        for site in self.inventory.sites.values():
            if site.code == code:
                return site.id
        return None

    def site_state_items(self) -> list[SiteState]:
        """Every site's state, in hierarchy order (what ``GET /api/state`` lists)."""
        sites = self.inventory.sites
        out = []
        for sid in order_sites({s.id: s.parent_id for s in sites.values()}):
            site = sites[sid]
            status = self.status.get(sid)
            track = status.track if status else Track(sid)
            out.append(
                SiteState(
                    site_id=sid,
                    id=sid,
                    code=site.code,
                    name=site.name,
                    kind=site.kind,
                    parent_id=site.parent_id,
                    state=track.shown,
                    effective=track.effective,
                    flapping=track.flapping,
                    since=track.since if status else None,
                    rtt_ms=status.rtt_ms if status else None,
                    loss=status.loss if status else None,
                    method=status.method if status else None,
                    measured_at=status.updated_at if status and status.updated_at else None,
                    targets=[TargetRound.of(t) for t in status.targets] if status else [],
                    baseline=self._baseline(sid),
                )
            )
        return out

    def site_states(self) -> list[dict[str, Any]]:
        """:meth:`site_state_items` as JSON."""
        return [as_json(s) for s in self.site_state_items()]


def _nothing() -> Probed:
    return Probed([], {}, {}, {})


def _only(probed: Probed, sites: set[int]) -> Probed:
    return Probed(
        [r for r in probed.results if r.site_id in sites],
        {k: v for k, v in probed.by_site.items() if k in sites},
        {k: v for k, v in probed.observations.items() if k in sites},
        {k: v for k, v in probed.measured.items() if k in sites},
    )


def _insert_alerts(
    conn: Connection,
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
    conn: Connection,
    transitions: Sequence[Transition],
    plans: Sequence[AlertPlan],
    alert_ids: Sequence[int],
    suppressed: Mapping[int, str],
    measured: Mapping[int, Measurement],
    changed_at: Mapping[int, float],
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
                changed_at[t.site_id],
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
            if t.changed  # (a flapping site stable again is an alert, not a change)
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
