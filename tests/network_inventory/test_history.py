"""Roll-ups and retention on a real SQLite file through pendopo.db's writer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from network_inventory import history
from network_inventory.history import HOUR, Retention, Sample, aggregate, roll
from pendopo.db import Connection, Database

T0 = 1_700_000_100 - 1_700_000_100 % HOUR  # an hour boundary


def test_aggregate_min_median_max_loss_availability() -> None:
    samples = [
        Sample(1, T0, 5, 5, 1.0, 2.0, 3.0),
        Sample(1, T0 + 30, 5, 0),
        Sample(1, T0 + 60, 5, 4, 0.5, 4.0, 9.0),
        Sample(1, T0 + 90, 5, 5, 2.0, 3.0, 4.0),
    ]
    r = aggregate(1, T0, samples)
    assert (r.samples, r.answered, r.sent, r.received) == (4, 3, 20, 14)
    assert (r.rtt_min, r.rtt_median, r.rtt_max) == (0.5, 3.0, 9.0)
    assert r.loss == pytest.approx(0.3)
    assert r.availability == pytest.approx(0.75)


def test_aggregate_of_an_outage_has_no_rtt() -> None:
    r = aggregate(1, T0, [Sample(1, T0, 5, 0), Sample(1, T0 + 30, 5, 0)])
    assert (r.rtt_min, r.rtt_median, r.rtt_max, r.loss, r.availability) == (
        None,
        None,
        None,
        1.0,
        0.0,
    )


def test_roll_groups_by_site_and_bucket() -> None:
    samples = [Sample(s, T0 + i * 30, 1, 1, 1.0, 1.0, 1.0) for s in (1, 2) for i in range(20)]
    rolled = roll(samples, 300)
    assert [(r.site_id, r.bucket - T0, r.samples) for r in rolled] == [
        (1, 0, 10),
        (1, 300, 10),
        (2, 0, 10),
        (2, 300, 10),
    ]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "h.sqlite3")
    database.open([history.COMPONENT])
    try:
        yield database
    finally:
        database.close()


async def test_roll_up_only_complete_buckets_once(db: Database) -> None:
    samples = [Sample(1, T0 + i * 30, 5, 5, 1.0, float(i), 9.0) for i in range(25)]  # 12.5 min
    await db.write(lambda c: history.insert_samples(c, samples))
    now = T0 + 25 * 30
    written = await db.write(lambda c: history.roll_up(c, now))
    assert written == 2  # two complete 5-minute buckets, no complete hour
    again = await db.write(lambda c: history.roll_up(c, now + 10))
    assert again == 0
    rows = await db.fetchall("SELECT level, bucket, samples, rtt_median FROM probe_rollups")
    assert [tuple(r) for r in rows] == [(300, T0, 10, 4.5), (300, T0 + 300, 10, 14.5)]
    # an hour later the hour and the remaining 5-minute buckets appear
    written = await db.write(lambda c: history.roll_up(c, T0 + HOUR + 5))
    hourly = await db.fetchall("SELECT bucket, samples FROM probe_rollups WHERE level = 3600")
    assert [tuple(r) for r in hourly] == [(T0, 25)]


async def test_retention_keeps_each_level_for_its_time(db: Database) -> None:
    keep = Retention(raw_s=100, five_min_s=1000, hourly_s=10_000, events_s=10_000)
    now = T0 + 20_000

    def fill(c: Connection) -> None:
        history.insert_samples(c, [Sample(1, now - 50, 1, 1), Sample(1, now - 150, 1, 1)])
        c.executemany(
            "INSERT INTO probe_rollups (level, site_id, bucket, samples, answered, sent, received)"
            " VALUES (?, 1, ?, 1, 1, 1, 1)",
            [(300, now - 500), (300, now - 1500), (3600, now - 5000), (3600, now - 15_000)],
        )

    await db.write(fill)
    deleted = await db.write(lambda c: history.apply_retention(c, now, keep))
    assert deleted == 3
    raw = await db.fetchall("SELECT at FROM probe_samples")
    assert [r[0] for r in raw] == [now - 50]
    left = await db.fetchall("SELECT level, bucket FROM probe_rollups ORDER BY level")
    assert [tuple(r) for r in left] == [(300, now - 500), (3600, now - 5000)]


async def test_site_history_reaches_the_present(db: Database) -> None:
    samples = [Sample(7, T0 + i * 30, 5, 5, 1.0, 2.0, 3.0) for i in range(30)]
    await db.write(lambda c: history.insert_samples(c, samples))
    now = T0 + 30 * 30
    await db.write(lambda c: history.roll_up(c, now))
    data = await db.read(lambda c: history.site_history(c, 7, "24h", now))
    assert data["step"] == 300
    assert [p["samples"] for p in data["points"]] == [10, 10, 10]  # 2 rolled + 1 from raw
    assert data["points"][0]["t"] == T0
    assert data["points"][0]["availability"] == 1.0


def test_round_spread_tells_jitter_from_a_spike() -> None:
    """A steady link with one spike: wide envelope, thin typical round; a jittery one: wide."""
    steady = [Sample(1, T0 + i * 30, 5, 5, 2.0, 2.1, 900.0 if i == 3 else 2.3) for i in range(10)]
    jittery = [Sample(1, T0 + i * 30, 5, 5, 560.0, 640.0, 900.0) for i in range(10)]
    s, j = aggregate(1, T0, steady), aggregate(1, T0, jittery)
    assert (s.rtt_min, s.rtt_max, s.round_min, s.round_max) == (2.0, 900.0, 2.0, 2.3)
    assert (j.round_min, j.round_max) == (560.0, 900.0)
    assert s.public()["round_max"] == 2.3


async def test_history_serves_the_round_spread(db: Database) -> None:
    samples = [Sample(1, T0 + i * 30, 5, 5, 10.0 + i, 20.0, 30.0 + i) for i in range(20)]
    await db.write(lambda c: history.insert_samples(c, samples))
    await db.write(lambda c: history.roll_up(c, T0 + 300))  # the second bucket: raw only
    data = await db.read(lambda c: history.site_history(c, 1, "24h", T0 + 610))
    first, second = data["points"]
    assert (first["round_min"], first["round_max"]) == (14.5, 34.5)  # rolled up
    assert (second["round_min"], second["round_max"]) == (24.5, 44.5)  # from the raw samples
