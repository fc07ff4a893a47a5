"""The meeting protocol's socket.io handlers (docs/protocol.md), one method per client event.

Each handler parses its payload (signaling.payloads), asks ``RoomService`` to decide and tells the
people the decision is about; then ``Meeting._settle`` takes the steps every decision is followed
by, always in one order: media in line (signaling.media_bridge), everyone's ``room:state``
(signaling.fanout), the host's action in the audit log. Errors
are typed inside and translated here, once, into the ack ``{ok: false, error, message}``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import socketio
from aiohttp import web

from accounts import AccountStore
from accounts.audit import AuditLog
from accounts.invites import InviteService
from edge.clients import client_address, user_from_cookie_header
from edge.placement import ensure_here, peer_urls
from media import MediaError
from rooms import Participant, ParticipantState, RoomError, RoomService
from rooms.attendance import AttendanceLog
from rooms.errors import (
    INTERNAL,
    INVALID_REQUEST,
    INVALID_SDP,
    NOT_IN_ROOM,
    OFFER_COLLISION,
    RATE_LIMITED,
)
from rooms.presenting import share_id
from rooms.registry import NodeRegistry
from rooms.service import Joined, Joiner
from rooms.sites import SiteDirectory
from signaling import payloads
from signaling.admission import admission
from signaling.connections import Connections, Seat
from signaling.fanout import Fanout, room_key
from signaling.link_policy import LinkPolicy
from signaling.media_bridge import MediaBridge
from signaling.throttle import AddressLobbies, EventLimiter, Verdict

log = logging.getLogger(__name__)

Ack = dict[str, Any]
Handler = Callable[[str, Any], Awaitable[Ack]]

_MEDIA_CODES = {
    "invalid_sdp": INVALID_SDP,
    "unsupported_codec": INVALID_SDP,
    "offer_collision": OFFER_COLLISION,
    "unknown_peer": INVALID_REQUEST,
    "no_offer_pending": INVALID_REQUEST,
}


LOBBY_EVENTS = frozenset({"leave", "room:get", "media:offer", "media:answer"})
"""What a participant waiting in the lobby may send (docs/protocol.md "The lobby"); the other
events need admission (``RoomService`` refuses them with ``not_admitted``)."""


@dataclass(frozen=True)
class Audited:
    """A host action to record once its decision is carried out: by the user of socket ``sid``,
    on ``target``, with ``detail``."""

    sid: str
    action: str
    target: Participant | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Collaborators:
    """What the meeting asks of the rest of the server, handed in by the composition root
    (pendopo/app.py) rather than pulled out of the aiohttp app."""

    accounts: AccountStore
    """The signed-in user of a socket's session cookie."""
    invites: InviteService
    """Admission by invite link (signaling.admission)."""
    audit: AuditLog
    """Where host actions are recorded."""
    registry: NodeRegistry
    """Which node serves a room (edge/placement.py)."""
    sites: Callable[[], SiteDirectory]
    """The site directory (the inventory's, once it has loaded)."""
    ice_servers: Callable[[str], list[dict[str, Any]]]
    """STUN/TURN servers for a participant's browser (edge/turn.py), by participant id."""
    lobby_max_per_address: int
    """How many may wait in lobbies from one address (signaling.throttle)."""
    attendance: AttendanceLog
    """The attendance list: told who enters, drops, comes back and leaves (rooms.attendance)."""


class Meeting:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        service: RoomService,
        fanout: Fanout,
        bridge: MediaBridge,
        connections: Connections,
        links: LinkPolicy,
        outside: Collaborators,
    ) -> None:
        self.outside = outside
        self.sio = sio
        self.service = service
        self.fanout = fanout
        self.bridge = bridge
        self.connections = connections
        self.links = links
        self.limits = EventLimiter()
        self.lobbies = AddressLobbies(outside.lobby_max_per_address)
        self._timers: dict[str, asyncio.Task[None]] = {}
        self.events: dict[str, Handler] = {
            "join": self.on_join,
            "leave": self.on_leave,
            "room:get": self.on_room_get,
            "lobby:admit": self.on_admit,
            "lobby:deny": self.on_deny,
            "lobby:admit-invited": self.on_admit_invited,
            "media:offer": self.on_media_offer,
            "media:answer": self.on_media_answer,
            "self:media": self.on_self_media,
            "media:receive": self.on_media_receive,
            "media:shown": self.on_media_shown,
            "hand:raise": self.on_hand_raise,
            "chat:send": self.on_chat,
            "host:mute": self.on_mute,
            "host:unmute-allow": self.on_unmute_allow,
            "host:mute-all": self.on_mute_all,
            "host:hand-lower": self.on_hand_lower,
            "host:floor": self.on_floor,
            "host:remove": self.on_remove,
            "host:lock": self.on_lock,
            "host:end": self.on_end,
            "host:record": self.on_record,
            "present:start": self.on_present_start,
            "present:stop": self.on_present_stop,
            "host:present-allow": self.on_present_allow,
        }

    # ------------------------------------------------------------------ registration, edge
    def register(self) -> None:
        self.sio.on("connect", self.on_connect)
        self.sio.on("disconnect", self.on_disconnect)
        for event, handler in self.events.items():
            self.sio.on(event, self._edge(event, handler))
        self.sio.on("*", self.on_unknown)

    def _edge(self, event: str, handler: Handler) -> Callable[..., Awaitable[Ack]]:
        async def run(sid: str, *args: Any) -> Ack:
            if (refused := self._throttled(event, sid)) is not None:
                return refused
            if len(args) > 1:
                return self._refuse(event, sid, payloads.bad("Send one payload object."))
            try:
                return await handler(sid, args[0] if args else None)
            except RoomError as exc:
                return self._refuse(event, sid, exc)
            except MediaError as exc:
                code = _MEDIA_CODES.get(exc.code, INTERNAL)
                return self._refuse(event, sid, RoomError(code, exc.message))
            except Exception:
                log.exception("event %s from %s failed", event, sid)
                return {"ok": False, "error": INTERNAL, "message": "Internal server error."}

        return run

    def _throttled(self, event: str, sid: str) -> Ack | None:
        """The ``rate_limited`` ack for an event over the socket's limit (signaling.throttle);
        a socket that keeps flooding is disconnected as well."""
        verdict = self.limits.check(sid, time.monotonic())
        if verdict is Verdict.ALLOW:
            return None
        if verdict is Verdict.DROP:
            log.warning("disconnecting %s (%s): it kept sending too fast", sid, self._from(sid))
            self.sio.start_background_task(self.sio.disconnect, sid)
        return {"ok": False, "error": RATE_LIMITED, "message": "Too many requests; slow down."}

    def _from(self, sid: str) -> str:
        return self.connections.address(sid)

    def _refuse(self, event: str, sid: str, exc: RoomError) -> Ack:
        log.info("refused %s from %s: %s %s", event, sid, exc.code, exc.message)
        return {"ok": False, "error": exc.code, "message": exc.message, **exc.details}

    async def on_unknown(self, event: str, sid: str, *args: Any) -> Ack:
        if (refused := self._throttled("*", sid)) is not None:
            return refused
        return self._refuse(event, sid, payloads.bad(f"Unknown event {str(event)[:40]!r}."))

    def _seat(self, sid: str) -> Seat:
        seat = self.connections.seat(sid)
        if seat is None:
            raise RoomError(NOT_IN_ROOM, "Join a session first.")
        return seat

    # ------------------------------------------------------------------ connection
    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        user = await user_from_cookie_header(self.outside.accounts, environ.get("HTTP_COOKIE"))
        request = environ.get("aiohttp.request")
        address = client_address(request) if isinstance(request, web.Request) else None
        self.connections.connected(sid, user, address or "unknown")
        return True

    def _http_request(self, sid: str) -> web.Request | None:
        """The HTTP request that opened the socket (its Host, its proxy headers)."""
        environ = self.sio.get_environ(sid)
        request = environ.get("aiohttp.request") if environ else None
        return request if isinstance(request, web.Request) else None

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.limits.forget(sid)
        seat = self.connections.disconnected(sid)
        if seat is None:
            return
        try:
            p = await self.service.disconnect(seat.room_id, seat.participant_id)
            if p is not None and p.state is ParticipantState.DISCONNECTED:
                await self._attend(self.outside.attendance.dropped, p)
                self.links.forget(p.id)
                await self.bridge.drop_connection(p.id)
                self._start_grace(seat)
            elif p is not None and p.state is ParticipantState.LEFT:
                await self._forget_media(p.id)  # left from the lobby: its connection goes too
            await self._settle(seat.room_id, media=False)
        except RoomError:
            pass
        except Exception:
            log.exception("disconnect of %s failed", sid)

    def _start_grace(self, seat: Seat) -> None:
        async def expire() -> None:
            await asyncio.sleep(self.service.grace + 0.05)
            self._timers.pop(seat.participant_id, None)
            p = await self.service.expire(seat.room_id, seat.participant_id)
            if p is not None:
                await self._attend(self.outside.attendance.left, p, p.disconnected_at)
                await self._gone(seat.room_id, p.id)

        self._cancel_grace(seat.participant_id)
        self._timers[seat.participant_id] = asyncio.get_running_loop().create_task(expire())

    def _cancel_grace(self, participant_id: str) -> None:
        timer = self._timers.pop(participant_id, None)
        if timer is not None:
            timer.cancel()

    async def _gone(
        self, room_id: str, participant_id: str, audited: Audited | None = None
    ) -> None:
        """A participant left the session for good: media and everyone's view follow."""
        await self._forget_media(participant_id)
        await self._settle(room_id, media=True, audited=audited)

    async def _settle(
        self, room_id: str, *, media: bool, state: bool = True, audited: Audited | None = None
    ) -> None:
        """What follows a decision of ``RoomService``, in this order: bring the SFU in line with
        the room (``media``: forwarding and mute gates changed), schedule everyone's
        ``room:state`` (``state``: someone is left to see it), record the host's action."""
        if media:
            await self.bridge.apply(room_id)
        if state:
            self.fanout.state_changed(room_id)
        if audited is not None:
            await self._record(room_id, audited)

    async def _forget_media(self, participant_id: str) -> None:
        self.links.forget(participant_id)
        await self.bridge.forget(participant_id)

    async def _unseat(self, participant_id: str, room_id: str) -> None:
        sid = self.connections.sid_of(participant_id)
        if sid is not None:
            self.connections.unseat(sid)
            await self.sio.leave_room(sid, room_key(room_id))

    # ------------------------------------------------------------------ joining
    async def on_join(self, sid: str, data: Any) -> Ack:
        request = payloads.parse_join(data)
        if self.connections.seat(sid) is not None:
            raise payloads.bad("This connection has already joined; send leave first.")
        if request.site is not None:
            if await self.outside.sites().get(request.site) is None:
                raise payloads.bad(f"Unknown site {request.site!r}.")
        # else wrong_node: the room lives elsewhere, at the URL this client reaches it by
        await ensure_here(
            self.service, self.outside.registry, request.room, self._http_request(sid)
        )
        user = self.connections.user(sid)
        may_host = bool(user and user.can_host)
        entry = await admission(
            self.outside.invites, request.room, request.invite, request.site, may_host
        )
        joiner = Joiner(
            name=request.name,
            site_code=entry.site,
            user_id=user.id if user else None,
            may_host=may_host,
            skip_lobby=entry.skip_lobby,
        )
        joined = await self._join(sid, request.room, joiner, request.resume)
        p = joined.participant
        previous = self.connections.sit(sid, Seat(p.room_id, p.id))
        if joined.resumed:
            self._cancel_grace(p.id)
            await self.bridge.drop_connection(p.id)  # the client brings a fresh connection
        if previous is not None:
            await self.sio.leave_room(previous, room_key(p.room_id))
            await self.sio.disconnect(previous)
        if p.state is ParticipantState.ADMITTED:
            if not joined.resumed:
                p = await self.links.admitted(p)
                await self._attend(self.outside.attendance.admitted, p)
            else:
                await self._attend(self.outside.attendance.reconnected, p)
            await self.sio.enter_room(sid, room_key(p.room_id))
        # media also for the lobby: every connection makes room for the newcomer's media
        # (MediaBridge reserves the slots), so admitting them needs no renegotiation
        await self._settle(p.room_id, media=True)
        ack: Ack = {
            "ok": True,
            "protocol": payloads.PROTOCOL_VERSION,
            "participant": {"id": p.id, "name": p.name, "role": p.role.value},
            "resume": joined.resume_token,
            "resumed": joined.resumed,
            "status": p.state.value,
            "room": await self.fanout.view(p.room_id, p.id),
            "ice_servers": self.outside.ice_servers(p.id),
        }
        if p.state is ParticipantState.ADMITTED:
            ack["chat"] = [_chat(m) for m in await self.service.store.chat(p.room_id)]
        if nodes := await peer_urls(self.outside.registry, self._http_request(sid)):
            ack["nodes"] = nodes  # scale-out: where to go if this node dies
        return ack

    async def _join(self, sid: str, room_id: str, joiner: Joiner, resume: str | None) -> Joined:
        """``service.join``, within the lobby cap of the socket's address (signaling.throttle)."""
        if joiner.may_host or joiner.skip_lobby:
            return await self.service.join(room_id, joiner, resume)
        address = self._from(sid)
        await self.lobbies.reserve(address, self._waiting)
        try:
            joined = await self.service.join(room_id, joiner, resume)
        except BaseException:
            self.lobbies.release(address)
            raise
        p = joined.participant
        if p.state is ParticipantState.LOBBY:
            self.lobbies.entered(address, p.room_id, p.id)
        else:
            self.lobbies.release(address)
        return joined

    async def _waiting(self, room_id: str, participant_id: str) -> bool:
        p = await self.service.store.get_participant(room_id, participant_id)
        return p is not None and p.state is ParticipantState.LOBBY

    async def _record(self, room_id: str, audited: Audited) -> None:
        """Record a host action (accounts.audit): who (the signed-in host), from where, on whom."""
        target = audited.target
        what = f"room {room_id}" + (f": {target.name} ({target.id})" if target else "")
        user = self.connections.user(audited.sid)
        try:
            await self.outside.audit.record(
                audited.action,
                actor=user,
                address=self._from(audited.sid),
                target=what,
                detail=audited.detail or None,
            )
        except Exception:
            log.exception("could not record %s in the audit log", audited.action)

    async def _attend(
        self,
        step: Callable[[Participant, float], Awaitable[None]],
        p: Participant,
        at: float | None = None,
    ) -> None:
        """Tell the attendance list (rooms.attendance); a failure there never fails the
        meeting's decision, which is already taken."""
        try:
            await step(p, self.service.clock() if at is None else at)
        except Exception:
            log.exception("could not record attendance of %s", p.id)

    async def on_leave(self, sid: str, data: Any) -> Ack:
        payloads.parse_empty(data)
        seat = self._seat(sid)
        p = await self.service.leave(seat.room_id, seat.participant_id)
        await self._attend(self.outside.attendance.left, p)
        self.connections.unseat(sid)
        await self.sio.leave_room(sid, room_key(seat.room_id))
        await self._gone(seat.room_id, seat.participant_id)
        return {"ok": True}

    async def on_room_get(self, sid: str, data: Any) -> Ack:
        payloads.parse_empty(data)
        seat = self._seat(sid)
        return {"ok": True, "state": await self.fanout.view(seat.room_id, seat.participant_id)}

    # ------------------------------------------------------------------ lobby
    async def on_admit(self, sid: str, data: Any) -> Ack:
        target = payloads.parse_participant(data)
        seat = self._seat(sid)
        p = await self.service.admit(seat.room_id, seat.participant_id, target)
        [p] = await self._welcome(seat.room_id, [p])
        await self._settle(seat.room_id, media=False, audited=Audited(sid, "host.admit", p))
        return {"ok": True, "participant": p.id}

    async def on_admit_invited(self, sid: str, data: Any) -> Ack:
        """Admit everyone waiting from an invited site at once (a 228-site town hall)."""
        payloads.parse_empty(data)
        seat = self._seat(sid)
        admitted = await self.service.admit_invited(seat.room_id, seat.participant_id)
        people = await self._welcome(seat.room_id, admitted)
        ids = [p.id for p in people]
        detail = {"count": len(ids), "participants": ids}
        await self._settle(
            seat.room_id, media=False, audited=Audited(sid, "host.admit_invited", None, detail)
        )
        return {"ok": True, "participants": ids}

    async def _welcome(self, room_id: str, admitted: list[Participant]) -> list[Participant]:
        """After admission: into the room's broadcasts, media routed, then each newcomer told."""
        people = []
        for p in admitted:
            p = await self.links.admitted(p)  # its media connection may be up since the lobby
            await self._attend(self.outside.attendance.admitted, p)
            target_sid = self.connections.sid_of(p.id)
            if target_sid is not None:
                await self.sio.enter_room(target_sid, room_key(room_id))
            people.append(p)
        # Media before telling: the session's media goes into the slots reserved in the lobby
        # (keyframes asked for now), and the one message the newcomer needs carries its view
        # and track map: one TCP segment over a lossy VSAT link instead of three. One apply
        # for everyone admitted together.
        for p in people:
            self.bridge.hold(p.id)

        def result(participant_id: str, view: dict[str, Any]) -> payloads.Admitted:
            tracks = self.bridge.tracks(participant_id)
            return {"status": "admitted", "room": view, "tracks": tracks}

        try:
            await self.bridge.apply(room_id)
            # the room's snapshot built once for everyone admitted together
            await self.fanout.to_each(room_id, "lobby:result", [p.id for p in people], result)
        finally:
            for p in people:
                self.bridge.release(p.id)
        return people

    async def on_deny(self, sid: str, data: Any) -> Ack:
        target = payloads.parse_participant(data)
        seat = self._seat(sid)
        p = await self.service.deny(seat.room_id, seat.participant_id, target)
        await self.fanout.to_participant(p.id, "lobby:result", {"status": "denied"})
        await self._unseat(p.id, seat.room_id)
        await self._forget_media(p.id)  # the connection it set up in the lobby
        await self._settle(seat.room_id, media=False, audited=Audited(sid, "host.deny", p))
        return {"ok": True, "participant": p.id}

    # ------------------------------------------------------------------ media
    async def on_media_offer(self, sid: str, data: Any) -> Ack:
        sdp = payloads.parse_sdp(data)
        seat = self._seat(sid)
        p = await self._in_session_or_lobby(seat)
        answer, tracks = await self.bridge.sfu.answer(seat.participant_id, sdp)
        await self.links.apply(p, fresh=True)  # possibly a new connection: ceiling, limits
        return {"ok": True, "sdp": answer, "tracks": tracks}

    async def on_media_answer(self, sid: str, data: Any) -> Ack:
        sdp = payloads.parse_sdp(data)
        seat = self._seat(sid)
        await self._in_session_or_lobby(seat)
        await self.bridge.sfu.accept_answer(seat.participant_id, sdp)
        return {"ok": True}

    async def _in_session_or_lobby(self, seat: Seat) -> Participant:
        """Media may be set up from the lobby (``LOBBY_EVENTS``; admission then costs one
        message and a keyframe): ``rooms.forwarding`` leaves lobby participants out, so nothing
        reaches or leaves them."""
        p = await self.service.participant(seat.room_id, seat.participant_id)
        if p.state is not ParticipantState.LOBBY:
            p = await self.service.admitted(seat.room_id, seat.participant_id)
        return p

    async def on_self_media(self, sid: str, data: Any) -> Ack:
        change = payloads.parse_self_media(data)
        seat = self._seat(sid)
        await self.service.set_media(
            seat.room_id, seat.participant_id, mic=change.mic, camera=change.camera
        )
        if change.mic is False:
            self.bridge.detector.forget(seat.participant_id)
        await self._settle(seat.room_id, media=True)
        return {"ok": True}

    async def on_media_receive(self, sid: str, data: Any) -> Ack:
        video = payloads.parse_receive(data)
        seat = self._seat(sid)
        p = await self.service.set_receive(seat.room_id, seat.participant_id, video)
        await self.links.apply(p)
        await self._settle(seat.room_id, media=True)  # room:state carries "receive"
        return {"ok": True}

    async def on_media_shown(self, sid: str, data: Any) -> Ack:
        shown = payloads.parse_shown(data)
        seat = self._seat(sid)
        await self.service.admitted(seat.room_id, seat.participant_id)
        self.bridge.shown(seat.participant_id, shown)
        return {"ok": True}

    # ------------------------------------------------------------------ raised hands
    async def on_hand_raise(self, sid: str, data: Any) -> Ack:
        raised = payloads.parse_hand(data)
        seat = self._seat(sid)
        await self.service.raise_hand(seat.room_id, seat.participant_id, raised)
        await self._settle(seat.room_id, media=False)
        return {"ok": True}

    async def on_hand_lower(self, sid: str, data: Any) -> Ack:
        target = payloads.parse_participant(data)
        seat = self._seat(sid)
        p = await self.service.lower_hand(seat.room_id, seat.participant_id, target)
        await self._settle(seat.room_id, media=False, audited=Audited(sid, "host.hand_lower", p))
        return {"ok": True}

    async def on_floor(self, sid: str, data: Any) -> Ack:
        target = payloads.parse_participant(data)
        seat = self._seat(sid)
        p = await self.service.give_floor(seat.room_id, seat.participant_id, target)
        await self.fanout.to_participant(p.id, "floor", {"by": "host"})
        await self._settle(seat.room_id, media=True, audited=Audited(sid, "host.floor", p))
        return {"ok": True}

    # ------------------------------------------------------------------ chat
    async def on_chat(self, sid: str, data: Any) -> Ack:
        text = payloads.parse_chat(data)
        seat = self._seat(sid)
        message = await self.service.chat(seat.room_id, seat.participant_id, text)
        await self.fanout.to_room(seat.room_id, "chat", _chat(message))
        return {"ok": True}

    # ------------------------------------------------------------------ host actions
    async def on_mute(self, sid: str, data: Any) -> Ack:
        request = payloads.parse_mute(data)
        seat = self._seat(sid)
        p = await self.service.mute(
            seat.room_id, seat.participant_id, request.participant, request.hard
        )
        self.bridge.detector.forget(p.id)
        await self.fanout.to_participant(p.id, "muted", {"by": "host", "hard": p.hard_muted})
        audited = Audited(sid, "host.mute", p, {"hard": request.hard})
        await self._settle(seat.room_id, media=True, audited=audited)
        return {"ok": True}

    async def on_unmute_allow(self, sid: str, data: Any) -> Ack:
        target = payloads.parse_participant(data)
        seat = self._seat(sid)
        p = await self.service.allow_unmute(seat.room_id, seat.participant_id, target)
        await self._settle(seat.room_id, media=False, audited=Audited(sid, "host.unmute_allow", p))
        return {"ok": True}

    async def on_mute_all(self, sid: str, data: Any) -> Ack:
        hard = payloads.parse_hard(data)
        seat = self._seat(sid)
        muted = await self.service.mute_all(seat.room_id, seat.participant_id, hard)
        for p in muted:
            self.bridge.detector.forget(p.id)
            await self.fanout.to_participant(p.id, "muted", {"by": "host", "hard": p.hard_muted})
        audited = Audited(sid, "host.mute_all", detail={"hard": hard, "muted": len(muted)})
        await self._settle(seat.room_id, media=True, audited=audited)
        return {"ok": True, "muted": len(muted)}

    async def on_remove(self, sid: str, data: Any) -> Ack:
        target = payloads.parse_participant(data)
        seat = self._seat(sid)
        p = await self.service.remove(seat.room_id, seat.participant_id, target)
        await self._attend(self.outside.attendance.left, p)
        if p.state is ParticipantState.DENIED:
            await self.fanout.to_participant(p.id, "lobby:result", {"status": "denied"})
        else:
            await self.fanout.to_participant(p.id, "removed", {})
        self._cancel_grace(p.id)
        await self._unseat(p.id, seat.room_id)
        await self._gone(seat.room_id, p.id, Audited(sid, "host.remove", p))
        return {"ok": True}

    async def on_lock(self, sid: str, data: Any) -> Ack:
        locked = payloads.parse_lock(data)
        seat = self._seat(sid)
        room = await self.service.lock(seat.room_id, seat.participant_id, locked)
        audited = Audited(sid, "host.lock", detail={"locked": locked})
        await self._settle(seat.room_id, media=False, audited=audited)
        return {"ok": True, "state": room.state.value}

    async def on_record(self, sid: str, data: Any) -> Ack:
        on = payloads.parse_record(data)
        seat = self._seat(sid)
        room = await self.service.set_recording(seat.room_id, seat.participant_id, on)
        audited = Audited(sid, "host.record", detail={"on": on})
        await self._settle(seat.room_id, media=True, audited=audited)
        return {"ok": True, "recording": room.recording}

    # ------------------------------------------------------------------ presenting
    async def on_present_start(self, sid: str, data: Any) -> Ack:
        """Start presenting (rooms.presenting): the payload is the offer of the page's share
        connection; the ack carries the answer. A host takes over from another presenter."""
        sdp = payloads.parse_sdp(data)
        seat = self._seat(sid)
        taken = await self.service.start_presenting(seat.room_id, seat.participant_id)
        try:
            answer = await self.bridge.share(seat.participant_id, sdp)
        except MediaError:
            await self.service.stop_presenting(seat.room_id, seat.participant_id)
            await self._settle(seat.room_id, media=True)
            raise
        if taken is not None:
            await self._present_stopped(taken.id, "taken_over")
        await self._settle(seat.room_id, media=True)
        return {"ok": True, "sdp": answer, "share": share_id(seat.participant_id)}

    async def on_present_stop(self, sid: str, data: Any) -> Ack:
        payloads.parse_empty(data)
        seat = self._seat(sid)
        stopped = await self.service.stop_presenting(seat.room_id, seat.participant_id)
        audited = None
        if stopped is not None and stopped.id != seat.participant_id:
            await self._present_stopped(stopped.id, "host")
            audited = Audited(sid, "host.present_stop", stopped)
        await self._settle(seat.room_id, media=True, audited=audited)
        return {"ok": True}

    async def on_present_allow(self, sid: str, data: Any) -> Ack:
        request = payloads.parse_present_allow(data)
        seat = self._seat(sid)
        p, stopped = await self.service.allow_present(
            seat.room_id, seat.participant_id, request.participant, request.allowed
        )
        if stopped:
            await self._present_stopped(p.id, "revoked")
        audited = Audited(sid, "host.present_allow", p, {"allowed": request.allowed})
        await self._settle(seat.room_id, media=stopped, audited=audited)
        return {"ok": True}

    async def _present_stopped(self, participant_id: str, reason: str) -> None:
        payload: payloads.PresentStopped = {"reason": reason}
        await self.fanout.to_participant(participant_id, "present:stopped", payload)

    async def on_end(self, sid: str, data: Any) -> Ack:
        payloads.parse_empty(data)
        seat = self._seat(sid)
        await self.end(seat.room_id, seat.participant_id, Audited(sid, "host.end"))
        return {"ok": True}

    async def end(self, room_id: str, actor_id: str | None, audited: Audited | None = None) -> None:
        """End a session for everyone (host:end, or POST /api/rooms/{id}/end, which records
        its own audit entry)."""
        ended = await self.service.end(room_id, actor_id)
        try:
            await self.outside.attendance.ended(room_id, self.service.clock())
        except Exception:
            log.exception("could not close the attendance of %s", room_id)
        await self.outside.registry.release(room_id)
        for p in ended.participants:
            await self.fanout.to_participant(p.id, "ended", {})
        for p in ended.participants:
            self._cancel_grace(p.id)
            await self._unseat(p.id, room_id)
            await self.bridge.forget(p.id)
        await self._settle(room_id, media=True, state=False, audited=audited)  # nobody to see it

    # ------------------------------------------------------------------ shutdown
    async def close(self) -> None:
        for timer in list(self._timers.values()):
            timer.cancel()
        await asyncio.gather(*self._timers.values(), return_exceptions=True)
        self._timers.clear()


def _chat(message: Any) -> dict[str, Any]:
    return {"from": message.sender, "name": message.name, "text": message.text, "ts": message.ts}


MEETING = web.AppKey("meeting", Meeting)
"""The meeting core in the app (pendopo/app.py sets it; the HTTP edge sees it as
``edge.keys.SESSIONS``)."""
