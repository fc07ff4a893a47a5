"""Invite links at the door: what a ``join``'s ``invite`` token allows (docs/protocol.md).

A token is checked by ``accounts.invites`` (signature, expiry, revocation, the room). A valid one
may bind the joiner to a site (the site itself or a village under it) and, when its
``require_lobby`` is off, admit at once. A session whose host made invites required admits
nobody else but hosts. Hosts need no invite; a token they send is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.invites import InviteError, InviteService
from rooms.errors import INVITE_INVALID, INVITE_REQUIRED, RoomError


@dataclass(frozen=True)
class Admission:
    site: str | None
    """The site to join as (the invite's, when the joiner gave none)."""
    skip_lobby: bool
    invite_id: str | None


async def admission(
    invites: InviteService, room: str, token: str | None, site: str | None, may_host: bool
) -> Admission:
    if may_host:
        return Admission(site, skip_lobby=False, invite_id=None)
    if token is None:
        if await invites.required(room):
            raise RoomError(INVITE_REQUIRED, "This session admits only people with an invite link.")
        return Admission(site, skip_lobby=False, invite_id=None)
    try:
        invite = await invites.verify(token, room=room)
    except InviteError as exc:  # invite_invalid, invite_expired, invite_revoked
        raise RoomError(exc.code, exc.message) from exc
    bound = invite.site_code
    if bound is not None:
        if site is None:
            site = bound
        elif site != bound and not site.startswith(bound + "."):
            raise RoomError(INVITE_INVALID, "This invite link is for another site.")
    return Admission(site, skip_lobby=not invite.require_lobby, invite_id=invite.id)
