"""Invite links: signed, expiring, revocable tokens bound to a room and optionally a site.

A token is ``v1.<payload>.<signature>``: the payload (base64url JSON ``{"i": id, "r": room,
"s": site_code, "e": expires_at}``) is signed with HMAC-SHA256 under the server key. Checking a
token needs the signature, the expiry *and* the database row (which is how revocation works); the
token itself is never stored or logged — only its id is. The join link carries it in the URL
fragment (``/j/<room>#invite=<token>``), which browsers never send to a server, so neither
Pendopo's nor nginx's access log ever sees it; the page passes it on in its join request.

API for the rooms package::

    invite, token = await invites.create(room_id, site_code=None, ttl=..., require_lobby=True,
                                         created_by=user)
    invite = await invites.verify(token, room=room_id)   # raises InviteError
    await invites.revoke(invite.id) / await invites.revoke_room(room_id)
    await invites.set_required(room_id, True)            # a plain link is no longer enough
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict, Field, Strict

from accounts.model import User
from accounts.store import AccountError
from pendopo import declared
from pendopo.db import Connection, Database, Row, Then, and_then
from pendopo.declared import as_json

DEFAULT_TTL = 24 * 3600.0
MAX_TTL = 30 * 24 * 3600.0
MAX_TOKEN_LENGTH = 1024
_PREFIX = "v1"


class InviteError(AccountError):
    """``invite_invalid`` (malformed, tampered, other room), ``invite_expired``,
    ``invite_revoked``."""


@dataclass(frozen=True)
class Invite:
    id: str
    room: str
    site_code: str | None
    require_lobby: bool
    created_by: int | None
    created_at: float
    expires_at: float
    revoked_at: float | None

    def public(self) -> dict[str, Any]:
        """What a host may see about an invite (never the token)."""
        return as_json(InviteAnswer.of(self))


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, use_attribute_docstrings=True)

    @classmethod
    def parse(cls: type[B], data: Mapping[str, Any]) -> B:
        """The body checked, or ``InviteError("invalid_request")`` naming every bad field."""
        try:
            return cls.model_validate(dict(data))
        except pydantic.ValidationError as exc:
            found = declared.details(exc, "invite")
            raise InviteError("invalid_request", declared.sentence(found), details=found) from None


class InviteInput(_Body):
    """A new invite link as a host asks for it (``POST /api/rooms/{id}/invites``; every field
    may be left out). Declared once: it checks the body and gives its OpenAPI schema."""

    site_code: Annotated[str | None, Strict(), Field(min_length=1, max_length=32)] = None
    """bind the link to this site (null: any site)"""
    ttl_hours: Annotated[float, Strict(), Field(ge=1, le=MAX_TTL / 3600)] = DEFAULT_TTL / 3600
    """how long the link works"""
    require_lobby: Annotated[bool, Strict()] = True
    """its holders wait in the lobby until a host admits them"""


class InvitePolicy(_Body):
    """``PUT /api/rooms/{id}/invite-policy``."""

    required: Annotated[bool, Strict()]
    """true: only invite holders (and hosts) may join from now on"""


B = TypeVar("B", bound=_Body)
_ANSWER = ConfigDict(use_attribute_docstrings=True)


@dataclass(frozen=True, kw_only=True)
class InviteAnswer:
    """An invite link as its session's host sees it (never its token). Declared once: its
    fields are the JSON answer and its OpenAPI schema."""

    __pydantic_config__ = _ANSWER

    id: str
    room: str
    """the session's id"""
    site_code: str | None
    """the site the link is bound to (null: any)"""
    require_lobby: bool
    """its holders wait in the lobby until a host admits them"""
    created_at: float
    expires_at: float
    revoked: bool

    @classmethod
    def of(cls, invite: Invite) -> InviteAnswer:
        return cls(
            id=invite.id,
            room=invite.room,
            site_code=invite.site_code,
            require_lobby=invite.require_lobby,
            created_at=invite.created_at,
            expires_at=invite.expires_at,
            revoked=invite.revoked_at is not None,
        )


@dataclass(frozen=True, kw_only=True)
class InviteCreated:
    """A new invite link: the only answer that carries its token (in ``url``)."""

    __pydantic_config__ = _ANSWER

    invite: InviteAnswer
    url: str
    """``/j/<room>#invite=<token>``: the token is in the fragment and shown this once"""


@dataclass(frozen=True, kw_only=True)
class InviteList:
    """A session's invite links and whether one is needed to join."""

    __pydantic_config__ = _ANSWER

    items: list[InviteAnswer]
    invite_required: bool


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _invite(row: Row) -> Invite:
    return Invite(
        id=row["id"],
        room=row["room"],
        site_code=row["site_code"],
        require_lobby=bool(row["require_lobby"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )


_INVALID = "This invite link is not valid."


class InviteService:
    def __init__(self, db: Database, key: bytes, *, clock: Callable[[], float] = time.time) -> None:
        if len(key) < 16:
            raise ValueError("invite key must be at least 16 bytes")
        self.db = db
        self._key = hashlib.sha256(b"pendopo-invite-key\x00" + key).digest()
        self._clock = clock

    def _sign(self, payload: str) -> str:
        mac = hmac.new(self._key, f"{_PREFIX}.{payload}".encode("ascii"), hashlib.sha256)
        return _b64e(mac.digest())

    async def create(
        self,
        room: str,
        *,
        site_code: str | None = None,
        ttl: float = DEFAULT_TTL,
        require_lobby: bool = True,
        created_by: User | None = None,
        then: Then | None = None,
    ) -> tuple[Invite, str]:
        """A new invite and its token (hand the token out once; it is not kept); ``then`` runs
        in the same transaction with the invite (the caller's audit record)."""
        if not room or len(room) > 200:
            raise InviteError("invalid_room", "An invite needs a room id of 1 to 200 characters.")
        if not 60 <= ttl <= MAX_TTL:
            raise InviteError("invalid_ttl", "An invite lasts from one minute to 30 days.")
        now = self._clock()
        invite = Invite(
            id=secrets.token_urlsafe(12),
            room=room,
            site_code=site_code,
            require_lobby=require_lobby,
            created_by=created_by.id if created_by else None,
            created_at=now,
            expires_at=now + ttl,
            revoked_at=None,
        )

        def insert(conn: Connection) -> Invite:
            conn.execute(
                "INSERT INTO invites (id, room, site_code, require_lobby, created_by, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    invite.id,
                    invite.room,
                    invite.site_code,
                    int(invite.require_lobby),
                    invite.created_by,
                    invite.created_at,
                    invite.expires_at,
                ),
            )
            return invite

        await self.db.write(and_then(insert, then))
        body = {"i": invite.id, "r": room, "s": site_code, "e": int(invite.expires_at)}
        payload = _b64e(json.dumps(body, separators=(",", ":")).encode("utf-8"))
        return invite, f"{_PREFIX}.{payload}.{self._sign(payload)}"

    async def verify(self, token: object, *, room: str | None = None) -> Invite:
        """The invite a token stands for, if it is genuine, unexpired, unrevoked and (when
        ``room`` is given) for that room; else :class:`InviteError`."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
            raise InviteError("invite_invalid", _INVALID)
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _PREFIX:
            raise InviteError("invite_invalid", _INVALID)
        payload, signature = parts[1], parts[2]
        try:
            expected = self._sign(payload)
        except UnicodeEncodeError as exc:
            raise InviteError("invite_invalid", _INVALID) from exc
        if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
            raise InviteError("invite_invalid", _INVALID)
        try:
            body = json.loads(_b64d(payload))
            invite_id, token_room = str(body["i"]), str(body["r"])
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise InviteError("invite_invalid", _INVALID) from exc
        row = await self.db.fetchone("SELECT * FROM invites WHERE id = ?", (invite_id,))
        if row is None or row["room"] != token_room:
            raise InviteError("invite_invalid", _INVALID)
        invite = _invite(row)
        if room is not None and invite.room != room:
            raise InviteError("invite_invalid", "This invite link is for another session.")
        if invite.revoked_at is not None:
            raise InviteError("invite_revoked", "This invite link has been withdrawn.")
        if invite.expires_at <= self._clock():
            raise InviteError("invite_expired", "This invite link has expired.")
        return invite

    async def revoke(self, invite_id: str, *, then: Then | None = None) -> bool:
        """Withdraw one invite; False when there is no such (unrevoked) invite. ``then`` gets
        that answer, in the same transaction."""

        def run(conn: Connection) -> bool:
            cur = conn.execute(
                "UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (self._clock(), invite_id),
            )
            return cur.rowcount > 0

        return await self.db.write(and_then(run, then))

    async def revoke_room(self, room: str) -> int:
        """Withdraw every invite of a room (e.g. when its session ends); returns how many."""

        def run(conn: Connection) -> int:
            cur = conn.execute(
                "UPDATE invites SET revoked_at = ? WHERE room = ? AND revoked_at IS NULL",
                (self._clock(), room),
            )
            return cur.rowcount

        return await self.db.write(run)

    async def set_required(self, room: str, required: bool, *, then: Then | None = None) -> None:
        """Whether the room admits only invite holders (and hosts): a plain link is not enough."""

        def run(conn: Connection) -> None:
            conn.execute(
                "INSERT INTO invite_policies (room, required, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (room) DO UPDATE SET required = excluded.required,"
                " updated_at = excluded.updated_at",
                (room, int(required), self._clock()),
            )

        await self.db.write(and_then(run, then))

    async def required(self, room: str) -> bool:
        row = await self.db.fetchone("SELECT required FROM invite_policies WHERE room = ?", (room,))
        return bool(row and row["required"])

    async def get(self, invite_id: str) -> Invite | None:
        row = await self.db.fetchone("SELECT * FROM invites WHERE id = ?", (invite_id,))
        return None if row is None else _invite(row)

    async def for_room(self, room: str) -> list[Invite]:
        rows = await self.db.fetchall(
            "SELECT * FROM invites WHERE room = ? ORDER BY created_at", (room,)
        )
        return [_invite(r) for r in rows]
