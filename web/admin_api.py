"""Admin REST API (role ``admin`` only): users and the audit log.

GET  /api/admin/users                       list users
POST /api/admin/users                       create {username, role, display_name?, site_code?,
                                            password?} -> 201 (a generated password is returned
                                            once when none is given)
POST /api/admin/users/{id}/password         reset {password?}; ends the user's sessions
POST /api/admin/users/{id}/disable          disable; ends the user's sessions
POST /api/admin/users/{id}/enable           enable again
POST /api/admin/users/{id}/sign-out         sign the user out everywhere
GET  /api/admin/audit                       ?limit&offset&action&actor&since&until -> {items, total}
GET  /api/admin/audit.csv                   the same filters, as CSV
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiohttp import web

from accounts import User
from accounts.audit import AuditEntry
from accounts.passwords import generate_password
from accounts.user_input import PasswordReset, UserInput
from edge.keys import ACCOUNTS, AUDIT
from web import openapi, paging
from web.auth import audit, audited, require_admin
from web.errors import ApiError, ApiNotFound, json_body
from web.pages import add_page

MAX_PAGE = 500


async def _user_from_path(request: web.Request) -> User:
    try:
        user_id = int(request.match_info["user_id"])
    except ValueError:
        raise ApiNotFound("no_such_user", "There is no such user.") from None
    user = await request.app[ACCOUNTS].get_user(user_id)
    if user is None:
        raise ApiNotFound("no_such_user", "There is no such user.")
    return user


async def list_users(request: web.Request) -> web.Response:
    require_admin(request)
    users = await request.app[ACCOUNTS].list_users()
    return web.json_response(
        {"items": [u.public() | {"disabled": u.disabled} for u in users], "total": len(users)}
    )


async def create_user(request: web.Request) -> web.Response:
    require_admin(request)
    asked = UserInput.parse(await json_body(request))
    username, role, site_code = asked.username, asked.role, asked.site_code
    display_name = asked.display_name
    generated = asked.password is None
    password = asked.password or generate_password()
    then = audited(
        request,
        "user.create",
        lambda user: user.username,
        lambda _: {"role": role.value, "site_code": site_code},
    )
    user = await request.app[ACCOUNTS].create_user(
        username, password, role, display_name=display_name, site_code=site_code, then=then
    )
    answer: dict[str, object] = {"user": user.public() | {"disabled": False}}
    if generated:
        answer["generated_password"] = password
    return web.json_response(answer, status=201)


async def reset_password(request: web.Request) -> web.Response:
    require_admin(request)
    target = await _user_from_path(request)
    body = await json_body(request) if request.can_read_body else {}
    chosen = PasswordReset.parse(body).password
    generated = chosen is None
    password = chosen or generate_password()
    then = audited(request, "user.password_reset", lambda _: target.username)
    await request.app[ACCOUNTS].set_password(target.id, password, then=then)
    answer: dict[str, object] = {"ok": True}
    if generated:
        answer["generated_password"] = password
    return web.json_response(answer)


async def _set_disabled(request: web.Request, disabled: bool) -> web.Response:
    admin = require_admin(request)
    target = await _user_from_path(request)
    if disabled and target.id == admin.id:
        raise ApiError("cannot_disable_self", "You cannot disable your own account.", status=409)
    action = "user.disable" if disabled else "user.enable"
    then = audited(request, action, lambda _: target.username)
    await request.app[ACCOUNTS].set_disabled(target.id, disabled, then=then)
    return web.json_response({"ok": True})


async def disable_user(request: web.Request) -> web.Response:
    return await _set_disabled(request, True)


async def enable_user(request: web.Request) -> web.Response:
    return await _set_disabled(request, False)


async def sign_out_user(request: web.Request) -> web.Response:
    require_admin(request)
    target = await _user_from_path(request)
    then = audited(
        request, "user.sign_out_everywhere", lambda _: target.username, lambda n: {"ended": n}
    )
    ended = await request.app[ACCOUNTS].end_all_sessions(target.id, then=then)
    return web.json_response({"ok": True, "ended": ended})


def _query_number(request: web.Request, name: str, default: float | None) -> float | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ApiError("invalid_query", f"{name} must be a number.") from None
    if value != value or value < 0 or value > 1e12:  # NaN or out of range
        raise ApiError("invalid_query", f"{name} is out of range.")
    return value


@dataclass(frozen=True)
class AuditFilter:
    action: str | None
    actor: str | None
    since: float | None
    until: float | None

    @classmethod
    def from_query(cls, request: web.Request) -> AuditFilter:
        action = request.query.get("action") or None
        actor = request.query.get("actor") or None
        if (action and len(action) > 100) or (actor and len(actor) > 256):
            raise ApiError("invalid_query", "action or actor is too long.")
        since = _query_number(request, "since", None)
        until = _query_number(request, "until", None)
        return cls(action, actor, since, until)


async def audit_entries(request: web.Request) -> web.Response:
    require_admin(request)
    asked = paging.paging(request)
    limit, offset = min(asked.limit, MAX_PAGE), asked.offset  # a page holds at most MAX_PAGE
    f = AuditFilter.from_query(request)
    items, total = await request.app[AUDIT].entries(
        limit=limit, offset=offset, action=f.action, actor=f.actor, since=f.since, until=f.until
    )
    return web.json_response(
        {"items": [e.public() for e in items], "total": total, "limit": limit, "offset": offset}
    )


async def audit_csv(request: web.Request) -> web.Response:
    admin = require_admin(request)
    f = AuditFilter.from_query(request)
    text = await request.app[AUDIT].export_csv(
        action=f.action, actor=f.actor, since=f.since, until=f.until
    )
    await audit(request, "audit.export", actor=admin)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return web.Response(
        text=text,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="pendopo-audit-{stamp}.csv"'},
    )


def setup(app: web.Application) -> None:
    add_page(app, "/admin", "admin.html")
    r = app.router
    r.add_get("/api/admin/users", list_users)
    r.add_post("/api/admin/users", create_user)
    r.add_post("/api/admin/users/{user_id}/password", reset_password)
    r.add_post("/api/admin/users/{user_id}/disable", disable_user)
    r.add_post("/api/admin/users/{user_id}/enable", enable_user)
    r.add_post("/api/admin/users/{user_id}/sign-out", sign_out_user)
    r.add_get("/api/admin/audit", audit_entries)
    r.add_get("/api/admin/audit.csv", audit_csv)


openapi.add_schemas(openapi.declared(UserInput, PasswordReset, outputs=(AuditEntry,)))
_USER_ID = openapi.Param("user_id", "path", {"type": "integer", "minimum": 1})
_OK = {"type": "object", "required": ["ok"], "properties": {"ok": {"const": True}}}
_ADMIN_USER = openapi.ref("User")
_AUDIT_FILTERS = (
    openapi.Param(
        "action",
        schema={"type": "string", "maxLength": 100},
        description="prefix: host. gives every host action",
    ),
    openapi.Param("actor", schema={"type": "string", "maxLength": 256}),
    openapi.Param("since", schema={"type": "number", "minimum": 0, "maximum": 1e12}),
    openapi.Param("until", schema={"type": "number", "minimum": 0, "maximum": 1e12}),
)
_GENERATED = {"generated_password": {"type": "string", "description": "shown this once"}}

openapi.describe(
    openapi.Operation("GET", "/api/admin/users", "List users", "admin", "admin",
        response={"type": "object", "required": ["items", "total"], "properties": {
            "items": {"type": "array", "items": _ADMIN_USER}, "total": {"type": "integer"}}}),
    openapi.Operation("POST", "/api/admin/users", "Create a user (password generated when not "
        "given, answered once)", "admin", "admin",
        body={"application/json": {"schema": openapi.ref("UserInput")}},
        response={"type": "object", "required": ["user"],
                  "properties": {"user": _ADMIN_USER, **_GENERATED}}, status=201),
    openapi.Operation("POST", "/api/admin/users/{user_id}/password", "Reset a password "
        "(generated when not given)", "admin", "admin", params=(_USER_ID,),
        body={"application/json": {"schema": openapi.ref("PasswordReset")}}, body_required=False,
        response={**_OK, "properties": {"ok": {"const": True}, **_GENERATED}}),
    openapi.Operation("POST", "/api/admin/users/{user_id}/disable", "Disable a user", "admin",
        "admin", params=(_USER_ID,), response=_OK, errors=(409,)),
    openapi.Operation("POST", "/api/admin/users/{user_id}/enable", "Enable a user", "admin",
        "admin", params=(_USER_ID,), response=_OK),
    openapi.Operation("POST", "/api/admin/users/{user_id}/sign-out", "End a user's sessions",
        "admin", "admin", params=(_USER_ID,),
        response={"type": "object", "required": ["ok", "ended"],
                  "properties": {"ok": {"const": True}, "ended": {"type": "integer"}}}),
    openapi.Operation("GET", "/api/admin/audit", "Security audit log", "admin", "admin",
        params=(*_AUDIT_FILTERS, *paging.PARAMS),
        response=openapi.page_of("AuditEntry")),
    openapi.Operation("GET", "/api/admin/audit.csv", "Security audit log as CSV", "admin",
        "admin", params=_AUDIT_FILTERS, content_type="text/csv"),
)  # fmt: skip
