"""Typed application state (aiohttp ``AppKey``), in one place so every module agrees."""

from __future__ import annotations

from typing import TYPE_CHECKING

import socketio
from aiohttp import web

from accounts import AccountStore, User
from accounts.audit import AuditLog
from accounts.invites import InviteService
from accounts.ratelimit import LoginLimiter
from network_inventory import Inventory
from network_inventory.call_quality import CallQuality
from network_inventory.catalogue import ServiceCatalogue
from network_inventory.live import LiveService
from pendopo.config import Settings
from pendopo.db import Database
from rooms.service import RoomService
from rooms.sites import SiteDirectory

if TYPE_CHECKING:
    from signaling.meeting import Meeting

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
ACCOUNTS = web.AppKey("accounts", AccountStore)
SIO = web.AppKey("sio", socketio.AsyncServer)
# each site's call quality in sessions (network_inventory.call_quality; signaling/wiring.py)
CALL_QUALITY = web.AppKey("call_quality", CallQuality)
# accounts/security (web/auth.py sets them up): the audit log every package records into, invite
# links, the sign-in rate limiter, and the server's secret key (invites, CSRF tokens).
AUDIT = web.AppKey("audit", AuditLog)
INVITES = web.AppKey("invites", InviteService)
LOGIN_LIMITER = web.AppKey("login_limiter", LoginLimiter)
SERVER_KEY = web.AppKey("server_key", bytes)
# sites, links, probe targets, change log (network_inventory.Inventory; web/inventory_api.py)
INVENTORY = web.AppKey("inventory", Inventory)

# the KPT service catalogue and its public board (web/services_api.py)
SERVICES = web.AppKey("services", ServiceCatalogue)

# the inventory's live half (web/inventory_live_api.py): prober, states, history, alerts.
LIVE = web.AppKey("live", LiveService)

# the meeting core (signaling/wiring.py): live rooms, the site list of the join page, handlers.
ROOMS = web.AppKey("rooms", RoomService)
SITES = web.AppKey("sites", SiteDirectory)
MEETING: web.AppKey[Meeting] = web.AppKey("meeting")

# Set on each request by web.auth.user_middleware: the signed-in user, or None.
REQUEST_USER: web.RequestKey[User | None] = web.RequestKey("user")


def request_user(request: web.Request) -> User | None:
    return request.get(REQUEST_USER)
