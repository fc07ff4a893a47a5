"""Readiness before a session: can the invited sites actually join?

``GET /api/rooms/{room_id}/readiness`` (host, admin): per invited site its link state, round
trip and loss (the prober, via ``edge.keys.SITES``), what it will receive (``rooms.weak_links``),
the figures of its last session (``network_inventory.call_quality``) and whether someone from it
is in the session or waiting in the lobby. The invited sites come with ``POST /api/rooms``
(``invited_sites``, declared in ``rooms.new_session``; known to the directory: :func:`known_sites`).
"""

from __future__ import annotations

import time

from aiohttp import web

from edge.keys import CALL_QUALITY, ROOMS, SETTINGS, SITES
from pendopo.declared import as_json
from rooms import Participant, ParticipantState, SiteDirectory
from rooms.model import SessionState
from rooms.site_answers import ReadinessRoom, SessionReadiness, SiteReadiness
from rooms.sites import site_and_parent
from rooms.weak_links import DOWN, READY, UNKNOWN, WEAK, WeakLinkPolicy, readiness, receive_profile
from web import openapi
from web.auth import require_host
from web.errors import ApiError


async def known_sites(directory: SiteDirectory, codes: tuple[str, ...]) -> tuple[str, ...]:
    """The ``invited_sites`` of a new session (checked by ``rooms.new_session``), each a site
    the directory knows."""
    unknown = [c for c in codes if await directory.get(c) is None]
    if unknown:
        raise ApiError("invalid_request", f"Unknown site(s): {', '.join(unknown[:5])}.")
    return codes


def _from_site(p: Participant, code: str) -> bool:
    """Joined from the site itself or from a site under it (a village of an invited kecamatan)."""
    return p.site_code is not None and (p.site_code == code or p.site_code.startswith(code + "."))


async def room_readiness(request: web.Request) -> web.Response:
    require_host(request)
    room_id = request.match_info["room_id"]
    service = request.app[ROOMS]
    record = await service.records.get(room_id)
    if record is None:
        raise ApiError("not_found", "There is no such session.", status=404)
    live = await service.store.get_room(room_id)
    state = live.state if live is not None else record.state
    people = await service.participants(room_id) if state is not SessionState.ENDED else []
    directory = request.app[SITES]
    policy = WeakLinkPolicy(min_capacity_kbps=request.app[SETTINGS].weak_site_min_kbps)
    last = await request.app[CALL_QUALITY].last_sessions(record.invited_sites, time.time())
    counts = dict.fromkeys((READY, WEAK, DOWN, UNKNOWN), 0)
    sites = []
    for code in record.invited_sites:
        site, parent = await site_and_parent(directory, code)
        link = await directory.link(code)
        verdict = readiness(link, policy)
        counts[verdict] += 1
        profile = receive_profile(link, policy)
        here = [p for p in people if _from_site(p, code)]
        present = sum(1 for p in here if p.present)
        waiting = sum(1 for p in here if p.state is ParticipantState.LOBBY)
        sites.append(
            SiteReadiness(
                code=code,
                name=site.name if site else code,
                label=site.label(parent) if site else code,
                kind=site.kind if site else None,
                readiness=verdict,
                link=link,
                audio_only=not profile.video,
                reason=profile.reason,
                last_call=last.get(code),
                presence="present" if present else "lobby" if waiting else "absent",
                present=present,
                waiting=waiting,
            )
        )
    answer = SessionReadiness(
        room=ReadinessRoom(id=record.id, title=record.title, state=state),
        counts=counts,
        sites=sites,
    )
    return web.json_response(as_json(answer))


openapi.add_schemas(openapi.declared(outputs=(SessionReadiness,)))
openapi.describe(
    openapi.Operation(
        "GET",
        "/api/rooms/{room_id}/readiness",
        "Readiness of a session's invited sites: link, last call quality, presence",
        "meetings",
        "host",
        params=(openapi.Param("room_id", "path", description="session id"),),
        response=openapi.ref("SessionReadiness"),
    )
)

__all__ = ["known_sites", "room_readiness"]
