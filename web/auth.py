"""Sign-in: the session cookie, the current user, role checks, and the sign-in/out routes.

Role checks for every route are one call at the top of the handler::

    user = require_host(request)            # 401 when not signed in, 403 for other roles

and an action worth remembering is one more::

    await audit(request, "auth.sign_out")

— or, for a change of stored data, the change's own transaction carries it::

    then = audited(request, "inventory.link_update", target=lambda link: f"link {link.id}")
    await inventory.update_link(link_id, body, user=username, then=then)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from accounts import AccountError, AccountRole, User
from accounts import audit as audit_log
from accounts.audit import AuditLog
from accounts.invites import InviteService
from accounts.ratelimit import LockedOut, LoginLimiter
from accounts.server_key import load_or_create
from accounts.store import SESSION_LIFETIME
from edge.clients import SESSION_COOKIE, client_address
from edge.keys import (
    ACCOUNTS,
    AUDIT,
    DATABASE,
    INVITES,
    LOGIN_LIMITER,
    REQUEST_USER,
    SERVER_KEY,
    SETTINGS,
    request_user,
)
from pendopo.db import Connection, Then
from web import openapi
from web.errors import ApiError, Forbidden, Unauthorised, error_response, json_body, register
from web.security import CSRF_COOKIE, csrf_token, set_csrf_cookie

COOKIE = SESSION_COOKIE

register(AccountError, 400)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def user_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = request.cookies.get(COOKIE)
    user = None
    # Static files are public and make up most requests of a page load: no database read.
    if token is not None and 0 < len(token) <= 256 and not request.path.startswith("/static/"):
        user = await request.app[ACCOUNTS].user_for_token(token)
    request[REQUEST_USER] = user
    return await handler(request)


# -- role checks ------------------------------------------------------------------------------
def require_user(request: web.Request) -> User:
    user = request_user(request)
    if user is None:
        raise Unauthorised()
    return user


def require_role(request: web.Request, *roles: AccountRole, message: str | None = None) -> User:
    """The signed-in user if they hold one of ``roles`` (admin always qualifies)."""
    user = require_user(request)
    if user.role is not AccountRole.ADMIN and user.role not in roles:
        raise Forbidden(message or "Your role may not do this.")
    return user


def require_admin(request: web.Request) -> User:
    return require_role(request, message="Only an administrator may do this.")


def require_host(request: web.Request) -> User:
    return require_role(request, AccountRole.HOST, message="Only the host's office may do this.")


def require_inventory_editor(request: web.Request) -> User:
    return require_role(request, AccountRole.IT, message="Only IT staff may change the inventory.")


def require_address_reader(request: web.Request) -> User:
    """IT staff (and admin): probe targets and webhook URLs are addresses, never shown to others."""
    return require_role(request, AccountRole.IT, message="Only IT staff may see network addresses.")


def require_staff(request: web.Request) -> User:
    """Anyone signed in except a site seat: reads of the inventory and link data."""
    return require_role(
        request,
        AccountRole.HOST,
        AccountRole.IT,
        AccountRole.VIEWER,
        message="Site accounts may not see this.",
    )


# -- audit ------------------------------------------------------------------------------------
async def audit(
    request: web.Request,
    action: str,
    *,
    target: str | None = None,
    detail: Mapping[str, object] | None = None,
    actor: User | str | None = None,
) -> None:
    """Record ``action`` by the request's user (or ``actor``) from the request's address."""
    await request.app[AUDIT].record(
        action,
        actor=actor if actor is not None else request_user(request),
        address=client_address(request),
        target=target,
        detail=detail,
    )


def audited(
    request: web.Request,
    action: str,
    target: Callable[[Any], str | None],
    detail: Callable[[Any], Mapping[str, object] | None] = lambda _: None,
) -> Then:
    """The audit record of a change, written in the change's own transaction: pass it as the
    change's ``then`` (``Inventory.create_site(..., then=audited(request, ...))``); ``target`` and
    ``detail`` are made from the changed record (or the import's report)."""
    actor, address = request_user(request), client_address(request)

    def write(conn: Connection, result: Any) -> None:
        audit_log.write(
            conn, action, actor=actor, address=address, target=target(result), detail=detail(result)
        )

    return write


# -- routes -----------------------------------------------------------------------------------
def _set_session_cookies(
    request: web.Request, response: web.StreamResponse, token: str, csrf: str
) -> None:
    secure = request.app[SETTINGS].secure_cookies
    max_age = int(SESSION_LIFETIME)
    response.set_cookie(
        COOKIE, token, max_age=max_age, httponly=True, samesite="Lax", secure=secure, path="/"
    )
    set_csrf_cookie(response, csrf, max_age=max_age, secure=secure)


def _clear_session_cookies(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/")
    response.del_cookie(CSRF_COOKIE, path="/")


async def sign_in(request: web.Request) -> web.Response:
    body = await json_body(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise AccountError("invalid_request", "username and password are required strings.")
    username = username.strip()[:256]
    address = client_address(request)
    limiter = request.app[LOGIN_LIMITER]
    try:
        limiter.check(username, address)
    except LockedOut as exc:
        await audit(request, "auth.sign_in_locked", actor=username, detail={"scope": exc.scope})
        response = error_response(429, exc.code, exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    accounts = request.app[ACCOUNTS]
    try:
        user = await accounts.authenticate(username, password)
    except AccountError as exc:
        limiter.failure(username, address)
        await audit(request, "auth.sign_in_failed", actor=username, detail={"reason": exc.code})
        raise Unauthorised(exc.message) from exc
    limiter.success(username)
    # Session fixation: whatever cookie the browser came with is ended; a fresh token is issued.
    old = request.cookies.get(COOKIE)
    if old and len(old) <= 256:
        await accounts.end_session(old)
    session = await accounts.start_session(user, address=address)
    await audit(request, "auth.sign_in", actor=user)
    csrf = csrf_token(request.app[SERVER_KEY], session.token)
    response = web.json_response({"ok": True, "user": user.public(), "csrf_token": csrf})
    _set_session_cookies(request, response, session.token, csrf)
    return response


async def sign_out(request: web.Request) -> web.Response:
    token = request.cookies.get(COOKIE)
    user = request_user(request)
    if token and user is not None:
        await request.app[ACCOUNTS].end_session(token)
        await audit(request, "auth.sign_out")
    response = web.json_response({"ok": True})
    _clear_session_cookies(response)
    return response


async def sign_out_everywhere(request: web.Request) -> web.Response:
    user = require_user(request)
    then = audited(
        request, "auth.sign_out_everywhere", lambda _: user.username, lambda n: {"ended": n}
    )
    ended = await request.app[ACCOUNTS].end_all_sessions(user.id, then=then)
    response = web.json_response({"ok": True, "ended": ended})
    _clear_session_cookies(response)
    return response


async def change_own_password(request: web.Request) -> web.Response:
    """``{"current": ..., "new": ...}``: every session ends, this one too (sign in again)."""
    user = require_user(request)
    body = await json_body(request)
    current, new = body.get("current"), body.get("new")
    if not isinstance(current, str) or not isinstance(new, str):
        raise AccountError("invalid_request", "current and new are required strings.")
    try:
        await request.app[ACCOUNTS].authenticate(user.username, current)
    except AccountError as exc:
        raise ApiError("bad_credentials", "The current password is wrong.", status=403) from exc
    then = audited(request, "auth.password_changed", lambda _: user.username)
    await request.app[ACCOUNTS].set_password(user.id, new, then=then)
    response = web.json_response({"ok": True})
    _clear_session_cookies(response)
    return response


async def me(request: web.Request) -> web.Response:
    user = request_user(request)
    token = request.cookies.get(COOKIE)
    if user is None or token is None:
        return web.json_response({"user": None})
    csrf = csrf_token(request.app[SERVER_KEY], token)
    return web.json_response({"user": user.public(), "csrf_token": csrf})


async def _services(app: web.Application) -> AsyncIterator[None]:
    """After the database is open: the server key, the audit log and invite links."""
    key = load_or_create(app[SETTINGS].data_dir)
    app[SERVER_KEY] = key
    app[AUDIT] = AuditLog(app[DATABASE])
    app[INVITES] = InviteService(app[DATABASE], key)
    await app[ACCOUNTS].purge_expired_sessions()
    yield


def setup(app: web.Application) -> None:
    """Call after the database's cleanup context is registered (web/app.py does)."""
    if LOGIN_LIMITER not in app:
        app[LOGIN_LIMITER] = LoginLimiter()
    app.cleanup_ctx.append(_services)
    app.router.add_post("/api/session", sign_in)
    app.router.add_delete("/api/session", sign_out)
    app.router.add_delete("/api/sessions", sign_out_everywhere)
    app.router.add_post("/api/me/password", change_own_password)
    app.router.add_get("/api/me", me)


openapi.add_schemas(openapi.declared(outputs=(User,)))
_OK = {"type": "object", "required": ["ok"], "properties": {"ok": {"const": True}}}
_SIGNED_IN = {
    "type": "object",
    "required": ["ok", "user", "csrf_token"],
    "properties": {
        "ok": {"const": True},
        "user": openapi.ref("User"),
        "csrf_token": {"type": "string", "description": "send it as X-CSRF-Token"},
    },
}


def _json(schema: dict[str, Any], example: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema, "example": example}}


openapi.describe(
    openapi.Operation("POST", "/api/session", "Sign in (sets the session cookie)", "accounts",
        "none", body=_json({"type": "object", "required": ["username", "password"],
                            "properties": {"username": {"type": "string"},
                                           "password": {"type": "string"}}},
                          {"username": "tamu", "password": "bukan-sandinya"}),
        response=_SIGNED_IN, errors=(401, 429)),
    openapi.Operation("DELETE", "/api/session", "Sign out", "accounts", "none", response=_OK),
    openapi.Operation("DELETE", "/api/sessions", "End every session of the signed-in user",
        "accounts", "user",
        response={"type": "object", "required": ["ok", "ended"],
                  "properties": {"ok": {"const": True}, "ended": {"type": "integer"}}}),
    openapi.Operation("GET", "/api/me", "The signed-in user, or null (200 either way)",
        "accounts", "none",
        response={"type": "object", "required": ["user"], "properties": {
            "user": {"oneOf": [openapi.ref("User"), {"type": "null"}]},
            "csrf_token": {"type": "string", "description": "only when signed in"}}}),
    openapi.Operation("POST", "/api/me/password", "Change the own password (every session ends)",
        "accounts", "user",
        body=_json({"type": "object", "required": ["current", "new"],
                    "properties": {"current": {"type": "string"},
                                   "new": {"type": "string", "minLength": 8, "maxLength": 1024}}},
                    {"current": "bukan-sandinya", "new": "kata-sandi-baru-1"}),
        response=_OK),
)  # fmt: skip
