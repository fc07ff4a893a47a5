"""REST of the inventory's live half: state, per-site history, the event log, webhooks.

``GET /api/state``                      counts by state, rollout, and every site's state
``GET /api/sites/{id}/history?range=``  24h (5-minute points) | 7d | 30d (hourly points)
``GET /api/events``                     state changes, newest first (filters: site, state)
``GET/POST /api/webhooks``, ``GET/PATCH/DELETE /api/webhooks/{id}``  alert receivers (IT staff)

Lists carry ``items``, ``total``, ``limit`` and ``offset``. Errors are ``{"error", "message"}``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import socketio
from aiohttp import web

from accounts import Role
from edge.clients import user_from_cookie_header
from edge.keys import ACCOUNTS, DATABASE, INVENTORY, LIVE, SETTINGS, SIO
from network_inventory import history
from network_inventory.live import NAMESPACE, LiveConfig, LiveService
from network_inventory.model import iso
from network_inventory.state import Policy, State
from web import openapi
from web.auth import (
    audited,
    require_address_reader,
    require_inventory_editor,
    require_staff,
)
from web.errors import ApiError, NotFound, json_body
from web.path_ids import storable_id

MAX_LIMIT = 1000
MAX_OFFSET = 10**9


def _page(request: web.Request, default: int = 100) -> tuple[int, int]:
    try:
        limit = int(request.query.get("limit", default))
        offset = int(request.query.get("offset", 0))
    except ValueError as exc:
        raise ApiError("invalid_query", "limit and offset must be whole numbers.") from exc
    if not 1 <= limit <= MAX_LIMIT or not 0 <= offset <= MAX_OFFSET:
        raise ApiError("invalid_query", f"limit must be 1..{MAX_LIMIT} and offset 0..{MAX_OFFSET}.")
    return limit, offset


def _state_filter(request: web.Request) -> State | None:
    raw = request.query.get("state")
    if raw is None or raw == "":
        return None
    try:
        return State(raw.lower())
    except ValueError as exc:
        names = ", ".join(s.value for s in State)
        raise ApiError("invalid_query", f"state must be one of: {names}.") from exc


def _int_param(request: web.Request, *names: str) -> int | None:
    for name in names:
        raw = request.query.get(name)
        if raw:
            if not raw.isascii() or not raw.isdigit() or not storable_id(raw):
                raise ApiError("invalid_query", f"{name} must be a site id.")
            return int(raw)
    return None


async def get_state(request: web.Request) -> web.Response:
    require_staff(request)  # link states and addresses: staff only
    live = request.app[LIVE]
    limit, offset = _page(request, default=MAX_LIMIT)
    state = _state_filter(request)
    kind = request.query.get("kind")
    parent = _int_param(request, "parent", "parent_id")
    rows = [
        s
        for s in live.site_states()
        if (state is None or s["state"] == state.value)
        and (kind is None or s["kind"] == kind)
        and (parent is None or s["parent_id"] == parent)
    ]
    body: dict[str, Any] = dict(live.summary())
    prober = live.prober
    body["probing"] = {
        "running": prober is not None,
        "icmp_method": prober.icmp_method if prober else None,
        "icmp_error": prober.icmp_error if prober else None,
        "last_sweep_at": iso(live.counters.last_sweep_at) if live.counters.sweeps else None,
        "last_sweep_s": round(live.counters.last_sweep_s, 3) if live.counters.sweeps else None,
    }
    body.update(items=rows[offset : offset + limit], total=len(rows), limit=limit, offset=offset)
    return web.json_response(body)


async def get_history(request: web.Request) -> web.Response:
    require_staff(request)
    site_id = _path_id(request)
    range_name = request.query.get("range", "24h")
    if range_name not in history.RANGES:
        raise ApiError("invalid_query", "range must be one of: 24h, 7d, 30d.")
    db = request.app[DATABASE]
    exists = await db.fetchone("SELECT 1 FROM sites WHERE id = ?", (site_id,))
    if exists is None:
        raise NotFound("not_found", f"No site {site_id}.")
    now = time.time()
    data = await db.read(lambda conn: history.site_history(conn, site_id, range_name, now))
    return web.json_response(data)


async def get_events(request: web.Request) -> web.Response:
    require_staff(request)
    limit, offset = _page(request)
    site_id = _int_param(request, "site", "site_id")
    state = _state_filter(request)
    where: list[str] = ["1 = 1"]
    params: list[object] = []
    if site_id is not None:
        where.append("e.site_id = ?")
        params.append(site_id)
    if state is not None:
        where.append("e.state = ?")
        params.append(state.value)
    clause = " AND ".join(where)

    def run(conn: sqlite3.Connection) -> tuple[int, list[sqlite3.Row]]:
        total = conn.execute(
            f"SELECT count(*) FROM inventory_events e WHERE {clause}", params
        ).fetchone()[0]
        rows = conn.execute(
            "SELECT e.*, s.code, s.name FROM inventory_events e"
            f" LEFT JOIN sites s ON s.id = e.site_id WHERE {clause}"
            " ORDER BY e.at DESC, e.id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        return total, rows

    total, rows = await request.app[DATABASE].read(run)
    items = [
        {
            "id": r["id"],
            "at": iso(r["at"]),
            "site_id": r["site_id"],
            "code": r["code"],
            "name": r["name"],
            "previous": r["previous"],
            "state": r["state"],
            "rtt_ms": r["rtt_ms"],
            "loss": r["loss"],
            "method": r["method"],
            "alert_id": r["alert_id"],
            "suppressed": r["suppressed"],
        }
        for r in rows
    ]
    return web.json_response({"items": items, "total": total, "limit": limit, "offset": offset})


# -- webhooks ---------------------------------------------------------------------------------


def _webhook(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "url": row["url"],
        "description": row["description"],
        "enabled": bool(row["enabled"]),
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "last_attempt_at": iso(row["last_attempt_at"]),
        "last_status": row["last_status"],
        "last_error": row["last_error"],
        "delivered": row["delivered"],
        "failed": row["failed"],
    }


def _validate_webhook(body: dict[str, object], *, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    unknown = set(body) - {"url", "description", "enabled"}
    if unknown:
        raise ApiError("validation_failed", f"Unknown field(s): {', '.join(sorted(unknown))}.")
    if "url" in body or not partial:
        url = body.get("url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ApiError("validation_failed", "url must be an http:// or https:// URL.")
        if len(str(url)) > 2000:
            raise ApiError("validation_failed", "url is too long (2000 characters at most).")
        out["url"] = url
    if "description" in body:
        desc = body["description"]
        if not isinstance(desc, str) or len(desc) > 500:
            raise ApiError("validation_failed", "description must be text (500 characters).")
        out["description"] = desc
    if "enabled" in body:
        if not isinstance(body["enabled"], bool):
            raise ApiError("validation_failed", "enabled must be true or false.")
        out["enabled"] = int(body["enabled"])
    return out


def _path_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError as exc:
        raise NotFound("not_found", "No such id.") from exc


async def list_webhooks(request: web.Request) -> web.Response:
    require_address_reader(request)  # URLs may carry tokens
    rows = await request.app[DATABASE].fetchall("SELECT * FROM inventory_webhooks ORDER BY id")
    items = [_webhook(r) for r in rows]
    return web.json_response(
        {"items": items, "total": len(items), "limit": len(items), "offset": 0}
    )


async def get_webhook(request: web.Request) -> web.Response:
    require_address_reader(request)
    return web.json_response(await _load_webhook(request, _path_id(request)))


async def _load_webhook(request: web.Request, hook_id: int) -> dict[str, Any]:
    row = await request.app[DATABASE].fetchone(
        "SELECT * FROM inventory_webhooks WHERE id = ?", (hook_id,)
    )
    if row is None:
        raise NotFound("not_found", f"No webhook {hook_id}.")
    return _webhook(row)


async def _write_audited(
    request: web.Request, action: str, sql: str, params: tuple[object, ...], hook_id: int = 0
) -> int:
    """One webhook statement and its audit record in one transaction; the webhook's id
    (``hook_id``, or the new row's)."""
    then = audited(request, action, lambda row_id: f"webhook {row_id}")

    def run(conn: sqlite3.Connection) -> int:
        cursor = conn.execute(sql, params)
        row_id = hook_id or cursor.lastrowid or 0
        then(conn, row_id)
        return row_id

    return await request.app[DATABASE].write(run)


async def create_webhook(request: web.Request) -> web.Response:
    require_inventory_editor(request)
    values = _validate_webhook(await json_body(request), partial=False)
    now = time.time()
    hook_id = await _write_audited(
        request,
        "inventory.webhook_create",
        "INSERT INTO inventory_webhooks (url, description, enabled, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (values["url"], values.get("description", ""), values.get("enabled", 1), now, now),
    )
    return web.json_response(await _load_webhook(request, hook_id), status=201)


async def update_webhook(request: web.Request) -> web.Response:
    require_inventory_editor(request)
    hook_id = _path_id(request)
    values = _validate_webhook(await json_body(request), partial=True)
    await _load_webhook(request, hook_id)
    if values:
        sets = ", ".join(f"{k} = ?" for k in values)
        await _write_audited(
            request,
            "inventory.webhook_update",
            f"UPDATE inventory_webhooks SET {sets}, updated_at = ? WHERE id = ?",
            (*values.values(), time.time(), hook_id),
            hook_id,
        )
    return web.json_response(await _load_webhook(request, hook_id))


async def delete_webhook(request: web.Request) -> web.Response:
    require_inventory_editor(request)
    hook_id = _path_id(request)
    await _load_webhook(request, hook_id)
    await _write_audited(
        request,
        "inventory.webhook_delete",
        "DELETE FROM inventory_webhooks WHERE id = ?",
        (hook_id,),
        hook_id,
    )
    return web.Response(status=204)


def _socket_handlers(app: web.Application) -> None:
    """Namespace ``/inventory``: signed-in users only; a new client gets the summary at once."""
    sio = app[SIO]

    async def connect(sid: str, environ: dict[str, Any], auth: object = None) -> bool:
        user = await user_from_cookie_header(app[ACCOUNTS], environ.get("HTTP_COOKIE"))
        if user is None:
            raise socketio.exceptions.ConnectionRefusedError(
                {"error": "unauthorised", "message": "Sign in first."}
            )
        if user.role is Role.SITE:
            raise socketio.exceptions.ConnectionRefusedError(
                {"error": "forbidden", "message": "Site accounts may not see this."}
            )
        live = app.get(LIVE)
        if live is not None:  # sent once the connection is accepted, i.e. after this returns
            sio.start_background_task(
                sio.emit, "summary", live.summary(), to=sid, namespace=NAMESPACE
            )
        return True

    sio.on("connect", connect, namespace=NAMESPACE)


def setup(app: web.Application) -> None:
    """Routes, socket.io namespace, and the live service's lifetime (register after the
    database's cleanup_ctx)."""
    app.cleanup_ctx.append(_live_service)
    _socket_handlers(app)
    r = app.router
    r.add_get("/api/state", get_state)
    r.add_get("/api/sites/{id}/history", get_history)
    r.add_get("/api/events", get_events)
    r.add_get("/api/webhooks", list_webhooks)
    r.add_post("/api/webhooks", create_webhook)
    r.add_get("/api/webhooks/{id}", get_webhook)
    r.add_patch("/api/webhooks/{id}", update_webhook)
    r.add_delete("/api/webhooks/{id}", delete_webhook)


async def _live_service(app: web.Application) -> AsyncIterator[None]:
    """Create the live service; start the prober when ``probe_enabled``; stop it on shutdown."""
    settings = app[SETTINGS]
    config = LiveConfig(
        interval_s=settings.probe_interval,
        policy=Policy(
            loss_degraded=settings.probe_loss_degraded,
            rtt_degraded_ms=settings.probe_rtt_degraded_ms,
            down_rounds=settings.probe_down_rounds,
            up_rounds=settings.probe_up_rounds,
        ),
    )
    live = LiveService(app[DATABASE], config, emitter=app[SIO])
    app[LIVE] = live
    unsubscribe = None
    inventory = app.get(INVENTORY)
    if inventory is not None:  # state filters of the sites API; edits seen before the next sweep
        inventory.states = live
        unsubscribe = inventory.subscribe(live.inventory_changed)
    if settings.probe_enabled:
        await live.start()
    else:
        await live.load()
    try:
        yield
    finally:
        if unsubscribe is not None:
            unsubscribe()
        await live.stop()


_NS, _NN = {"type": ["string", "null"]}, {"type": ["number", "null"]}
_STATES = {"enum": [st.value for st in State]}
_WEBHOOK = {
    "type": "object",
    "required": ["id", "url", "enabled"],
    "properties": {
        "id": {"type": "integer"},
        "url": {"type": "string"},
        "description": {"type": "string"},
        "enabled": {"type": "boolean"},
        "created_at": _NS,
        "updated_at": _NS,
        "last_attempt_at": _NS,
        "last_status": {"type": ["integer", "null"]},
        "last_error": _NS,
        "delivered": {"type": "integer"},
        "failed": {"type": "integer"},
    },
}
_WEBHOOK_FIELDS = {
    "url": {"type": "string", "format": "uri", "description": "http:// or https://"},
    "description": {"type": "string", "maxLength": 500},
    "enabled": {"type": "boolean"},
}
_WEBHOOK_ID = openapi.Param("id", "path", {"type": "integer", "minimum": 1}, example=1)
_PAGE = (
    openapi.Param("limit", schema={"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
    openapi.Param("offset", schema={"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}),
)
_SITE_ID = {"type": "integer", "minimum": 1}


def _json_body(schema: dict[str, Any], example: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema, "example": example}}


def _list(items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "total"],
        "properties": {"items": {"type": "array", "items": items}, "total": {"type": "integer"},
                       "limit": {"type": "integer"}, "offset": {"type": "integer"}, **extra},
    }  # fmt: skip


openapi.describe(
    openapi.Operation("GET", "/api/state", "Every site's probe state and the rollout summary",
        "live", "staff",
        params=(openapi.Param("state", schema=_STATES), openapi.Param("kind"),
                openapi.Param("parent", schema=_SITE_ID, description="parent site id"),
                openapi.Param("parent_id", schema=_SITE_ID), *_PAGE),
        response=_list({"type": "object", "properties": {"site_id": {"type": "integer"},
                        "state": _STATES}},
                       counts={"type": "object", "additionalProperties": {"type": "integer"}},
                       rollout={"type": "object"}, probing={"type": "object"})),
    openapi.Operation("GET", "/api/sites/{id}/history", "A site's RTT/loss roll-ups over a range",
        "live", "staff",
        params=(openapi.Param("id", "path", _SITE_ID, example=1),
                openapi.Param("range", schema={"enum": list(history.RANGES), "default": "24h"})),
        response={"type": "object", "required": ["site_id", "range", "points"],
                  "properties": {"site_id": {"type": "integer"}, "range": {"type": "string"},
                                 "points": {"type": "array", "items": {"type": "object"}}}}),
    openapi.Operation("GET", "/api/events", "State changes (event log), newest first", "live",
        "staff",
        params=(openapi.Param("site", schema=_SITE_ID, description="site id"),
                openapi.Param("site_id", schema=_SITE_ID),
                openapi.Param("state", schema=_STATES), *_PAGE),
        response=_list({"type": "object", "properties": {
            "id": {"type": "integer"}, "at": _NS, "site_id": {"type": ["integer", "null"]},
            "code": _NS, "name": _NS, "previous": _NS, "state": {"type": "string"},
            "rtt_ms": _NN, "loss": _NN, "method": _NS}})),
    openapi.Operation("GET", "/api/webhooks", "Alert webhooks", "live", "address",
        response=_list(_WEBHOOK)),
    openapi.Operation("POST", "/api/webhooks", "Add an alert webhook", "live", "editor",
        body=_json_body({"type": "object", "required": ["url"], "properties": _WEBHOOK_FIELDS,
                         "additionalProperties": False}, {"url": "http://127.0.0.1:9/hook"}),
        response=_WEBHOOK, status=201),
    openapi.Operation("GET", "/api/webhooks/{id}", "One alert webhook", "live", "address",
        params=(_WEBHOOK_ID,), response=_WEBHOOK),
    openapi.Operation("PATCH", "/api/webhooks/{id}", "Change an alert webhook", "live", "editor",
        params=(_WEBHOOK_ID,),
        body=_json_body({"type": "object", "properties": _WEBHOOK_FIELDS,
                         "additionalProperties": False}, {"enabled": False}),
        response=_WEBHOOK),
    openapi.Operation("DELETE", "/api/webhooks/{id}", "Delete an alert webhook", "live", "editor",
        params=(_WEBHOOK_ID,), status=204),
)  # fmt: skip
