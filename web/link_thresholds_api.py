"""REST of a link's baseline (``network_inventory.thresholds``).

``GET /api/links/{id}/thresholds``  the limits in force, the medium's defaults, the override
``PUT /api/links/{id}/thresholds``  ``{loss_degraded, rtt_degraded_ms}`` (null: the default)

Read by signed-in staff, changed by inventory editors (admin, it), like the link itself; a
change is validated, logged in the change log (entity ``link``, action ``thresholds``) and
audited (``inventory.link_thresholds``) in one transaction, then judged at once by the prober.
"""

from __future__ import annotations

from aiohttp import web

from edge.keys import DATABASE, LIVE
from network_inventory.thresholds import Baseline, LinkThresholds, ThresholdsInput
from web import openapi
from web.auth import audited, require_inventory_editor, require_staff
from web.errors import json_body


def _service(request: web.Request) -> LinkThresholds:
    return LinkThresholds(request.app[DATABASE], request.app[LIVE].config.policy)


def _link_id(request: web.Request) -> int:
    return int(request.match_info["id"])


async def get_thresholds(request: web.Request) -> web.Response:
    require_staff(request)
    return web.json_response(await _service(request).get(_link_id(request)))


async def put_thresholds(request: web.Request) -> web.Response:
    user = require_inventory_editor(request).username
    link_id = _link_id(request)
    body = await json_body(request)
    then = audited(request, "inventory.link_thresholds", lambda _: f"link {link_id}")
    result = await _service(request).put(link_id, body, user=user, then=then)
    request.app[LIVE].inventory_changed()
    return web.json_response(result)


def setup(app: web.Application) -> None:
    """Routes (register after the live service, whose policy holds the settings' defaults)."""
    app.router.add_get(r"/api/links/{id:\d+}/thresholds", get_thresholds)
    app.router.add_put(r"/api/links/{id:\d+}/thresholds", put_thresholds)


openapi.add_schemas(openapi.declared(ThresholdsInput, outputs=(Baseline,)))
_ID = openapi.Param("id", "path", {"type": "integer", "minimum": 1}, example=1)
_PATH = "/api/links/{id}/thresholds"

openapi.describe(
    openapi.Operation("GET", _PATH, "A link's baseline: degradation thresholds", "inventory",
        "staff", params=(_ID,), response=openapi.ref("Baseline")),
    openapi.Operation("PUT", _PATH, "Set a link's own degradation thresholds", "inventory",
        "editor", params=(_ID,),
        body={"application/json": {"schema": openapi.ref("ThresholdsInput"),
                                   "example": {"loss_degraded": None, "rtt_degraded_ms": 1200}}},
        response=openapi.ref("Baseline")),
)  # fmt: skip
