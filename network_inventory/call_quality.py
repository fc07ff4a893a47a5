"""Call quality kept by the inventory: what each site's sessions were like, next to its probes.

The meeting core samples every participant's media connection (``Sfu.peer_quality``, every
``call_quality_interval`` seconds) and records one row per participant per interval under the
participant's site: round trip, loss in both directions, jitter, bitrates. Only the opaque
participant id (random, per session) is kept — no name: the figures belong to the site's link,
not to a person.

Retention: 30 days of samples (the longest range the API serves). A session of 20 sites at one
sample per 10 s is ~14,000 rows (~1 MB); a month of daily two-hour sessions ~40 MB.

Component ``call_quality`` (after ``inventory`` and ``rooms``; no foreign keys, like the probe
history: a site deleted meanwhile must not fail a write, readers join and drop orphans).
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ConfigDict

from media.quality import QualitySample
from pendopo.db import Component, Connection, Database, Row
from pendopo.declared import as_json

RETENTION_SECONDS = 30 * 86400
RANGES = {"24h": (86400, 300), "7d": (7 * 86400, 3600), "30d": (30 * 86400, 3600)}
"""API range name -> (seconds back, bucket seconds): the same steps as the probe history."""
SESSIONS_SHOWN = 10

COMPONENT = Component(
    "call_quality",
    [
        """
        CREATE TABLE call_quality_samples (
            id INTEGER PRIMARY KEY,
            site_id INTEGER NOT NULL,
            room_id TEXT NOT NULL,
            participant TEXT NOT NULL,
            at REAL NOT NULL,
            seconds REAL NOT NULL,
            rtt_ms REAL,
            loss_in REAL,
            loss_out REAL,
            jitter_ms REAL,
            kbps_in REAL NOT NULL,
            kbps_out REAL NOT NULL
        );
        CREATE INDEX call_quality_site_at ON call_quality_samples (site_id, at);
        CREATE INDEX call_quality_at ON call_quality_samples (at);
        """,
    ],
)


@dataclass(frozen=True)
class _Where:
    site_code: str
    room_id: str
    participant: str
    at: float


@dataclass(frozen=True)
class CallSample(QualitySample, _Where):
    """One participant's figures over one sampling interval (site given by its code): the
    figures are ``media.quality.QualitySample``'s, declared there once; the fields come in the
    order site_code, room_id, participant, at, then the figures."""

    @classmethod
    def of(
        cls, site_code: str, room_id: str, participant: str, at: float, figures: QualitySample
    ) -> CallSample:
        return cls(site_code, room_id, participant, at, *dataclasses.astuple(figures))


_STORED = tuple(f.name for f in dataclasses.fields(CallSample) if f.name != "site_code")
"""The table's columns besides ``site_id`` (which the site code resolves to)."""
_COLUMNS = ", ".join(("site_id", *_STORED))


def _median(values: Iterable[float | None]) -> float | None:
    items = [v for v in values if v is not None]
    return round(statistics.median(items), 3) if items else None


def _mean(values: Iterable[float | None]) -> float | None:
    items = [v for v in values if v is not None]
    return round(statistics.fmean(items), 5) if items else None


@dataclass(frozen=True)
class CallFigures:
    """What a group of samples (a chart's bucket, a session) was like: the call-quality
    answer's figures (``GET /api/sites/{id}/call-quality``; its schema is made from this)."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    samples: int
    rtt_min: float | None
    """ms"""
    rtt_median: float | None
    """ms"""
    rtt_max: float | None
    """ms"""
    loss_in: float | None
    """0..1, what the server received"""
    loss_out: float | None
    """0..1, what the site received"""
    loss: float | None
    """the worse of the two"""
    jitter_ms: float | None
    kbps_in: float | None
    kbps_out: float | None


def summarise(rows: Sequence[Row]) -> dict[str, Any]:
    """The figures of a group of samples (a bucket or a session), as JSON."""
    rtts = [r["rtt_ms"] for r in rows if r["rtt_ms"] is not None]
    loss_in = _mean(r["loss_in"] for r in rows)
    loss_out = _mean(r["loss_out"] for r in rows)
    both = [v for v in (loss_in, loss_out) if v is not None]
    figures = CallFigures(
        samples=len(rows),
        rtt_min=min(rtts) if rtts else None,
        rtt_median=_median(rtts),
        rtt_max=max(rtts) if rtts else None,
        loss_in=loss_in,
        loss_out=loss_out,
        loss=max(both) if both else None,
        jitter_ms=_median(r["jitter_ms"] for r in rows),
        kbps_in=_mean(r["kbps_in"] for r in rows),
        kbps_out=_mean(r["kbps_out"] for r in rows),
    )
    return dataclasses.asdict(figures)


def insert(conn: Connection, samples: Sequence[CallSample]) -> int:
    """Write samples whose site code the inventory knows; returns how many were written."""
    written = 0
    for s in samples:
        row = conn.execute("SELECT id FROM sites WHERE code = ?", (s.site_code,)).fetchone()
        if row is None:
            continue
        conn.execute(
            f"INSERT INTO call_quality_samples ({_COLUMNS})"
            f" VALUES ({', '.join('?' * (1 + len(_STORED)))})",
            (row[0], *(getattr(s, name) for name in _STORED)),
        )
        written += 1
    return written


def apply_retention(conn: Connection, now: float) -> int:
    return conn.execute(
        "DELETE FROM call_quality_samples WHERE at < ?", (now - RETENTION_SECONDS,)
    ).rowcount


@dataclass(frozen=True, kw_only=True)
class CallPoint(CallFigures):
    """One bucket of a site's call quality (``step`` seconds)."""

    t: int
    """the bucket's start (Unix seconds)"""


@dataclass(frozen=True, kw_only=True)
class CallSession(CallFigures):
    """One of a site's recent sessions and how its calls were."""

    room_id: str
    title: str | None
    """null: the session is gone"""
    started: float
    """the first sample (epoch seconds)"""
    last: float
    """the last sample (epoch seconds)"""
    participants: int
    """people who called from the site"""


@dataclass(frozen=True, kw_only=True)
class CallQualityReport:
    """A site's call quality over a range (``GET /api/sites/{id}/call-quality``): buckets in
    the probe history's point shape, and the recent sessions. Declared once: its fields are the
    JSON answer and its OpenAPI schema."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    site_id: int
    range: str
    start: int
    end: int
    step: int
    """seconds per bucket"""
    points: list[CallPoint]
    sessions: list[CallSession]


def _sessions(conn: Connection, site_id: int, since: float, limit: int) -> list[CallSession]:
    rooms = conn.execute(
        "SELECT room_id, min(at) AS started, max(at) AS last FROM call_quality_samples"
        " WHERE site_id = ? AND at >= ? GROUP BY room_id ORDER BY last DESC LIMIT ?",
        (site_id, since, limit),
    ).fetchall()
    out = []
    for room in rooms:
        rows = conn.execute(
            "SELECT * FROM call_quality_samples WHERE site_id = ? AND room_id = ? AND at >= ?",
            (site_id, room["room_id"], since),
        ).fetchall()
        title = conn.execute("SELECT title FROM rooms WHERE id = ?", (room["room_id"],)).fetchone()
        out.append(
            CallSession(
                room_id=room["room_id"],
                title=title[0] if title else None,
                started=room["started"],
                last=room["last"],
                participants=len({r["participant"] for r in rows}),
                **summarise(rows),
            )
        )
    return out


def site_report(conn: Connection, site_id: int, range_name: str, now: float) -> dict[str, Any]:
    """Buckets (for the charts, in the probe history's point shape) and the recent sessions,
    as :class:`CallQualityReport` answers them."""
    span, step = RANGES[range_name]
    since = now - span
    rows = conn.execute(
        "SELECT * FROM call_quality_samples WHERE site_id = ? AND at >= ? ORDER BY at",
        (site_id, since),
    ).fetchall()
    buckets: dict[int, list[Row]] = {}
    for r in rows:
        buckets.setdefault(int(r["at"] - r["at"] % step), []).append(r)
    report = CallQualityReport(
        site_id=site_id,
        range=range_name,
        start=int(since),
        end=int(now),
        step=step,
        points=[CallPoint(t=t, **summarise(group)) for t, group in sorted(buckets.items())],
        sessions=_sessions(conn, site_id, since, SESSIONS_SHOWN),
    )
    return as_json(report)


def last_sessions(conn: Connection, codes: Sequence[str], now: float) -> dict[str, dict[str, Any]]:
    """Site code -> figures of that site's most recent session (within the retention)."""
    out: dict[str, dict[str, Any]] = {}
    for code in codes:
        row = conn.execute("SELECT id FROM sites WHERE code = ?", (code,)).fetchone()
        if row is None:
            continue
        sessions = _sessions(conn, row[0], now - RETENTION_SECONDS, 1)
        if sessions:
            out[code] = as_json(sessions[0])
    return out


class CallQuality:
    """Async front over the database (writes on its writer thread, reads in the pool)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._retention_at = 0.0

    async def record(self, samples: Sequence[CallSample], now: float) -> int:
        prune = now - self._retention_at >= 3600  # once an hour is plenty

        def run(conn: Connection) -> int:
            written = insert(conn, samples)
            if prune:
                apply_retention(conn, now)
            return written

        written = await self.db.write(run)
        if prune:
            self._retention_at = now
        return written

    async def site_report(self, site_id: int, range_name: str, now: float) -> dict[str, Any]:
        return await self.db.read(lambda c: site_report(c, site_id, range_name, now))

    async def last_sessions(self, codes: Sequence[str], now: float) -> dict[str, dict[str, Any]]:
        return await self.db.read(lambda c: last_sessions(c, codes, now))


__all__ = [
    "COMPONENT",
    "RANGES",
    "RETENTION_SECONDS",
    "CallFigures",
    "CallPoint",
    "CallQuality",
    "CallQualityReport",
    "CallSample",
    "CallSession",
    "apply_retention",
    "insert",
    "last_sessions",
    "site_report",
    "summarise",
]
