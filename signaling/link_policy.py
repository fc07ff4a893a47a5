"""What a participant's site link means for their media, kept in line in the SFU and the page.

Decided by the pure functions of ``rooms.weak_links`` from the site's link in the inventory:

- on admission, the audio-only default of a weak site (``receive_profile``; as if the
  participant had sent ``media:receive {"video": false}``; they may switch video back on);
- receiving: the SFU's video ceiling (``video_ceiling``: ``"still"`` in audio-only mode) and its
  downlink prior (``downlink_prior``: a VSAT site starts low), set whenever the participant is
  admitted, changes mode or brings a new media connection;
- sending: ``media:limits`` (``send_limits``) pushed to the page when they change — also to a
  page waiting in the lobby, whose connection is already up — and re-read every few seconds
  against the SFU's estimate of what arrives from the page (``Sfu.uplink``); ``unseen`` while
  the SFU says nobody sees the participant's video (``video_seen``, media/unseen_pause.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from media import MediaServer
from pendopo.tasks import TaskSet
from rooms import Participant, ParticipantState, RoomService
from rooms.sites import LinkHealth, SiteDirectory
from rooms.weak_links import (
    NO_LIMITS,
    SendLimits,
    WeakLinkPolicy,
    downlink_prior,
    receive_profile,
    send_limits,
    video_ceiling,
)
from signaling.connections import Connections, seated
from signaling.fanout import Fanout
from signaling.payloads import MediaLimits
from signaling.periodic import Periodic

_SEATED = (ParticipantState.LOBBY, ParticipantState.ADMITTED)
log = logging.getLogger(__name__)


class LinkPolicy:
    """One per process."""

    def __init__(
        self,
        service: RoomService,
        connections: Connections,
        fanout: Fanout,
        sfu: MediaServer,
        sites: Callable[[], SiteDirectory],
        policy: WeakLinkPolicy,
        every: float,
    ) -> None:
        self.service = service
        self.connections = connections
        self.fanout = fanout
        self.sfu = sfu
        self.sites = sites
        self.policy = policy
        self._receiving: dict[str, tuple[int | None, str]] = {}
        self._told: dict[str, tuple[SendLimits, bool]] = {}
        """Per participant, what its page was last told: the link's limits (``before`` of the
        next ``send_limits``) and ``unseen``."""
        self._unseen: set[str] = set()  # participants nobody sees (MediaEvents.video_seen)
        self._loop = Periodic("uplink limits", every, self.refresh)
        self._tasks = TaskSet("camera pause", log)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
        await self._tasks.close()

    def video_seen(self, participant_id: str, seen: bool) -> None:
        """The SFU's ``MediaEvents.video_seen``: the page's limits follow at once."""
        if seen:
            self._unseen.discard(participant_id)
        else:
            self._unseen.add(participant_id)
        room_id = self.connections.room_of(participant_id)
        if room_id is not None:
            self._tasks.spawn(self._reapply(room_id, participant_id))

    async def _reapply(self, room_id: str, participant_id: str) -> None:
        p = await self.service.store.get_participant(room_id, participant_id)
        if p is not None and p.state in _SEATED:
            await self.apply(p)

    async def _link(self, p: Participant) -> LinkHealth | None:
        return None if p.site_code is None else await self.sites().link(p.site_code)

    async def admitted(self, p: Participant) -> Participant:
        """A participant was just admitted (not resumed): a weak site starts in audio-only mode;
        then the SFU and the page follow."""
        profile = receive_profile(await self._link(p), self.policy)
        if not profile.video:
            p = await self.service.set_receive(p.room_id, p.id, False, auto=profile.reason)
        await self.apply(p)
        return p

    async def apply(self, p: Participant, *, fresh: bool = False) -> None:
        """Bring the SFU's ceiling and prior and the page's send limits in line for ``p``.
        ``fresh``: a new media connection (nothing of it is known to be set yet)."""
        if fresh:
            self.forget(p.id)
        link = await self._link(p)
        sfu = self.sfu
        if p.state is ParticipantState.ADMITTED:
            receiving = (
                downlink_prior(link, self.policy),
                video_ceiling(p.receive_video, receive_profile(link, self.policy)),
            )
            if self._receiving.get(p.id) != receiving:
                self._receiving[p.id] = receiving
                sfu.set_downlink_prior(p.id, receiving[0])
                sfu.set_video_ceiling(p.id, receiving[1])
        uplink = sfu.uplink(p.id)
        told = self._told.get(p.id)
        before = told[0] if told is not None else None
        limits = send_limits(link, uplink, not p.receive_video, self.policy, before)
        await self._send(p.id, limits, p.id in self._unseen)

    async def _send(self, participant_id: str, limits: SendLimits, unseen: bool) -> None:
        """Push ``media:limits`` when the link's limits or ``unseen`` changed (the first time
        only when there is something to say)."""
        told = (limits, unseen)
        before = self._told.get(participant_id)
        if before == told or (before is None and told == (NO_LIMITS, False)):
            return
        self._told[participant_id] = told
        payload: MediaLimits = {
            "max_bitrate": limits.max_bitrate,
            "scale_down": limits.scale_down,
            "max_framerate": limits.max_framerate,
            "low_only": limits.low_only,
            "reason": limits.reason,
            "unseen": unseen,
        }
        await self.fanout.to_participant(participant_id, "media:limits", payload)

    async def refresh(self) -> None:
        """Every few seconds: the limits of everyone seated here, against the SFU's estimate."""
        for p in await seated(self.service, self.connections, *_SEATED):
            await self.apply(p)

    def forget(self, participant_id: str) -> None:
        self._receiving.pop(participant_id, None)
        self._told.pop(participant_id, None)


__all__ = ["LinkPolicy"]
