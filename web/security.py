"""Browser-facing protections: security headers on every response, CSRF checks on every
state-changing request (the client's real address behind a trusted reverse proxy is
``edge.clients``, shared with signaling).

CSRF (see docs/security.md): a signed-in browser holds the HttpOnly session cookie and a
readable ``pendopo_csrf`` cookie whose value is HMAC(server key, session token). Every POST, PUT,
PATCH and DELETE of a signed-in user must repeat that value in the ``X-CSRF-Token`` header
(``web/static/js/http.js`` does it); another site can neither read the cookie nor set the header.
Requests without a valid session (sign-in itself) must be JSON (a cross-site form cannot send
``application/json`` without a CORS preflight, which this server never grants). Independently,
a request whose ``Origin`` or ``Sec-Fetch-Site`` says it comes from another site is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from aiohttp import web

from edge.clients import SESSION_COOKIE, is_https
from edge.keys import REGISTRY, SERVER_KEY, request_user
from edge.placement import peer_hosts
from web.errors import ApiError

CSRF_COOKIE = "pendopo_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_EXEMPT_PREFIXES = ("/socket.io/",)
"""socket.io is GET + websocket only here, and python-engineio checks Origin itself."""
SIGN_IN = ("POST", "/api/session")
"""Signing in gets the anonymous rules even over a live session (a shared PC whose previous user
did not sign out must still reach the sign-in form); it replaces that session anyway."""

_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class CsrfError(ApiError):
    status = 403

    def __init__(self, message: str) -> None:
        super().__init__("csrf_failed", message)


# -- headers ----------------------------------------------------------------------------------
def content_security_policy(host: str | None, peers: Sequence[str] = ()) -> str:
    # connect-src 'self' covers same-origin websockets in current browsers; the explicit
    # ws(s):// entries are for older ones. ``peers``: the other nodes (scale-out), where a
    # meeting page's socket goes when this node dies. No 'unsafe-inline' anywhere.
    hosts = [h for h in (host, *peers) if h and _HOST_RE.match(h)]
    sockets = "".join(f" ws://{h} wss://{h}" for h in hosts)
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
        f"connect-src 'self'{sockets}; font-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


PERMISSIONS_POLICY = (
    "camera=(self), microphone=(self), display-capture=(self), fullscreen=(self), "
    "geolocation=(), payment=(), usb=(), serial=()"
)


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: every response, including errors and static files."""
    h = response.headers
    registry = request.config_dict.get(REGISTRY)
    peers = peer_hosts(registry, request) if registry is not None else []
    h["Content-Security-Policy"] = content_security_policy(request.host, peers)
    h["X-Frame-Options"] = "DENY"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "no-referrer"
    h["Permissions-Policy"] = PERMISSIONS_POLICY
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Cross-Origin-Resource-Policy"] = "same-origin"
    if is_https(request):
        h["Strict-Transport-Security"] = "max-age=31536000"
    if request.path.startswith("/api/") and "Cache-Control" not in h:
        h["Cache-Control"] = "no-store"


# -- CSRF -------------------------------------------------------------------------------------
def csrf_token(key: bytes, session_token: str) -> str:
    mac = hmac.new(key, b"pendopo-csrf\x00" + session_token.encode("utf-8"), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


def set_csrf_cookie(
    response: web.StreamResponse, token: str, *, max_age: int, secure: bool
) -> None:
    # Readable by the page's script (not HttpOnly) and never sent cross-site (Strict).
    response.set_cookie(
        CSRF_COOKIE,
        token,
        max_age=max_age,
        httponly=False,
        samesite="Strict",
        secure=secure,
        path="/",
    )


def _same_origin(request: web.Request) -> bool:
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin == "null":
        return False
    return urlsplit(origin).netloc.lower() == request.host.lower()


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Runs after ``user_middleware`` (it needs to know whether the session is valid)."""
    if request.method in SAFE_METHODS or request.path.startswith(CSRF_EXEMPT_PREFIXES):
        return await handler(request)
    if not _same_origin(request):
        raise CsrfError("Requests from other sites are not accepted.")
    session = request.cookies.get(SESSION_COOKIE)
    if session and request_user(request) is not None and (request.method, request.path) != SIGN_IN:
        expected = csrf_token(request.app[SERVER_KEY], session)
        given = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
            raise CsrfError("Missing or wrong CSRF token: reload the page and try again.")
    elif request.can_read_body and request.content_type != "application/json":
        raise CsrfError("Send JSON (Content-Type: application/json).")
    return await handler(request)


def setup(app: web.Application) -> None:
    app.on_response_prepare.append(add_security_headers)
