"""What a client may write into the inventory, declared once per record as a pydantic model.

``SiteInput`` (and the models beside it) is the one declaration of a record's writable fields:
its types, bounds and descriptions drive the checks of the REST API and of CSV imports, the
request schemas of the OpenAPI document (``web.openapi.declared``) and the fields the service
accepts. The stored record and its JSON answer are ``network_inventory.model``'s dataclasses.

Values come either as JSON (``text=False``) or as CSV text (``text=True``: cells are stripped,
a blank cell is no value, numbers and flags are parsed from text); the ``before`` parsers below
do that and say what is wrong in the words the API has always used. A pydantic error is
translated once, by :func:`invalid`, into the inventory's :class:`ValidationError` with one
``{"field", "message"}`` per bad field.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError

from network_inventory.errors import ValidationError
from network_inventory.model import LinkStatus, Medium, ProbeKind, SiteKind
from pendopo import declared

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

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)
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


def _day(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise _bad("must be a date string YYYY-MM-DD")
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise _bad("must be a date YYYY-MM-DD") from None


Day = Annotated[
    str | None, _before(_day), WithJsonSchema({"type": ["string", "null"], "format": "date"})
]


def _one_site(
    record: Input, name: str, id_name: str, code_name: str, *, text: bool
) -> tuple[int | str | None, list[tuple[str, str]]]:
    """A site given three ways (``site``: id or code; ``site_id``; ``site_code``), the first
    one given; one of them is required (in CSV: the id or the code)."""
    given = record.model_fields_set
    for key in (name, code_name, id_name):
        value = getattr(record, key)
        if key in given and (value is not None or key != code_name):
            if value is None:
                return None, [(key, "is required")]
            return value, []
    return None, [(code_name if text else id_name, "is required")]


class LinkInput(Input):
    """A link as a client writes it: a site's uplink to its parent site."""

    ENTITY = "link"
    CSV_ONLY: ClassVar[frozenset[str]] = frozenset({"site_code", "parent_code"})

    site: SiteRef = Field(None, description="the site, by id or code")
    site_id: Id = None
    site_code: SiteRef = Field(None, description="CSV: the site's code")
    parent: SiteRef = Field(None, description="the parent site, by id or code")
    parent_site_id: Id = None
    parent_code: SiteRef = Field(None, description="CSV: the parent site's code")
    medium: Annotated[Medium | None, CHOICE] = Medium.OTHER
    provider: Annotated[Annotated[str, Field(max_length=MAX_NAME)] | None, STRING] = None
    capacity_kbps: Annotated[Annotated[int, Field(ge=1, le=100_000_000)] | None, INTEGER] = None
    status: Annotated[LinkStatus | None, CHOICE] = LinkStatus.PLANNED
    target_date: Day = None
    installed_date: Day = None
    priority: Annotated[
        Annotated[int, Field(ge=0, le=99)] | None,
        INTEGER,
        Field(description="0 primary, 1.. backups"),
    ] = 0
    notes: Text = None

    def fields(self, *, text: bool = False) -> dict[str, Any]:
        """The stored columns, ``site`` and ``parent`` still references (or ValidationError)."""
        site, problems = _one_site(self, "site", "site_id", "site_code", text=text)
        parent, more = _one_site(self, "parent", "parent_site_id", "parent_code", text=text)
        problems += more
        if site is not None and site == parent:
            problems.append(("parent", "a site cannot be its own uplink"))
        if problems:
            raise refused([{"field": f, "message": m} for f, m in problems])
        out = self.model_dump(exclude={*_REFS, "site", "parent"})
        out["medium"] = self.medium or Medium.OTHER
        out["status"] = self.status or LinkStatus.PLANNED
        out["priority"] = self.priority or 0
        return {"site": site, "parent": parent, **out}


_REFS = frozenset({"site_id", "site_code", "parent_site_id", "parent_code"})
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _flag(value: Any, info: ValidationInfo) -> bool:
    if _text_mode(info) and isinstance(value, str):
        low = value.lower()
        if low in ("1", "true", "yes", "y", "ya"):
            return True
        if low in ("0", "false", "no", "n", "tidak"):
            return False
    if not isinstance(value, bool):
        raise _bad("must be true or false")
    return value


FLAG = _before(_flag)


class ProbeInput(Input):
    """A probe target as a client writes it: what the prober measures a site's link with."""

    ENTITY = "probe"
    CSV_ONLY: ClassVar[frozenset[str]] = frozenset({"site_code"})

    site: SiteRef = Field(None, description="the site, by id or code")
    site_id: Id = None
    site_code: SiteRef = Field(None, description="CSV: the site's code")
    link_id: Id = None
    kind: Annotated[ProbeKind, CHOICE]
    host: Annotated[
        Annotated[str, Field(max_length=253)] | None,
        STRING,
        Field(description="IP address or host name (http: the URL's host, or left out)"),
    ] = None
    port: Annotated[Annotated[int, Field(ge=1, le=65535)] | None, INTEGER] = None
    url: Annotated[
        Annotated[str, Field(max_length=MAX_TEXT)] | None,
        STRING,
        Field(description="http probes: the http:// or https:// URL"),
    ] = None
    expect_status: Annotated[
        Annotated[int, Field(ge=100, le=599)] | None,
        INTEGER,
        Field(description="http probes: the status that means up (200 when left out)"),
    ] = None
    interval_s: Annotated[
        Annotated[float, Field(ge=1, le=86400)] | None,
        NUMBER,
        Field(description="seconds between rounds (null: the server's probe_interval)"),
    ] = None
    timeout_s: Annotated[Annotated[float, Field(ge=0.05, le=120)] | None, NUMBER] = 2.0
    count: Annotated[
        Annotated[int, Field(ge=1, le=100)] | None,
        INTEGER,
        Field(description="echo requests (or connection attempts) per round"),
    ] = 5
    enabled: Annotated[bool | None, FLAG] = True

    def fields(self, *, text: bool = False) -> dict[str, Any]:
        """The stored columns, ``site`` still a reference (or ValidationError)."""
        site, problems = _one_site(self, "site", "site_id", "site_code", text=text)
        out = self.model_dump(exclude={"site", "site_id", "site_code"})
        out["site"] = site
        out["timeout_s"] = 2.0 if self.timeout_s is None else self.timeout_s
        out["count"] = 5 if self.count is None else self.count
        out["enabled"] = True if self.enabled is None else self.enabled
        problems += _probe_rules(out)
        if out["host"] is not None:
            try:
                out["host"] = check_host(out["host"])
            except ValueError as exc:
                problems.append(("host", str(exc)))
        if problems:
            raise refused([{"field": f, "message": m} for f, m in problems])
        return out


def _probe_rules(out: dict[str, Any]) -> list[tuple[str, str]]:
    """What each kind of probe needs (and may not have); an http probe's host is its URL's."""
    kind, found = out["kind"], []
    if kind is ProbeKind.HTTP:
        url = out["url"]
        if url is None:
            found.append(("url", "is required for an http probe"))
        else:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                found.append(("url", "must be an http:// or https:// URL with a host"))
            else:
                try:
                    parts.port  # noqa: B018  (raises on a bad port)
                except ValueError:
                    found.append(("url", "has an invalid port"))
                host = parts.hostname
                if out["host"] is not None and out["host"].lower() != host.lower():
                    found.append(("host", "must be the URL's host (or be left out)"))
                out["host"] = host
        if out["port"] is not None:
            found.append(("port", "give the port in the URL of an http probe"))
        if out["expect_status"] is None:
            out["expect_status"] = 200
        return found
    if out["url"] is not None:
        found.append(("url", f"only http probes have a URL, not {kind.value}"))
    if out["expect_status"] is not None:
        found.append(("expect_status", "only http probes expect a status"))
    if kind is ProbeKind.TCP and out["port"] is None:
        found.append(("port", "is required for a tcp probe"))
    if kind is ProbeKind.ICMP and out["port"] is not None:
        found.append(("port", "icmp probes have no port"))
    if out["host"] is None:
        found.append(("host", "is required"))
    return found


def check_host(host: str) -> str:
    """An IPv4/IPv6 address (normalised) or an RFC 1123 hostname (lower-cased)."""
    text = host.strip().strip("[]") if host.strip().startswith("[") else host.strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    if re.fullmatch(r"[\d.]+", text):
        raise ValueError(f"{host!r} is not a valid IP address")
    name = text.rstrip(".")
    if not name or len(name) > 253 or not all(_HOST_LABEL.match(p) for p in name.split(".")):
        raise ValueError(f"{host!r} is neither an IP address nor a host name")
    return name.lower()


class RegionRow(Input):
    """A row of a Kemendagri region file (CSV, or a GeoJSON feature's properties, which may
    carry more): checked field by field here, against its code by ``importer.py``."""

    model_config = ConfigDict(extra="ignore")
    ENTITY = "region row"

    code: Annotated[str, Field(max_length=40), REQUIRED_STRING]
    name: Annotated[str, Field(max_length=MAX_NAME), REQUIRED_STRING]
    kecamatan_code: Annotated[Annotated[str, Field(max_length=40)] | None, STRING] = None
    kind: Annotated[Annotated[str, Field(max_length=20)] | None, STRING] = None
    lat: Annotated[Annotated[float, Field(ge=-90, le=90)] | None, NUMBER] = None
    lon: Annotated[Annotated[float, Field(ge=-180, le=180)] | None, NUMBER] = None

    def problems(self) -> list[tuple[str, str]]:
        if (self.lat is None) != (self.lon is None):
            return [("lat", "lat and lon go together")]
        return []


def invalid(exc: pydantic.ValidationError, entity: str) -> ValidationError:
    """The one translation of a pydantic error: every bad field, in the API's words
    (``pendopo.declared``)."""
    return refused(declared.details(exc, entity))


def refused(details: list[dict[str, str]]) -> ValidationError:
    return ValidationError(declared.sentence(details), details=details)
