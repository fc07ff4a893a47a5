"""A new session as a host asks for it (``POST /api/rooms``): declared once, as a pydantic model
that checks the body and gives the OpenAPI request schema (``web.openapi.declared``).

Bad fields are one ``RoomError("invalid_request")`` whose ``details`` lists each (the words of
``pendopo.declared``). Whether the invited sites exist is the site directory's to say
(``web/readiness_api.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError

from pendopo import declared
from rooms.errors import INVALID_REQUEST, RoomError
from rooms.schedule import MAX_AGENDA, MAX_DURATION_MIN, Schedule

MAX_TITLE = 200
MAX_INVITED = 300
MAX_CODE = 32
DEFAULT_DURATION_MIN = 60
EARLIEST, LATEST = 1e9, 1e11
"""The plausible start times (epoch seconds): 2001 to 5138."""


def _bad(message: str) -> PydanticCustomError:
    return PydanticCustomError("invalid", message)


def _text(limit: int, *, required: bool, newlines: bool) -> BeforeValidator:
    """Text stripped, at most ``limit`` characters, no control characters (but newlines and
    tabs where ``newlines``); a required one must not be empty."""

    def check(value: Any) -> str | None:
        if value is None:
            if required:
                raise _bad("is required")
            return None
        if not isinstance(value, str):
            raise _bad("must be a string")
        value = value.strip()
        if required and not value:
            raise _bad("must not be empty")
        if len(value) > limit:
            raise _bad(f"is longer than {limit} characters")
        allowed = "\n\t" if newlines else ""
        if any(ord(c) < 32 and c not in allowed for c in value):
            raise _bad("contains control characters")
        return value

    return BeforeValidator(check)


def _codes(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if (
        not isinstance(value, list)
        or len(value) > MAX_INVITED
        or not all(isinstance(c, str) and 0 < len(c) <= MAX_CODE for c in value)
    ):
        raise _bad(f"must be a list of at most {MAX_INVITED} site codes")
    return tuple(dict.fromkeys(value))


def _start(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad("must be a number (seconds since 1970, UTC)")
    if not EARLIEST <= value <= LATEST:
        raise _bad("is not a plausible time")
    return float(value)


def _minutes(value: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise _bad("must be a whole number of minutes")
    return value


class SessionInput(BaseModel):
    """A session as a host schedules it; fields it does not know are ignored."""

    model_config = ConfigDict(
        extra="ignore",
        frozen=True,
        use_attribute_docstrings=True,
        json_schema_extra={"required": ["title"]},
    )

    title: Annotated[
        str,
        _text(MAX_TITLE, required=True, newlines=False),
        Field(min_length=1, max_length=MAX_TITLE),
    ] = declared.checked_when_missing()
    invited_sites: Annotated[
        tuple[Annotated[str, Field(min_length=1, max_length=MAX_CODE)], ...],
        BeforeValidator(_codes),
        WithJsonSchema(
            {
                "type": "array",
                "maxItems": MAX_INVITED,
                "items": {"type": "string", "description": "Kemendagri code the server knows"},
            }
        ),
    ] = ()
    starts_at: Annotated[
        float | None,
        BeforeValidator(_start),
        WithJsonSchema({"type": "number", "minimum": EARLIEST, "maximum": LATEST}),
        Field(description="start, epoch seconds (the page sends WIB as UTC+7)"),
    ] = None
    duration_min: Annotated[
        Annotated[int, Field(ge=1, le=MAX_DURATION_MIN)] | None,
        BeforeValidator(_minutes),
        Field(description=f"needs starts_at; default {DEFAULT_DURATION_MIN}"),
    ] = None
    agenda: Annotated[
        str | None,
        _text(MAX_AGENDA, required=False, newlines=True),
        WithJsonSchema({"type": "string", "maxLength": MAX_AGENDA}),
        Field(description="needs starts_at"),
    ] = None

    @classmethod
    def parse(cls, data: Any) -> SessionInput:
        """The body checked, or ``RoomError("invalid_request")`` with every bad field."""
        if not isinstance(data, Mapping):
            raise RoomError(INVALID_REQUEST, "The payload must be an object.")
        try:
            session = cls.model_validate(dict(data))
        except pydantic.ValidationError as exc:
            raise _refused(declared.details(exc, "session")) from None
        if session.starts_at is None and (session.duration_min is not None or session.agenda):
            message = "is required for a duration_min or an agenda"
            raise _refused([{"field": "starts_at", "message": message}])
        return session

    def schedule(self) -> Schedule | None:
        """When it takes place; None: unscheduled, open at once."""
        if self.starts_at is None:
            return None
        duration = DEFAULT_DURATION_MIN if self.duration_min is None else self.duration_min
        return Schedule(self.starts_at, duration, self.agenda or "")


def _refused(found: list[dict[str, str]]) -> RoomError:
    return RoomError(INVALID_REQUEST, declared.sentence(found), {"details": found})


__all__ = ["MAX_INVITED", "MAX_TITLE", "SessionInput"]
