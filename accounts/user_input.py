"""A user account as an admin writes it (``POST /api/admin/users``, a password reset): declared
once, as pydantic models that check the body and give the OpenAPI request schemas
(``web.openapi.declared``).

A bad body is one :class:`AccountError` whose ``details`` lists every bad field (the words of
``pendopo.declared``); its code is the first bad field's: ``invalid_role`` for the role,
``invalid_site_code`` for the site code, else ``invalid_request``. Fields the models do not know
are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError

from accounts.model import AccountRole
from accounts.store import AccountError
from pendopo import declared

MAX_SITE_CODE = 32
SITE_CODE_RE = re.compile(rf"^[0-9A-Za-z.\-]{{1,{MAX_SITE_CODE}}}$")
"""What a site code may be: the check and the OpenAPI schema's ``pattern`` (a Kemendagri code
such as 33.14.01, or a site's own short code)."""
ERROR_CODES = {"role": "invalid_role", "site_code": "invalid_site_code"}
"""The error code of a bad field (others: ``invalid_request``)."""

M = TypeVar("M", bound="_Body")


def _optional_text(limit: int) -> BeforeValidator:
    def check(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > limit:
            raise PydanticCustomError("invalid", f"must be a string of at most {limit} characters")
        return value.strip() or None

    return BeforeValidator(check)


def _role(value: Any) -> AccountRole:
    if isinstance(value, str) and value in {r.value for r in AccountRole}:
        return AccountRole(value)
    roles = ", ".join(r.value for r in AccountRole)
    raise PydanticCustomError("invalid", f"must be one of: {roles}")


def _site_code(value: Any) -> Any:
    if value is not None and not SITE_CODE_RE.match(value):
        raise PydanticCustomError("invalid", "looks like 33.14.01")
    return value


def _required(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("invalid", "is required")
    return value


Password = Annotated[
    str | None,
    _optional_text(1024),
    WithJsonSchema({"type": ["string", "null"], "minLength": 8, "maxLength": 1024}),
    Field(description="generated (and answered once) when not given"),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, use_attribute_docstrings=True)

    @classmethod
    def parse(cls: type[M], data: Mapping[str, Any]) -> M:
        """The body checked, or AccountError naming every bad field."""
        try:
            body = cls.model_validate(dict(data))
        except pydantic.ValidationError as exc:
            raise _refused(declared.details(exc, "user")) from None
        if problems := body.problems():
            raise _refused(problems)
        return body

    def problems(self) -> list[dict[str, str]]:
        return []


class UserInput(_Body):
    """A new user account."""

    model_config = ConfigDict(json_schema_extra={"required": ["username", "role"]})

    username: Annotated[
        str,
        BeforeValidator(_required),
        _optional_text(64),  # runs first
        Field(min_length=1, max_length=64),
    ] = declared.checked_when_missing()
    role: Annotated[AccountRole, BeforeValidator(_role)] = declared.checked_when_missing()
    display_name: Annotated[
        str | None,
        _optional_text(100),
        WithJsonSchema({"type": ["string", "null"], "maxLength": 100}),
    ] = None
    site_code: Annotated[
        str | None,
        BeforeValidator(_site_code),
        _optional_text(MAX_SITE_CODE),  # runs first
        WithJsonSchema(
            {
                "type": ["string", "null"],
                "pattern": SITE_CODE_RE.pattern,
                "maxLength": MAX_SITE_CODE,
            }
        ),
        Field(description="required for role site"),
    ] = None
    password: Password = None

    def problems(self) -> list[dict[str, str]]:
        if self.role is AccountRole.SITE and self.site_code is None:
            return [{"field": "site_code", "message": "is required for a site account"}]
        return []


class PasswordReset(_Body):
    """A password an admin sets for a user (none: one is generated)."""

    password: Password = None


def _refused(found: list[dict[str, str]]) -> AccountError:
    code = ERROR_CODES.get(found[0]["field"], "invalid_request")
    return AccountError(code, declared.sentence(found), details=found)


__all__ = ["ERROR_CODES", "PasswordReset", "UserInput"]
