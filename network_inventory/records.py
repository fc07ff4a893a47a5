"""What a client may write into the inventory, declared once per record as a pydantic model.

``SiteInput`` (and the models beside it) is the one declaration of a record's writable fields:
its types, bounds and descriptions drive the checks of the REST API and of CSV imports, the
request schemas of the OpenAPI document (``input_schemas``) and the fields the service accepts.
The stored record and its JSON answer are ``network_inventory.model``'s dataclasses.

Values come either as JSON (``text=False``) or as CSV text (``text=True``: cells are stripped,
a blank cell is no value, numbers and flags are parsed from text); the ``before`` parsers below
do that and say what is wrong in the words the API has always used. A pydantic error is
translated once, by :func:`invalid`, into the inventory's :class:`ValidationError` with one
``{"field", "message"}`` per bad field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, TypeVar

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError

from network_inventory.errors import ValidationError
from network_inventory.model import SiteKind

CODE_RE = re.compile(r"^\d{1,4}(\.\d{1,6}){1,4}$")
"""Kemendagri-style codes: digits with at least one dot (``33.14``, ``33.14.01``,
``33.14.01.2001``), so a bare number is always a database id."""
MAX_TEXT = 2000
MAX_NAME = 200
MAX_BOUNDARY = 2_000_000

T = TypeVar("T")
M = TypeVar("M", bound="Input")


def _bad(message: str) -> PydanticCustomError:
    return PydanticCustomError("invalid", message)


def _text_mode(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("text"))


def _before(parse: Callable[[Any, ValidationInfo], T]) -> BeforeValidator:
    """A field parser: JSON values as they come; CSV cells stripped, a blank one is no value.
    No value passes through as None (a required field then answers "is required")."""

    def run(value: Any, info: ValidationInfo) -> T | None:
        if _text_mode(info) and isinstance(value, str):
            value = value.strip()
            if value == "":
                return None
        if value is None:
            return None
        return parse(value, info)

    return BeforeValidator(run)


def _string(value: Any, info: ValidationInfo) -> str | None:
    if not isinstance(value, str):
        raise _bad("must be a string")
    return value.strip() or None


def _required_string(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise _bad("must be a string")
    if not value.strip():
        raise _bad("must not be empty")
    return value.strip()


def _integer(value: Any, info: ValidationInfo) -> int:
    if _text_mode(info) and isinstance(value, str):
        if not re.fullmatch(r"[+-]?\d+", value):
            raise _bad("must be a whole number")
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad("must be a whole number")
    return value


def _number(value: Any, info: ValidationInfo) -> float:
    if _text_mode(info) and isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise _bad("must be a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad("must be a number")
    if not math.isfinite(value):
        raise _bad("must be a finite number")
    return float(value)


def _choice(value: Any, info: ValidationInfo) -> str:
    """Enum text, lower-cased; the enum itself then says which values it allows."""
    if not isinstance(value, str):
        raise _bad("must be a string")
    return value.strip().lower()


def _moment(value: Any, info: ValidationInfo) -> float:
    """ISO 8601 date-time (naive means UTC) or Unix seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        raise _bad("must be an ISO 8601 date-time")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _bad("must be an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _site_ref(value: Any, info: ValidationInfo) -> int | str:
    """A site given by id (integer) or code (string)."""
    if isinstance(value, bool):
        raise _bad("must be a site id or code")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = value.strip()
        if value.isdigit():
            return int(value)
        if CODE_RE.match(value):
            return value
        raise _bad(f"{value!r} is not a site code")
    raise _bad("must be a site id or code")


def _code(value: Any, info: ValidationInfo) -> str | None:
    text = _string(value, info)
    if text is not None and len(text) <= 40 and not CODE_RE.match(text):
        raise _bad("must be a Kemendagri-style code of digits and dots, e.g. 33.14.01")
    return text


def _tags(value: Any, info: ValidationInfo) -> list[str]:
    if _text_mode(info) and isinstance(value, str):
        value = [t for t in (p.strip() for p in value.split(";")) if t]
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise _bad("must be a list of strings")
    tags = sorted({t.strip() for t in value if t.strip()})
    if any(len(t) > 60 for t in tags) or len(tags) > 50:
        raise _bad("at most 50 tags of at most 60 characters")
    return tags


def _boundary(value: Any, info: ValidationInfo) -> str:
    if isinstance(value, str):
        if len(value) > MAX_BOUNDARY:
            raise _bad("is too large")
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise _bad("must be a GeoJSON geometry") from None
    try:
        return geometry_text(value)
    except ValueError as exc:
        raise _bad(str(exc)) from None


def geometry_text(value: Any) -> str:
    """Compact JSON of a GeoJSON Polygon or MultiPolygon (checked), the stored form."""
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError("must be a GeoJSON Polygon or MultiPolygon")
    coords = value.get("coordinates")
    polygons = [coords] if value["type"] == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        raise ValueError("has no coordinates")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise ValueError("has an empty polygon")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise ValueError("has a ring with fewer than 4 positions")
            for pos in ring:
                if (
                    not isinstance(pos, list)
                    or len(pos) < 2
                    or not all(isinstance(x, int | float) for x in pos[:2])
                    or not (-180 <= pos[0] <= 180 and -90 <= pos[1] <= 90)
                ):
                    raise ValueError("has a position that is not [lon, lat]")
    return json.dumps(
        {"type": value["type"], "coordinates": coords}, separators=(",", ":"), allow_nan=False
    )


STRING = _before(_string)
REQUIRED_STRING = _before(_required_string)
INTEGER = _before(_integer)
NUMBER = _before(_number)
CHOICE = _before(_choice)
SITE_REF = _before(_site_ref)
_REF_SCHEMA = WithJsonSchema(
    {"type": ["integer", "string", "null"], "description": "site id or code (e.g. 33.14.01)"}
)
_MOMENT_SCHEMA = WithJsonSchema(
    {
        "type": ["string", "number", "null"],
        "format": "date-time",
        "description": "ISO 8601 date-time (UTC when it has no offset) or Unix seconds",
    }
)

Text = Annotated[Annotated[str, Field(max_length=MAX_TEXT)] | None, STRING]
Moment = Annotated[float | None, _before(_moment), _MOMENT_SCHEMA]
SiteRef = Annotated[int | str | None, SITE_REF, _REF_SCHEMA]
Id = Annotated[Annotated[int, Field(ge=1)] | None, INTEGER]


class Input(BaseModel):
    """A record's writable fields; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    ENTITY: ClassVar[str] = ""

    @classmethod
    def parse(cls: type[M], data: Mapping[str, Any], *, text: bool = False) -> M:
        """``data`` checked (JSON values, or CSV cells when ``text``), field by field and then
        by the rules between fields, or ValidationError listing what is wrong."""
        try:
            record = cls.model_validate(dict(data), context={"text": text})
        except pydantic.ValidationError as exc:
            raise invalid(exc, cls.ENTITY) from None
        if problems := record.problems():
            raise refused([{"field": f, "message": m} for f, m in problems])
        return record

    def problems(self) -> list[tuple[str, str]]:
        """What no single field says: the rules between fields."""
        return []


class SiteInput(Input):
    """A site as a client writes it (POST a whole one; PATCH the fields it changes)."""

    ENTITY = "site"

    code: Annotated[
        Annotated[str, Field(max_length=40, pattern=CODE_RE.pattern)] | None,
        _before(_code),
        Field(description="Kemendagri code, e.g. 33.14.01.2001"),
    ] = None
    name: Annotated[str, Field(max_length=MAX_NAME), REQUIRED_STRING]
    kind: Annotated[SiteKind, CHOICE]
    parent: SiteRef = Field(None, description="the parent site, by id or code")
    parent_id: Id = Field(None, description="the parent site's id (when no parent is given)")
    lat: Annotated[Annotated[float, Field(ge=-90, le=90)] | None, NUMBER] = None
    lon: Annotated[Annotated[float, Field(ge=-180, le=180)] | None, NUMBER] = None
    address: Text = None
    contact: Text = None
    notes: Text = None
    tags: Annotated[
        list[Annotated[str, Field(max_length=60)]],
        _before(_tags),
        Field(max_length=50, description="';'-separated in CSV"),
    ] = []
    maintenance_from: Moment = None
    maintenance_until: Moment = None
    boundary: Annotated[
        str | None,
        _before(_boundary),
        WithJsonSchema({"type": ["object", "null"], "description": "GeoJSON (Multi)Polygon"}),
    ] = None

    def fields(self) -> dict[str, Any]:
        """The stored columns (``parent`` still a reference: the repository resolves it)."""
        out = self.model_dump(exclude={"parent", "parent_id"})
        out["parent"] = self.parent if "parent" in self.model_fields_set else self.parent_id
        return out

    def problems(self) -> list[tuple[str, str]]:
        found = []
        if (self.lat is None) != (self.lon is None):
            found.append(("lat", "lat and lon go together: give both or neither"))
        mf, mu = self.maintenance_from, self.maintenance_until
        if mf is not None and mu is not None and mu <= mf:
            found.append(("maintenance_until", "must be after maintenance_from"))
        return found


def _bound(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _message(error: Mapping[str, Any], entity: str) -> str:
    """A pydantic error in the inventory's words (what the API said before pydantic)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing" or (error.get("input", ...) is None and kind != "invalid"):
        return "is required"
    if kind == "extra_forbidden":
        return f"is not a field of a {entity}"
    if kind == "greater_than_equal":
        return f"must be at least {_bound(ctx['ge'])}"
    if kind == "less_than_equal":
        return f"must be at most {_bound(ctx['le'])}"
    if kind == "string_too_long":
        return f"is longer than {ctx['max_length']} characters"
    if kind == "enum":
        return f"must be one of: {ctx['expected'].replace(' or ', ', ').replace(chr(39), '')}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])


def invalid(exc: pydantic.ValidationError, entity: str) -> ValidationError:
    """The one translation of a pydantic error: every bad field, in the API's words."""
    details = [
        {"field": str(e["loc"][0]) if e["loc"] else entity, "message": _message(e, entity)}
        for e in exc.errors(include_url=False)
    ]
    return refused(details)


def refused(details: list[dict[str, str]]) -> ValidationError:
    fields = ", ".join(f"{d['field']} {d['message']}" for d in details)
    return ValidationError(f"Invalid input: {fields}.", details=details)
