"""Server offers that keep what the browser already negotiated (aiortc 1.16 resets it).

aiortc's ``createOffer()`` resets every transceiver's codecs and RTP header extensions to its
own defaults (Opus 96, VP8 97, extmap 1 = sdes:mid, ...). Chromium negotiated other payload
types and extension ids in its own first offer and refuses a re-offer that changes them ("RTP
extension ID reassignment not supported (collision on active MID 0 ...)"; payload types must
also agree across one BUNDLE group). ``create_offer`` writes the negotiated values back: each
m-section gets its own transceiver's negotiated codecs and extensions, a new one those of a
negotiated transceiver of the same kind. aiortc-to-aiortc never shows the problem (same
defaults on both sides); tests/browser does.
"""

from __future__ import annotations

from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc import sdp as aiortc_sdp

Negotiated = tuple[list[Any], list[Any]]


async def create_offer(pc: RTCPeerConnection) -> RTCSessionDescription:
    negotiated: dict[str, Negotiated] = {}
    by_kind: dict[str, Negotiated] = {}
    transceivers = pc.getTransceivers()
    for t in transceivers:
        if t.currentDirection is not None and t.mid is not None and t._codecs:
            negotiated[t.mid] = (list(t._codecs), list(t._headerExtensions))
            by_kind.setdefault(t.kind, negotiated[t.mid])
    offer = await pc.createOffer()
    if not by_kind:
        return offer
    # createOffer() reset the negotiated transceivers: put their values back.
    for t in transceivers:
        if t.mid in negotiated:
            t._codecs, t._headerExtensions = (list(x) for x in negotiated[t.mid])
    description = aiortc_sdp.SessionDescription.parse(offer.sdp)
    for media in description.media:
        if media.kind not in ("audio", "video"):
            continue
        values = negotiated.get(media.rtp.muxId) or by_kind.get(media.kind)
        if values is None:
            continue
        codecs, extensions = values
        media.rtp.codecs = list(codecs)
        media.fmt = [c.payloadType for c in codecs]
        media.rtp.headerExtensions = list(extensions)
    return RTCSessionDescription(sdp=str(description), type="offer")
