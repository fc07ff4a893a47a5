"""Helpers for the security tests: plain clients that sign in as any role."""

from __future__ import annotations

import aiohttp

from accounts import AccountRole
from edge.keys import ACCOUNTS
from tests.conftest import RunningServer

PASSWORD = "kata-sandi-uji-123"


async def make_user(
    server: RunningServer, username: str, role: AccountRole, site_code: str | None = None
) -> None:
    if role is AccountRole.SITE and site_code is None:
        site_code = "33.14.01"
    await server.app[ACCOUNTS].create_user(username, PASSWORD, role, site_code=site_code)


def anonymous(server: RunningServer) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(base_url=server.url, cookie_jar=aiohttp.CookieJar(unsafe=True))


def session_cookie(http: aiohttp.ClientSession) -> str | None:
    for cookie in http.cookie_jar:
        if cookie.key == "pendopo_session":
            return cookie.value
    return None
