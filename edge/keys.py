"""Typed application state (aiohttp ``AppKey``), in one place so every module agrees."""

from __future__ import annotations

from typing import Protocol

import socketio
from aiohttp import web

from accounts import AccountStore, User
from accounts.audit import AuditLog
from accounts.invites import InviteService
from accounts.ratelimit import LoginLimiter
from media.recordings import RecordingLibrary
from network_inventory import Inventory
from network_inventory.call_quality import CallQuality
from network_inventory.catalogue import ServiceCatalogue
from network_inventory.live import LiveService
from pendopo.config import Settings
from pendopo.db import Database
from rooms.attendance import AttendanceLog
from rooms.registry import NodeRegistry
from rooms.service import RoomService
from rooms.sites import SiteDirectory


class Sessions(Protocol):
    """What the HTTP edge may ask of the live sessions (signaling.meeting.Meeting is one)."""

    async def end(self, room_id: str, actor_id: str | None) -> None:
        """End a session for everyone: its people are told and their media stops."""


SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
ACCOUNTS = web.AppKey("accounts", AccountStore)
SIO = web.AppKey("sio", socketio.AsyncServer)
# each site's call quality in sessions (network_inventory.call_quality; pendopo/app.py sets it)
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

# the meeting core (pendopo/app.py wires it): live rooms, the site list of the join page, the
# room-to-node registry (edge/placement.py), and the live sessions as the HTTP edge sees them.
ROOMS = web.AppKey("rooms", RoomService)
SITES = web.AppKey("sites", SiteDirectory)
REGISTRY = web.AppKey("registry", NodeRegistry)
SESSIONS: web.AppKey[Sessions] = web.AppKey("sessions")
RECORDINGS = web.AppKey("recordings", RecordingLibrary)
# sessions' attendance lists (rooms.attendance): the meeting writes them, the HTTP edge reads them
ATTENDANCE = web.AppKey("attendance", AttendanceLog)

# Set on each request by web.auth.user_middleware: the signed-in user, or None.
REQUEST_USER: web.RequestKey[User | None] = web.RequestKey("user")


def request_user(request: web.Request) -> User | None:
    return request.get(REQUEST_USER)
