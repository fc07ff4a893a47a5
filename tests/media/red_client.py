"""A RED-capable aiortc test subscriber: negotiates audio/red, sees raw RTP, loses packets.

aiortc knows no RED. :class:`RedClient` wraps a ``ClientPeer``:

- its answers keep the ``audio/red`` the server offers (the SDP is edited on the way out);
- every RTP packet its transport receives is shown to a tap first, which records payload
  types and RED blocks per SSRC, turns a RED packet back into its primary Opus frame (so the
  stock receiver decodes it and its statistics count it), and drops every ``drop_every``-th
  audio packet when asked, so the receiver reports real loss in its RTCP receiver reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiortc import sdp as aiortc_sdp

from media import hooks
from media.audio_sdp import accepted_red, add_red
from media.red import RedBlock, parse
from media.testing import ClientPeer


@dataclass
class AudioSeen:
    """What arrived on one audio SSRC."""

    plain: int = 0  # Opus packets
    red: int = 0  # RED packets
    redundant_blocks: int = 0  # earlier frames carried in RED packets
    mismatched: int = 0  # redundant blocks that differ from the frame first sent at that time
    offsets: set[int] = field(default_factory=set)
    dropped: int = 0
    primaries: dict[int, bytes] = field(default_factory=dict)  # timestamp -> Opus frame
    last_red: list[RedBlock] = field(default_factory=list)


class RedClient:
    def __init__(self, client: ClientPeer) -> None:
        self.client = client
        self.drop_every = 0  # 0: lose nothing; n: drop every n-th audio packet
        self.red_pts: dict[str, int] = {}  # mid -> RED payload type the server offered
        self.opus_pt: int | None = None
        self.seen: dict[int, AudioSeen] = {}
        self._count = 0
        self._tapped = False
        client.incoming_sdp = self._incoming
        client.outgoing_sdp = self._outgoing

    def _incoming(self, sdp: str) -> str:
        self.red_pts.update(accepted_red(sdp))  # what the server offers RED on
        description = aiortc_sdp.SessionDescription.parse(sdp)
        for media in description.media:
            for codec in media.rtp.codecs:
                if codec.mimeType.lower() == "audio/opus":
                    self.opus_pt = int(codec.payloadType)
        return sdp

    def _outgoing(self, sdp: str) -> str:
        description = aiortc_sdp.SessionDescription.parse(sdp)
        for media in description.media:
            pt = self.red_pts.get(str(media.rtp.muxId))
            if media.kind == "audio" and pt is not None:
                add_red(media, pt)
        self._tap()
        return str(description)

    def _tap(self) -> None:
        if self._tapped or not self.client.pc.getTransceivers():
            return
        hooks.tap_received_rtp(self.client.pc.getTransceivers()[0].receiver.transport, self._on)
        self._tapped = True

    def _on(self, packet: Any) -> bool:
        red = packet.payload_type in self.red_pts.values()
        if not red and packet.payload_type != self.opus_pt:
            return True  # video, RTX: untouched
        seen = self.seen.setdefault(packet.ssrc, AudioSeen())
        self._count += 1
        if self.drop_every and self._count % self.drop_every == 0:
            seen.dropped += 1
            return False
        if red:
            blocks = parse(packet.payload)
            seen.red += 1
            seen.last_red = blocks
            for block in blocks[:-1]:
                seen.redundant_blocks += 1
                seen.offsets.add(block.offset)
                earlier = seen.primaries.get((packet.timestamp - block.offset) & 0xFFFFFFFF)
                if earlier is not None and earlier != block.data:
                    seen.mismatched += 1
            packet.payload = blocks[-1].data
            packet.payload_type = blocks[-1].payload_type
        else:
            seen.plain += 1
        seen.primaries[packet.timestamp] = packet.payload
        return True

    def total(self) -> AudioSeen:
        out = AudioSeen()
        for s in self.seen.values():
            out.plain += s.plain
            out.red += s.red
            out.redundant_blocks += s.redundant_blocks
            out.mismatched += s.mismatched
            out.offsets |= s.offsets
            out.dropped += s.dropped
        return out
