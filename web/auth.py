"""Sign-in: the session cookie, the current user, and the sign-in/out routes."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie

from aiohttp import web

from accounts import AccountError, User
from web.errors import Forbidden, Unauthorised, json_body, register
from web.keys import ACCOUNTS, REQUEST_USER, SETTINGS, request_user

COOKIE = "pendopo_session"

register(AccountError, 400)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def user_from_cookie_header(app: web.Application, cookie_header: str | None) -> User | None:
    """The signed-in user for a raw ``Cookie`` header (used by socket.io's connect handler)."""
    if not cookie_header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header)
    except Exception:
        return None
    morsel = jar.get(COOKIE)
    if morsel is None or not morsel.value:
        return None
    return await app[ACCOUNTS].user_for_token(morsel.value)


@web.middleware
async def user_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = request.cookies.get(COOKIE)
    request[REQUEST_USER] = await request.app[ACCOUNTS].user_for_token(token) if token else None
    return await handler(request)


def require_user(request: web.Request) -> User:
    user = request_user(request)
    if user is None:
        raise Unauthorised()
    return user


def require_host(request: web.Request) -> User:
    user = require_user(request)
    if not user.can_host:
        raise Forbidden("Only the host's office may do this.")
    return user


def require_inventory_editor(request: web.Request) -> User:
    user = require_user(request)
    if not user.can_edit_inventory:
        raise Forbidden("Only IT staff may change the inventory.")
    return user


async def sign_in(request: web.Request) -> web.Response:
    body = await json_body(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise AccountError("invalid_request", "username and password are required strings.")
    accounts = request.app[ACCOUNTS]
    try:
        user = await accounts.authenticate(username, password)
    except AccountError as exc:
        raise Unauthorised(exc.message) from exc
    session = await accounts.start_session(user, address=request.remote)
    response = web.json_response({"ok": True, "user": user.public()})
    response.set_cookie(
        COOKIE,
        session.token,
        max_age=int(session.expires_at - time.time()),
        httponly=True,
        samesite="Lax",
        secure=request.app[SETTINGS].secure_cookies,
        path="/",
    )
    return response


async def sign_out(request: web.Request) -> web.Response:
    token = request.cookies.get(COOKIE)
    if token:
        await request.app[ACCOUNTS].end_session(token)
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response


async def me(request: web.Request) -> web.Response:
    user = request_user(request)
    return web.json_response({"user": user.public() if user else None})


def setup(app: web.Application) -> None:
    app.router.add_post("/api/session", sign_in)
    app.router.add_delete("/api/session", sign_out)
    app.router.add_get("/api/me", me)
