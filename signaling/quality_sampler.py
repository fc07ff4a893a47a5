"""Every few seconds: each admitted participant's call quality, recorded under their site.

For every participant seated on this process (``Connections``) who named a site, read the SFU's
counters of their media connection (``Sfu.peer_quality``), turn the change since the previous
reading into figures (``media.quality.interval``) and hand them to the inventory's
``CallQuality`` store in one write. Hosts without a site and people in the lobby are skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from media import MediaServer, PeerQuality
from media.quality import interval
from network_inventory.call_quality import CallQuality, CallSample
from rooms import ParticipantState, RoomService
from signaling.connections import Connections, seated
from signaling.periodic import Periodic


class QualitySampler:
    def __init__(
        self,
        service: RoomService,
        connections: Connections,
        sfu: MediaServer,
        store: CallQuality,
        every: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.connections = connections
        self.sfu = sfu
        self.store = store
        self.every = every
        self.clock = clock
        self._last: dict[str, PeerQuality] = {}
        self._loop = Periodic("call-quality sampling", every, self.sample_once)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def sample_once(self) -> int:
        """Read every seated participant once; returns the number of samples written."""
        sfu = self.sfu
        now = self.clock()
        samples: list[CallSample] = []
        seen: set[str] = set()
        for p in await seated(self.service, self.connections, ParticipantState.ADMITTED):
            if p.site_code is None:
                continue
            reading = await sfu.peer_quality(p.id)
            if reading is None:
                continue
            seen.add(p.id)
            before = self._last.get(p.id)
            self._last[p.id] = reading
            figures = interval(before, reading) if before is not None else None
            if figures is None:
                continue
            samples.append(CallSample.of(p.site_code, p.room_id, p.id, now, figures.rounded()))
        for gone in set(self._last) - seen:
            del self._last[gone]
        if not samples:
            return 0
        return await self.store.record(samples, now)


__all__ = ["QualitySampler"]
