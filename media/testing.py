"""Synthetic publishers and subscribers for tests and benchmarks (importable, no test deps).

- :class:`SyntheticVideoTrack` / :class:`SyntheticAudioTrack`: moving pattern with a noisy patch
  (so VP8 has something to spend bits on) and a sine tone.
- :class:`ClientPeer`: an ordinary aiortc client (decoders run as upstream) with MAX_BUNDLE,
  explicit ICE servers, host candidates on loopback only; counts decoded frames per mid.
- :class:`LoopbackEvents`: a ``MediaEvents`` that answers server offers with in-process
  ``ClientPeer`` objects, like signaling would, and records every event.
- :func:`connect`: offer/answer of a ``ClientPeer`` against an ``Sfu``.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import os
import random
import time
from array import array
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcconfiguration import RTCBundlePolicy
from av import AudioFrame, VideoFrame

from media import hooks
from media.settings import TrackInfo
from pendopo.tasks import TaskSet

LOOPBACK = ("127.0.0.1",)
VIDEO_CLOCK = 90000


class SyntheticVideoTrack(MediaStreamTrack):
    """yuv420p frames: a moving gradient plus a noise patch, paced at ``fps``."""

    kind = "video"

    def __init__(self, width: int = 320, height: int = 240, fps: float = 20.0) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self._cycle = [self._make(i) for i in range(max(1, int(fps)))]
        self._index = 0
        self._start: float | None = None
        self.sent = 0

    def _make(self, i: int) -> list[bytes]:
        frame = VideoFrame(width=self.width, height=self.height, format="yuv420p")
        planes = []
        for n, plane in enumerate(frame.planes):
            stride = plane.line_size
            rows = plane.buffer_size // stride
            cols = self.width if n == 0 else self.width // 2
            shift = i * 8 if n == 0 else i * 4
            row = bytes(((x + shift) * 3) & 0xFF for x in range(cols)) + bytes(stride - cols)
            data = bytearray(row * rows)
            if n == 0:  # a noise patch that moves with the pattern
                pw, ph = max(8, self.width // 4), max(8, self.height // 4)
                x0 = (i * 7) % max(1, self.width - pw)
                for y in range(ph):
                    off = (y + self.height // 3) * stride + x0
                    data[off : off + pw] = os.urandom(pw)
            planes.append(bytes(data))
        return planes

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            wait = self._start + (self.sent / self.fps) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        frame = VideoFrame(width=self.width, height=self.height, format="yuv420p")
        for plane, data in zip(frame.planes, self._cycle[self._index], strict=True):
            plane.update(data)
        self._index = (self._index + 1) % len(self._cycle)
        frame.pts = int(self.sent * VIDEO_CLOCK / self.fps)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self.sent += 1
        return frame


class SyntheticAudioTrack(MediaStreamTrack):
    """48 kHz mono 20 ms frames of a 400 Hz tone (exactly 8 periods per frame)."""

    kind = "audio"
    rate = 48000
    samples = 960

    def __init__(self, amplitude: float = 0.3) -> None:
        super().__init__()
        self.set_amplitude(amplitude)
        self._start: float | None = None
        self.sent = 0

    def set_amplitude(self, amplitude: float) -> None:
        """Louder or quieter from the next frame (the RFC 6464 level aiortc sends follows)."""
        tone = array(
            "h",
            (
                int(amplitude * 32767 * math.sin(2 * math.pi * 400 * n / self.rate))
                for n in range(self.samples)
            ),
        )
        self._data = tone.tobytes()

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            wait = self._start + self.sent * self.samples / self.rate - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        frame = AudioFrame(format="s16", layout="mono", samples=self.samples)
        frame.planes[0].update(self._data)
        frame.sample_rate = self.rate
        frame.pts = self.sent * self.samples
        frame.time_base = fractions.Fraction(1, self.rate)
        self.sent += 1
        return frame


def encode_vp8_cycle(width: int, height: int, fps: float, bitrate: int, frames: int) -> list[bytes]:
    """Encode ``frames`` synthetic pictures once: a keyframe first, then delta frames.

    Looping over them is a valid VP8 stream with a keyframe every ``frames`` frames.
    """
    import av

    source = SyntheticVideoTrack(width, height, fps)
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.bit_rate = bitrate
    codec.framerate = fractions.Fraction(int(fps), 1)
    codec.time_base = fractions.Fraction(1, int(fps))
    codec.gop_size = frames
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    out: list[bytes] = []
    for i in range(frames):
        frame = VideoFrame(width=width, height=height, format="yuv420p")
        for plane, data in zip(frame.planes, source._cycle[i % len(source._cycle)], strict=True):
            plane.update(data)
        frame.pts = i
        frame.pict_type = (
            av.video.frame.PictureType.I if i == 0 else av.video.frame.PictureType.NONE
        )
        out.extend(bytes(p) for p in codec.encode(frame))
    out.extend(bytes(p) for p in codec.encode(None))
    return out[:frames]


def encode_opus_cycle(frames: int = 50) -> list[bytes]:
    """Opus packets (20 ms each) of the synthetic tone."""
    from aiortc.codecs.opus import OpusEncoder

    encoder = OpusEncoder()
    tone = SyntheticAudioTrack()
    out: list[bytes] = []
    for i in range(frames):
        frame = AudioFrame(format="s16", layout="mono", samples=tone.samples)
        frame.planes[0].update(tone._data)
        frame.sample_rate, frame.pts = tone.rate, i * tone.samples
        frame.time_base = fractions.Fraction(1, tone.rate)
        payloads, _ = encoder.encode(frame)
        out.extend(payloads)
    return out


class PreEncodedTrack(MediaStreamTrack):
    """Loops pre-encoded packets at their frame rate: a publisher that costs no encoding.

    aiortc's sender packs ``av.Packet`` objects as they are (``encoder.pack``), so many
    synthetic publishers fit in one small process (benchmarks). Keyframe requests are not
    honoured; the loop restarts with a keyframe every ``len(packets)`` frames.
    """

    def __init__(self, kind: str, packets: list[bytes], rate: float, clock: int) -> None:
        super().__init__()
        self.kind = kind
        self._packets = packets
        self._rate = rate
        self._clock = clock
        self._start: float | None = None
        self.sent = 0

    async def recv(self) -> Any:
        import av

        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            wait = self._start + self.sent / self._rate - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        packet = av.Packet(self._packets[self.sent % len(self._packets)])
        packet.pts = int(self.sent * self._clock / self._rate)
        packet.time_base = fractions.Fraction(1, self._clock)
        self.sent += 1
        return packet


@dataclass
class Received:
    """Decoded frames of one remote track (keyed by mid in ``ClientPeer.received``)."""

    kind: str
    frames: int = 0
    first_at: float | None = None
    last_at: float | None = None
    width: int = 0
    height: int = 0
    times: list[float] = field(default_factory=list)

    def since(self, t: float) -> int:
        return sum(1 for x in self.times if x >= t)


def _sdp_identity(sdp: str) -> str:
    return sdp


class ClientPeer:
    """A client as a browser would be: one RTCPeerConnection, publishes synthetic media."""

    def __init__(
        self,
        name: str = "client",
        *,
        host_addresses: tuple[str, ...] = LOOPBACK,
        consent_retransmissions: int | None = None,
        keep_times: bool = True,
        decode: bool = True,
        receive_buffer: int = 2 * 1024 * 1024,
    ) -> None:
        hooks.install()
        self.name = name
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.host_addresses = host_addresses
        self.consent_retransmissions = consent_retransmissions
        self.keep_times = keep_times
        self.receive_buffer = receive_buffer
        self.decode = decode  # False: count complete encoded frames without decoding them
        self.received: dict[str, Received] = {}
        self.tracks: dict[str, TrackInfo] = {}
        self.outgoing_sdp: Callable[[str], str] = _sdp_identity  # e.g. candidate rewriting
        self.incoming_sdp: Callable[[str], str] = _sdp_identity
        self._tasks = TaskSet("test client task")
        self.local_tracks: list[MediaStreamTrack] = []
        self.pc.on("track", self._on_track)

    # publishing
    def publish(
        self,
        audio: bool = True,
        video: bool = True,
        width: int = 320,
        height: int = 240,
        fps: float = 20.0,
        pre_encoded: tuple[list[bytes], list[bytes]] | None = None,
        low: tuple[int, int] | None = None,
    ) -> None:
        """Add sendonly tracks; ``pre_encoded`` = (opus packets, vp8 frames) to loop.

        ``low`` = (width, height): a second video track after the first, as a page sends its
        low layer (the SFU takes a connection's second video m-line as the "low" stream)."""
        if pre_encoded is not None:
            opus, vp8 = pre_encoded
            tracks: list[MediaStreamTrack] = []
            if audio:
                tracks.append(PreEncodedTrack("audio", opus, 50.0, 48000))
            if video:
                tracks.append(PreEncodedTrack("video", vp8, fps, VIDEO_CLOCK))
            for t in tracks:
                self.pc.addTransceiver(t, direction="sendonly")
                self.local_tracks.append(t)
            return
        if audio:
            track: MediaStreamTrack = SyntheticAudioTrack()
            self.pc.addTransceiver(track, direction="sendonly")
            self.local_tracks.append(track)
        if video:
            track = SyntheticVideoTrack(width, height, fps)
            self.pc.addTransceiver(track, direction="sendonly")
            self.local_tracks.append(track)
        if video and low is not None:
            track = SyntheticVideoTrack(low[0], low[1], fps)
            self.pc.addTransceiver(track, direction="sendonly")
            self.local_tracks.append(track)

    def set_video_bitrate(self, bitrate: int) -> None:
        """Best effort: aiortc's VP8 encoder follows REMB; pin its target after it exists."""
        for sender in self.pc.getSenders():
            encoder = hooks.sender_encoder(sender)
            if encoder is not None and hasattr(encoder, "target_bitrate"):
                encoder.target_bitrate = bitrate

    # negotiation
    async def _gather(self, make: Callable[[], Awaitable[RTCSessionDescription]]) -> str:
        token = hooks.host_addresses.set(self.host_addresses)
        try:
            await self.pc.setLocalDescription(await make())
        finally:
            hooks.host_addresses.reset(token)
        hooks.set_receive_buffer(self.pc.getTransceivers(), self.receive_buffer)
        if self.consent_retransmissions is not None:
            hooks.set_consent_retransmissions(
                self.pc.getTransceivers(), self.consent_retransmissions
            )
        return self.outgoing_sdp(str(self.pc.localDescription.sdp))

    async def offer(self) -> str:
        if not self.pc.getTransceivers():
            # A viewer publishes nothing, but an offer needs one m-line to carry the transport.
            self.pc.addTransceiver("audio", direction="recvonly")
        return await self._gather(self.pc.createOffer)

    async def accept(self, answer_sdp: str) -> None:
        await self.pc.setRemoteDescription(
            RTCSessionDescription(self.incoming_sdp(answer_sdp), "answer")
        )

    async def answer(self, offer_sdp: str) -> str:
        await self.pc.setRemoteDescription(
            RTCSessionDescription(self.incoming_sdp(offer_sdp), "offer")
        )
        return await self._gather(self.pc.createAnswer)

    # receiving
    def _on_track(self, track: MediaStreamTrack) -> None:
        mid = next((t.mid for t in self.pc.getTransceivers() if t.receiver.track is track), None)
        key = str(mid)
        if not self.decode:
            hooks.mark_passthrough(hooks.track_queue(track))
        self.received[key] = Received(kind=track.kind)
        self._tasks.spawn(self._consume(track, self.received[key]))

    async def _consume(self, track: MediaStreamTrack, rec: Received) -> None:
        try:
            while True:
                frame = await track.recv()
                if isinstance(frame, VideoFrame):
                    if frame.width <= 0:
                        continue
                    rec.width, rec.height = frame.width, frame.height
                elif not isinstance(frame, AudioFrame) and self.decode:
                    continue
                now = time.monotonic()
                rec.frames += 1
                rec.last_at = now
                if rec.first_at is None:
                    rec.first_at = now
                if self.keep_times:
                    rec.times.append(now)
        except (MediaStreamError, asyncio.CancelledError):
            pass

    def from_participant(self, participant: str, kind: str) -> Received | None:
        for mid, info in self.tracks.items():
            if info["participant"] == participant and info["kind"] == kind:
                return self.received.get(mid)
        return None

    async def wait_frames(
        self, participant: str, kind: str, count: int, within: float = 20.0
    ) -> Received:
        """Wait until ``count`` more decoded frames arrived from ``participant``."""
        deadline = time.monotonic() + within
        base: int | None = None
        while True:
            rec = self.from_participant(participant, kind)
            if rec is not None:
                if base is None:
                    base = rec.frames
                if rec.frames - base >= count:
                    return rec
            if time.monotonic() > deadline:
                got = None if rec is None else rec.frames - (base or 0)
                raise TimeoutError(
                    f"{self.name}: {count} {kind} frames from {participant} not received "
                    f"within {within} s (got {got}, tracks {self.tracks})"
                )
            await asyncio.sleep(0.05)

    @property
    def state(self) -> str:
        return str(self.pc.connectionState)

    async def close(self) -> None:
        for track in self.local_tracks:
            track.stop()
        await self.pc.close()
        await self._tasks.close()


class LoopbackEvents:
    """``MediaEvents`` for in-process tests: server offers are answered by registered clients."""

    def __init__(self) -> None:
        self.sfu: Any = None  # set to the Sfu after constructing it
        self.clients: dict[str, ClientPeer] = {}
        self.offers: Counter[str] = Counter()
        self.tracks_changes: Counter[str] = Counter()
        self.levels: dict[str, list[tuple[int, bool]]] = {}
        self.states: dict[str, list[str]] = {}
        self.layers: list[tuple[str, str, str, str]] = []  # (subscriber, publisher, layer, why)
        self.seen: list[tuple[str, bool]] = []  # (publisher, seen): video_seen calls
        self.errors: list[BaseException] = []
        self._tasks = TaskSet("loopback answer")

    async def send_offer(self, peer_id: str, sdp: str, tracks: dict[str, TrackInfo]) -> None:
        self.offers[peer_id] += 1
        client = self.clients.get(peer_id)
        if client is None:
            return
        self._tasks.spawn(self._answer(client, peer_id, sdp, tracks))

    async def _answer(
        self, client: ClientPeer, peer_id: str, sdp: str, tracks: dict[str, TrackInfo]
    ) -> None:
        try:
            client.tracks.update(tracks)
            answer = await client.answer(sdp)
            await self.sfu.accept_answer(peer_id, answer)
        except Exception as exc:  # recorded for the test to inspect
            self.errors.append(exc)

    def tracks_changed(self, peer_id: str, tracks: dict[str, TrackInfo]) -> None:
        self.tracks_changes[peer_id] += 1
        client = self.clients.get(peer_id)
        if client is not None:
            client.tracks.update(tracks)

    def audio_level(self, peer_id: str, level_dbov: int, voiced: bool) -> None:
        self.levels.setdefault(peer_id, []).append((level_dbov, voiced))

    def peer_state(self, peer_id: str, state: str) -> None:
        self.states.setdefault(peer_id, []).append(state)

    def video_layer(self, subscriber: str, publisher: str, layer: str, reason: str) -> None:
        self.layers.append((subscriber, publisher, layer, reason))

    def video_seen(self, publisher: str, seen: bool) -> None:
        self.seen.append((publisher, seen))

    def last_layer(self, subscriber: str, publisher: str) -> tuple[str, str] | None:
        """(layer, reason) the subscriber was last told for the publisher's video."""
        for sub, pub, layer, reason in reversed(self.layers):
            if (sub, pub) == (subscriber, publisher):
                return layer, reason
        return None

    async def close(self) -> None:
        await self._tasks.close()


async def connect(sfu: Any, peer_id: str, client: ClientPeer) -> None:
    """Client offer -> ``Sfu.answer`` -> client applies the answer."""
    answer, tracks = await sfu.answer(peer_id, await client.offer())
    client.tracks.update(tracks)
    await client.accept(answer)


async def wait_for(
    predicate: Callable[[], bool], within: float = 20.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {within} s")
        await asyncio.sleep(0.05)


def jitter(seconds: float) -> float:
    """A small random spread for synthetic clients (avoid lock-step timers)."""
    return seconds * (0.9 + 0.2 * random.random())
