"""One session over several workers: the SFU of the process that serves the room, spread over
the SFUs of the machine's other worker processes (``pendopo run --workers N``).

The room's worker keeps the session's signaling (every page's socket is there) and its
``MediaBridge``; the bridge drives a :class:`Cascade` exactly as it drives one ``Sfu`` (the
same methods). The cascade places each participant's media connection on one of the workers
(the one with the fewest connections placed, this one on a tie) and sends that participant's
calls there: its offer is answered by that worker's SFU, so the browser's media (ICE, DTLS,
SRTP) goes to that process and its packets are forwarded by that process's event loop.

A subscriber on worker B of a publisher connected to worker A: every worker holds a *relayed*
copy of each publisher connected elsewhere (``Sfu.relay_in``, told by A's ``published``); while
B forwards or records the publisher's kind, B says so (``relay_wanted``) and the cascade has A
relay each received packet of it to B once (``Sfu.relay_out``, media/relay.py), whatever the
number of B's subscribers. B's keyframe requests go to A (``keyframe_wanted``); audio levels
heard on A reach the bridge (speaking) and every other worker (``Sfu.hear``: the loudest
choice of their subscribers).

The cascade keeps what it was asked for each participant (subscriptions, reserved slots,
ceiling, prior, shown) and each publisher (mute gates, priority, share) and gives it again to a
worker a participant is placed on anew, or that came back, so that a worker that died costs
its participants one reconnection, as a node's death does (docs/scaling.md).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from media.errors import MediaError
from media.events import MediaEvents
from media.layer_control import valid_layer
from media.quality import PeerQuality
from media.recording import ParticipantRecorder
from media.relay import Address
from media.settings import KINDS, MediaSettings, TrackInfo, UplinkStats, require_kinds
from media.sfu import Sfu
from media.stats import SfuStats
from media.worker_link import EventRouter, LocalLink, RemoteLink, WorkerService
from pendopo.tasks import TaskSet

log = logging.getLogger(__name__)

UPLINK_SECONDS = 1.0
"""How often the uplink figures of publishers on other workers are read."""


class WorkerLink(Protocol):
    """One worker's SFU as the cascade reaches it: this process's own, or another's over its
    socket (media/worker_link.py)."""

    name: str

    @property
    def up(self) -> bool: ...

    @property
    def relay_address(self) -> Address | None: ...

    async def call(self, method: str, *args: Any) -> Any:
        """Run an SFU method there and return its result (MediaError as raised there)."""

    def tell(self, method: str, *args: Any) -> None:
        """Run an SFU method there without waiting (in order with the calls)."""


@dataclass
class _Wish:
    """What the bridge asked for one participant, given again to a worker it is placed on."""

    subscriptions: dict[str, frozenset[str]] = field(default_factory=dict)
    reserved: dict[str, int] | None = None
    prior: int | None = None
    prior_set: bool = False
    ceiling: str | None = None
    shown: frozenset[str] | None = None
    shown_set: bool = False


class Cascade:
    """The ``Sfu`` interface of one process's bridge over every worker's SFU (module docs).

    ``workers[0]`` is this process's SFU. ``events`` is the bridge (``MediaEvents``)."""

    def __init__(
        self,
        local: Sfu,
        links: list[WorkerLink],
        events: MediaEvents,
        router: EventRouter,
        service: WorkerService | None = None,
    ) -> None:
        self.local = local
        self.workers = links
        self._events = events
        self._router = router
        self._service = service
        self._placed: dict[str, int] = {}  # participant -> worker index of its connection
        self._wishes: dict[str, _Wish] = {}
        self._disabled: set[tuple[str, str]] = set()
        self._priority: set[str] = set()
        self._shares: set[str] = set()
        # relays: (worker, publisher, kind) -> {stream: channel there}; and who wants what
        self._channels: dict[tuple[int, str, str], dict[str, int]] = {}
        self._streams: dict[str, set[tuple[str, str]]] = {}  # publisher -> (kind, stream) sent
        self._wanted: set[tuple[int, str, str]] = set()
        self._uplinks: dict[str, UplinkStats] = {}
        self._jobs: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        self._tasks = TaskSet("cascade", log)
        self._runner: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the relay socket and the service, link to the other workers (they may come
        later: each link connects by itself)."""
        address = await self.local.join_cascade(self._router)
        first = self.workers[0]
        if isinstance(first, LocalLink):
            first.relay_address = address
        if self._service is not None:
            await self._service.start()
        self._runner = self._tasks.spawn(self._run_jobs())
        self._ticker = self._tasks.spawn(self._read_uplinks())
        self.worker_up(0)
        for link in self.workers[1:]:
            if isinstance(link, RemoteLink):
                link.start()

    # -------------------------------------------------------------- placement
    def placed(self, participant: str) -> int | None:
        return self._placed.get(participant)

    def _place(self, participant: str) -> int:
        index = self._placed.get(participant)
        if index is not None and self.workers[index].up:
            return index
        counts = [0] * len(self.workers)
        for placed in self._placed.values():
            counts[placed] += 1
        live = [i for i, w in enumerate(self.workers) if w.up]
        chosen = min(live, key=lambda i: (counts[i], i)) if live else 0
        self._placed[participant] = chosen
        log.debug("media of %s placed on %s", participant, self.workers[chosen].name)
        self._replay(participant, chosen)
        return chosen

    def _link(self, participant: str) -> WorkerLink:
        return self.workers[self._place(participant)]

    def _replay(self, participant: str, index: int) -> None:
        """What was asked for the participant before it was placed on ``index``."""
        wish = self._wishes.get(participant)
        if wish is None:
            return
        link = self.workers[index]
        if wish.reserved is not None:
            link.tell("reserve", participant, wish.reserved)
        if wish.prior_set:
            link.tell("set_downlink_prior", participant, wish.prior)
        if wish.ceiling is not None:
            link.tell("set_video_ceiling", participant, wish.ceiling)
        if wish.shown_set:
            link.tell("set_shown", participant, _listed(wish.shown))
        for publisher, kinds in wish.subscriptions.items():
            link.tell("subscribe", participant, publisher, sorted(kinds))

    def _wish(self, participant: str) -> _Wish:
        return self._wishes.setdefault(participant, _Wish())

    # -------------------------------------------------------------- the Sfu interface
    async def answer(self, peer_id: str, offer_sdp: str) -> tuple[str, dict[str, TrackInfo]]:
        sdp, tracks = await self._link(peer_id).call("answer", peer_id, offer_sdp)
        return str(sdp), dict(tracks)

    async def accept_answer(self, peer_id: str, answer_sdp: str) -> None:
        await self._link(peer_id).call("accept_answer", peer_id, answer_sdp)

    async def remove(self, peer_id: str) -> None:
        index = self._placed.get(peer_id)
        if index is not None and self.workers[index].up:
            await self.workers[index].call("remove", peer_id)

    async def forget(self, participant: str) -> None:
        self._placed.pop(participant, None)
        self._wishes.pop(participant, None)
        for wish in self._wishes.values():
            wish.subscriptions.pop(participant, None)
        self._priority.discard(participant)
        self._shares.discard(participant)
        self._disabled -= {k for k in self._disabled if k[0] == participant}
        self._streams.pop(participant, None)
        self._uplinks.pop(participant, None)
        for key in [k for k in self._channels if k[1] == participant]:
            del self._channels[key]
        self._wanted -= {k for k in self._wanted if k[1] == participant}
        await asyncio.gather(
            *(w.call("forget", participant) for w in self.workers if w.up),
            return_exceptions=True,
        )

    async def subscribe(self, subscriber: str, publisher: str, kinds: frozenset[str]) -> None:
        require_kinds(kinds)
        if subscriber == publisher or not kinds:
            return
        subs = self._wish(subscriber).subscriptions
        subs[publisher] = subs.get(publisher, frozenset()) | frozenset(kinds)
        await self._link(subscriber).call("subscribe", subscriber, publisher, sorted(kinds))

    async def unsubscribe(self, subscriber: str, publisher: str) -> None:
        wish = self._wishes.get(subscriber)
        if wish is not None:
            wish.subscriptions.pop(publisher, None)
        index = self._placed.get(subscriber)
        if index is not None and self.workers[index].up:
            await self.workers[index].call("unsubscribe", subscriber, publisher)

    def reserve(self, peer_id: str, kinds: Mapping[str, int]) -> None:
        require_kinds(kinds)
        counts = {k: max(0, int(n)) for k, n in kinds.items()}
        self._wish(peer_id).reserved = counts
        self._link(peer_id).tell("reserve", peer_id, counts)

    def set_forwarding(self, publisher: str, kind: str, enabled: bool) -> None:
        if kind not in KINDS:
            raise MediaError("invalid_kind", f"unknown media kind: {kind}")
        if enabled:
            self._disabled.discard((publisher, kind))
        else:
            self._disabled.add((publisher, kind))
        self._everywhere("set_forwarding", publisher, kind, enabled)

    def set_audio_priority(self, publisher: str, on: bool) -> None:
        if on:
            self._priority.add(publisher)
        else:
            self._priority.discard(publisher)
        self._everywhere("set_audio_priority", publisher, on)

    def set_share(self, publisher: str, share: bool) -> None:
        if share:
            self._shares.add(publisher)
        else:
            self._shares.discard(publisher)
        self._everywhere("set_share", publisher, share)

    def record(self, participant: str, recorder: ParticipantRecorder | None) -> None:
        """The recorder writes files in this process: this worker's SFU feeds it, from the
        participant's own connection or its relayed copy."""
        self.local.record(participant, recorder)

    def request_keyframe(self, participant: str, stream: str = "high") -> None:
        index = self._placed.get(participant)
        if index is not None and self.workers[index].up:
            self.workers[index].tell("request_keyframe", participant, stream)

    def set_downlink_prior(self, peer_id: str, bps: int | None) -> None:
        wish = self._wish(peer_id)
        wish.prior, wish.prior_set = bps, True
        self._link(peer_id).tell("set_downlink_prior", peer_id, bps)

    def set_video_ceiling(self, peer_id: str, layer: str) -> None:
        if not valid_layer(layer):
            raise MediaError("invalid_layer", f"unknown video layer: {layer!r}")
        self._wish(peer_id).ceiling = layer
        self._link(peer_id).tell("set_video_ceiling", peer_id, layer)

    def set_shown(self, peer_id: str, publishers: frozenset[str] | None) -> None:
        wish = self._wish(peer_id)
        wish.shown, wish.shown_set = publishers, True
        self._link(peer_id).tell("set_shown", peer_id, _listed(publishers))

    def uplink(self, peer_id: str) -> UplinkStats | None:
        index = self._placed.get(peer_id)
        if index is None or index == 0:
            return self.local.uplink(peer_id)
        return self._uplinks.get(peer_id)

    async def peer_quality(self, peer_id: str) -> PeerQuality | None:
        index = self._placed.get(peer_id)
        if index is None or index == 0:
            return await self.local.peer_quality(peer_id)
        link = self.workers[index]
        if not link.up:
            return None
        found = await link.call("peer_quality", peer_id)
        return None if found is None else PeerQuality(**found)

    def stats(self) -> SfuStats:
        """This process's SFU only: every worker reports its own (``/metrics`` of each)."""
        return self.local.stats()

    async def close(self) -> None:
        for link in self.workers:
            if isinstance(link, RemoteLink | LocalLink):
                await link.close()
        if self._service is not None:
            await self._service.close()
        await self._tasks.close()
        await self.local.close()

    def _everywhere(self, method: str, *args: Any) -> None:
        for link in self.workers:
            if link.up:
                link.tell(method, *args)

    # -------------------------------------------------------------- events from the workers
    def events_from(self, index: int) -> WorkerEvents:
        return WorkerEvents(self, index)

    def _published(self, origin: int, publisher: str, kind: str, stream: str) -> None:
        if self._placed.get(publisher) != origin:
            return  # a connection of another session's cascade, or one since moved
        self._streams.setdefault(publisher, set()).add((kind, stream))
        for index, link in enumerate(self.workers):
            if index != origin and link.up:
                self._job(self._relay_into(index, origin, publisher, kind, stream))

    async def _relay_into(
        self, index: int, origin: int, publisher: str, kind: str, stream: str
    ) -> None:
        channel = await self.workers[index].call("relay_in", publisher, kind, stream)
        channels = self._channels.setdefault((index, publisher, kind), {})
        channels[stream] = int(channel)
        if (index, publisher, kind) in self._wanted:
            self._relay_out(origin, index, publisher, kind)

    def _relay_wanted(self, origin: int, publisher: str, kind: str, wanted: bool) -> None:
        key = (origin, publisher, kind)
        if wanted:
            self._wanted.add(key)
        else:
            self._wanted.discard(key)
        source = self._placed.get(publisher)
        if source is None or source == origin or not self.workers[source].up:
            return
        if wanted:
            self._relay_out(source, origin, publisher, kind)
        else:
            target = self.workers[origin].relay_address
            if target is not None:
                self.workers[source].tell("relay_out", publisher, kind, list(target), None)

    def _relay_out(self, source: int, target: int, publisher: str, kind: str) -> None:
        channels = self._channels.get((target, publisher, kind))
        address = self.workers[target].relay_address
        if channels and address is not None:
            self.workers[source].tell("relay_out", publisher, kind, list(address), channels)

    def _keyframe_wanted(self, origin: int, publisher: str, stream: str) -> None:
        self.request_keyframe(publisher, stream)

    def _audio_level(self, origin: int, publisher: str, level: int, voiced: bool) -> None:
        self._events.audio_level(publisher, level, voiced)
        for index, link in enumerate(self.workers):
            if index != origin and link.up:
                link.tell("hear", publisher, level, voiced)

    def worker_up(self, index: int) -> None:
        """A worker connected (again): it learns the trusted relay addresses, the publishers'
        state, and the relayed streams of publishers connected elsewhere."""
        link = self.workers[index]
        addresses = [list(w.relay_address) for w in self.workers if w.relay_address is not None]
        for other in self.workers:
            if other.up:
                other.tell("trust", addresses)
        for publisher, kind in self._disabled:
            link.tell("set_forwarding", publisher, kind, False)
        for publisher in self._priority:
            link.tell("set_audio_priority", publisher, True)
        for publisher in self._shares:
            link.tell("set_share", publisher, True)
        for publisher, streams in self._streams.items():
            origin = self._placed.get(publisher)
            if origin is None or origin == index:
                continue
            for kind, stream in streams:
                self._job(self._relay_into(index, origin, publisher, kind, stream))

    def worker_down(self, index: int) -> None:
        """A worker's link closed (its process ended): its connections are gone. Their pages
        are told to connect again (``peer_state`` "lost" -> ``media:restart``) and are placed
        anew, with what was asked for them; nothing is relayed to it any more."""
        for _target, publisher, kind in [k for k in self._wanted if k[0] == index]:
            self._wanted.discard((index, publisher, kind))
            source = self._placed.get(publisher)
            address = self.workers[index].relay_address
            if source is not None and source != index and address is not None:
                if self.workers[source].up:
                    self.workers[source].tell("relay_out", publisher, kind, list(address), None)
        for key in [k for k in self._channels if k[0] == index]:
            del self._channels[key]
        for participant, placed in list(self._placed.items()):
            if placed == index:
                del self._placed[participant]
                self._streams.pop(participant, None)
                self._uplinks.pop(participant, None)
                self._events.peer_state(participant, "lost")

    # -------------------------------------------------------------- background
    def _job(self, job: Awaitable[None]) -> None:
        async def run() -> None:
            await job

        self._jobs.put_nowait(run)

    async def _run_jobs(self) -> None:
        while True:
            job = await self._jobs.get()
            try:
                await job()
            except MediaError as exc:
                log.warning("cascade: %s", exc)
            except Exception:
                log.exception("cascade job failed")

    async def _read_uplinks(self) -> None:
        while True:
            await asyncio.sleep(UPLINK_SECONDS)
            for index, link in enumerate(self.workers):
                if index == 0 or not link.up:
                    continue
                mine = [p for p, i in self._placed.items() if i == index]
                if not mine:
                    continue
                try:
                    found = await link.call("uplinks", mine)
                except Exception:  # the worker went away: no figures this time
                    log.debug("uplinks of worker %d", index, exc_info=True)
                    continue
                for peer_id in mine:
                    value = found.get(peer_id)
                    if value is None:
                        self._uplinks.pop(peer_id, None)
                    else:
                        self._uplinks[peer_id] = UplinkStats(int(value[0]), float(value[1]))


@dataclass
class WorkerEvents:
    """The events of one worker's SFU, for the cascade that placed its connections:
    ``MediaEvents`` for the bridge and ``CascadeEvents`` for the relays."""

    cascade: Cascade
    index: int

    async def send_offer(self, peer_id: str, sdp: str, tracks: dict[str, TrackInfo]) -> None:
        await self.cascade._events.send_offer(peer_id, sdp, tracks)

    def tracks_changed(self, peer_id: str, tracks: dict[str, TrackInfo]) -> None:
        self.cascade._events.tracks_changed(peer_id, tracks)

    def audio_level(self, peer_id: str, level_dbov: int, voiced: bool) -> None:
        self.cascade._audio_level(self.index, peer_id, level_dbov, voiced)

    def peer_state(self, peer_id: str, state: str) -> None:
        self.cascade._events.peer_state(peer_id, state)

    def video_layer(self, subscriber: str, publisher: str, layer: str, reason: str) -> None:
        self.cascade._events.video_layer(subscriber, publisher, layer, reason)

    def video_seen(self, publisher: str, seen: bool) -> None:
        self.cascade._events.video_seen(publisher, seen)

    def published(self, publisher: str, kind: str, stream: str) -> None:
        self.cascade._published(self.index, publisher, kind, stream)

    def relay_wanted(self, publisher: str, kind: str, wanted: bool) -> None:
        self.cascade._relay_wanted(self.index, publisher, kind, wanted)

    def keyframe_wanted(self, publisher: str, stream: str) -> None:
        self.cascade._keyframe_wanted(self.index, publisher, stream)


def _listed(publishers: frozenset[str] | None) -> list[str] | None:
    return None if publishers is None else sorted(publishers)


def build(settings: MediaSettings, sockets: Sequence[Path], events: MediaEvents) -> Cascade:
    """This process's cascade: its SFU, served to the other workers on ``sockets[0]``, and
    linked to theirs on the other ``sockets`` (``Settings.cascade_sockets``)."""
    router = EventRouter()
    sfu = Sfu(settings, router)
    service = WorkerService(sfu, router, sockets[0])
    cascade = Cascade(sfu, [LocalLink(sfu)], events, router, service)
    router.default = cascade.events_from(0)
    for index, path in enumerate(sockets[1:], start=1):
        cascade.workers.append(
            RemoteLink(
                path,
                functools.partial(cascade.events_from, index),
                functools.partial(cascade.worker_up, index),
                functools.partial(cascade.worker_down, index),
            )
        )
    return cascade
