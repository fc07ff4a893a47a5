"""ICE servers for browsers, with time-limited TURN credentials.

coturn's shared-secret REST scheme (``use-auth-secret`` + ``static-auth-secret``): the username
is ``"<expiry unix time>:<label>"`` and the password is base64(HMAC-SHA1(secret, username)).
coturn recomputes it from the same secret, so nothing is stored and nothing is sent between
Pendopo and coturn; a leaked credential stops working at its expiry.

For signaling (the join ack), the server's own peer connections and GET /api/ice-servers
(web/turn.py)::

    from edge.turn import ice_servers_for
    servers = ice_servers_for(settings, user_label="lurah-gondang")   # RTCIceServer dicts
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time

from pendopo.config import Settings

TURN_TTL = 12 * 3600
"""Seconds a TURN credential lasts: longer than a session, since coturn checks it again at every
allocation refresh."""

_LABEL_RE = re.compile(r"[^A-Za-z0-9._-]+")


def turn_credentials(
    secret: str, label: str, *, ttl: int = TURN_TTL, now: float | None = None
) -> tuple[str, str]:
    """``(username, credential)`` valid for ``ttl`` seconds from ``now``."""
    safe = _LABEL_RE.sub("-", label).strip("-")[:64] or "guest"
    expiry = int(now if now is not None else time.time()) + ttl
    username = f"{expiry}:{safe}"
    digest = hmac.new(secret.encode("utf-8"), username.encode("utf-8"), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers_for(
    settings: Settings, user_label: str, *, now: float | None = None
) -> list[dict[str, object]]:
    """The configured STUN/TURN URLs as ``RTCIceServer`` dicts; TURN ones carry credentials
    when ``turn_secret`` is set. Empty when none are configured (never a public STUN)."""
    stun = [u for u in settings.ice_servers if u.startswith("stun:") or u.startswith("stuns:")]
    turn = [u for u in settings.ice_servers if u.startswith("turn:") or u.startswith("turns:")]
    servers: list[dict[str, object]] = []
    if stun:
        servers.append({"urls": stun})
    if turn:
        entry: dict[str, object] = {"urls": turn}
        if settings.turn_secret:
            username, credential = turn_credentials(settings.turn_secret, user_label, now=now)
            entry.update(username=username, credential=credential)
        servers.append(entry)
    return servers
