"""REST API of the network inventory under ``/api/``: sites, links, probe targets, imports,
CSV exports and the change log.

Reads need a signed-in user; mutations need an inventory editor (admin or it). Inventory errors
are translated here, once: validation 400 (with ``details``), not found 404, conflict 409. The
route table below also feeds the OpenAPI document (``web/openapi.py``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from edge.keys import DATABASE, INVENTORY, LIVE, SETTINGS, SITES
from network_inventory import (
    Conflict,
    Inventory,
    InventoryError,
    LinkStatus,
    Medium,
    NotFound,
    ProbeKind,
    SiteKind,
)
from network_inventory.directory import InventorySites
from network_inventory.model import Change, Link, ProbeTarget, Site
from network_inventory.records import LinkInput, ProbeInput, SiteInput
from network_inventory.rows_import import RowsReport
from pendopo.db import Then
from web import openapi
from web.auth import audited, require_address_reader, require_inventory_editor, require_staff
from web.errors import json_body, register
from web.openapi import Operation, Param, page_of, ref
from web.paging import PARAMS, page_response, paging, whole_number
from web.path_ids import storable_id

log = logging.getLogger(__name__)

IMPORT_MAX_BYTES = 8 * 1024 * 1024
"""Largest import upload (all files together); larger ones get 413 too_large."""
CHANGE_ENTITIES = ("site", "link", "probe", "inventory", "service", "maintenance")
"""What the change log records changes of (``maintenance``: recurring maintenance windows)."""

# The inventory's typed errors, translated once by web.errors.error_middleware (with their
# ``details``): here and in the live half's API (web/inventory_live_api.py).
register(NotFound, 404)
register(Conflict, 409)
register(InventoryError, 400)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _bad(message: str, field: str) -> InventoryError:
    return InventoryError(message, details=[{"field": field, "message": message}])


# -- query parameters -----------------------------------------------------------------------
def _choices(request: web.Request, name: str, enum_type: type[StrEnum]) -> list[str]:
    """``?kind=desa,kelurahan`` (or repeated) checked against the enum."""
    values = [v.strip().lower() for raw in request.query.getall(name, []) for v in raw.split(",")]
    values = [v for v in values if v]
    allowed = {e.value for e in enum_type}
    wrong = [v for v in values if v not in allowed]
    if wrong:
        raise _bad(f"{name} must be among: {', '.join(sorted(allowed))}.", name)
    return values


def _site_ref(text: str | None, name: str) -> int | str | None:
    if text is None or text == "":
        return None
    text = text.strip()
    if text.isascii() and text.isdigit() and storable_id(text):
        return int(text)
    from network_inventory.records import CODE_RE

    if CODE_RE.match(text):
        return text
    raise _bad(f"{name} must be a site id or code (e.g. 33.14.01).", name)


def _bool(request: web.Request, name: str) -> bool | None:
    text = request.query.get(name)
    if text is None or text == "":
        return None
    if text.lower() in ("1", "true", "yes"):
        return True
    if text.lower() in ("0", "false", "no"):
        return False
    raise _bad(f"{name} must be true or false.", name)


def _inventory(request: web.Request) -> Inventory:
    return request.app[INVENTORY]


def _site_json(inv: Inventory, site: Site, *, boundary: bool = True) -> dict[str, Any]:
    data = site.public(with_boundary=boundary)
    data["state"] = inv.states.state_of(site.id) if inv.states else None
    return data


def _path_ref(request: web.Request) -> int | str:
    ref_ = _site_ref(request.match_info["ref"], "ref")
    assert ref_ is not None
    return ref_


def _path_id(request: web.Request, name: str = "id") -> int:
    return int(request.match_info[name])


def _editor(request: web.Request) -> str:
    return require_inventory_editor(request).username


# -- sites ------------------------------------------------------------------------------------
async def list_sites(request: web.Request) -> web.Response:
    require_staff(request)
    inv = _inventory(request)
    asked = paging(request)
    state = request.query.get("state") or None
    page = await inv.list_sites(
        kinds=_choices(request, "kind", SiteKind),
        parent=_site_ref(request.query.get("parent"), "parent"),
        uplink_status=_choices(request, "status", LinkStatus),
        state=state.upper() if state else None,
        q=request.query.get("q") or None,
        limit=asked.limit,
        offset=asked.offset,
    )
    boundary = bool(_bool(request, "boundary"))
    return page_response(page, [_site_json(inv, s, boundary=boundary) for s in page.items])


async def get_site(request: web.Request) -> web.Response:
    require_staff(request)
    inv = _inventory(request)
    return web.json_response(_site_json(inv, await inv.get_site(_path_ref(request))))


def site_target(site: Site) -> str:
    """How the audit log names a site: ``site Kalijambe (33.14.01, id 5)``, or ``site Pos
    Ronda (id 230)`` for a site without a Kemendagri code."""
    return f"site {site.name} ({site.code + ', ' if site.code else ''}id {site.id})"


def _audited(request: web.Request, action: str) -> Then:
    """The audit record of an inventory change, in the change's transaction."""
    noun = action.removeprefix("inventory.").split("_")[0]
    target: Callable[[Any], str] = (
        site_target if noun == "site" else lambda record: f"{noun} {record.id}"
    )
    return audited(request, action, target)


async def create_site(request: web.Request) -> web.Response:
    user = _editor(request)
    inv = _inventory(request)
    then = _audited(request, "inventory.site_create")
    site = await inv.create_site(await json_body(request), user=user, then=then)
    return web.json_response(_site_json(inv, site), status=201)


async def update_site(request: web.Request) -> web.Response:
    user = _editor(request)
    inv = _inventory(request)
    then = _audited(request, "inventory.site_update")
    site = await inv.update_site(_path_ref(request), await json_body(request), user=user, then=then)
    return web.json_response(_site_json(inv, site))


async def delete_site(request: web.Request) -> web.Response:
    user = _editor(request)
    then = _audited(request, "inventory.site_delete")
    await _inventory(request).delete_site(_path_ref(request), user=user, then=then)
    return web.Response(status=204)


# -- links and probe targets: one-record reads and mutations ----------------------------------
class _Answerable(Protocol):
    """A link or probe target as the routes below answer it: its id and its JSON."""

    @property
    def id(self) -> int: ...

    def public(self) -> dict[str, Any]: ...


class _Create(Protocol):
    def __call__(
        self, inv: Inventory, data: Mapping[str, Any], /, *, user: str, then: Then | None
    ) -> Awaitable[_Answerable]: ...


class _Update(Protocol):
    def __call__(
        self,
        inv: Inventory,
        record_id: int,
        data: Mapping[str, Any],
        /,
        *,
        user: str,
        then: Then | None,
    ) -> Awaitable[_Answerable]: ...


class _Delete(Protocol):
    def __call__(
        self, inv: Inventory, record_id: int, /, *, user: str, then: Then | None
    ) -> Awaitable[None]: ...


def _record_handlers(
    noun: str,
    reader: Callable[[web.Request], object],
    get: Callable[[Inventory, int], Awaitable[_Answerable]],
    create: _Create,
    update: _Update,
    delete: _Delete,
) -> tuple[Handler, Handler, Handler, Handler]:
    """GET, POST, PATCH and DELETE of one record by id: ``reader`` checks who may read, an
    inventory editor may change; each change is audited as ``inventory.<noun>_<action>``."""

    async def get_one(request: web.Request) -> web.Response:
        reader(request)
        return web.json_response((await get(_inventory(request), _path_id(request))).public())

    async def create_one(request: web.Request) -> web.Response:
        user = _editor(request)
        then = _audited(request, f"inventory.{noun}_create")
        record = await create(_inventory(request), await json_body(request), user=user, then=then)
        return web.json_response(record.public(), status=201)

    async def update_one(request: web.Request) -> web.Response:
        user = _editor(request)
        body = await json_body(request)
        then = _audited(request, f"inventory.{noun}_update")
        record = await update(_inventory(request), _path_id(request), body, user=user, then=then)
        return web.json_response(record.public())

    async def delete_one(request: web.Request) -> web.Response:
        user = _editor(request)
        then = _audited(request, f"inventory.{noun}_delete")
        await delete(_inventory(request), _path_id(request), user=user, then=then)
        return web.Response(status=204)

    return get_one, create_one, update_one, delete_one


# -- links ------------------------------------------------------------------------------------
async def list_links(request: web.Request) -> web.Response:
    require_staff(request)
    asked = paging(request)
    page = await _inventory(request).list_links(
        site=_site_ref(request.query.get("site"), "site"),
        parent=_site_ref(request.query.get("parent"), "parent"),
        statuses=_choices(request, "status", LinkStatus),
        media=_choices(request, "medium", Medium),
        limit=asked.limit,
        offset=asked.offset,
    )
    return page_response(page, [link.public() for link in page.items])


get_link, create_link, update_link, delete_link = _record_handlers(
    "link",
    require_staff,
    Inventory.get_link,
    Inventory.create_link,
    Inventory.update_link,
    Inventory.delete_link,
)


# -- probe targets ----------------------------------------------------------------------------
async def list_probes(request: web.Request) -> web.Response:
    require_address_reader(request)
    asked = paging(request)
    kinds = _choices(request, "kind", ProbeKind)
    if len(kinds) > 1:
        raise _bad("kind takes one value.", "kind")
    page = await _inventory(request).list_probes(
        site=_site_ref(request.query.get("site"), "site"),
        kind=kinds[0] if kinds else None,
        enabled=_bool(request, "enabled"),
        limit=asked.limit,
        offset=asked.offset,
    )
    return page_response(page, [p.public() for p in page.items])


get_probe, create_probe, update_probe, delete_probe = _record_handlers(
    "probe",
    require_address_reader,
    Inventory.get_probe,
    Inventory.create_probe,
    Inventory.update_probe,
    Inventory.delete_probe,
)


# -- imports and exports ----------------------------------------------------------------------
class _TooLarge(web.HTTPRequestEntityTooLarge):
    def __init__(self) -> None:
        super().__init__(max_size=IMPORT_MAX_BYTES, actual_size=IMPORT_MAX_BYTES + 1)


async def _form_files(request: web.Request) -> list[tuple[str, bytes]]:
    """Every part of a multipart form that carries a filename (all together at most
    ``IMPORT_MAX_BYTES``); a form aiohttp cannot parse is a 400 ``invalid_multipart``."""
    files: list[tuple[str, bytes]] = []
    total = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            chunks = []
            while chunk := await part.read_chunk(64 * 1024):
                total += len(chunk)
                if total > IMPORT_MAX_BYTES:
                    raise _TooLarge()
                chunks.append(chunk)
            if part.filename:
                files.append((part.filename, b"".join(chunks)))
    except ValueError as exc:  # no boundary, or a part without one
        raise _bad_form("it has no boundary or a part is cut off") from exc
    except HttpProcessingError as exc:  # a part header with a control character, ...
        raise _bad_form("a part's header is malformed") from exc
    if not files:
        raise InventoryError("The form has no file.", code="no_files")
    return files


def _bad_form(why: str) -> InventoryError:
    return InventoryError(
        f"The upload is not a valid multipart form: {why}.", code="invalid_multipart"
    )


async def _uploads(request: web.Request, default_name: str) -> list[tuple[str, bytes]]:
    """Files of a multipart form (any field with a filename), or the raw body as one file."""
    if request.content_length is not None and request.content_length > IMPORT_MAX_BYTES:
        raise _TooLarge()
    if request.content_type.startswith("multipart/"):
        return await _form_files(request)
    body = await request.read()
    if not body:
        raise InventoryError("The request body is empty.", code="no_files")
    name = request.query.get("filename") or default_name
    if request.content_type in ("application/json", "application/geo+json"):
        name = request.query.get("filename") or "upload.geojson"
    return [(name, body)]


def _audited_import(request: web.Request, what: str, names: list[str]) -> Then:
    """The audit record of an import (not of a dry run: it writes nothing): its files and
    counts, in the import's transaction."""

    def counts(report: Any) -> dict[str, object]:
        public = report.public()
        return {k: v for k, v in public.items() if isinstance(v, int) and not isinstance(v, bool)}

    return audited(request, f"inventory.{what}_import", lambda _: ", ".join(names)[:300], counts)


async def import_regions(request: web.Request) -> web.Response:
    user = _editor(request)
    files = await _uploads(request, "upload.csv")
    report = await _inventory(request).import_regions(
        files,
        user=user,
        dry_run=bool(_bool(request, "dry_run")),
        then=_audited_import(request, "regions", [n for n, _ in files]),
    )
    return web.json_response(report.public())


class _ImportRows(Protocol):
    def __call__(
        self,
        inv: Inventory,
        data: bytes,
        source: str,
        /,
        *,
        user: str,
        dry_run: bool,
        then: Then | None,
    ) -> Awaitable[RowsReport]: ...


async def _import_rows(request: web.Request, what: str, run: _ImportRows) -> web.Response:
    """One CSV file of links or probe targets (all rows or nothing), audited when not dry."""
    user = _editor(request)
    files = await _uploads(request, f"{what}.csv")
    if len(files) != 1:
        raise InventoryError("Send one CSV file.", code="one_file")
    name, data = files[0]
    report = await run(
        _inventory(request),
        data,
        name,
        user=user,
        dry_run=bool(_bool(request, "dry_run")),
        then=_audited_import(request, what, [name]),
    )
    return web.json_response(report.public())


async def import_links(request: web.Request) -> web.Response:
    return await _import_rows(request, "links", Inventory.import_links)


async def import_probes(request: web.Request) -> web.Response:
    return await _import_rows(request, "probes", Inventory.import_probes)


def _exporter(what: str) -> Handler:
    async def export(request: web.Request) -> web.Response:
        if what == "probes":
            require_address_reader(request)
        else:
            require_staff(request)
        text = await _inventory(request).export_csv(what)
        return web.Response(
            text=text,
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{what}.csv"'},
        )

    export.__doc__ = f"The {what} as CSV."
    return export


# -- change log -------------------------------------------------------------------------------
async def list_changes(request: web.Request) -> web.Response:
    require_staff(request)
    asked = paging(request)
    entity = request.query.get("entity") or None
    if entity is not None and entity not in CHANGE_ENTITIES:
        raise _bad(f"entity must be one of: {', '.join(CHANGE_ENTITIES)}.", "entity")
    entity_id = whole_number(request, "entity_id", 0, 1, 2**62) or None
    page = await _inventory(request).changes(
        entity=entity,
        entity_id=entity_id,
        user=request.query.get("user") or None,
        limit=asked.limit,
        offset=asked.offset,
    )
    return page_response(page, [c.public() for c in page.items])


# -- route table ------------------------------------------------------------------------------
SITE_REF = r"{ref:\d+|\d+(?:\.\d+)+}"
"""A site in a path: its numeric id or its code (``/api/sites/33.14.01``)."""
ID = r"{id:\d+}"

_JSON = "application/json"
_CSV_BODY = {
    "text/csv": {
        "schema": {"type": "string"},
        "example": "site_id,parent_site_id,medium\r\n2,1,fiber\r\n",
    },
    "multipart/form-data": {
        "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
    },
}
_REGION_BODY = {
    "text/csv": {"schema": {"type": "string"}},
    "application/geo+json": {"schema": {"type": "object"}},
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "properties": {
                "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
            },
        }
    },
}
_DRY = Param(
    "dry_run",
    schema={"type": "boolean"},
    description="check and report, write nothing",
    example=True,
)
_FILENAME = Param("filename", description="name of a raw-body upload (.csv or .geojson)")
_REF = Param(
    "ref", "path", {"type": "string", "pattern": r"^\d+(\.\d+)*$"}, "site id or code", example="1"
)
_ID = Param("id", "path", {"type": "integer", "minimum": 1}, example=1)


def _body(name: str, example: Mapping[str, Any]) -> dict[str, Any]:
    return {_JSON: {"schema": ref(name), "example": example}}


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: Handler
    op: Operation


def _routes() -> Sequence[Route]:
    site_filters = (
        Param("kind", schema=_list_of(SiteKind), description="comma-separated"),
        Param("parent", description="parent site id or code"),
        Param("status", schema=_list_of(LinkStatus), description="primary uplink status"),
        Param("state", description="state reported by the prober (UP, DOWN, ...)"),
        Param("q", description="search in names and codes"),
        Param("boundary", schema={"type": "boolean"}, description="include boundaries"),
    )
    link_filters = (
        Param("site", description="site id or code"),
        Param("parent", description="parent site id or code"),
        Param("status", schema=_list_of(LinkStatus), description="comma-separated"),
        Param("medium", schema=_list_of(Medium), description="comma-separated"),
    )
    probe_filters = (
        Param("site", description="site id or code"),
        Param("kind", schema=_enum(ProbeKind)),
        Param("enabled", schema={"type": "boolean"}),
    )
    change_filters = (
        Param("entity", schema={"enum": list(CHANGE_ENTITIES)}),
        Param("entity_id", schema={"type": "integer", "minimum": 1, "maximum": 2**62}),
        Param("user"),
    )
    s, lk, p = "/api/sites", "/api/links", "/api/probes"
    E = "editor"

    def op(method: str, path: str, summary: str, tag: str, auth: str = "staff", **kw: Any) -> Any:
        if method in ("POST", "PATCH", "DELETE") and not path.startswith("/api/import/"):
            kw.setdefault("errors", (409,))  # duplicate_code, has_children, parent_cycle
        return Operation(method, path, summary, tag, auth, **kw)

    site_path, link_path, probe_path = f"{s}/{{ref}}", f"{lk}/{{id}}", f"{p}/{{id}}"
    csv_response = {"type": "string"}
    return [
        Route("GET", s, list_sites, op("GET", s, "List sites", "inventory",
              params=(*site_filters, *PARAMS), response=page_of("Site"),
              errors=(404,))),
        Route("POST", s, create_site, op("POST", s, "Create a site", "inventory", E,
              body=_body("SiteInput", {"name": "Pos Uji", "kind": "other", "parent": 1}),
              response=ref("Site"), status=201)),
        Route("GET", f"{s}/{SITE_REF}", get_site, op("GET", site_path, "One site",
              "inventory", params=(_REF,), response=ref("Site"))),
        Route("PATCH", f"{s}/{SITE_REF}", update_site, op("PATCH", site_path,
              "Change a site (only the given fields)", "inventory", E, params=(_REF,),
              body=_body("SiteInput", {"notes": "diperiksa"}), response=ref("Site"))),
        Route("DELETE", f"{s}/{SITE_REF}", delete_site, op("DELETE", site_path,
              "Delete a site without children (its links and probes go too)", "inventory",
              E, params=(_REF,), status=204)),
        Route("GET", lk, list_links, op("GET", lk, "List links", "inventory",
              params=(*link_filters, *PARAMS), response=page_of("Link"),
              errors=(404,))),
        Route("POST", lk, create_link, op("POST", lk, "Create a link", "inventory", E,
              body=_body("LinkInput", {"site": 3, "parent": 1, "medium": "wireless"}),
              response=ref("Link"), status=201)),
        Route("GET", f"{lk}/{ID}", get_link, op("GET", link_path, "One link",
              "inventory", params=(_ID,), response=ref("Link"))),
        Route("PATCH", f"{lk}/{ID}", update_link, op("PATCH", link_path,
              "Change a link", "inventory", E, params=(_ID,),
              body=_body("LinkInput", {"notes": "ok"}), response=ref("Link"))),
        Route("DELETE", f"{lk}/{ID}", delete_link, op("DELETE", link_path,
              "Delete a link", "inventory", E, params=(_ID,), status=204)),
        Route("GET", p, list_probes, op("GET", p, "List probe targets", "inventory", E,
              params=(*probe_filters, *PARAMS), response=page_of("ProbeTarget"),
              errors=(404,))),
        Route("POST", p, create_probe, op("POST", p, "Create a probe target",
              "inventory", E, response=ref("ProbeTarget"),
              body=_body("ProbeInput", {"site": 1, "kind": "icmp", "host": "127.0.0.1"}),
              status=201)),
        Route("GET", f"{p}/{ID}", get_probe, op("GET", probe_path, "One probe target",
              "inventory", E, params=(_ID,), response=ref("ProbeTarget"))),
        Route("PATCH", f"{p}/{ID}", update_probe, op("PATCH", probe_path,
              "Change a probe target", "inventory", E, params=(_ID,),
              body=_body("ProbeInput", {"enabled": False}), response=ref("ProbeTarget"))),
        Route("DELETE", f"{p}/{ID}", delete_probe, op("DELETE", probe_path,
              "Delete a probe target", "inventory", E, params=(_ID,), status=204)),
        Route("POST", "/api/import/regions", import_regions, op("POST",
              "/api/import/regions", "Import Kemendagri CSV/GeoJSON (codes, kinds, "
              "coordinates, boundaries)", "import", E, params=(_DRY, _FILENAME),
              body=_REGION_BODY, response=ref("RegionReport"))),
        Route("POST", "/api/import/links", import_links, op("POST", "/api/import/links",
              "Import links from CSV (all rows or nothing)", "import", E,
              params=(_DRY, _FILENAME), body=_CSV_BODY, response=ref("RowsReport"))),
        Route("POST", "/api/import/probes", import_probes, op("POST",
              "/api/import/probes", "Import probe targets from CSV (all rows or nothing)",
              "import", E, params=(_DRY, _FILENAME), body=_CSV_BODY,
              response=ref("RowsReport"))),
        *(
            Route("GET", f"/api/export/{what}.csv", _exporter(what), op("GET",
                  f"/api/export/{what}.csv", f"Export {what} as CSV", "import",
                  E if what == "probes" else "staff", response=csv_response,
                  content_type="text/csv"))
            for what in ("sites", "links", "probes")
        ),
        Route("GET", "/api/changes", list_changes, op("GET", "/api/changes",
              "The change log, newest first", "inventory",
              params=(*change_filters, *PARAMS), response=page_of("Change"))),
    ]  # fmt: skip


def _enum(enum_type: type[StrEnum]) -> dict[str, Any]:
    return {"type": "string", "enum": [e.value for e in enum_type]}


def _list_of(enum_type: type[StrEnum]) -> dict[str, Any]:
    """A comma-separated query list of enum values (``?kind=desa,kelurahan``)."""
    return {"type": "array", "items": _enum(enum_type), "uniqueItems": True}


_S, _I, _B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}

SCHEMAS: dict[str, dict[str, Any]] = {
    **openapi.declared(
        SiteInput, LinkInput, ProbeInput, outputs=(Site, Link, ProbeTarget, Change, RowsReport)
    ),
    "RegionReport": {
        "type": "object",
        "properties": {
            "dry_run": _B,
            "matched": {"type": "object", "additionalProperties": _I},
            "matched_total": _I,
            "rules": {"type": "object", "additionalProperties": _I},
            "kinds": {"type": "object", "additionalProperties": _I},
            "updated": _I,
            "renamed": {"type": "array", "items": {"type": "object"}},
            "fuzzy": {"type": "array", "items": {"type": "object"}},
            "added": {"type": "array", "items": {"type": "object"}},
            "unmatched": {"type": "array", "items": {"type": "object"}},
            "notes": {"type": "array", "items": _S},
        },
    },
}

# What the API adds to a stored site: its state (``_site_json``).
SCHEMAS["Site"]["properties"]["state"] = {
    "type": ["string", "null"],
    "description": "from the prober; null until it reports",
}
ROUTES = _routes()
openapi.add_schemas(SCHEMAS)
openapi.describe(*(r.op for r in ROUTES))


def setup(app: web.Application) -> None:
    for route in ROUTES:
        app.router.add_route(route.method, route.pattern, route.handler)


async def inventory_ctx(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context (after the database's): the ``Inventory`` service, and on first start
    the seed of ``Settings.region`` with its Kemendagri codes (``Settings.region_data_dir``, else
    the files shipped for the region): ``Inventory.first_start``."""
    settings = app[SETTINGS]
    inventory = Inventory(app[DATABASE])
    app[INVENTORY] = inventory
    await inventory.first_start(settings.region, settings.region_data_dir)
    # The join page's sites and each session's link health come from here (rooms.SiteDirectory).
    directory = InventorySites(inventory, lambda: app[LIVE].status if LIVE in app else {})
    app[SITES] = directory
    yield
    directory.close()


__all__ = ["IMPORT_MAX_BYTES", "ROUTES", "inventory_ctx", "setup"]
