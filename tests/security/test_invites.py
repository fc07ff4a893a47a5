"""Invite links end to end: made by the host over REST, used in the real socket.io join.

Tampered, expired and revoked tokens are refused with their documented codes; a session that
requires invites refuses plain links; the token never shows up in logs or the audit log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from accounts.invites import InviteService
from edge.keys import AUDIT, DATABASE, SERVER_KEY
from tests.conftest import RunningServer
from tests.signaling.meeting import Person, connect, create_room, join_host


@pytest.fixture
async def host_http(server: RunningServer) -> AsyncIterator[aiohttp.ClientSession]:
    http = await server.signed_in_session()
    try:
        yield http
    finally:
        await http.close()


async def make_invite(http: aiohttp.ClientSession, room: str, **body: Any) -> tuple[str, str]:
    async with http.post(f"/api/rooms/{room}/invites", json=body) as resp:
        assert resp.status == 201, await resp.text()
        data = await resp.json()
    prefix = f"/j/{room}#invite="
    assert data["url"].startswith(prefix)
    return data["invite"]["id"], data["url"][len(prefix) :]


async def guest_join(
    server: RunningServer,
    people: list[Person],
    room: str,
    name: str,
    invite: str | None = None,
    site: str | None = None,
) -> dict[str, Any]:
    guest = await connect(server, name)
    people.append(guest)
    payload: dict[str, Any] = {"protocol": 1, "room": room, "name": name}
    if invite is not None:
        payload["invite"] = invite
    if site is not None:
        payload["site"] = site
    ack = await guest.client.request("join", payload)
    assert isinstance(ack, dict)
    return ack


def error(ack: dict[str, Any]) -> str:
    assert ack["ok"] is False and isinstance(ack["message"], str) and ack["message"], ack
    return str(ack["error"])


def tamper(token: str, part: int) -> str:
    pieces = token.split(".")
    text = pieces[part]
    pieces[part] = text[:-2] + ("A" if text[-2] != "A" else "B") + text[-1]
    return ".".join(pieces)


async def test_invite_links_over_the_real_join(
    server: RunningServer,
    host_http: aiohttp.ClientSession,
    people: list[Person],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    room = await create_room(server)
    other_room = await create_room(server, "Rapat lain")
    host = await join_host(server, room)
    people.append(host)

    invite_id, token = await make_invite(host_http, room)
    ack = await guest_join(server, people, room, "Pak Joko", invite=token)
    assert ack["ok"] and ack["status"] == "lobby", ack

    # Bound to a site and admitting at once.
    _, direct = await make_invite(host_http, room, site_code="33.14.06", require_lobby=False)
    assert error(await guest_join(server, people, room, "Salah", direct, "33.14.12")) == (
        "invite_invalid"
    )
    ack = await guest_join(server, people, room, "Bu Sri", invite=direct)
    assert ack["ok"] and ack["status"] == "admitted", ack
    await host.client.wait_until(lambda: host.client.participant("Bu Sri") is not None)
    sri = host.client.participant("Bu Sri")
    assert sri is not None and sri["site"]["code"] == "33.14.06"

    # Tampering: payload, signature, version, another session's token, garbage.
    _, elsewhere = await make_invite(host_http, other_room)
    for bad in (tamper(token, 1), tamper(token, 2), "v2" + token[2:], elsewhere, "x", "a.b.c"):
        assert error(await guest_join(server, people, room, "Nakal", bad)) == "invite_invalid"

    # Revoked: the same token, replayed after the host withdrew it, is refused.
    async with host_http.delete(f"/api/rooms/{room}/invites/{invite_id}") as resp:
        assert resp.status == 200 and (await resp.json())["revoked"] is True
    assert error(await guest_join(server, people, room, "Pak Joko", token)) == "invite_revoked"
    async with host_http.delete(f"/api/rooms/{room}/invites/{invite_id}") as resp:
        assert (await resp.json())["revoked"] is False
    async with host_http.delete(f"/api/rooms/{other_room}/invites/{invite_id}") as resp:
        assert resp.status == 404
    async with host_http.get(f"/api/rooms/{room}/invites") as resp:
        listed = await resp.json()
    assert {i["id"]: i["revoked"] for i in listed["items"]}[invite_id] is True
    assert listed["invite_required"] is False
    assert all("token" not in i for i in listed["items"])

    # Expired: a genuine token whose time is over (made with a clock an hour behind).
    past = InviteService(
        server.app[DATABASE], server.app[SERVER_KEY], clock=lambda: time.time() - 3600
    )
    _, stale = await past.create(room, ttl=60)
    assert error(await guest_join(server, people, room, "Telat", stale)) == "invite_expired"

    # Invites required: a plain link is no longer enough; an invite and the host still are.
    async with host_http.put(f"/api/rooms/{room}/invite-policy", json={"required": True}) as r:
        assert (await r.json()) == {"ok": True, "invite_required": True}
    assert error(await guest_join(server, people, room, "Tanpa undangan")) == "invite_required"
    _, fresh = await make_invite(host_http, room)
    assert (await guest_join(server, people, room, "Dengan undangan", fresh))["ok"]
    people.append(await join_host(server, room, "Sekda"))
    assert (await guest_join(server, people, other_room, "Di sesi lain"))["ok"]

    # The token is in no log record and nowhere in the audit log.
    tokens = (token, direct, elsewhere, stale, fresh)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(t in logged for t in tokens)
    entries, _ = await server.app[AUDIT].entries(action="invite.", limit=100)
    assert {e.action for e in entries} >= {"invite.create", "invite.revoke", "invite.policy"}
    audit_text = repr([e.public() for e in entries])
    assert not any(t in audit_text for t in tokens)


async def test_invite_rest_refusals(
    server: RunningServer, host_http: aiohttp.ClientSession
) -> None:
    room = await create_room(server)
    for body, code in (
        ({"site_code": "99.99"}, "invalid_request"),
        ({"site_code": 5}, "invalid_request"),
        ({"ttl_hours": 0}, "invalid_request"),
        ({"ttl_hours": 10_000}, "invalid_request"),
        ({"ttl_hours": True}, "invalid_request"),
        ({"require_lobby": "no"}, "invalid_request"),
    ):
        async with host_http.post(f"/api/rooms/{room}/invites", json=body) as resp:
            assert resp.status == 400 and (await resp.json())["error"] == code, body
    async with host_http.post("/api/rooms/no-such-room/invites", json={}) as resp:
        assert resp.status == 404
    async with host_http.put(f"/api/rooms/{room}/invite-policy", json={"required": 1}) as resp:
        assert resp.status == 400
    async with host_http.post(f"/api/rooms/{room}/end", json={}) as resp:
        assert resp.status == 200
    async with host_http.post(f"/api/rooms/{room}/invites", json={}) as resp:
        assert resp.status == 409 and (await resp.json())["error"] == "room_ended"
