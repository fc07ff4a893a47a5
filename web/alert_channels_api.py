"""REST of the alert channels and of the alerts people acknowledge; the channels' page.

``GET/POST /api/alert-channels``, ``GET/PATCH/DELETE /api/alert-channels/{id}``  e-mail and
Telegram channels (IT staff; a Telegram token is written, never read back)
``GET /api/alerts``                 recent alerts, with their acknowledgement (``open=1``: the
                                    outages still open)
``POST /api/alerts/{id}/ack``       acknowledge one with a note: it is not sent again
``/inventory/alerts``               the page where IT staff keep the channels (docs/dashboard.md)

``dispatcher(settings, db)`` makes the ``notify.ChannelDispatcher`` the live service's alerts go
to (``web/inventory_live_api.py`` wires it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from edge.keys import DATABASE
from network_inventory.alert_log import AckInput, Alert, AlertLog
from network_inventory.alerts import Backoff
from network_inventory.channels import AlertChannel, ChannelChange, ChannelInput, Channels
from network_inventory.notify import ChannelDispatcher, MailSettings, NotifySettings
from pendopo.config import Settings
from pendopo.db import Database, Then
from web import openapi
from web.auth import audited, require_address_reader, require_inventory_editor, require_staff
from web.errors import ApiNotFound, json_body
from web.pages import add_page
from web.paging import whole_list, whole_number

MAX_ALERTS = 200


def dispatcher(settings: Settings, db: Database) -> ChannelDispatcher:
    mail = (
        MailSettings(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_security,
            settings.smtp_user,
            settings.smtp_password,
            settings.smtp_from,
            str(settings.smtp_ca_file) if settings.smtp_ca_file else None,
        )
        if settings.smtp_host
        else None
    )
    return ChannelDispatcher(
        db, NotifySettings(mail, settings.telegram_api_url, Backoff(timeout_s=15.0))
    )


def _id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError as exc:
        raise ApiNotFound("not_found", "No such id.") from exc


def _channels(request: web.Request) -> Channels:
    return Channels(request.app[DATABASE])


def _audited(request: web.Request, action: str) -> Then:
    return audited(request, action, lambda channel_id: f"alert channel {channel_id}")


async def list_channels(request: web.Request) -> web.Response:
    require_address_reader(request)  # recipients and chats are people's addresses
    return whole_list(await _channels(request).all())


async def get_channel(request: web.Request) -> web.Response:
    require_address_reader(request)
    return web.json_response(await _channels(request).get(_id(request)))


async def create_channel(request: web.Request) -> web.Response:
    require_inventory_editor(request)
    then = _audited(request, "inventory.alert_channel_create")
    channel = await _channels(request).create(await json_body(request), then)
    return web.json_response(channel, status=201)


async def update_channel(request: web.Request) -> web.Response:
    require_inventory_editor(request)
    channel_id = _id(request)
    then = _audited(request, "inventory.alert_channel_update")
    body = await json_body(request)
    return web.json_response(await _channels(request).update(channel_id, body, then))


async def delete_channel(request: web.Request) -> web.Response:
    require_inventory_editor(request)
    channel_id = _id(request)
    await _channels(request).delete(channel_id, _audited(request, "inventory.alert_channel_delete"))
    return web.Response(status=204)


async def list_alerts(request: web.Request) -> web.Response:
    require_staff(request)
    limit = whole_number(request, "limit", 50, 1, MAX_ALERTS)
    open_only = request.query.get("open", "") in ("1", "true")
    items = await AlertLog(request.app[DATABASE]).recent(limit=limit, open_only=open_only)
    return whole_list(items)


async def acknowledge(request: web.Request) -> web.Response:
    user = require_inventory_editor(request)
    alert_id = _id(request)
    body = await json_body(request)
    then = audited(
        request,
        "inventory.alert_ack",
        lambda a: f"alert {a}",
        lambda _: {"note": body.get("note", "")},
    )
    name = user.username
    if user.display_name and user.display_name != user.username:
        name = f"{user.display_name} ({user.username})"
    return web.json_response(
        await AlertLog(request.app[DATABASE]).acknowledge(alert_id, name, body, then)
    )


def setup(app: web.Application) -> None:
    add_page(app, "/inventory/alerts", "alerts.html", signed_in=True)
    r = app.router
    r.add_get("/api/alert-channels", list_channels)
    r.add_post("/api/alert-channels", create_channel)
    r.add_get("/api/alert-channels/{id}", get_channel)
    r.add_patch("/api/alert-channels/{id}", update_channel)
    r.add_delete("/api/alert-channels/{id}", delete_channel)
    r.add_get("/api/alerts", list_alerts)
    r.add_post("/api/alerts/{id}/ack", acknowledge)


openapi.add_schemas(
    openapi.declared(ChannelInput, ChannelChange, AckInput, outputs=(AlertChannel, Alert))
)
_ALERT = openapi.ref("Alert")
_ID = openapi.Param("id", "path", {"type": "integer", "minimum": 1}, example=1)


def _list(items: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["items", "total"],
            "properties": {"items": {"type": "array", "items": items},
                           "total": {"type": "integer"}, "limit": {"type": "integer"},
                           "offset": {"type": "integer"}}}  # fmt: skip


def _body(schema: Mapping[str, Any], example: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema, "example": example}}


openapi.describe(
    openapi.Operation("GET", "/api/alert-channels", "E-mail and Telegram alert channels", "live",
        "address", response=_list(openapi.ref("AlertChannel"))),
    openapi.Operation("POST", "/api/alert-channels", "Add an alert channel", "live", "editor",
        body=_body(openapi.ref("ChannelInput"),
                   {"kind": "email", "name": "Piket TI", "recipients": ["ti@sragenkab.go.id"]}),
        response=openapi.ref("AlertChannel"), status=201),
    openapi.Operation("GET", "/api/alert-channels/{id}", "One alert channel", "live", "address",
        params=(_ID,), response=openapi.ref("AlertChannel")),
    openapi.Operation("PATCH", "/api/alert-channels/{id}", "Change an alert channel", "live",
        "editor", params=(_ID,),
        body=_body(openapi.ref("ChannelChange"),
                   {"enabled": False}),
        response=openapi.ref("AlertChannel")),
    openapi.Operation("DELETE", "/api/alert-channels/{id}", "Delete an alert channel", "live",
        "editor", params=(_ID,), status=204),
    openapi.Operation("GET", "/api/alerts", "Recent alerts and their acknowledgement", "live",
        "staff",
        params=(openapi.Param("open", schema={"enum": ["0", "1", "true", "false"]},
                              description="1: only outages still open"),
                openapi.Param("limit", schema={"type": "integer", "minimum": 1,
                                               "maximum": MAX_ALERTS, "default": 50})),
        response=_list(_ALERT)),
    openapi.Operation("POST", "/api/alerts/{id}/ack", "Acknowledge an alert with a note", "live",
        "editor", params=(_ID,),
        body=_body(openapi.ref("AckInput"),
                   {"note": "Teknisi menuju lokasi"}),
        response=_ALERT, errors=(409,)),
)  # fmt: skip
