from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from aiortc.rtp import RtpPacket

from media import MediaSettings, Sfu, hooks
from media.loudest import LoudestSettings
from media.peer import Peer
from media.testing import LOOPBACK, ClientPeer, LoopbackEvents, SyntheticAudioTrack, connect


class Harness:
    def __init__(self, settings: MediaSettings | None = None) -> None:
        self.events = LoopbackEvents()
        self.sfu = Sfu(settings or MediaSettings(host_addresses=LOOPBACK), self.events)
        self.events.sfu = self.sfu
        self.clients: list[ClientPeer] = []

    def client(self, peer_id: str, **kwargs: object) -> ClientPeer:
        client = ClientPeer(peer_id, **kwargs)  # type: ignore[arg-type]
        self.events.clients[peer_id] = client
        self.clients.append(client)
        return client

    def server_peer(self, name: str) -> Peer:
        """The SFU's side of a participant's connection."""
        return self.sfu._peer(name)

    def arriving(self, name: str) -> list[RtpPacket]:
        """Every RTP packet of the publisher's connection that reaches the router (decrypted),
        from now on."""
        seen: list[RtpPacket] = []
        transport = self.server_peer(name).pc.getTransceivers()[0].receiver.transport
        hooks.tap_received_rtp(transport, lambda p: not seen.append(p))
        return seen

    async def close(self) -> None:
        for client in self.clients:
            await client.close()
        await self.sfu.close()
        await self.events.close()


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness()
    yield h
    await h.close()


@pytest.fixture
async def loudest_harness() -> AsyncIterator[Harness]:
    """Three audio slots per receiver, an occupant held 1 s after it went quiet."""
    h = Harness(MediaSettings(host_addresses=LOOPBACK, loudest=LoudestSettings(limit=3, hold=1.0)))
    yield h
    await h.close()


def tone(client: ClientPeer) -> SyntheticAudioTrack:
    """The client's first local track, its synthetic microphone (``set_amplitude``)."""
    track = client.local_tracks[0]
    assert isinstance(track, SyntheticAudioTrack)
    return track


async def host_seen_by_lurah(harness: Harness) -> tuple[ClientPeer, ClientPeer]:
    """A host publishing audio and video and a lurah subscribed to both, 10 frames in."""
    host = harness.client("host")
    host.publish(audio=True, video=True)
    await connect(harness.sfu, "host", host)
    lurah = harness.client("lurah")
    await connect(harness.sfu, "lurah", lurah)
    await harness.sfu.subscribe("lurah", "host", frozenset({"audio", "video"}))
    await lurah.wait_frames("host", "video", 10, within=30)
    return host, lurah


class FromHost:
    """The host's video frames and audio packets a lurah receives from now on."""

    def __init__(self, lurah: ClientPeer) -> None:
        video = lurah.from_participant("host", "video")
        audio = lurah.from_participant("host", "audio")
        assert video is not None and audio is not None
        self._video, self._audio = video, audio
        self._start = (video.frames, audio.frames, time.monotonic())

    def since(self) -> tuple[int, int, float]:
        """(video frames, audio packets, seconds) since this was made."""
        frames0, audio0, t0 = self._start
        return self._video.frames - frames0, self._audio.frames - audio0, time.monotonic() - t0
