"""The monthly availability report: JSON, CSV and the page that shows and prints it.

``GET /api/reports/availability?month=YYYY-MM``      the report (``network_inventory.availability``)
``GET /api/reports/availability.csv?month=YYYY-MM``  the same as one CSV, a ``level`` column first
``/inventory/report?month=YYYY-MM``                  the page (screen and A4 print), signed-in only

Reads for staff (any signed-in role but a site seat), like the other inventory reads. A month
that is not ``YYYY-MM`` or has not begun is 400 ``invalid_month``.
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from aiohttp import web

from edge.keys import DATABASE, SETTINGS
from network_inventory import availability
from web import openapi
from web.auth import require_staff
from web.errors import ApiError
from web.openapi import Operation, Param
from web.pages import add_page

PATH = "/api/reports/availability"
CSV_COLUMNS = [
    "level",
    "code",
    "name",
    "kecamatan",
    "provider",
    "medium",
    "sites",
    "availability_pct",
    "outages",
    "longest_outage_min",
    "mttr_min",
    "down_min",
    "maintenance_min",
    "counted_h",
    "rtt_median_ms",
    "loss_pct",
]


async def _report(request: web.Request) -> dict[str, Any]:
    require_staff(request)
    now = time.time()
    try:
        month = availability.parse_month(request.query.get("month"), now)
    except availability.InvalidMonth as exc:
        raise ApiError("invalid_month", str(exc)) from exc
    region = request.app[SETTINGS].region
    return await request.app[DATABASE].read(
        lambda c: availability.load(c, month, now, region=region)
    )


async def get_report(request: web.Request) -> web.Response:
    return web.json_response(await _report(request))


def _num(value: float | None, scale: float = 1.0, digits: int = 1) -> str:
    return "" if value is None else f"{value * scale:.{digits}f}"


def csv_rows(report: dict[str, Any]) -> list[dict[str, str]]:
    """One row per site, kecamatan, provider and medium, and the total."""
    out: list[dict[str, str]] = []

    def add(level: str, row: dict[str, Any], **names: Any) -> None:
        out.append(
            {
                "level": level,
                **{k: "" if v is None else str(v) for k, v in names.items()},
                "sites": str(row.get("sites", 1)),
                "availability_pct": _num(row["availability"], 100, 3),
                "outages": str(row["outages"]),
                "longest_outage_min": _num(row["longest_outage_s"], 1 / 60),
                "mttr_min": _num(row["mttr_s"], 1 / 60),
                "down_min": _num(row["down_s"], 1 / 60),
                "maintenance_min": _num(row["maintenance_s"], 1 / 60),
                "counted_h": _num(row["counted_s"], 1 / 3600),
                "rtt_median_ms": _num(row["rtt_median_ms"]),
                "loss_pct": _num(row["loss"], 100, 2),
            }
        )

    add("total", report["total"], name=report["regency"] or "")
    for r in report["kecamatan"]:
        add("kecamatan", r, code=r["code"], name=r["name"])
    for r in report["providers"]:
        add("provider", r, provider=r["provider"])
    for r in report["media"]:
        add("medium", r, medium=r["medium"])
    for r in report["sites"]:
        add(
            "site",
            r,
            code=r["code"],
            name=r["name"],
            kecamatan=r["kecamatan"],
            provider=r["provider"],
            medium=r["medium"],
        )
    return out


async def get_report_csv(request: web.Request) -> web.Response:
    report = await _report(request)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, CSV_COLUMNS, restval="", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(csv_rows(report))
    name = f"ketersediaan-{report['month']}.csv"
    return web.Response(
        text=buf.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


_MONTH = Param(
    "month",
    schema={"type": "string", "pattern": r"^\d{4}-\d{2}$"},
    description="YYYY-MM in Asia/Jakarta time (default: the current month)",
)
openapi.add_schemas(openapi.declared(outputs=(availability.AvailabilityReport,)))
openapi.describe(
    Operation(
        "GET",
        PATH,
        "Monthly availability per site, kecamatan, provider and medium",
        "reports",
        "staff",
        params=(_MONTH,),
        response=openapi.ref("AvailabilityReport"),
    ),
    Operation(
        "GET",
        f"{PATH}.csv",
        "The monthly availability report as CSV",
        "reports",
        "staff",
        params=(_MONTH,),
        response={"type": "string"},
        content_type="text/csv",
    ),
)


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, get_report)
    app.router.add_get(f"{PATH}.csv", get_report_csv)
    add_page(app, "/inventory/report", "report.html", signed_in=True)
