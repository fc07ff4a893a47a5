"""A pydantic validation error in the API's words, for every package that declares its records
with pydantic (``network_inventory.records``, ``rooms.new_session``, ...): one
``{"field", "message"}`` per bad field, unknown fields first, each message as the hand-written
checks said it ("is required", "must be at most 1", "is not a field of a site"). Each package
wraps the list in its own typed error; the edges translate that once. And the defaults of
fields that a PATCH may leave out (:func:`unset`) or whose own check says they are missing
(:func:`checked_when_missing`). And a declared answer as its JSON (:func:`as_json`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pydantic
from pydantic import Field, TypeAdapter


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def unset() -> Any:
    """The default of a field a PATCH may leave out but a client may not set to null (its type
    has no None): left out of the JSON schema's defaults."""
    return Field(None, json_schema_extra=_no_default)


def checked_when_missing() -> Any:
    """The default of a field a record needs: left out, its own check runs (and says what is
    missing); left out of the JSON schema's defaults."""
    return Field(None, validate_default=True, json_schema_extra=_no_default)


def _bound(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def message(error: Mapping[str, Any], entity: str) -> str:
    """One pydantic error's message (custom errors of type ``invalid`` say their own)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing" or (error.get("input", ...) is None and kind != "invalid"):
        return "is required"
    if kind == "extra_forbidden":
        article = "an" if entity[:1] in "aeiou" else "a"
        return f"is not a field of {article} {entity}"
    if kind == "greater_than_equal":
        return f"must be at least {_bound(ctx['ge'])}"
    if kind == "greater_than":
        return f"must be above {_bound(ctx['gt'])}"
    if kind == "less_than_equal":
        return f"must be at most {_bound(ctx['le'])}"
    if kind == "string_too_long":
        return f"is longer than {ctx['max_length']} characters"
    if kind == "too_long":
        return f"has more than {ctx['max_length']} items"
    if kind == "enum":
        return f"must be one of: {ctx['expected'].replace(' or ', ', ').replace(chr(39), '')}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])


def details(exc: pydantic.ValidationError, entity: str) -> list[dict[str, str]]:
    """Every bad field of ``exc``, unknown fields first."""
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    return [
        {"field": str(e["loc"][0]) if e["loc"] else entity, "message": message(e, entity)}
        for e in errors
    ]


def sentence(found: list[dict[str, str]]) -> str:
    """The details as one message: ``Invalid input: name is required, ...``."""
    fields = ", ".join(f"{d['field']} {d['message']}" for d in found)
    return f"Invalid input: {fields}."


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def as_json(answer: object) -> dict[str, Any]:
    """A declared answer (a dataclass whose fields are its JSON and its OpenAPI schema) as the
    JSON object the API sends."""
    kind = type(answer)
    adapter = _ADAPTERS.get(kind) or _ADAPTERS.setdefault(kind, TypeAdapter(kind))
    data: dict[str, Any] = adapter.dump_python(answer, mode="json")
    return data


__all__ = ["as_json", "checked_when_missing", "details", "message", "sentence", "unset"]
