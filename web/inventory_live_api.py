"""REST of the inventory's live half: state, per-site history, the event log, webhooks.

``GET /api/state``                      counts by state, rollout, and every site's state
``GET /api/sites/{id}/history?range=``  24h (5-minute points) | 7d | 30d (hourly points)
``GET /api/events``                     state changes, newest first (filters: site, state)
``GET/POST /api/webhooks``, ``GET/PATCH/DELETE /api/webhooks/{id}``  alert receivers (IT staff)

Lists carry ``items``, ``total``, ``limit`` and ``offset``. Errors are ``{"error", "message"}``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import socketio
from aiohttp import web

from accounts import AccountRole
from edge.clients import user_from_cookie_header
from edge.keys import ACCOUNTS, DATABASE, INVENTORY, LIVE, SETTINGS, SIO
from network_inventory import events, history
from network_inventory.alerts import WebhookDispatcher
from network_inventory.events import StateEvent
from network_inventory.history import SiteHistory
from network_inventory.live import NAMESPACE, LiveConfig, LiveService
from network_inventory.live_answer import StateAnswer
from network_inventory.records import CODE_RE
from network_inventory.state import Policy, State
from network_inventory.webhooks import Webhook, WebhookChange, WebhookInput, Webhooks
from pendopo.db import Then
from pendopo.declared import as_json
from web import alert_channels_api, openapi
from web.auth import (
    audited,
    require_address_reader,
    require_inventory_editor,
    require_staff,
)
from web.errors import ApiError, ApiNotFound, json_body
from web.paging import MAX_LIMIT, page_response, paging, whole_list
from web.paging import params as page_params
from web.path_ids import storable_id


def _state_filter(request: web.Request) -> State | None:
    raw = request.query.get("state")
    if raw is None or raw == "":
        return None
    try:
        return State(raw.lower())
    except ValueError as exc:
        names = ", ".join(s.value for s in State)
        raise ApiError("invalid_query", f"state must be one of: {names}.") from exc


def _site_param(request: web.Request, *names: str) -> int | None:
    """A site filter of the query: an id, or a Kemendagri code (``33.14.19``) like everywhere
    else in the API; a code the inventory does not have is 404 ``site_not_found``."""
    for name in names:
        raw = (request.query.get(name) or "").strip()
        if not raw:
            continue
        if raw.isascii() and raw.isdigit() and storable_id(raw):
            return int(raw)
        if not CODE_RE.match(raw):
            raise ApiError("invalid_query", f"{name} must be a site id or code (e.g. 33.14.01).")
        site_id = request.app[LIVE].site_id_of(raw)
        if site_id is None:
            raise ApiNotFound("site_not_found", f"No site {raw}.")
        return site_id
    return None


async def get_state(request: web.Request) -> web.Response:
    require_staff(request)  # link states and addresses: staff only
    live = request.app[LIVE]
    await live.caught_up()  # an import or edit just before: its counts, not the last sweep's
    asked = paging(request, default_limit=MAX_LIMIT)
    state = _state_filter(request)
    kind = request.query.get("kind")
    parent = _site_param(request, "parent", "parent_id")
    rows = [
        s
        for s in live.site_state_items()
        if (state is None or s.state is state)
        and (kind is None or s.kind == kind)
        and (parent is None or s.parent_id == parent)
    ]
    answer = StateAnswer.of(
        live.live_summary(),
        live.probing_status(),
        rows[asked.offset : asked.offset + asked.limit],
        total=len(rows),
        limit=asked.limit,
        offset=asked.offset,
    )
    return web.json_response(as_json(answer))


async def get_history(request: web.Request) -> web.Response:
    require_staff(request)
    site_id = _path_id(request)
    range_name = request.query.get("range", "24h")
    data = await events.site_history(request.app[DATABASE], site_id, range_name, time.time())
    return web.json_response(data)


async def get_events(request: web.Request) -> web.Response:
    require_staff(request)
    asked = paging(request)
    page = await events.list_events(
        request.app[DATABASE],
        site_id=_site_param(request, "site", "site_id"),
        state=_state_filter(request),
        limit=asked.limit,
        offset=asked.offset,
    )
    return page_response(page, page.items)


# -- webhooks ---------------------------------------------------------------------------------


def _path_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError as exc:
        raise ApiNotFound("not_found", "No such id.") from exc


def _webhooks(request: web.Request) -> Webhooks:
    return Webhooks(request.app[DATABASE])


def _audited(request: web.Request, action: str) -> Then:
    return audited(request, action, lambda hook_id: f"webhook {hook_id}")


async def list_webhooks(request: web.Request) -> web.Response:
    require_address_reader(request)  # URLs may carry tokens
    return whole_list(await _webhooks(request).list())


async def get_webhook(request: web.Request) -> web.Response:
    require_address_reader(request)
    return web.json_response(await _webhooks(request).get(_path_id(request)))


async def create_webhook(request: web.Request) -> web.Response:
    require_inventory_editor(request)
    then = _audited(request, "inventory.webhook_create")
    hook = await _webhooks(request).create(await json_body(request), then)
    return web.json_response(hook, status=201)


async def update_webhook(request: web.Request) -> web.Response:
    require_inventory_editor(request)
    hook_id = _path_id(request)
    then = _audited(request, "inventory.webhook_update")
    return web.json_response(
        await _webhooks(request).update(hook_id, await json_body(request), then)
    )


async def delete_webhook(request: web.Request) -> web.Response:
    require_inventory_editor(request)
    hook_id = _path_id(request)
    await _webhooks(request).delete(hook_id, _audited(request, "inventory.webhook_delete"))
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
        if user.role is AccountRole.SITE:
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
    """Create the live service; start the prober when ``probe_enabled`` (else follow the node
    that probes, with ``redis_url``); stop it on shutdown."""
    settings = app[SETTINGS]
    config = LiveConfig(
        interval_s=settings.probe_interval,
        policy=Policy(
            loss_degraded=settings.probe_loss_degraded,
            rtt_degraded_ms=settings.probe_rtt_degraded_ms,
            down_rounds=settings.probe_down_rounds,
            up_rounds=settings.probe_up_rounds,
            flap_window_s=settings.probe_flap_window,
            flap_changes=settings.probe_flap_changes,
            flap_hold_s=settings.probe_flap_hold,
        ),
        check_interval_s=settings.probe_check_interval,
    )
    channels = alert_channels_api.dispatcher(settings, app[DATABASE])  # e-mail and Telegram
    webhooks = WebhookDispatcher(app[DATABASE], listeners=(channels.submit,))
    live = LiveService(app[DATABASE], config, emitter=app[SIO], dispatcher=webhooks)
    app[LIVE] = live
    channels.start()
    unsubscribe = None
    inventory = app.get(INVENTORY)
    if inventory is not None:  # state filters of the sites API; edits seen before the next sweep
        inventory.states = live
        unsubscribe = inventory.subscribe(live.inventory_changed)
    if settings.probe_enabled:
        await live.start()
    elif settings.redis_url:  # another node or worker probes: follow what it stores
        await live.follow(settings.probe_check_interval or settings.probe_interval)
    else:
        await live.load()
    try:
        yield
    finally:
        if unsubscribe is not None:
            unsubscribe()
        await live.stop()
        await channels.stop()


_STATES = {"enum": [st.value for st in State]}
openapi.add_schemas(
    openapi.declared(
        WebhookInput, WebhookChange, outputs=(Webhook, StateEvent, SiteHistory, StateAnswer)
    )
)
_WEBHOOK = openapi.ref("Webhook")
_WEBHOOK_ID = openapi.Param("id", "path", {"type": "integer", "minimum": 1}, example=1)
_SITE_ID = {"type": "integer", "minimum": 1}


def _json_body(schema: dict[str, Any], example: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema, "example": example}}


openapi.describe(
    openapi.Operation("GET", "/api/state", "Every site's probe state and the rollout summary",
        "live", "staff",
        params=(openapi.Param("state", schema=_STATES), openapi.Param("kind"),
                openapi.Param("parent", description="parent site id or code"),
                openapi.Param("parent_id", description="parent site id or code"),
                *page_params(default_limit=MAX_LIMIT)),
        response=openapi.ref("StateAnswer")),
    openapi.Operation("GET", "/api/sites/{id}/history", "A site's RTT/loss roll-ups over a range",
        "live", "staff",
        params=(openapi.Param("id", "path", _SITE_ID, example=1),
                openapi.Param("range", schema={"enum": list(history.RANGES), "default": "24h"})),
        response=openapi.ref("SiteHistory")),
    openapi.Operation("GET", "/api/events", "State changes (event log), newest first", "live",
        "staff",
        params=(openapi.Param("site", description="site id or code"),
                openapi.Param("site_id", description="site id or code"),
                openapi.Param("state", schema=_STATES), *page_params()),
        response=openapi.page_of("StateEvent")),
    openapi.Operation("GET", "/api/webhooks", "Alert webhooks", "live", "address",
        response=openapi.page_of("Webhook")),
    openapi.Operation("POST", "/api/webhooks", "Add an alert webhook", "live", "editor",
        body=_json_body(openapi.ref("WebhookInput"), {"url": "http://127.0.0.1:9/hook"}),
        response=_WEBHOOK, status=201),
    openapi.Operation("GET", "/api/webhooks/{id}", "One alert webhook", "live", "address",
        params=(_WEBHOOK_ID,), response=_WEBHOOK),
    openapi.Operation("PATCH", "/api/webhooks/{id}", "Change an alert webhook", "live", "editor",
        params=(_WEBHOOK_ID,),
        body=_json_body(openapi.ref("WebhookChange"), {"enabled": False}),
        response=_WEBHOOK),
    openapi.Operation("DELETE", "/api/webhooks/{id}", "Delete an alert webhook", "live", "editor",
        params=(_WEBHOOK_ID,), status=204),
)  # fmt: skip
