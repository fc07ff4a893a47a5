"""Test helpers: people joining a real server with a protocol client and a synthetic peer."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from yarl import URL

from media.testing import ClientPeer
from signaling.client import MediaSession, ProtocolClient
from tests.conftest import RunningServer

FPS = 10.0  # keep CPU low: up to five peers in one process on two shared cores


@dataclass
class Person:
    name: str
    client: ProtocolClient
    peer: ClientPeer | None = None
    media: MediaSession | None = None
    ack: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        assert self.client.participant_id is not None
        return self.client.participant_id

    async def start_media(self, publish: bool = True) -> None:
        self.peer = ClientPeer(self.name)
        if publish:
            self.peer.publish(audio=True, video=True, width=320, height=240, fps=FPS)
        self.media = MediaSession(self.client, self.peer)
        await self.media.start()

    async def frames(self, other: Person, kind: str = "video", count: int = 5) -> None:
        """Wait until ``count`` more frames of ``other`` were decoded here."""
        assert self.peer is not None
        await self.peer.wait_frames(other.id, kind, count, 30.0)

    def decoded(self, other: Person, kind: str = "video") -> int:
        assert self.peer is not None
        rec = self.peer.from_participant(other.id, kind)
        return 0 if rec is None else rec.frames

    async def stop_media(self) -> None:
        if self.peer is not None:
            await self.peer.close()
            self.peer = None

    async def close(self) -> None:
        await self.stop_media()
        if self.client.connected:
            await self.client.disconnect()


async def host_cookie(server: RunningServer) -> str:
    session = await server.signed_in_session()
    try:
        cookies = session.cookie_jar.filter_cookies(URL(server.url))
        return "; ".join(f"{k}={m.value}" for k, m in cookies.items())
    finally:
        await session.close()


async def create_room(
    server: RunningServer, title: str = "Rapat koordinasi", invited: list[str] | None = None
) -> str:
    """A new session (``invited``: the site codes it invites); its id."""
    body: dict[str, Any] = {"title": title}
    if invited is not None:
        body["invited_sites"] = invited
    session = await server.signed_in_session()
    try:
        async with session.post("/api/rooms", json=body) as resp:
            assert resp.status == 201, await resp.text()
            return str((await resp.json())["room"]["id"])
    finally:
        await session.close()


async def connect(server: RunningServer, name: str, cookie: str | None = None) -> Person:
    client = ProtocolClient(server.url, cookie=cookie, name=name)
    await client.connect()
    return Person(name, client)


async def join_host(server: RunningServer, room: str, name: str = "Bupati") -> Person:
    host = await connect(server, name, cookie=await host_cookie(server))
    host.ack = await host.client.join(room, name)
    assert host.ack["status"] == "admitted"
    return host


async def join_lobby(
    server: RunningServer, room: str, name: str, site: str | None = "33.14.06"
) -> Person:
    person = await connect(server, name)
    person.ack = await person.client.join(room, name, site=site)
    assert person.ack["status"] == "lobby", person.ack
    return person


async def admit(host: Person, person: Person, media: bool = True) -> None:
    await host.client.wait_until(
        lambda: any(e["id"] == person.id for e in host.client.lobby()), what="lobby entry"
    )
    await host.client.admit(person.id)
    await person.client.wait_event("lobby:result", lambda d: d["status"] == "admitted")
    if media:
        await person.start_media()


async def join_admitted(server: RunningServer, room: str, host: Person, name: str) -> Person:
    person = await join_lobby(server, room, name)
    await admit(host, person)
    return person


async def wait(predicate: Any, within: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {within} s")
        await asyncio.sleep(0.05)


async def hosted_room(server: RunningServer, people: list[Person]) -> tuple[str, Person]:
    """A new session whose host has joined and publishes audio and video."""
    room = await create_room(server)
    host = await join_host(server, room)
    people.append(host)
    await host.start_media()
    return room, host
