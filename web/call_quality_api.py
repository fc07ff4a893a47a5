"""``GET /api/sites/{id}/call-quality?range=24h|7d|30d`` (signed in): a site's call quality in
sessions — buckets in the probe history's point shape (so the dashboard's charts draw them) and
the recent sessions' figures. Recorded by signaling/quality_sampler.py."""

from __future__ import annotations

import time

from aiohttp import web

from edge.keys import CALL_QUALITY, DATABASE
from network_inventory.call_quality import RANGES, CallQualityReport
from web import openapi
from web.auth import require_staff
from web.errors import ApiError, ApiNotFound


async def get_call_quality(request: web.Request) -> web.Response:
    require_staff(request)
    raw = request.match_info["id"]
    if not raw.isdigit():
        raise ApiError("invalid_query", "The site id must be a whole number.")
    site_id = int(raw)
    range_name = request.query.get("range", "24h")
    if range_name not in RANGES:
        raise ApiError("invalid_query", "range must be one of: 24h, 7d, 30d.")
    exists = await request.app[DATABASE].fetchone("SELECT 1 FROM sites WHERE id = ?", (site_id,))
    if exists is None:
        raise ApiNotFound("not_found", f"No site {site_id}.")
    report = await request.app[CALL_QUALITY].site_report(site_id, range_name, time.time())
    return web.json_response(report)


openapi.add_schemas(openapi.declared(outputs=(CallQualityReport,)))

openapi.describe(
    openapi.Operation(
        "GET",
        "/api/sites/{id}/call-quality",
        "A site's call quality in sessions over a range: buckets and recent sessions",
        "live",
        "staff",
        params=(
            openapi.Param("id", "path", {"type": "integer"}),
            openapi.Param("range", schema={"enum": list(RANGES), "default": "24h"}),
        ),
        response=openapi.ref("CallQualityReport"),
    )
)


def setup(app: web.Application) -> None:
    app.router.add_get("/api/sites/{id}/call-quality", get_call_quality)
