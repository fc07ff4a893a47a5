"""Flapping survives a restart: the tables of ``test_state.py`` with the server restarted in the
middle (every track saved to the database and read back, as ``LiveService`` does at start)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.keys import LIVE
from network_inventory import flapping_store, history
from network_inventory.flapping import Flap, Rule
from network_inventory.state import Track
from pendopo.db import Database
from tests.conftest import make_settings, start_server
from tests.network_inventory.test_state import (
    FAIL,
    OK,
    Round,
    _down,
    _flapping,
    _quiet,
    _up,
    step_alerting,
)


async def _alerts_with_restarts(
    db: Database, rounds: list[Round], restarts: set[float]
) -> list[str]:
    """One site's rounds through the state machine and the alert plan; before each round whose
    time is in ``restarts`` the tracks go through the database (what a restart keeps)."""
    tracks: dict[int, Track] = {}
    alerts: list[str] = []
    for rnd in rounds:
        if rnd[0] in restarts:
            statuses = [history.SiteStatus(t, updated_at=rnd[0]) for t in tracks.values()]
            await db.write(lambda conn, s=statuses: history.save_status(conn, s))
            tracks = {k: v.track for k, v in (await db.read(history.load_status)).items()}
        tracks, told = step_alerting(tracks, rnd)
        alerts += told
    return alerts


RESTART_CASES = {
    "restarted while it flaps: its later changes stay held": (
        [(0.0, OK), *_flapping(10), *_quiet(440, 700)],
        {200.0},
        ["down", "up", "down/started", "up/ended"],
    ),
    "restarted twice while it flaps": (
        [(0.0, OK), *_flapping(10), *_quiet(440, 700)],
        {161.0, 321.0},
        ["down", "up", "down/started", "up/ended"],
    ),
    "restarted after two changes: the third still makes it flapping": (
        [(0.0, OK), *_flapping(3), *_quiet(160, 400)],
        {70.0},  # after the first outage and recovery
        ["down", "up", "down/started", "up/ended"],
    ),
    "restarted while flapping, then down for good: the end says it is still down": (
        [(0.0, OK), *_flapping(4), *_down(200), *_quiet(210, 400, FAIL)],
        {180.0},
        ["down", "up", "down/started", "down/ended"],
    ),
    "restarted after it settled: a new outage is told at once": (
        [(0.0, OK), *_flapping(3), *_quiet(160, 400), *_down(400), *_up(420), *_quiet(430, 500)],
        {390.0},
        ["down", "up", "down/started", "up/ended", "down", "up"],
    ),
    "one outage, restarted during it": (
        [(0.0, OK), *_down(10), *_quiet(20, 60, FAIL), *_up(60), *_quiet(70, 200)],
        {30.0},
        ["down", "up"],
    ),
}


@pytest.mark.parametrize(
    ("rounds", "restarts", "alerts"), RESTART_CASES.values(), ids=RESTART_CASES.keys()
)
async def test_a_restart_keeps_flapping(
    db: Database, rounds: list[Round], restarts: set[float], alerts: list[str]
) -> None:
    assert await _alerts_with_restarts(db, rounds, restarts) == alerts


@pytest.mark.parametrize(
    ("flap", "stored"),
    [
        (Flap(), None),  # nothing recent: no row
        (Flap((100.0,)), Flap((100.0,))),
        (Flap((100.0, 120.5, 141.25), True), Flap((100.0, 120.5, 141.25), True)),
    ],
)
async def test_a_sites_flapping_is_stored_as_it_is(
    db: Database, flap: Flap, stored: Flap | None
) -> None:
    await db.write(lambda conn: flapping_store.save(conn, [(7, Flap((1.0,), True))]))
    await db.write(lambda conn: flapping_store.save(conn, [(7, flap)]))
    assert (await db.read(flapping_store.load)).get(7) == stored


async def test_the_flap_rule_comes_from_the_settings(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, probe_flap_window=60.0, probe_flap_changes=4, probe_flap_hold=90.0
    )
    runner, server = await start_server(settings)
    try:
        assert server.app[LIVE].config.policy.flap_rule == Rule(60.0, 4, 90.0)
    finally:
        await runner.cleanup()
