"""Typed application state (aiohttp ``AppKey``), in one place so every module agrees."""

from __future__ import annotations

import socketio
from aiohttp import web

from accounts import AccountStore, User
from accounts.audit import AuditLog
from accounts.invites import InviteService
from accounts.ratelimit import LoginLimiter
from network_inventory.live import LiveService
from pendopo.config import Settings
from pendopo.db import Database

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
ACCOUNTS = web.AppKey("accounts", AccountStore)
SIO = web.AppKey("sio", socketio.AsyncServer)
# accounts/security (web/auth.py sets them up): the audit log every package records into, invite
# links, the sign-in rate limiter, and the server's secret key (invites, CSRF tokens).
AUDIT = web.AppKey("audit", AuditLog)
INVITES = web.AppKey("invites", InviteService)
LOGIN_LIMITER = web.AppKey("login_limiter", LoginLimiter)
SERVER_KEY = web.AppKey("server_key", bytes)

# the inventory's live half (web/inventory_live_api.py): prober, states, history, alerts.
LIVE = web.AppKey("live", LiveService)

# Set on each request by web.auth.user_middleware: the signed-in user, or None.
REQUEST_USER: web.RequestKey[User | None] = web.RequestKey("user")


def request_user(request: web.Request) -> User | None:
    return request.get(REQUEST_USER)
