"""Invite links: signature, expiry, revocation, room binding."""

from __future__ import annotations

import base64
import json

import pytest

from accounts.invites import InviteError, InviteService
from pendopo.db import Database

KEY = b"k" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_create_and_verify(db: Database) -> None:
    invites = InviteService(db, KEY)
    invite, token = await invites.create("room-1", site_code="33.14.01", require_lobby=False)
    got = await invites.verify(token, room="room-1")
    assert got.id == invite.id and got.site_code == "33.14.01" and got.require_lobby is False
    assert token not in json.dumps(got.public())


async def _code(invites: InviteService, token: object, room: str | None = None) -> str:
    with pytest.raises(InviteError) as info:
        await invites.verify(token, room=room)
    return info.value.code


async def test_tampered_tokens_are_invalid(db: Database) -> None:
    invites = InviteService(db, KEY)
    _, token = await invites.create("room-1")
    prefix, payload, sig = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["r"] = "room-2"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    for bad in (
        f"{prefix}.{forged}.{sig}",
        f"{prefix}.{payload}.{flipped}",
        f"v2.{payload}.{sig}",
        token + "x",
        "",
        "a.b",
        "v1.!!!.???",
        "v1.é.é",
        None,
        12,
        "x" * 5000,
    ):
        assert await _code(invites, bad) == "invite_invalid", bad
    other_key = InviteService(db, b"o" * 32)
    assert await _code(other_key, token) == "invite_invalid"
    assert await _code(invites, token, room="room-2") == "invite_invalid"


async def test_expired_and_revoked(db: Database) -> None:
    clock = Clock()
    invites = InviteService(db, KEY, clock=clock)
    first, token = await invites.create("room-1", ttl=600)
    _, second = await invites.create("room-1", ttl=600)
    _, other_room = await invites.create("room-2", ttl=600)
    clock.now += 599
    await invites.verify(token)
    clock.now += 2
    assert await _code(invites, token) == "invite_expired"
    clock.now -= 100
    assert await invites.revoke(first.id) is True
    assert await invites.revoke(first.id) is False
    assert await _code(invites, token) == "invite_revoked"
    await invites.verify(second)
    assert await invites.revoke_room("room-1") == 1
    assert await _code(invites, second) == "invite_revoked"
    await invites.verify(other_room)
    assert [i.revoked_at is not None for i in await invites.for_room("room-1")] == [True, True]


async def test_bad_arguments(db: Database) -> None:
    invites = InviteService(db, KEY)
    with pytest.raises(InviteError):
        await invites.create("")
    with pytest.raises(InviteError):
        await invites.create("r", ttl=10)
    with pytest.raises(ValueError):
        InviteService(db, b"short")
