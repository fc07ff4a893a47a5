"""Monthly availability: per site, kecamatan, provider and medium, from the state history.

A site's month is read from its state changes (``inventory_events``, the shown state: what the
dashboard showed), in Western Indonesian Time (WIB, UTC+7, no daylight saving):

* **counted** time — the site was UP, DEGRADED or DOWN: in service and watched;
* **down** time — DOWN: the site's own outage;
* **excluded** — MAINTENANCE (a staff window), UNREACHABLE (its parent's outage: counted at the
  parent, not held against this site's provider), PLANNED (not in service yet), UNKNOWN (no
  answer yet).

Availability is ``1 - down / counted``. An outage is a run of DOWN time that only excluded time
interrupts (DOWN, then a maintenance window, then DOWN again is one outage whose repair time is
the DOWN time alone); it ends when the site is UP or DEGRADED again. An outage crossing a month
boundary counts in both months, with the part inside each (``ongoing`` when it had not ended by
the month's end). Mean time to repair is the down time over the number of outages.

Groups add up their sites' seconds (so a kecamatan's availability is weighted by how long each of
its sites was in service). Median RTT is the median of the hourly medians (``probe_rollups``),
loss is ``1 - received / sent`` over the month. Nothing here does I/O except :func:`load`.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import ConfigDict
from pydantic.json_schema import WithJsonSchema

from network_inventory import history
from network_inventory.state import State
from pendopo.db import Connection
from pendopo.declared import as_json

WIB = timezone(timedelta(hours=7), "WIB")
"""Asia/Jakarta: UTC+7 all year."""

COUNTED = frozenset({State.UP, State.DEGRADED, State.DOWN})
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")


class InvalidMonth(ValueError):
    """A month that is not ``YYYY-MM`` or has not begun."""


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def start(self) -> float:
        """The first second of the month in WIB, as Unix seconds."""
        return datetime(self.year, self.month, 1, tzinfo=WIB).timestamp()

    @property
    def end(self) -> float:
        y, m = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return datetime(y, m, 1, tzinfo=WIB).timestamp()

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_month(text: str | None, now: float) -> Month:
    """``YYYY-MM`` (default: the current month in WIB); a month that has not begun is refused."""
    if text is None or text == "":
        today = datetime.fromtimestamp(now, WIB)
        return Month(today.year, today.month)
    match = _MONTH_RE.fullmatch(text)
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1970:
        raise InvalidMonth("month must be YYYY-MM, e.g. 2026-11.")
    month = Month(int(match[1]), int(match[2]))
    if month.start > now:
        raise InvalidMonth(f"{month} has not begun yet.")
    return month


# -- one site ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outage:
    start: float
    end: float
    """The outage's last DOWN moment inside the period."""
    down_s: float
    """DOWN time inside the period (maintenance and other excluded time left out)."""
    ongoing: bool = False
    """Not over when the period ended."""


@dataclass(frozen=True)
class Figures:
    """Seconds and outages of one site or a group of sites over a period."""

    counted_s: float = 0.0
    down_s: float = 0.0
    maintenance_s: float = 0.0
    outages: tuple[Outage, ...] = ()

    @property
    def availability(self) -> float | None:
        return 1.0 - self.down_s / self.counted_s if self.counted_s > 0 else None

    @property
    def longest_s(self) -> float | None:
        return max(o.down_s for o in self.outages) if self.outages else None

    @property
    def mttr_s(self) -> float | None:
        return sum(o.down_s for o in self.outages) / len(self.outages) if self.outages else None

    @staticmethod
    def total(parts: Iterable[Figures]) -> Figures:
        """A group's figures: its sites' seconds and outages together."""
        items = list(parts)
        return Figures(
            sum(f.counted_s for f in items),
            sum(f.down_s for f in items),
            sum(f.maintenance_s for f in items),
            tuple(o for f in items for o in f.outages),
        )


def site_figures(
    initial: State, changes: Iterable[tuple[float, State]], start: float, end: float
) -> Figures:
    """Figures of one site over ``[start, end)``: ``initial`` is its state at ``start``,
    ``changes`` its state changes (time, new state) in time order; those outside are ignored."""
    counted = down = maintenance = 0.0
    outages: list[Outage] = []
    run: list[float] | None = None  # [first DOWN moment, last DOWN moment, DOWN seconds]
    state, since = initial, start
    for at, new in [*((a, s) for a, s in changes if start < a < end), (end, None)]:
        span = at - since
        if state in COUNTED:
            counted += span
        if state is State.MAINTENANCE:
            maintenance += span
        if state is State.DOWN:
            down += span
            if run is None:
                run = [since, at, 0.0]
            run[1] = at
            run[2] += span
        if new is None:
            break
        if new in (State.UP, State.DEGRADED) and run is not None:
            outages.append(Outage(run[0], run[1], run[2]))
            run = None
        state, since = new, at
    if run is not None:
        outages.append(Outage(run[0], run[1], run[2], ongoing=True))
    return Figures(counted, down, maintenance, tuple(outages))


# -- the report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportSite:
    """A site as the monthly report reads it: with its parent and primary uplink."""

    site_id: int
    code: str | None
    name: str
    kind: str
    parent_id: int | None
    provider: str | None = None
    """Of the site's primary uplink (lowest priority number, not decommissioned)."""
    medium: str | None = None


@dataclass
class Measured:
    """A site's (or group's) hourly RTT medians and echo counts over the period."""

    medians: list[float] = field(default_factory=list)
    sent: int = 0
    received: int = 0

    def add(self, other: Measured) -> None:
        self.medians.extend(other.medians)
        self.sent += other.sent
        self.received += other.received

    @staticmethod
    def total(parts: Iterable[Measured]) -> Measured:
        out = Measured()
        for m in parts:
            out.add(m)
        return out

    @property
    def rtt_median(self) -> float | None:
        return statistics.median(self.medians) if self.medians else None

    @property
    def loss(self) -> float | None:
        return 1.0 - self.received / self.sent if self.sent else None


@dataclass(frozen=True)
class Timeline:
    initial: State
    changes: tuple[tuple[float, State], ...] = ()


def _r(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def _row(figures: Figures, measured: Measured) -> dict[str, Any]:
    """The fields of :class:`MonthFigures` of ``figures`` and ``measured``."""
    return {
        "availability": _r(figures.availability),
        "counted_s": round(figures.counted_s),
        "down_s": round(figures.down_s),
        "maintenance_s": round(figures.maintenance_s),
        "outages": len(figures.outages),
        "longest_outage_s": _r(figures.longest_s, 0),
        "mttr_s": _r(figures.mttr_s, 0),
        "rtt_median_ms": _r(measured.rtt_median, 1),
        "loss": _r(measured.loss),
    }


# -- the answer: declared once, its fields are the JSON report and its OpenAPI schema ----------
_ANSWER = ConfigDict(use_attribute_docstrings=True)
_DateTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


@dataclass(frozen=True, kw_only=True)
class MonthFigures:
    """A month's availability figures of a site or a group of sites."""

    __pydantic_config__ = _ANSWER

    availability: float | None
    """0..1: 1 - down_s / counted_s (maintenance, unreachable, planned left out)"""
    counted_s: int
    """seconds UP, DEGRADED or DOWN"""
    down_s: int
    maintenance_s: int
    outages: int
    longest_outage_s: float | None
    mttr_s: float | None
    """mean time to repair"""
    rtt_median_ms: float | None
    loss: float | None
    """0..1"""


@dataclass(frozen=True, kw_only=True)
class SiteMonth(MonthFigures):
    """One site's month."""

    site_id: int
    code: str | None
    name: str
    kind: str
    kecamatan: str | None
    """the name of the kecamatan it lies in"""
    provider: str | None
    """of its primary uplink"""
    medium: str | None
    """of its primary uplink"""


@dataclass(frozen=True, kw_only=True)
class GroupMonth(MonthFigures):
    """The month of a group of sites (all of them, a kecamatan, a provider, a medium)."""

    sites: int
    """how many sites the group counts"""


@dataclass(frozen=True, kw_only=True)
class KecamatanMonth(GroupMonth):
    """A kecamatan's month: its own site and every site below it."""

    site_id: int
    code: str | None
    name: str


@dataclass(frozen=True, kw_only=True)
class ProviderMonth(GroupMonth):
    provider: str | None
    """null: uplinks without a provider"""


@dataclass(frozen=True, kw_only=True)
class MediumMonth(GroupMonth):
    medium: str | None


@dataclass(frozen=True, kw_only=True)
class AvailabilityReport:
    """The monthly availability report (``GET /api/reports/availability``)."""

    __pydantic_config__ = _ANSWER

    month: str
    """YYYY-MM"""
    timezone: str
    start: _DateTime
    """ISO 8601 UTC: the month's start in Asia/Jakarta"""
    end: _DateTime
    """ISO 8601 UTC: the month's end, or now for the month in progress"""
    complete: bool
    """false for the month in progress"""
    regency: str | None
    """name of the regency office site"""
    region: str
    """the region setting (the printed header: "Kabupaten Sragen")"""
    total: GroupMonth
    sites: list[SiteMonth]
    kecamatan: list[KecamatanMonth]
    providers: list[ProviderMonth]
    media: list[MediumMonth]


def build(
    month: Month,
    now: float,
    sites: Sequence[ReportSite],
    timelines: Mapping[int, Timeline],
    measured: Mapping[int, Measured],
    *,
    region: str = "",
) -> dict[str, Any]:
    """The report of ``month`` (up to ``now`` for the month in progress) as the API answers it
    (:class:`AvailabilityReport`); ``region``: the region setting, its printed header.

    Sites never in service in the period (no counted time, no measurements) are left out of
    every table; the kecamatan table lists each kecamatan with its descendants.
    """
    start, end = month.start, min(month.end, now)
    by_id = {s.site_id: s for s in sites}
    figures = {
        s.site_id: site_figures(t.initial, t.changes, start, end)
        for s in sites
        for t in (timelines.get(s.site_id, Timeline(State.UNKNOWN)),)
    }
    empty = Measured()
    shown = [
        s
        for s in sites
        if figures[s.site_id].counted_s > 0 or measured.get(s.site_id, empty).sent > 0
    ]

    def kecamatan_of(site: ReportSite) -> ReportSite | None:
        seen: set[int] = set()
        cur: ReportSite | None = site
        while cur is not None and cur.site_id not in seen:
            if cur.kind == "kecamatan":
                return cur
            seen.add(cur.site_id)
            cur = by_id.get(cur.parent_id) if cur.parent_id is not None else None
        return None

    def figures_of(members: Sequence[ReportSite]) -> dict[str, Any]:
        return _row(
            Figures.total(figures[m.site_id] for m in members),
            Measured.total(measured.get(m.site_id, empty) for m in members),
        )

    def group(key: Any, *, skip_none: bool = False) -> list[tuple[Any, dict[str, Any]]]:
        members: dict[Any, list[ReportSite]] = {}
        for s in shown:
            k = key(s)
            if k is not None or not skip_none:
                members.setdefault(k, []).append(s)
        return [(k, {"sites": len(ms), **figures_of(ms)}) for k, ms in members.items()]

    site_rows = []
    for s in shown:
        kec = kecamatan_of(s)
        site_rows.append(
            SiteMonth(
                site_id=s.site_id,
                code=s.code,
                name=s.name,
                kind=s.kind,
                kecamatan=kec.name if kec else None,
                provider=s.provider,
                medium=s.medium,
                **_row(figures[s.site_id], measured.get(s.site_id, empty)),
            )
        )
    kecamatan_rows = [
        KecamatanMonth(site_id=k, code=by_id[k].code, name=by_id[k].name, **row)
        for k, row in group(lambda s: getattr(kecamatan_of(s), "site_id", None), skip_none=True)
    ]
    providers = [ProviderMonth(provider=k, **row) for k, row in group(lambda s: s.provider)]
    media = [MediumMonth(medium=k, **row) for k, row in group(lambda s: s.medium)]
    regency = next((s.name for s in sites if s.kind == "kabupaten"), None)
    report = AvailabilityReport(
        month=str(month),
        timezone="Asia/Jakarta",
        start=_iso(start),
        end=_iso(end),
        complete=now >= month.end,
        regency=regency,
        region=region,
        total=GroupMonth(sites=len(shown), **figures_of(shown)),
        sites=sorted(site_rows, key=lambda r: (r.kecamatan or "", r.code or r.name)),
        kecamatan=sorted(kecamatan_rows, key=lambda r: r.code or r.name),
        providers=sorted(providers, key=lambda r: (r.provider is None, r.provider or "")),
        media=sorted(media, key=lambda r: (r.medium is None, r.medium or "")),
    )
    return as_json(report)


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


# -- reads ------------------------------------------------------------------------------------


def load(conn: Connection, month: Month, now: float, *, region: str = "") -> dict[str, Any]:
    """The report of ``month`` from the inventory and its history (a read connection)."""
    start, end = month.start, min(month.end, now)
    sites = _sites(conn)
    return build(
        month, now, sites, timelines(conn, start, end), _measured(conn, start, end), region=region
    )


def _sites(conn: Connection) -> list[ReportSite]:
    uplink: dict[int, tuple[str | None, str | None]] = {}
    for r in conn.execute(
        "SELECT site_id, provider, medium FROM links WHERE status != 'decommissioned'"
        " ORDER BY site_id, priority DESC, id DESC"
    ):
        uplink[r[0]] = (r[1] or None, r[2])  # the last row per site wins: lowest priority
    return [
        ReportSite(r[0], r[1], r[2], r[3], r[4], *uplink.get(r[0], (None, None)))
        for r in conn.execute("SELECT id, code, name, kind, parent_id FROM sites ORDER BY id")
    ]


_EACH_SITES_EVENT = (
    "SELECT site_id, {0} FROM (SELECT site_id, {0}, ROW_NUMBER() OVER"
    " (PARTITION BY site_id ORDER BY at {2}, id {2}) AS n FROM inventory_events WHERE at {1} ?)"
    " AS e WHERE n = 1"
)
"""SQL: a column of each site's last event before a time (or first after it)."""


def timelines(conn: Connection, start: float, end: float) -> dict[int, Timeline]:
    """Each site's state at ``start`` and its changes until ``end``. The state at ``start`` is
    that of the last change before it, else what the first change after it changed from, else
    (no change ever recorded) the stored state if it held since before ``start``."""
    initial: dict[int, State] = {}
    for site_id, state in conn.execute(_EACH_SITES_EVENT.format("state", "<=", "DESC"), (start,)):
        initial[site_id] = State(state)
    for site_id, previous in conn.execute(_EACH_SITES_EVENT.format("previous", ">", ""), (start,)):
        initial.setdefault(site_id, State(previous))
    changes: dict[int, list[tuple[float, State]]] = {}
    for site_id, at, state in conn.execute(
        "SELECT site_id, at, state FROM inventory_events WHERE at > ? AND at < ? ORDER BY at, id",
        (start, end),
    ):
        changes.setdefault(site_id, []).append((at, State(state)))
    for site_id, shown, since in conn.execute(
        "SELECT site_id, shown, since FROM inventory_site_state"
    ):
        if site_id in initial:
            continue
        if since <= start:
            initial[site_id] = State(shown)
        elif since < end:
            initial[site_id] = State.UNKNOWN
            changes[site_id] = [(since, State(shown))]
    return {sid: Timeline(state, tuple(changes.get(sid, ()))) for sid, state in initial.items()}


def _measured(conn: Connection, start: float, end: float) -> dict[int, Measured]:
    """Hourly medians and echo counts per site: the hourly roll-ups, plus the raw samples not
    rolled up yet (the month in progress)."""
    out: dict[int, Measured] = {}
    where = "level = ? AND bucket >= ? AND bucket < ?"
    for site_id, sent, received in conn.execute(
        f"SELECT site_id, sum(sent), sum(received) FROM probe_rollups WHERE {where}"
        " GROUP BY site_id",
        (history.HOUR, start, end),
    ):
        out[site_id] = Measured([], sent, received)
    for site_id, median in conn.execute(
        f"SELECT site_id, rtt_median FROM probe_rollups WHERE {where} AND rtt_median IS NOT NULL",
        (history.HOUR, start, end),
    ):
        out[site_id].medians.append(median)
    done = conn.execute(
        "SELECT done_until FROM history_watermarks WHERE level = ?", (history.HOUR,)
    ).fetchone()
    raw = conn.execute(
        "SELECT site_id, at, sent, received, rtt_min, rtt_median, rtt_max FROM probe_samples"
        " WHERE at >= ? AND at < ?",
        (max(start, float(done[0]) if done else start), end),
    ).fetchall()
    for r in history.roll((history.Sample(*row) for row in raw), history.HOUR):
        m = out.setdefault(r.site_id, Measured())
        m.add(Measured([r.rtt_median] if r.rtt_median is not None else [], r.sent, r.received))
    return out
