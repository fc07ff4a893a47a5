"""What the prober measured, kept small: raw samples, 5-minute and hourly roll-ups, retention.

One raw sample per site per sweep (all the site's targets pooled). Roll-ups are computed from the
raw samples once their bucket is complete: min / median / max RTT (the median is the median of
the samples' medians), the typical round's spread (``round_min`` / ``round_max``: the medians of
the rounds' own min and max — the chart's "smoke": wide for a jittery VSAT link, thin for a
steady fibre one), loss (1 - received / sent) and availability (answered samples / samples).
Retention (``Retention``) deletes what is older than each level keeps; ``docs/probing.md`` gives
the size after a year (``bench/history_size.py`` measures it).

Tables (component ``inventory_history``; no foreign keys to the inventory's tables, so a site
deleted during a sweep never fails the sweep's write — readers join and drop orphans):
``probe_samples``, ``probe_rollups``, ``history_watermarks``, ``inventory_site_state``,
``inventory_events``, ``inventory_alerts``, ``inventory_webhooks``.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ConfigDict

from network_inventory import flapping_store
from network_inventory.flapping import Flap
from network_inventory.state import Health, State, Track
from pendopo.db import Component, Connection, upsert
from pendopo.declared import as_json

FIVE_MINUTES = 300
HOUR = 3600
DAY = 86400

_V1 = """
CREATE TABLE probe_samples (
    site_id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    sent INTEGER NOT NULL,
    received INTEGER NOT NULL,
    rtt_min REAL,
    rtt_median REAL,
    rtt_max REAL,
    PRIMARY KEY (site_id, at)
) WITHOUT ROWID;
CREATE INDEX probe_samples_at ON probe_samples (at);

CREATE TABLE probe_rollups (
    level INTEGER NOT NULL,
    site_id INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    samples INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    sent INTEGER NOT NULL,
    received INTEGER NOT NULL,
    rtt_min REAL,
    rtt_median REAL,
    rtt_max REAL,
    PRIMARY KEY (level, site_id, bucket)
) WITHOUT ROWID;

CREATE TABLE history_watermarks (
    level INTEGER PRIMARY KEY,
    done_until INTEGER NOT NULL
);

CREATE TABLE inventory_site_state (
    site_id INTEGER PRIMARY KEY,
    shown TEXT NOT NULL,
    effective TEXT NOT NULL,
    since REAL NOT NULL,
    health TEXT NOT NULL,
    failed INTEGER NOT NULL DEFAULT 0,
    answered INTEGER NOT NULL DEFAULT 0,
    degraded INTEGER NOT NULL DEFAULT 0,
    clean INTEGER NOT NULL DEFAULT 0,
    rtt_ms REAL,
    loss REAL,
    method TEXT,
    targets TEXT NOT NULL DEFAULT '[]',
    updated_at REAL NOT NULL
);

CREATE TABLE inventory_alerts (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    site_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX inventory_alerts_at ON inventory_alerts (at);

CREATE TABLE inventory_events (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    site_id INTEGER NOT NULL,
    previous TEXT NOT NULL,
    state TEXT NOT NULL,
    rtt_ms REAL,
    loss REAL,
    method TEXT,
    alert_id INTEGER REFERENCES inventory_alerts (id) ON DELETE SET NULL,
    suppressed TEXT
);
CREATE INDEX inventory_events_site ON inventory_events (site_id, at);
CREATE INDEX inventory_events_at ON inventory_events (at);

CREATE TABLE inventory_webhooks (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    last_attempt_at REAL,
    last_status INTEGER,
    last_error TEXT,
    delivered INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0
);
"""

_V2 = """
ALTER TABLE probe_rollups ADD COLUMN round_min REAL;
ALTER TABLE probe_rollups ADD COLUMN round_max REAL;
"""

COMPONENT = Component("inventory_history", [_V1, _V2])


@dataclass(frozen=True)
class Retention:
    raw_s: int = 2 * DAY
    five_min_s: int = 14 * DAY
    hourly_s: int = 400 * DAY
    events_s: int = 400 * DAY


@dataclass(frozen=True)
class Sample:
    site_id: int
    at: int
    sent: int
    received: int
    rtt_min: float | None = None
    rtt_median: float | None = None
    rtt_max: float | None = None


@dataclass(frozen=True)
class Rollup:
    site_id: int
    bucket: int
    samples: int
    answered: int
    sent: int
    received: int
    rtt_min: float | None
    rtt_median: float | None
    rtt_max: float | None
    round_min: float | None = None
    """Median of the rounds' minimum RTT (a round: one sample, all its echoes)."""
    round_max: float | None = None
    """Median of the rounds' maximum RTT."""

    @property
    def loss(self) -> float | None:
        return 1.0 - self.received / self.sent if self.sent else None

    @property
    def availability(self) -> float | None:
        return self.answered / self.samples if self.samples else None

    def point(self) -> HistoryPoint:
        return HistoryPoint(
            t=self.bucket,
            samples=self.samples,
            availability=_r(self.availability),
            loss=_r(self.loss),
            rtt_min=_r(self.rtt_min),
            rtt_median=_r(self.rtt_median),
            rtt_max=_r(self.rtt_max),
            round_min=_r(self.round_min),
            round_max=_r(self.round_max),
        )

    def public(self) -> dict[str, Any]:
        return as_json(self.point())


_ANSWER = ConfigDict(use_attribute_docstrings=True)


@dataclass(frozen=True, kw_only=True)
class HistoryPoint:
    """One bucket of a site's history (``step`` seconds). Declared once: its fields are the
    JSON answer and its OpenAPI schema."""

    __pydantic_config__ = _ANSWER

    t: int
    """the bucket's start (Unix seconds)"""
    samples: int
    availability: float | None
    """0..1: the share of samples with an answer"""
    loss: float | None
    """0..1"""
    rtt_min: float | None
    """ms"""
    rtt_median: float | None
    """ms"""
    rtt_max: float | None
    """ms"""
    round_min: float | None
    """ms: the typical probe round's spread (null before migration 2)"""
    round_max: float | None
    """ms"""


@dataclass(frozen=True, kw_only=True)
class SiteHistory:
    """A site's round trips and loss over a range, oldest bucket first."""

    __pydantic_config__ = _ANSWER

    site_id: int
    range: str
    """24h (5-minute buckets), 7d or 30d (hourly)"""
    start: int
    end: int
    step: int
    """seconds per bucket"""
    points: list[HistoryPoint]


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def aggregate(site_id: int, bucket: int, samples: Sequence[Sample]) -> Rollup:
    """One roll-up of ``samples`` (all of ``site_id``, all inside the bucket)."""
    mins = [s.rtt_min for s in samples if s.rtt_min is not None]
    medians = [s.rtt_median for s in samples if s.rtt_median is not None]
    maxes = [s.rtt_max for s in samples if s.rtt_max is not None]
    return Rollup(
        site_id=site_id,
        bucket=bucket,
        samples=len(samples),
        answered=sum(1 for s in samples if s.received > 0),
        sent=sum(s.sent for s in samples),
        received=sum(s.received for s in samples),
        rtt_min=min(mins) if mins else None,
        rtt_median=statistics.median(medians) if medians else None,
        rtt_max=max(maxes) if maxes else None,
        round_min=statistics.median(mins) if mins else None,
        round_max=statistics.median(maxes) if maxes else None,
    )


def roll(samples: Iterable[Sample], level: int) -> list[Rollup]:
    """Roll-ups of ``level`` seconds of ``samples``, one per (site, bucket)."""
    groups: dict[tuple[int, int], list[Sample]] = {}
    for s in samples:
        groups.setdefault((s.site_id, s.at - s.at % level), []).append(s)
    return [aggregate(site, bucket, group) for (site, bucket), group in sorted(groups.items())]


# -- writes (run on the database's writer thread) ---------------------------------------------
_SAMPLE = upsert(
    "probe_samples",
    ("site_id", "at", "sent", "received", "rtt_min", "rtt_median", "rtt_max"),
    key=("site_id", "at"),
)
# fmt: off
_ROLLUP = upsert(
    "probe_rollups",
    (
        "level", "site_id", "bucket", "samples", "answered", "sent", "received",
        "rtt_min", "rtt_median", "rtt_max", "round_min", "round_max",
    ),
    key=("level", "site_id", "bucket"),
)
_SITE_STATE = upsert(
    "inventory_site_state",
    (
        "site_id", "shown", "effective", "since", "health", "failed", "answered", "degraded",
        "clean", "rtt_ms", "loss", "method", "targets", "updated_at",
    ),
    key=("site_id",),
)
# fmt: on


def insert_samples(conn: Connection, samples: Iterable[Sample]) -> None:
    conn.executemany(
        _SAMPLE,
        [
            (s.site_id, s.at, s.sent, s.received, s.rtt_min, s.rtt_median, s.rtt_max)
            for s in samples
        ],
    )


def roll_up(conn: Connection, now: float, retention: Retention = Retention()) -> int:
    """Compute every complete bucket not yet rolled up; returns the roll-ups written."""
    written = 0
    for level in (FIVE_MINUTES, HOUR):
        end = int(now) - int(now) % level
        row = conn.execute(
            "SELECT done_until FROM history_watermarks WHERE level = ?", (level,)
        ).fetchone()
        if row is None:
            first = conn.execute("SELECT min(at) FROM probe_samples").fetchone()[0]
            start = end if first is None else int(first) - int(first) % level
        else:
            start = max(int(row[0]), end - retention.raw_s)
        if start < end:
            rows = conn.execute(
                "SELECT site_id, at, sent, received, rtt_min, rtt_median, rtt_max"
                " FROM probe_samples WHERE at >= ? AND at < ?",
                (start, end),
            ).fetchall()
            rollups = roll((Sample(*r) for r in rows), level)
            conn.executemany(
                _ROLLUP,
                [
                    (
                        level,
                        r.site_id,
                        r.bucket,
                        r.samples,
                        r.answered,
                        r.sent,
                        r.received,
                        r.rtt_min,
                        r.rtt_median,
                        r.rtt_max,
                        r.round_min,
                        r.round_max,
                    )
                    for r in rollups
                ],
            )
            written += len(rollups)
        conn.execute(
            "INSERT INTO history_watermarks (level, done_until) VALUES (?, ?)"
            " ON CONFLICT (level) DO UPDATE SET"
            " done_until = max(history_watermarks.done_until, excluded.done_until)",
            (level, max(start, end)),
        )
    return written


def apply_retention(conn: Connection, now: float, retention: Retention = Retention()) -> int:
    """Delete what each level no longer keeps; returns the rows deleted."""
    deleted = conn.execute("DELETE FROM probe_samples WHERE at < ?", (now - retention.raw_s,))
    total = deleted.rowcount
    for level, keep in ((FIVE_MINUTES, retention.five_min_s), (HOUR, retention.hourly_s)):
        total += conn.execute(
            "DELETE FROM probe_rollups WHERE level = ? AND bucket < ?", (level, now - keep)
        ).rowcount
    total += conn.execute(
        "DELETE FROM inventory_events WHERE at < ?", (now - retention.events_s,)
    ).rowcount
    total += conn.execute(
        "DELETE FROM inventory_alerts WHERE at < ?", (now - retention.events_s,)
    ).rowcount
    return total


@dataclass(frozen=True)
class SiteStatus:
    """A site's track plus its latest measurement (one row of ``inventory_site_state``)."""

    track: Track
    rtt_ms: float | None = None
    loss: float | None = None
    method: str | None = None
    targets: tuple[dict[str, Any], ...] = ()
    updated_at: float = 0.0


def save_status(conn: Connection, statuses: Iterable[SiteStatus]) -> None:
    """Store these sites' states, and their flapping (``flapping_store``), in the caller's
    transaction."""
    statuses = list(statuses)
    conn.executemany(
        _SITE_STATE,
        [
            (
                s.track.site_id,
                s.track.shown.value,
                s.track.effective.value,
                s.track.since,
                s.track.health.state.value,
                s.track.health.failed,
                s.track.health.answered,
                s.track.health.degraded,
                s.track.health.clean,
                s.rtt_ms,
                s.loss,
                s.method,
                json.dumps(list(s.targets)),
                s.updated_at,
            )
            for s in statuses
        ],
    )
    flapping_store.save(conn, ((s.track.site_id, s.track.flap) for s in statuses))


def load_status(conn: Connection) -> dict[int, SiteStatus]:
    out: dict[int, SiteStatus] = {}
    flaps = flapping_store.load(conn)
    for row in conn.execute("SELECT * FROM inventory_site_state"):
        health = Health(
            State(row["health"]), row["failed"], row["answered"], row["degraded"], row["clean"]
        )
        track = Track(
            row["site_id"],
            State(row["shown"]),
            State(row["effective"]),
            health,
            row["since"],
            flaps.get(row["site_id"], Flap()),
        )
        out[row["site_id"]] = SiteStatus(
            track,
            row["rtt_ms"],
            row["loss"],
            row["method"],
            tuple(json.loads(row["targets"])),
            row["updated_at"],
        )
    return out


# -- reads ------------------------------------------------------------------------------------

RANGES = {"24h": (DAY, FIVE_MINUTES), "7d": (7 * DAY, HOUR), "30d": (30 * DAY, HOUR)}
"""API range name -> (seconds back, roll-up level served)."""


def site_history(conn: Connection, site_id: int, range_name: str, now: float) -> dict[str, Any]:
    """Roll-ups of one site over a named range, oldest first.

    The bucket in progress is not rolled up yet; it is computed from the raw samples so the
    chart reaches the present.
    """
    span, level = RANGES[range_name]
    since = now - span
    rows = conn.execute(
        "SELECT site_id, bucket, samples, answered, sent, received, rtt_min, rtt_median, rtt_max,"
        " round_min, round_max FROM probe_rollups"
        " WHERE level = ? AND site_id = ? AND bucket >= ? ORDER BY bucket",
        (level, site_id, since - since % level),
    ).fetchall()
    points = [Rollup(*r) for r in rows]
    last = points[-1].bucket + level if points else int(since - since % level)
    raw = conn.execute(
        "SELECT site_id, at, sent, received, rtt_min, rtt_median, rtt_max FROM probe_samples"
        " WHERE site_id = ? AND at >= ? ORDER BY at",
        (site_id, max(last, int(now - span))),
    ).fetchall()
    points.extend(roll((Sample(*r) for r in raw), level))
    answer = SiteHistory(
        site_id=site_id,
        range=range_name,
        start=int(since),
        end=int(now),
        step=level,
        points=[p.point() for p in points],
    )
    return as_json(answer)
