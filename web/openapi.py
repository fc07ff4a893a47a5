"""The OpenAPI 3.1 document of every ``/api/`` route, served at ``GET /api/openapi.json``.

It is built from a route table: each module describes its routes with :func:`describe` (an
:class:`Operation` per method and path); ``tests/web/test_openapi.py`` fails when
a route registered under ``/api/`` has no description, so the document cannot silently fall
behind the app. Routes of modules that do not describe themselves yet are described here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import TypeAdapter
from pydantic.json_schema import JsonSchemaMode

VERSION = "0.1.0"


@dataclass(frozen=True)
class Param:
    name: str
    where: str = "query"
    """query or path"""
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    description: str = ""
    required: bool = False
    example: Any = None
    """A value that works (schemathesis tries it first: it reaches the success path)."""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    """As registered, without regexes: ``/api/sites/{ref}``."""
    summary: str
    tag: str
    auth: str = "user"
    """none (public), user (any signed-in user), staff (signed in, not a site seat), editor
    (admin or it), address (admin or it: reads of network addresses), admin, host."""
    params: tuple[Param, ...] = ()
    body: Mapping[str, Any] | None = None
    """Request body content: ``{"application/json": {"schema": ...}}``."""
    body_required: bool = True
    """False: the route also works without a body (e.g. a password reset that generates one)."""
    response: Mapping[str, Any] | None = None
    """Success schema (JSON) — or a full content map when ``content_type`` is not JSON."""
    status: int = 200
    content_type: str = "application/json"
    errors: tuple[int, ...] = ()
    """Error statuses besides the ones every route of its kind has (see :func:`error_codes`),
    e.g. 409 or 429."""


OPERATIONS: dict[tuple[str, str], Operation] = {}
SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "description": "stable code, e.g. validation_failed"},
            "message": {"type": "string"},
            "details": {
                "type": "array",
                "items": {"type": "object", "additionalProperties": {"type": "string"}},
                "description": "per field or per row: field, row, message",
            },
        },
    },
}


def describe(*operations: Operation) -> None:
    for op in operations:
        OPERATIONS[(op.method.upper(), op.path)] = op


def add_schemas(schemas: Mapping[str, dict[str, Any]]) -> None:
    SCHEMAS.update(schemas)


def declared(*inputs: type, outputs: Iterable[type] = ()) -> dict[str, dict[str, Any]]:
    """Component schemas from the records' own declarations: ``inputs`` (pydantic models) as
    requests validate them, ``outputs`` (record dataclasses) as answers serialize them; the
    enums and records they use become components of their own (``#/components/schemas/...``)."""
    modes: list[tuple[type, JsonSchemaMode]] = [(t, "validation") for t in inputs]
    modes += [(t, "serialization") for t in outputs]
    entries: list[tuple[str, JsonSchemaMode, TypeAdapter[Any]]] = [
        (t.__name__, mode, TypeAdapter(t)) for t, mode in modes
    ]
    _, found = TypeAdapter.json_schemas(entries, ref_template="#/components/schemas/{model}")
    return dict(found.get("$defs", {}))


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def page_of(name: str) -> dict[str, Any]:
    """The list envelope: ``{"items": [...], "total", "limit", "offset"}``."""
    return {
        "type": "object",
        "required": ["items", "total", "limit", "offset"],
        "properties": {
            "items": {"type": "array", "items": ref(name)},
            "total": {"type": "integer", "description": "all items matching the filters"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        },
    }


_REGEX_PART = re.compile(r"\{(\w+):[^{}]*(?:\{[^{}]*\}[^{}]*)*\}")


def route_path(resource: web.AbstractResource) -> str | None:
    info = resource.get_info()
    path = info.get("path") or info.get("formatter")
    if not isinstance(path, str):
        return None
    return _REGEX_PART.sub(r"{\1}", path)


def api_routes(app: web.Application) -> list[tuple[str, str]]:
    """Every (METHOD, path) registered under /api/ (HEAD twins of GET left out)."""
    routes = set()
    for route in app.router.routes():
        path = route_path(route.resource) if route.resource else None
        if path and path.startswith("/api/") and route.method not in ("HEAD", "OPTIONS"):
            routes.add((route.method.upper(), path))
    return sorted(routes)


def missing(app: web.Application) -> list[tuple[str, str]]:
    return [r for r in api_routes(app) if r not in OPERATIONS]


_ERRORS = {
    400: "Invalid input (validation_failed, invalid_json, invalid_rows, ...)",
    401: "Not signed in (or wrong credentials)",
    403: "The user's role may not do this (forbidden), or a CSRF check failed (csrf_failed)",
    404: "No such record",
    409: "Conflicts with stored data",
    413: "The request body is too large",
    429: "Too many attempts: wait Retry-After seconds",
}
ROLE_LIMITED = ("staff", "editor", "address", "admin", "host")
"""``auth`` values a signed-in user may still be refused (403)."""


def error_codes(op: Operation) -> list[int]:
    """The error statuses an operation can answer, from what every route of its kind does:
    400 bad input (any query, path or body), 401 for signed-in routes, 403 for role-limited ones
    and for every state-changing request (the CSRF and Origin checks of web/security.py), 404
    for a path with a variable (web/path_ids.py too), 413 for a body."""
    codes = {400, *op.errors}
    if op.auth != "none":
        codes.add(401)
    if op.auth in ROLE_LIMITED or op.method in ("POST", "PATCH", "DELETE", "PUT"):
        codes.add(403)
    if "{" in op.path:
        codes.add(404)
    if op.body:
        codes.add(413)
    return sorted(codes)


def _operation(op: Operation) -> dict[str, Any]:
    content: dict[str, Any]
    if op.content_type == "application/json":
        content = {"application/json": {"schema": op.response or {"type": "object"}}}
    else:
        content = {op.content_type: {"schema": op.response or {"type": "string"}}}
    responses: dict[str, Any] = {str(op.status): {"description": "OK", "content": content}}
    if op.status == 204:
        responses["204"] = {"description": "Done"}
    for code in error_codes(op):
        responses[str(code)] = {
            "description": _ERRORS[code],
            "content": {"application/json": {"schema": ref("Error")}},
        }
    out: dict[str, Any] = {
        "summary": op.summary,
        "tags": [op.tag],
        "operationId": f"{op.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', op.path.lower())}".strip(
            "_"
        ),
        "responses": responses,
    }
    params = [
        {
            "name": p.name,
            "in": p.where,
            "required": p.required or p.where == "path",
            "schema": dict(p.schema),
            **({"description": p.description} if p.description else {}),
            **({"example": p.example} if p.example is not None else {}),
            # A list in a query is comma-separated: ?kind=desa,kelurahan
            **({"style": "form", "explode": False} if p.schema.get("type") == "array" else {}),
        }
        for p in op.params
    ]
    declared = {p.name for p in op.params if p.where == "path"}
    for name in re.findall(r"\{(\w+)\}", op.path):
        if name not in declared:
            params.append(
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            )
    if params:
        out["parameters"] = params
    if op.body:
        out["requestBody"] = {"required": op.body_required, "content": dict(op.body)}
    out["security"] = [] if op.auth == "none" else [{"session": []}]
    if op.auth not in ("none", "user"):
        out["description"] = f"Requires role: {op.auth}."
    return out


def document(app: web.Application) -> dict[str, Any]:
    """The OpenAPI document of the routes this app registered."""
    paths: dict[str, dict[str, Any]] = {}
    for method, path in api_routes(app):
        op = OPERATIONS.get((method, path))
        if op is not None:
            paths.setdefault(path, {})[method.lower()] = _operation(op)
    tags = sorted({op.tag for op in OPERATIONS.values()})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pendopo API",
            "version": VERSION,
            "description": "Errors are JSON {error, message, details?}; lists are "
            "{items, total, limit, offset}. See docs/api.md.",
        },
        "tags": [{"name": t} for t in tags],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "pendopo_session"}
            },
        },
    }


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(document(request.app))


def describe_routes(ops: Iterable[tuple[str, str, str, str, str]]) -> None:
    """Describe routes in brief: (method, path, summary, tag, auth) each."""
    describe(*(Operation(m, p, s, tag, auth) for m, p, s, tag, auth in ops))


describe(Operation("GET", "/api/openapi.json", "This OpenAPI document", "meta", "none"))


def setup(app: web.Application) -> None:
    app.router.add_get("/api/openapi.json", openapi_json)
