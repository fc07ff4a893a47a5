"""Fast detection: checks between sweeps and confirmation rounds; thresholds by medium; a
change dated by the round that measured it (flapping: ``test_state.py``).

The live tests cut real TCP listeners on loopback (no root needed); the namespace version with
ICMP and iptables is ``test_netns_detect.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence

import pytest

from network_inventory.alerts import Backoff, WebhookDispatcher
from network_inventory.live import LiveConfig, LiveService, Pass
from network_inventory.model import Medium, ProbeTarget
from network_inventory.probing import ProbeResult, SweepPlan
from network_inventory.state import (
    Health,
    Limits,
    Observation,
    Policy,
    SiteFacts,
    State,
    evaluate,
    step_health,
)
from network_inventory.thresholds import Override, baseline
from pendopo.db import Database
from tests.network_inventory.live_helpers import (
    Hook,
    add_site,
    add_target,
    serving_hook,
    wait_for,
)
from tests.network_inventory.test_live import Listener

POLICY = Policy(flap_window_s=900, flap_hold_s=120)
OK = Observation(10, 10, 20.0)
FAIL = Observation(10, 0, None)
VSAT_SLOW = Observation(10, 10, 600.0)


@pytest.mark.parametrize(
    ("medium", "expected"),
    [
        (Medium.VSAT, State.UP),
        (Medium.FIBER, State.DEGRADED),
        (Medium.WIRELESS, State.DEGRADED),
        (Medium.OTHER, State.DEGRADED),  # the settings' 500 ms
    ],
)
def test_600_ms_is_up_over_vsat_and_degraded_over_fibre(medium: Medium, expected: State) -> None:
    limits = baseline(medium, None, POLICY)
    health = Health()
    for _ in range(3):
        health = step_health(health, VSAT_SLOW, POLICY, limits)
    assert health.state is expected


def test_a_link_override_wins_over_its_medium() -> None:
    assert baseline(Medium.VSAT, Override(rtt_degraded_ms=400.0), POLICY) == Limits(0.2, 400.0)
    assert baseline(Medium.VSAT, Override(loss_degraded=0.5), POLICY) == Limits(0.5, 1500.0)


def test_a_change_dates_from_the_round_that_made_it() -> None:
    facts = [SiteFacts(1, (), planned=False, maintenance=False)]
    tracks = evaluate(facts, {}, {1: Observation(5, 5, 1.0, at=1017.5)}, Policy(), now=1000.0)
    assert tracks[1].since == 1017.5
    tracks = evaluate(facts, tracks, {}, Policy(), now=1030.0)
    assert tracks[1].since == 1017.5


@pytest.fixture
async def hook(db: Database) -> AsyncIterator[Hook]:
    async with serving_hook(db) as receiver:
        yield receiver


async def test_a_cut_shows_in_seconds_though_the_interval_is_a_minute(
    db: Database, hook: Hook
) -> None:
    """Sweeps every 60 s, checks every 0.5 s: the cut kecamatan is DOWN and its villages
    UNREACHABLE (one alert) within seconds, and UP again within seconds of the restore."""
    config = LiveConfig(
        interval_s=60.0,
        spread_fraction=0.25,  # the first sweep's starts over 15 s: checks run beside it
        check_interval_s=0.5,
        confirm_gap_s=0.3,
        confirm_echo_gap_s=0.05,
    )
    live = LiveService(db, config, dispatcher=WebhookDispatcher(db, backoff=Backoff(base_s=0.1)))
    office = await add_site(db, "D.0", "Kantor", "other", None)
    kec = await add_site(db, "D.1", "Kecamatan", "kecamatan", office)
    villages = [await add_site(db, f"D.1.{i}", f"Desa {i}", "desa", kec) for i in (1, 2)]
    listeners = {site: Listener() for site in (kec, *villages)}
    for site, listener in listeners.items():
        await listener.open()
        await add_target(db, site, "tcp", "127.0.0.1", port=listener.port, timeout_s=0.5)
    await live.start()
    try:
        await wait_for(lambda: live.state_of(kec) == "up" and live.state_of(villages[1]) == "up")
        cut = time.monotonic()
        for listener in listeners.values():
            await listener.close()
        await wait_for(lambda: live.state_of(kec) == "down", deadline=30)
        shown_down = time.monotonic() - cut
        assert [live.state_of(v) for v in villages] == ["unreachable"] * 2
        await wait_for(lambda: len(hook.bodies) == 1)
        assert hook.bodies[0]["kind"] == "down" and hook.bodies[0]["affected_count"] == 2

        restored = time.monotonic()
        for listener in listeners.values():
            await listener.open()
        await wait_for(lambda: live.state_of(kec) == "up", deadline=30)
        shown_up = time.monotonic() - restored
        await wait_for(lambda: len(hook.bodies) == 2)
        assert hook.bodies[1]["kind"] == "up"
        # generous bounds (a loaded machine); the interval alone would take 60-180 s
        assert shown_down < 20, shown_down
        assert shown_up < 20, shown_up
        rows = await db.fetchall("SELECT count(*) FROM probe_samples WHERE site_id = ?", (kec,))
        assert rows[0][0] <= live.counters.sweeps  # checks and confirmations are not samples
        await asyncio.sleep(1.0)
        assert len(hook.bodies) == 2
    finally:
        await live.stop()
        for listener in listeners.values():
            await listener.close()


async def test_a_sites_change_is_dated_by_its_own_round_not_the_sweeps_start(
    db: Database,
) -> None:
    """Starts are spread over the sweep: the last site is probed ~2 s after the sweep began,
    and that is when it changed (the dashboard showed the sweep's start, ~17 s early)."""
    config = LiveConfig(interval_s=4.0, spread_fraction=0.75, check_interval_s=0)
    live = LiveService(db, config)
    office = await add_site(db, "E.0", "Kantor", "other", None)
    first = await add_site(db, "E.1", "Kecamatan", "kecamatan", office)
    last = await add_site(db, "E.1.1", "Desa", "desa", first)
    for site in (office, first, last):
        await add_target(db, site, "icmp", "127.0.0.1", count=1)
    began = time.time()
    try:
        await live.sweep_once()
        since = {s["site_id"]: s["since"] for s in live.site_states()}
        rows = await db.fetchall("SELECT site_id, at FROM inventory_events ORDER BY id")
    finally:
        await live.stop()
    at = {r[0]: r[1] for r in rows}
    assert at[last] - began >= 1.5, (at, began)
    assert at[office] - began < 1.0
    assert since[last] is not None and since[last] != since[office]


class ScriptedProber:
    """A prober without a network: each quality round loses the next share of ``losses`` (and,
    when ``gated``, waits for the test to let it through: ``release``); every other round
    answers all its echoes. ``rounds`` says what was asked."""

    def __init__(self, quality_count: int, losses: Sequence[float], gated: bool = False) -> None:
        self.quality_count = quality_count
        self.losses = list(losses)
        self.quality_rounds = 0
        self.release: asyncio.Queue[None] | None = asyncio.Queue() if gated else None
        self.rounds: list[str] = []

    async def sweep(self, due: Sequence[ProbeTarget], plan: SweepPlan) -> list[ProbeResult]:
        loss = 0.0
        quality = any(t.count == self.quality_count for t in due)
        if quality:
            if self.release is not None:
                await self.release.get()
            loss = self.losses[self.quality_rounds]
            self.quality_rounds += 1
        self.rounds.append("quality" if quality else f"{due[0].count} echoes" if due else "none")
        at = time.time()
        out = []
        for t in due:
            received = round(t.count * (1 - loss))
            rtts = (20.0,) * received
            result = ProbeResult(t.id, t.site_id, "icmp", "icmp", t.count, received, rtts, at=at)
            out.append(result)
        return out

    async def close(self) -> None:
        return None


async def test_a_degradation_being_weighed_is_not_undone_by_rounds_beside_it(db: Database) -> None:
    """30 % loss (bench/detect.py): a quality confirmation counts three degraded rounds in a
    row. A sweep's clean five-echo round between them, or a second confirmation of the same
    site started by a check meanwhile, used to wipe the rounds counted so far: the site stayed
    UP and waited for the next trigger (DEGRADED after 17 s median, 30-41 s at times). Now the
    rounds beside a confirmation tell only whether the site answers."""
    config = LiveConfig(interval_s=0.01, check_interval_s=0, quality_gap_s=0.0)
    live = LiveService(db, config)
    prober = ScriptedProber(config.quality_count, [0.3] * 3, gated=True)
    live.prober = prober  # type: ignore[assignment]
    site = await add_site(db, "G.0", "Kantor", "other", None)
    await add_target(db, site, "icmp", "10.0.0.1", count=5)

    def degraded_rounds() -> int:
        return live.status[site].track.health.degraded

    try:
        await live.sweep_once()
        assert live.state_of(site) == "up"
        weighing = asyncio.create_task(live.confirm(Pass.QUALITY, {site}))
        assert prober.release is not None
        prober.release.put_nowait(None)
        await wait_for(lambda: degraded_rounds() == 1)
        await live.sweep_once()  # a clean round of the sweep, in the middle of the confirmation
        assert prober.rounds[-1] == "5 echoes" and degraded_rounds() == 1
        # a check's suspicion meanwhile: left to the confirmation under way
        assert await asyncio.wait_for(live.confirm(Pass.QUALITY, {site}), 5) == []
        assert degraded_rounds() == 1
        prober.release.put_nowait(None)
        prober.release.put_nowait(None)
        changes = await asyncio.wait_for(weighing, 10)
        assert [c.state for c in changes] == [State.DEGRADED]
        assert live.state_of(site) == "degraded"
        assert prober.rounds.count("quality") == 3
    finally:
        await live.stop()


D, C = 0.3, 0.1  # a degraded and a clean quality round (20 % is the threshold)
MIXED_CASES = {
    "three degraded rounds": ([D, D, D], "degraded", 3),
    "a clean round first: nothing to weigh again": ([C], "up", 1),
    "one clean round among degraded ones: weighed once more": ([D, C, D, D, D], "degraded", 5),
    "a clean round after two degraded ones: weighed once more": ([D, D, C, D, D, D], "degraded", 6),
    "mixed twice: it stays UP (once more only)": ([D, C, D, C], "up", 4),
}


@pytest.mark.parametrize(
    ("losses", "state", "rounds"), MIXED_CASES.values(), ids=MIXED_CASES.keys()
)
async def test_a_quality_confirmation_with_mixed_rounds_weighs_once_more(
    db: Database, losses: list[float], state: str, rounds: int
) -> None:
    config = LiveConfig(interval_s=0.01, check_interval_s=0, quality_gap_s=0.0)
    live = LiveService(db, config)
    prober = ScriptedProber(config.quality_count, losses)
    live.prober = prober  # type: ignore[assignment]
    site = await add_site(db, "M.0", "Kantor", "other", None)
    await add_target(db, site, "icmp", "10.0.0.1", count=5)
    try:
        await live.sweep_once()
        await live.confirm(Pass.QUALITY, {site})
        assert (live.state_of(site), prober.quality_rounds) == (state, rounds)
    finally:
        await live.stop()
