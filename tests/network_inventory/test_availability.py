"""The monthly availability report: tables of synthetic state changes, then the SQL reader."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from network_inventory import history
from network_inventory.availability import (
    Figures,
    InvalidMonth,
    Measured,
    Month,
    ReportSite,
    Timeline,
    build,
    load,
    parse_month,
    site_figures,
)
from network_inventory.state import State
from pendopo.db import Database
from pendopo.schema import components

NOV = Month(2026, 11)
S, E = NOV.start, NOV.end  # 2026-10-31 17:00 UTC .. 2026-11-30 17:00 UTC
H = 3600.0
UP, DOWN, MAINT = State.UP, State.DOWN, State.MAINTENANCE


def test_month_is_wib() -> None:
    assert S == 1_793_466_000  # 2026-11-01 00:00 +07:00
    assert E - S == 30 * 86400
    assert Month(2026, 12).end - Month(2026, 12).start == 31 * 86400


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-13", "YYYY-MM"),
        ("2026-1", "YYYY-MM"),
        ("November", "YYYY-MM"),
        ("2026-00", "YYYY-MM"),
        ("2026-11\n", "YYYY-MM"),
        ("2027-01", "has not begun"),
    ],
)
def test_bad_months_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidMonth, match=message):
        parse_month(text, now=S + 5 * 86400)


def test_default_month_is_the_current_one_in_wib() -> None:
    # 2026-11-30 18:00 UTC is already 1 December in Jakarta
    assert str(parse_month(None, now=E + H)) == "2026-12"
    assert str(parse_month("2026-11", now=E + H)) == "2026-11"


# (initial state, [(hours after start, state), ...], expected:
#  counted h, down h, maintenance h, outages as (down h, ongoing))
CASES = {
    "steady up": (UP, [], 720, 0, 0, []),
    "two outages": (UP, [(10, DOWN), (12, UP), (100, DOWN), (101, UP)], 720, 3, 0,
                    [(2, False), (1, False)]),
    "outage from the month before": (DOWN, [(5, UP)], 720, 5, 0, [(5, False)]),
    "outage into the next month": (UP, [(715, DOWN)], 720, 5, 0, [(5, True)]),
    "maintenance inside an outage": (
        UP, [(10, DOWN), (11, MAINT), (14, DOWN), (15, UP)], 717, 2, 3, [(2, False)]),
    "outage ends in maintenance": (UP, [(10, DOWN), (11, MAINT), (14, UP)], 717, 1, 3,
                                   [(1, False)]),
    "planned until mid-month": (
        State.PLANNED, [(360, State.UNKNOWN), (361, UP), (400, DOWN), (404, UP)], 359, 4, 0,
        [(4, False)]),
    "unreachable behind its parent": (
        UP, [(10, State.UNREACHABLE), (12, UP)], 718, 0, 0, []),
    "degraded is available": (UP, [(10, State.DEGRADED), (20, UP)], 720, 0, 0, []),
    "planned all month": (State.PLANNED, [], 0, 0, 0, []),
}  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_site_figures(name: str) -> None:
    initial, changes, counted, down, maintenance, outages = CASES[name]
    f = site_figures(initial, [(S + h * H, st) for h, st in changes], S, E)
    assert f.counted_s == counted * H
    assert f.down_s == down * H
    assert f.maintenance_s == maintenance * H
    assert [(o.down_s / H, o.ongoing) for o in f.outages] == outages


def test_changes_outside_the_period_are_ignored() -> None:
    f = site_figures(UP, [(S - H, DOWN), (S + H, DOWN), (E + H, UP)], S, E)
    assert f.down_s == 719 * H and f.outages[0].ongoing


def test_figures_add_up() -> None:
    a = site_figures(UP, [(S + 10 * H, DOWN), (S + 14 * H, UP)], S, E)
    b = site_figures(UP, [(S + 10 * H, DOWN), (S + 12 * H, UP)], S, E)
    both = Figures.total([a, b])
    assert both.availability == pytest.approx(1 - 6 / 1440)
    assert both.longest_s == 4 * H
    assert both.mttr_s == 3 * H
    assert Figures().availability is None and Figures().mttr_s is None


SITES = [
    ReportSite(1, "33.14", "Kantor Bupati Sragen", "kabupaten", None, None, None),
    ReportSite(2, "33.14.01", "Kalijambe", "kecamatan", 1, "Telkom", "fiber"),
    ReportSite(3, "33.14.01.2001", "Desa A", "desa", 2, "Sat Co", "vsat"),
    ReportSite(4, "33.14.01.2002", "Desa B", "desa", 2, "Sat Co", "vsat"),
    ReportSite(5, "33.14.01.2003", "Desa C", "desa", 2, None, "other"),  # planned all month
]


def test_build_groups_by_kecamatan_provider_and_medium() -> None:
    timelines = {
        1: Timeline(UP),
        2: Timeline(UP, ((S + 10 * H, DOWN), (S + 11 * H, UP))),
        3: Timeline(UP, ((S + 10 * H, State.UNREACHABLE), (S + 11 * H, UP),
                         (S + 50 * H, DOWN), (S + 56 * H, UP))),
        4: Timeline(UP),
        5: Timeline(State.PLANNED),
    }  # fmt: skip
    measured = {
        3: Measured([600.0, 640.0, 700.0], 300, 285),
        4: Measured([580.0], 100, 100),
        2: Measured([5.0, 6.0], 100, 100),
    }
    report = build(NOV, E + 1, SITES, timelines, measured)
    assert report["complete"] and report["regency"] == "Kantor Bupati Sragen"
    assert [r["site_id"] for r in report["sites"]] == [1, 2, 3, 4]  # Desa C: never in service
    desa_a = next(r for r in report["sites"] if r["site_id"] == 3)
    assert desa_a["kecamatan"] == "Kalijambe"
    assert desa_a["availability"] == pytest.approx(1 - 6 / 719, abs=1e-6)
    assert (desa_a["outages"], desa_a["longest_outage_s"], desa_a["mttr_s"]) == (1, 21600, 21600)
    assert desa_a["rtt_median_ms"] == 640.0 and desa_a["loss"] == pytest.approx(0.05)
    (kec,) = report["kecamatan"]
    assert (kec["name"], kec["sites"], kec["outages"]) == ("Kalijambe", 3, 2)
    assert kec["down_s"] == 7 * H
    assert kec["availability"] == pytest.approx(1 - 7 / (720 + 719 + 720), abs=1e-6)
    assert kec["mttr_s"] == 3.5 * H and kec["longest_outage_s"] == 6 * H
    assert kec["rtt_median_ms"] == 590.0  # median of 5, 6, 580, 600, 640, 700
    providers = {r["provider"]: r for r in report["providers"]}
    assert set(providers) == {"Telkom", "Sat Co", None}
    assert providers["Sat Co"]["sites"] == 2 and providers["Sat Co"]["outages"] == 1
    assert [r["medium"] for r in report["media"]] == ["fiber", "vsat", None]
    assert report["total"]["sites"] == 4 and report["total"]["outages"] == 2


def test_month_in_progress_ends_now() -> None:
    now = S + 100 * H
    report = build(NOV, now, SITES[:2], {2: Timeline(UP, ((S + 90 * H, DOWN),))}, {})
    assert not report["complete"]
    (row,) = report["sites"]
    assert row["counted_s"] == 100 * H and row["down_s"] == 10 * H


async def test_load_reads_events_state_links_and_rollups(
    new_database: Callable[[str], Database],
) -> None:
    db = new_database("r.sqlite3")
    db.open(components())
    try:

        def setup(conn):  # type: ignore[no-untyped-def]
            for sid, code, name, kind, parent in [
                (1, "33.14", "Kantor Bupati Sragen", "kabupaten", None),
                (2, "33.14.01", "Kalijambe", "kecamatan", 1),
                (3, "33.14.01.2001", "Desa A", "desa", 2),
                (4, "33.14.01.2002", "Desa B", "desa", 2),
                (5, "33.14.01.2003", "Desa C", "desa", 2),
            ]:
                conn.execute(
                    "INSERT INTO sites (id, code, name, kind, parent_id, created_at, updated_at,"
                    " name_key) VALUES (?, ?, ?, ?, ?, 0, 0, ?)",
                    (sid, code, name, kind, parent, name.lower()),
                )
            conn.execute(
                "INSERT INTO links (site_id, parent_site_id, medium, provider, status, priority,"
                " created_at, updated_at) VALUES (3, 2, 'vsat', 'Sat Co', 'active', 0, 0, 0),"
                " (3, 2, 'cellular', 'Backup', 'active', 1, 0, 0)"
            )
            events = [
                (S - 86400, 3, "unknown", "up"),  # before the month: its state at the start
                (S + 10 * H, 3, "up", "down"),
                (S + 11 * H, 3, "down", "maintenance"),
                (S + 13 * H, 3, "maintenance", "down"),
                (S + 14 * H, 3, "down", "up"),
                (S + 360 * H, 4, "planned", "up"),  # planned until mid-month
                (E + H, 3, "up", "down"),  # next month
                (E + 2 * H, 5, "up", "down"),  # its only change: after the month
            ]
            conn.executemany(
                "INSERT INTO inventory_events (at, site_id, previous, state) VALUES (?, ?, ?, ?)",
                events,
            )
            conn.execute(
                "INSERT INTO inventory_site_state (site_id, shown, effective, since, health,"
                " updated_at) VALUES (2, 'up', 'up', ?, 'up', 0)",
                (S - 86400,),
            )
            history.insert_samples(
                conn,
                [history.Sample(3, int(S) + i * 30, 5, 4, 550.0, 600.0 + i, 900.0)
                 for i in range(240)],
            )  # fmt: skip
            history.roll_up(conn, S + H + 60)

        await db.write(setup)
        report = await db.read(lambda c: load(c, NOV, E + 10))
    finally:
        db.close()
    rows = {r["site_id"]: r for r in report["sites"]}
    assert set(rows) == {2, 3, 4, 5}
    a = rows[3]
    assert (a["provider"], a["medium"]) == ("Sat Co", "vsat")
    assert (a["outages"], a["down_s"], a["maintenance_s"]) == (1, 2 * H, 2 * H)
    assert a["counted_s"] == 718 * H
    assert a["loss"] == pytest.approx(0.2)
    assert a["rtt_median_ms"] is not None and 600 <= a["rtt_median_ms"] <= 840
    assert rows[4]["counted_s"] == 360 * H and rows[4]["availability"] == 1.0
    assert rows[2]["availability"] == 1.0
    assert rows[5]["counted_s"] == 720 * H and rows[5]["outages"] == 0
