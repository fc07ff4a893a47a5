"""Input checking for sites, links and probe targets, shared by the REST API and CSV imports.

Each ``*_fields`` function takes a mapping (JSON values, or CSV text when ``text=True``) and
returns column values, or raises :class:`ValidationError` listing every bad field at once.
References to other sites stay unresolved here (``parent``/``site`` may be an id or a code);
the repositories resolve them against the database.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from network_inventory.errors import ValidationError
from network_inventory.model import LinkStatus, Medium, ProbeKind, SiteKind

E = TypeVar("E", SiteKind, Medium, LinkStatus, ProbeKind)

CODE_RE = re.compile(r"^\d{1,4}(\.\d{1,6}){1,4}$")
"""Kemendagri-style codes: digits with at least one dot (``33.14``, ``33.14.01``,
``33.14.01.2001``), so a bare number is always a database id."""
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
MAX_TEXT = 2000
MAX_NAME = 200
MAX_BOUNDARY = 2_000_000


class _Missing:
    pass


MISSING = _Missing()


class Checker:
    """Collects per-field errors so one answer lists all of them."""

    def __init__(self, data: Mapping[str, Any], *, text: bool) -> None:
        self.data = data
        self.text = text
        self.errors: list[dict[str, str]] = []

    def fail(self, name: str, message: str) -> None:
        self.errors.append({"field": name, "message": message})

    def raw(self, name: str) -> Any:
        value = self.data.get(name, MISSING)
        if self.text and isinstance(value, str):
            value = value.strip()
            if value == "":
                return None
        return value

    def _get(self, name: str, required: bool, parse: Callable[[Any], Any]) -> Any:
        value = self.raw(name)
        if value is MISSING or value is None:
            if required:
                self.fail(name, "is required")
            return None
        try:
            return parse(value)
        except (TypeError, ValueError) as exc:
            self.fail(name, str(exc) or "is invalid")
            return None

    def string(self, name: str, *, required: bool = False, max_len: int = MAX_TEXT) -> str | None:
        def parse(v: Any) -> str:
            if not isinstance(v, str):
                raise TypeError("must be a string")
            v = v.strip()
            if required and not v:
                raise ValueError("must not be empty")
            if len(v) > max_len:
                raise ValueError(f"is longer than {max_len} characters")
            return v

        result: str | None = self._get(name, required, parse)
        return result or (None if not required else result)

    def integer(
        self, name: str, *, required: bool = False, low: int | None = None, high: int | None = None
    ) -> int | None:
        def parse(v: Any) -> int:
            if self.text and isinstance(v, str):
                if not re.fullmatch(r"[+-]?\d+", v):
                    raise ValueError("must be a whole number")
                v = int(v)
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError("must be a whole number")
            if low is not None and v < low:
                raise ValueError(f"must be at least {low}")
            if high is not None and v > high:
                raise ValueError(f"must be at most {high}")
            return v

        result: int | None = self._get(name, required, parse)
        return result

    def number(
        self,
        name: str,
        *,
        required: bool = False,
        low: float | None = None,
        high: float | None = None,
    ) -> float | None:
        def parse(v: Any) -> float:
            if self.text and isinstance(v, str):
                try:
                    v = float(v)
                except ValueError:
                    raise ValueError("must be a number") from None
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise TypeError("must be a number")
            v = float(v)
            if not math.isfinite(v):
                raise ValueError("must be a finite number")
            if low is not None and v < low:
                raise ValueError(f"must be at least {low:g}")
            if high is not None and v > high:
                raise ValueError(f"must be at most {high:g}")
            return v

        result: float | None = self._get(name, required, parse)
        return result

    def boolean(self, name: str) -> bool | None:
        def parse(v: Any) -> bool:
            if self.text and isinstance(v, str):
                low = v.lower()
                if low in ("1", "true", "yes", "y", "ya"):
                    return True
                if low in ("0", "false", "no", "n", "tidak"):
                    return False
                raise ValueError("must be true or false")
            if not isinstance(v, bool):
                raise TypeError("must be true or false")
            return v

        result: bool | None = self._get(name, False, parse)
        return result

    def choice(self, name: str, enum_type: type[E], *, required: bool = False) -> E | None:
        def parse(v: Any) -> E:
            if not isinstance(v, str):
                raise TypeError("must be a string")
            try:
                return enum_type(v.strip().lower())
            except ValueError:
                allowed = ", ".join(e.value for e in enum_type)
                raise ValueError(f"must be one of: {allowed}") from None

        result: E | None = self._get(name, required, parse)
        return result

    def day(self, name: str) -> str | None:
        def parse(v: Any) -> str:
            if not isinstance(v, str):
                raise TypeError("must be a date string YYYY-MM-DD")
            try:
                return date.fromisoformat(v.strip()).isoformat()
            except ValueError:
                raise ValueError("must be a date YYYY-MM-DD") from None

        result: str | None = self._get(name, False, parse)
        return result

    def moment(self, name: str) -> float | None:
        """ISO 8601 date-time (naive means UTC) or Unix seconds."""

        def parse(v: Any) -> float:
            if isinstance(v, int | float) and not isinstance(v, bool):
                return float(v)
            if not isinstance(v, str):
                raise TypeError("must be an ISO 8601 date-time")
            try:
                moment = datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
            except ValueError:
                raise ValueError("must be an ISO 8601 date-time") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.timestamp()

        result: float | None = self._get(name, False, parse)
        return result

    def ref(self, name: str, *, required: bool = False) -> int | str | None:
        """A site given by id (integer) or code (string)."""

        def parse(v: Any) -> int | str:
            if isinstance(v, bool):
                raise TypeError("must be a site id or code")
            if isinstance(v, int):
                return v
            if isinstance(v, str):
                v = v.strip()
                if v.isdigit():
                    return int(v)
                if CODE_RE.match(v):
                    return v
                raise ValueError(f"{v!r} is not a site code")
            raise TypeError("must be a site id or code")

        result: int | str | None = self._get(name, required, parse)
        return result

    def check(self) -> None:
        if self.errors:
            fields = ", ".join(f"{e['field']} {e['message']}" for e in self.errors)
            raise ValidationError(f"Invalid input: {fields}.", details=self.errors)


def site_fields(data: Mapping[str, Any], *, text: bool = False) -> dict[str, Any]:
    c = Checker(data, text=text)
    out: dict[str, Any] = {
        "code": c.string("code", max_len=40),
        "name": c.string("name", required=True, max_len=MAX_NAME),
        "kind": c.choice("kind", SiteKind, required=True),
        "lat": c.number("lat", low=-90, high=90),
        "lon": c.number("lon", low=-180, high=180),
        "address": c.string("address"),
        "contact": c.string("contact"),
        "notes": c.string("notes"),
        "maintenance_from": c.moment("maintenance_from"),
        "maintenance_until": c.moment("maintenance_until"),
    }
    if out["code"] is not None and not CODE_RE.match(out["code"]):
        c.fail("code", "must be a Kemendagri-style code of digits and dots, e.g. 33.14.01")
    if (out["lat"] is None) != (out["lon"] is None) and not c.errors:
        c.fail("lat", "lat and lon go together: give both or neither")
    parent = c.raw("parent")
    out["parent"] = c.ref("parent") if parent is not MISSING else c.integer("parent_id", low=1)
    out["tags"] = _tags(c)
    out["boundary"] = _boundary(c)
    mf, mu = out["maintenance_from"], out["maintenance_until"]
    if mf is not None and mu is not None and mu <= mf:
        c.fail("maintenance_until", "must be after maintenance_from")
    c.check()
    return out


def _tags(c: Checker) -> list[str]:
    value = c.raw("tags")
    if value is MISSING or value is None:
        return []
    if c.text and isinstance(value, str):
        value = [t for t in (p.strip() for p in value.split(";")) if t]
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        c.fail("tags", "must be a list of strings")
        return []
    tags = sorted({t.strip() for t in value if t.strip()})
    if any(len(t) > 60 for t in tags) or len(tags) > 50:
        c.fail("tags", "at most 50 tags of at most 60 characters")
    return tags


def _boundary(c: Checker) -> str | None:
    value = c.raw("boundary")
    if value is MISSING or value is None:
        return None
    if isinstance(value, str):
        if len(value) > MAX_BOUNDARY:
            c.fail("boundary", "is too large")
            return None
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            c.fail("boundary", "must be a GeoJSON geometry")
            return None
    try:
        return geometry_text(value)
    except ValueError as exc:
        c.fail("boundary", str(exc))
        return None


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


def link_fields(data: Mapping[str, Any], *, text: bool = False) -> dict[str, Any]:
    c = Checker(data, text=text)
    out: dict[str, Any] = {
        "site": _site_ref(c, "site", "site_id", "site_code"),
        "parent": _site_ref(c, "parent", "parent_site_id", "parent_code"),
        "medium": c.choice("medium", Medium) or Medium.OTHER,
        "provider": c.string("provider", max_len=MAX_NAME),
        "capacity_kbps": c.integer("capacity_kbps", low=1, high=100_000_000),
        "status": c.choice("status", LinkStatus) or LinkStatus.PLANNED,
        "target_date": c.day("target_date"),
        "installed_date": c.day("installed_date"),
        "priority": c.integer("priority", low=0, high=99) or 0,
        "notes": c.string("notes"),
    }
    if out["site"] is not None and out["site"] == out["parent"]:
        c.fail("parent", "a site cannot be its own uplink")
    c.check()
    return out


def _site_ref(c: Checker, name: str, id_name: str, code_name: str) -> int | str | None:
    if c.raw(name) is not MISSING:
        return c.ref(name, required=True)
    if c.raw(code_name) not in (MISSING, None):
        return c.ref(code_name, required=True)
    if c.raw(id_name) is not MISSING or not c.text:
        return c.integer(id_name, required=True, low=1)
    c.fail(code_name, "is required")
    return None


def probe_fields(data: Mapping[str, Any], *, text: bool = False) -> dict[str, Any]:
    c = Checker(data, text=text)
    kind = c.choice("kind", ProbeKind, required=True)
    out: dict[str, Any] = {
        "site": _site_ref(c, "site", "site_id", "site_code"),
        "link_id": c.integer("link_id", low=1),
        "kind": kind,
        "host": c.string("host", max_len=253),
        "port": c.integer("port", low=1, high=65535),
        "url": c.string("url", max_len=MAX_TEXT),
        "expect_status": c.integer("expect_status", low=100, high=599),
        "interval_s": c.number("interval_s", low=1, high=86400),
        "timeout_s": c.number("timeout_s", low=0.05, high=120),
        "count": c.integer("count", low=1, high=100),
        "enabled": c.boolean("enabled"),
    }
    if out["timeout_s"] is None:
        out["timeout_s"] = 2.0
    if out["count"] is None:
        out["count"] = 5
    if out["enabled"] is None:
        out["enabled"] = True
    if kind is ProbeKind.HTTP:
        url = out["url"]
        if url is None:
            c.fail("url", "is required for an http probe")
        else:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                c.fail("url", "must be an http:// or https:// URL with a host")
            else:
                try:
                    parts.port  # noqa: B018  (raises on a bad port)
                except ValueError:
                    c.fail("url", "has an invalid port")
                host = parts.hostname
                if out["host"] is not None and out["host"].lower() != host.lower():
                    c.fail("host", "must be the URL's host (or be left out)")
                out["host"] = host
        if out["port"] is not None:
            c.fail("port", "give the port in the URL of an http probe")
        if out["expect_status"] is None:
            out["expect_status"] = 200
    elif kind is not None:
        if out["url"] is not None:
            c.fail("url", f"only http probes have a URL, not {kind.value}")
        if out["expect_status"] is not None:
            c.fail("expect_status", "only http probes expect a status")
        if kind is ProbeKind.TCP and c.raw("port") in (MISSING, None):  # not when out of range
            c.fail("port", "is required for a tcp probe")
        if kind is ProbeKind.ICMP and out["port"] is not None:
            c.fail("port", "icmp probes have no port")
        if out["host"] is None:
            c.fail("host", "is required")
    if out["host"] is not None:
        try:
            out["host"] = check_host(out["host"])
        except ValueError as exc:
            c.fail("host", str(exc))
    c.check()
    return out


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
