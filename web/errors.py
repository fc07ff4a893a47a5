"""HTTP edge: typed errors from inside are translated here, once, into JSON 4xx answers."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error that reaches the client as ``{"error": code, "message": text}``."""

    status = 400

    def __init__(
        self, code: str, message: str, *, status: int | None = None, details: Any = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        """``[{"field", "message"}, ...]`` of a request's bad fields, when it has them."""
        if status is not None:
            self.status = status


class ApiNotFound(ApiError):
    """404 ``{"error": code, ...}`` raised by a handler (the inventory's own typed
    ``network_inventory.NotFound`` is translated by ``register``)."""

    status = 404


class Unauthorised(ApiError):
    status = 401

    def __init__(self, message: str = "Sign in first.") -> None:
        super().__init__("unauthorised", message)


class Forbidden(ApiError):
    status = 403

    def __init__(self, message: str = "Your role may not do this.") -> None:
        super().__init__("forbidden", message)


def error_response(status: int, code: str, message: str, details: Any = None) -> web.Response:
    body: dict[str, Any] = {"error": code, "message": message}
    if details is not None:
        body["details"] = details
    return web.json_response(body, status=status)


def _http_error(exc: web.HTTPException) -> web.Response:
    """aiohttp's own 4xx (no such route, wrong method) as JSON; a 405 keeps ``Allow``."""
    allow = exc.headers.get("Allow")
    message = f"This address takes {allow}." if allow is not None else exc.reason
    response = error_response(exc.status, exc.reason.lower().replace(" ", "_"), message)
    if allow is not None:
        response.headers["Allow"] = allow
    return response


# Typed errors of the inner packages carry ``code``, ``message`` and perhaps ``details``; each
# package registers its exception base and the HTTP status it maps to (e.g.
# ``register(AccountError, 400)``), and this middleware is the one place that translates them.
_TRANSLATED: dict[type[Exception], int] = {}


def register(exc_type: type[Exception], status: int) -> None:
    _TRANSLATED[exc_type] = status


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.details)
    except web.HTTPRequestEntityTooLarge:
        return error_response(413, "too_large", "The request body is too large.")
    except web.HTTPException as exc:
        if exc.status >= 400 and request.path.startswith("/api/"):
            return _http_error(exc)
        raise
    except json.JSONDecodeError:
        return error_response(400, "invalid_json", "The request body is not valid JSON.")
    except Exception as exc:
        for exc_type, status in _TRANSLATED.items():
            if isinstance(exc, exc_type):
                code = getattr(exc, "code", "error")
                message = getattr(exc, "message", str(exc))
                return error_response(status, code, message, getattr(exc, "details", None))
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal", "Internal server error.")


async def json_body(request: web.Request) -> dict[str, object]:
    """The request's JSON object, or a 400 ``invalid_json``."""
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError("invalid_json", "The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise ApiError("invalid_json", "The request body must be a JSON object.")
    return data
