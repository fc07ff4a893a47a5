"""gzip for what the server sends over slow links: the client's ``Accept-Encoding`` read once
here, and the REST API's larger JSON answers (site lists with boundaries, exports) compressed.

Static files come precompressed (``web/static_files.py``); this middleware covers responses made
per request. Every response that could have been compressed says ``Vary: Accept-Encoding``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web
from aiohttp.web_response import ContentCoding

MIN_SIZE = 1024
"""Smaller bodies gain less than the gzip header and the CPU cost."""
COMPRESSED_TYPES = frozenset(
    {"application/json", "application/geo+json", "text/csv", "text/plain", "text/html"}
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def accepts_gzip(request: web.BaseRequest) -> bool:
    """True when ``Accept-Encoding`` lists ``gzip`` (or ``*``) with a quality above zero."""
    for item in request.headers.get(hdrs.ACCEPT_ENCODING, "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "*"):
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        return quality > 0
    return False


def add_vary(response: web.StreamResponse) -> None:
    vary = response.headers.get(hdrs.VARY, "")
    if "accept-encoding" not in vary.lower():
        response.headers[hdrs.VARY] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"


@web.middleware
async def compression_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if (
        type(response) is web.Response  # not streams, files or websockets
        and response.content_type in COMPRESSED_TYPES
        and hdrs.CONTENT_ENCODING not in response.headers
        and response.body is not None
        and isinstance(response.body, bytes)
        and len(response.body) >= MIN_SIZE
    ):
        add_vary(response)
        if accepts_gzip(request):
            response.enable_compression(ContentCoding.gzip)
    return response


def setup(app: web.Application) -> None:
    """Innermost middleware: it sees the handler's own response."""
    app.middlewares.append(compression_middleware)
