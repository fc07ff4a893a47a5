"""Opus parameters and RED in the server's SDP (answers to publishers, offers of slots).

aiortc answers with its own codec objects, whose parameters are empty, so the browser's
``a=fmtp:111 minptime=10;useinbandfec=1`` never comes back and Chromium's Opus encoder runs
without in-band FEC. :func:`protect_opus` sets the parameters on the codec objects aiortc builds
the SDP from (the transceivers' negotiated codecs, the parsed offer): the receiver's fmtp is
what the sender obeys, so a publisher sending to the server gets ``useinbandfec=1`` (FEC when
the receiver reports loss) and ``usedtx=1`` (few packets during silence).

aiortc knows no ``audio/red``: :func:`add_red` puts it into the subscriber slots of a server
offer (m-sections the server only sends on), after Opus, with fmtp ``<opus>/<opus>``, and
:func:`accepted_red` reads which slots the client's answer kept it on, and with which payload
type. The server never offers RED where it receives (a publisher's m-section): aiortc would drop
RED packets it cannot depacketise.

:func:`level_source` reads, from a publisher's offer, the SSRCs and the ``ssrc-audio-level``
extension id of the audio it sends: what the datagram gate of media/unheard_audio.py needs.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiortc import sdp as aiortc_sdp
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

OPUS_FMTP: dict[str, int | str | None] = {"minptime": 10, "useinbandfec": 1, "usedtx": 1}
RED_MIME = "audio/red"
LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
PREFERRED_RED_PT = 63  # what Chromium uses (its offer: "111 63 ...")


def is_opus(codec: RTCRtpCodecParameters) -> bool:
    return codec.mimeType.lower() == "audio/opus"


def is_red(codec: RTCRtpCodecParameters) -> bool:
    return codec.mimeType.lower() == RED_MIME


def protect_opus(codecs: Iterable[RTCRtpCodecParameters]) -> None:
    """Give every Opus codec in ``codecs`` minptime=10;useinbandfec=1;usedtx=1 (in place)."""
    for codec in codecs:
        if is_opus(codec):
            codec.parameters = {**codec.parameters, **OPUS_FMTP}


def red_payload_type(*descriptions: aiortc_sdp.SessionDescription) -> int:
    """The payload type to offer RED on: the one the client itself used for audio/red (so one
    BUNDLE group never maps a payload type to two codecs), else 63 or the first free one."""
    used: set[int] = set()
    for description in descriptions:
        for media in description.media:
            for codec in media.rtp.codecs:
                if codec.payloadType is None:
                    continue
                if media.kind == "audio" and is_red(codec):
                    return codec.payloadType
                used.add(codec.payloadType)
    for pt in (PREFERRED_RED_PT, *range(96, 128), *range(35, 63)):
        if pt not in used:
            return pt
    raise ValueError("no free payload type for audio/red")


def add_red(media: aiortc_sdp.MediaDescription, payload_type: int) -> None:
    """Offer RED (fmtp "<opus>/<opus>") after Opus on an audio m-section (in place)."""
    opus = next((c for c in media.rtp.codecs if is_opus(c)), None)
    if opus is None or any(is_red(c) for c in media.rtp.codecs):
        return
    red = RTCRtpCodecParameters(
        mimeType=RED_MIME,
        clockRate=48000,
        channels=2,
        payloadType=payload_type,
        parameters={f"{opus.payloadType}/{opus.payloadType}": None},
    )
    at = media.rtp.codecs.index(opus) + 1
    media.rtp.codecs.insert(at, red)
    media.fmt = [c.payloadType for c in media.rtp.codecs]


def protect_offer(offer_sdp: str, red_pt: int | None) -> str:
    """A server offer with Opus fmtp on every audio m-section, and RED (``red_pt``) on each
    one the server only sends on (subscriber slots)."""
    description = aiortc_sdp.SessionDescription.parse(offer_sdp)
    for media in description.media:
        if media.kind != "audio":
            continue
        protect_opus(media.rtp.codecs)
        if red_pt is not None and media.direction == "sendonly":
            add_red(media, red_pt)
    return str(description)


def accepted_red(answer_sdp: str) -> dict[str, int]:
    """mid -> RED payload type of every audio m-section whose answer kept RED over Opus."""
    description = aiortc_sdp.SessionDescription.parse(answer_sdp)
    out: dict[str, int] = {}
    for media in description.media:
        if media.kind != "audio" or media.rtp.muxId is None:
            continue
        opus = next((c.payloadType for c in media.rtp.codecs if is_opus(c)), None)
        if opus is None:
            continue
        for codec in media.rtp.codecs:
            if is_red(codec) and codec.payloadType is not None and _red_wraps(codec, opus):
                out[media.rtp.muxId] = codec.payloadType
                break
    return out


def _red_wraps(red: RTCRtpCodecParameters, opus_pt: int) -> bool:
    """RED's fmtp names only the Opus payload type ("111/111"; absent: assume so)."""
    if not red.parameters:
        return True
    for key in red.parameters:
        blocks = key.split("/")
        if blocks and all(b.strip() == str(opus_pt) for b in blocks):
            return True
    return False


def level_source(offer_sdp: str, mid: str | None) -> tuple[int | None, list[int]]:
    """(the ``ssrc-audio-level`` extension id, the SSRCs) of m-section ``mid`` of an offer the
    remote sends audio on; (None, []) when it names none of them. aiortc answers with the
    offered id of every extension it knows, this one included, so the offered id is the
    negotiated one (tests/media/test_unheard_audio_peers.py checks the answer)."""
    description = aiortc_sdp.SessionDescription.parse(offer_sdp)
    for media in description.media:
        if media.kind != "audio" or media.rtp.muxId != mid:
            continue
        if media.direction not in (None, "sendonly", "sendrecv"):  # absent: sendrecv
            break
        ids = [ext.id for ext in media.rtp.headerExtensions if ext.uri == LEVEL_URI]
        return (ids[0] if ids else None), [s.ssrc for s in media.ssrc]
    return None, []
