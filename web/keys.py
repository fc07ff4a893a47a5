"""Typed application state (aiohttp ``AppKey``), in one place so every module agrees."""

from __future__ import annotations

import socketio
from aiohttp import web

from accounts import AccountStore, User
from pendopo.config import Settings
from pendopo.db import Database

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
ACCOUNTS = web.AppKey("accounts", AccountStore)
SIO = web.AppKey("sio", socketio.AsyncServer)

# Set on each request by web.auth.user_middleware: the signed-in user, or None.
REQUEST_USER: web.RequestKey[User | None] = web.RequestKey("user")


def request_user(request: web.Request) -> User | None:
    return request.get(REQUEST_USER)
