"""The KPT service board: the catalogue's REST routes, its admin page and the public board.

``GET /api/services``, ``GET /api/services/{id}``, ``GET /api/export/services.csv``: staff.
``POST /api/services``, ``PATCH/DELETE /api/services/{id}``, ``POST /api/import/services``:
catalogue editors (admin, it). ``GET /api/public/services``: anyone, no sign-in — names,
statuses, times and percentages only. Pages: ``/layanan`` (public board; ``?mode=board`` for
the TV at the KPT entrance) and ``/layanan/kelola`` (the catalogue editor, signed in).
Inventory errors are translated as in ``web/inventory_api.py`` (400 with ``details``, 404, 409).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from accounts import AccountRole
from edge.keys import DATABASE, LIVE, SERVICES
from network_inventory import InventoryError, NotFound
from network_inventory.catalogue import ServiceCatalogue
from network_inventory.service_board import ServiceBoard
from network_inventory.services import ServiceChange, ServiceInput, ServiceList
from network_inventory.services_csv import COLUMNS
from pendopo.declared import as_json
from web import openapi
from web.auth import audit, require_role, require_staff
from web.errors import json_body
from web.inventory_api import _bool, _uploads
from web.openapi import Operation, Param, ref
from web.pages import add_page


def require_catalogue_editor(request: web.Request) -> str:
    """Admin or IT staff (the KPT's maintainers hold an ``it`` account: docs/security.md)."""
    user = require_role(
        request, AccountRole.IT, message="Only IT staff may change the service list."
    )
    return user.username


def _catalogue(request: web.Request) -> ServiceCatalogue:
    return request.app[SERVICES]


def _id(request: web.Request) -> int:
    text = request.match_info["id"]
    if len(text) > 18:  # beyond SQLite's integers: no such service
        raise NotFound(f"No service {text[:20]}….", code="service_not_found")
    return int(text)


async def list_services(request: web.Request) -> web.Response:
    require_staff(request)
    listed = ServiceList.of(await _catalogue(request).list_services())
    return web.json_response(as_json(listed))


async def get_service(request: web.Request) -> web.Response:
    require_staff(request)
    return web.json_response((await _catalogue(request).get(_id(request))).public())


async def create_service(request: web.Request) -> web.Response:
    user = require_catalogue_editor(request)
    service = await _catalogue(request).create(await json_body(request), user=user)
    await audit(request, "service.create", target=f"service {service.id} {service.name}")
    return web.json_response(service.public(), status=201)


async def update_service(request: web.Request) -> web.Response:
    user = require_catalogue_editor(request)
    body = await json_body(request)
    service = await _catalogue(request).update(_id(request), body, user=user)
    await audit(request, "service.update", target=f"service {service.id} {service.name}")
    return web.json_response(service.public())


async def delete_service(request: web.Request) -> web.Response:
    user = require_catalogue_editor(request)
    service = await _catalogue(request).delete(_id(request), user=user)
    await audit(request, "service.delete", target=f"service {service.id} {service.name}")
    return web.Response(status=204)


async def import_services(request: web.Request) -> web.Response:
    user = require_catalogue_editor(request)
    files = await _uploads(request, "services.csv")
    if len(files) != 1:
        raise InventoryError("Send one CSV file.", code="one_file")
    name, data = files[0]
    dry_run = bool(_bool(request, "dry_run"))
    report = await _catalogue(request).import_csv(data, name, user=user, dry_run=dry_run)
    if not dry_run:
        counts = {k: v for k, v in report.public().items() if k != "dry_run"}
        await audit(request, "service.import", target=name[:300], detail=counts)
    return web.json_response(report.public())


async def export_services(request: web.Request) -> web.Response:
    require_staff(request)
    return web.Response(
        text=await _catalogue(request).export_csv(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="services.csv"'},
    )


async def public_board(request: web.Request) -> web.Response:
    """No sign-in: the board of the KPT entrance (names, statuses, times, percentages)."""
    live = request.app.get(LIVE)
    statuses = live.status if live is not None else {}
    body = await _catalogue(request).board(statuses)
    return web.json_response(body, headers={"Cache-Control": "no-store"})


# -- route table and OpenAPI ------------------------------------------------------------------
ID = r"{id:\d+}"
SCHEMAS: dict[str, dict[str, Any]] = openapi.declared(
    ServiceInput, ServiceChange, outputs=(ServiceList, ServiceBoard)
)
_JSON_BODY = {"application/json": {"schema": ref("ServiceInput")}}
_CHANGE_BODY = {"application/json": {"schema": ref("ServiceChange")}}
_CSV_BODY = {
    "text/csv": {"schema": {"type": "string", "description": ",".join(COLUMNS)}},
    "multipart/form-data": {
        "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
    },
}
_ID = Param("id", "path", {"type": "integer"})
_DRY = Param("dry_run", schema={"type": "boolean"}, description="check and report, write nothing")
_E = "editor"
_one = "/api/services/{id}"
ROUTES = [
    ("GET", "/api/services", list_services, Operation(
        "GET", "/api/services", "The KPT service catalogue", "services", "staff",
        response=ref("ServiceList"))),
    ("POST", "/api/services", create_service, Operation(
        "POST", "/api/services", "Add a service", "services", _E, body=_JSON_BODY,
        response=ref("ServiceAnswer"), status=201)),
    ("GET", f"/api/services/{ID}", get_service, Operation(
        "GET", _one, "One service", "services", "staff", params=(_ID,),
        response=ref("ServiceAnswer"))),
    ("PATCH", f"/api/services/{ID}", update_service, Operation(
        "PATCH", _one, "Change a service (only the given fields)", "services", _E,
        params=(_ID,), body=_CHANGE_BODY, response=ref("ServiceAnswer"))),
    ("DELETE", f"/api/services/{ID}", delete_service, Operation(
        "DELETE", _one, "Delete a service", "services", _E, params=(_ID,), status=204)),
    ("POST", "/api/import/services", import_services, Operation(
        "POST", "/api/import/services", "Import services from CSV (all rows or nothing)",
        "services", _E, params=(_DRY,), body=_CSV_BODY, response=ref("RowsReport"))),
    ("GET", "/api/export/services.csv", export_services, Operation(
        "GET", "/api/export/services.csv", "Export the catalogue as CSV", "services", "staff",
        response={"type": "string"}, content_type="text/csv")),
    ("GET", "/api/public/services", public_board, Operation(
        "GET", "/api/public/services", "The public service board: which delegated service is "
        "available at which kecamatan now, since when, and last month's availability",
        "services", "none", response=ref("ServiceBoard"))),
]  # fmt: skip

openapi.add_schemas(SCHEMAS)
openapi.describe(*(op for *_rest, op in ROUTES))


async def _catalogue_ctx(app: web.Application) -> AsyncIterator[None]:
    """After the inventory's first start (the seed needs the kecamatan)."""
    catalogue = ServiceCatalogue(app[DATABASE])
    app[SERVICES] = catalogue
    await catalogue.seed()
    yield


def setup(app: web.Application) -> None:
    """Register after ``inventory_api.inventory_ctx`` (its cleanup context seeds the sites)."""
    app.cleanup_ctx.append(_catalogue_ctx)
    for method, pattern, handler, _op in ROUTES:
        app.router.add_route(method, pattern, handler)
    add_page(app, "/layanan", "layanan.html")
    add_page(app, "/layanan/kelola", "layanan-kelola.html", signed_in=True)


__all__ = ["ROUTES", "require_catalogue_editor", "setup"]
