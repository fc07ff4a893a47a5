"""REST of recurring maintenance windows: "site X, every Sunday 22:00-24:00 WIB".

``GET /api/maintenance-windows?site=``            every window (or one site's), staff
``POST /api/maintenance-windows``                 add one, IT staff
``GET/PATCH/DELETE /api/maintenance-windows/{id}``

Changes are in the change log (entity ``maintenance``) and the audit log
(``inventory.maintenance_create`` ...), each in the change's transaction. The live sweep shows a
site in a window as MAINTENANCE, so no alert is sent and the monthly report leaves the time out.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from edge.keys import DATABASE
from network_inventory.errors import ValidationError
from network_inventory.maintenance_windows import (
    MaintenanceWindow,
    MaintenanceWindowInput,
    MaintenanceWindows,
    StoredWindow,
)
from network_inventory.model import Page
from network_inventory.records import CODE_RE
from pendopo.db import Then
from web import openapi
from web.auth import audited, require_inventory_editor, require_staff
from web.errors import json_body
from web.paging import page_response
from web.path_ids import storable_id

BASE = "/api/maintenance-windows"


def _windows(request: web.Request) -> MaintenanceWindows:
    return MaintenanceWindows(request.app[DATABASE])


def _id(request: web.Request) -> int:
    return int(request.match_info["id"])


def _site_query(request: web.Request) -> int | str | None:
    text = (request.query.get("site") or "").strip()
    if not text:
        return None
    if text.isascii() and text.isdigit() and storable_id(text):
        return int(text)
    if CODE_RE.match(text):
        return text
    message = "site must be a site id or code (e.g. 33.14.01)."
    raise ValidationError(message, details=[{"field": "site", "message": message}])


def _audited(request: web.Request, action: str) -> Then:
    def target(stored: StoredWindow) -> str:
        return f"maintenance window {stored.id} of site {stored.window.site_id}"

    return audited(request, f"inventory.maintenance_{action}", target)


async def list_windows(request: web.Request) -> web.Response:
    require_staff(request)
    items = await _windows(request).list(_site_query(request))
    now = time.time()
    page = Page(items, len(items), len(items), 0)
    return page_response(page, [w.public(now) for w in items])


async def get_window(request: web.Request) -> web.Response:
    require_staff(request)
    return web.json_response((await _windows(request).get(_id(request))).public(time.time()))


async def create_window(request: web.Request) -> web.Response:
    user = require_inventory_editor(request).username
    body = await json_body(request)
    then = _audited(request, "create")
    stored = await _windows(request).create(body, user=user, then=then)
    return web.json_response(stored.public(time.time()), status=201)


async def update_window(request: web.Request) -> web.Response:
    user = require_inventory_editor(request).username
    body = await json_body(request)
    then = _audited(request, "update")
    stored = await _windows(request).update(_id(request), body, user=user, then=then)
    return web.json_response(stored.public(time.time()))


async def delete_window(request: web.Request) -> web.Response:
    user = require_inventory_editor(request).username
    await _windows(request).delete(_id(request), user=user, then=_audited(request, "delete"))
    return web.Response(status=204)


openapi.add_schemas(openapi.declared(MaintenanceWindowInput, outputs=(MaintenanceWindow,)))
_ID = openapi.Param("id", "path", {"type": "integer", "minimum": 1}, example=1)
_ONE = f"{BASE}/{{id}}"


def _body(example: dict[str, Any]) -> dict[str, Any]:
    return {
        "application/json": {"schema": openapi.ref("MaintenanceWindowInput"), "example": example}
    }


openapi.describe(
    openapi.Operation("GET", BASE, "Recurring maintenance windows", "inventory", "staff",
        params=(openapi.Param("site", description="site id or code"),),
        response=openapi.page_of("MaintenanceWindow"), errors=(404,)),
    openapi.Operation("POST", BASE, "Add a recurring maintenance window", "inventory", "editor",
        body=_body({"site": 1, "weekdays": [7], "start": "22:00", "end": "24:00"}),
        response=openapi.ref("MaintenanceWindow"), status=201),
    openapi.Operation("GET", _ONE, "One recurring maintenance window", "inventory", "staff",
        params=(_ID,), response=openapi.ref("MaintenanceWindow")),
    openapi.Operation("PATCH", _ONE, "Change a recurring maintenance window", "inventory",
        "editor", params=(_ID,), body=_body({"end": "23:30"}),
        response=openapi.ref("MaintenanceWindow")),
    openapi.Operation("DELETE", _ONE, "Delete a recurring maintenance window", "inventory",
        "editor", params=(_ID,), status=204),
)  # fmt: skip


def setup(app: web.Application) -> None:
    app.router.add_get(BASE, list_windows)
    app.router.add_post(BASE, create_window)
    one = BASE + r"/{id:\d+}"
    app.router.add_get(one, get_window)
    app.router.add_patch(one, update_window)
    app.router.add_delete(one, delete_window)


__all__ = ["BASE", "setup"]
