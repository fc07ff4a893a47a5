"""Which of a publisher's video datagrams to drop before DTLS and SRTP: those nobody sees.

In a town hall the host's page shows six videos; the other 222 sites' video reached the server
at ~12 packets/s each and went through SRTP, aiortc's receive path and its bandwidth estimator
(a third of the server's time at 228 sites, docs/performance.md) only to be dropped where no
slot took it. One :class:`UnseenVideo` per publisher connection, consulted by the connection's
datagram gate (media/hooks.py ``set_datagram_gate``) with every raw UDP datagram. It drops an
RTP packet when all of this holds:

- it is the publisher's video: an SSRC of one of its video m-sections (its high or low stream,
  each with its RTX SSRC), as its offer names them (an offer naming none: nothing is gated);
- nothing sees that video now (``seen()``: no slot of any subscriber has one of its streams
  selected, no recorder takes it, no other worker of the cascade wants it);
- it is not the stream's keep-alive: one packet per ``keep_every`` s is handed to ``keep``,
  which decrypts it and throws it away, so SRTP's rollover estimate never faces a jump of 2^15
  sequence numbers (45 minutes of a site's video) when someone looks again;
- the receive statistics of its SSRC exist and took it (``tally``, with the payload's size):
  the server's receiver reports say the packet arrived, as it did, the server does not NACK
  what it dropped, and the stream's measured rate (what the server tells of the site's uplink,
  and what a subscriber is placed on the stream by) stays what the publisher sends.

The first packet after a drop that someone sees goes the normal way again. The slot that made it
seen asked for a keyframe when it chose the stream (media/layer_control.py ``kick``); packets
cached since the publisher's last keyframe are stale by then (``interrupted`` is called when
the drops begin, and the SFU clears the cache).

RTCP, STUN, DTLS, audio and any other SSRC pass untouched. As with unheard audio
(media/unheard_audio.py), the clear header is not authenticated before ``unprotect``: a forged
datagram with a publisher's video SSRC can only be dropped (and counted in that stream's
statistics) or passed to SRTP, which authenticates it as before (docs/media.md, "Unseen video").
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Iterable

from aiortc import sdp as aiortc_sdp

from media import rtp_bytes, rtp_peek
from media.datagram_gate import KEEP_EVERY, StreamGate

SRTP_TAG = 10  # bytes of the authentication tag after an SRTP payload (AES-CM, HMAC-SHA1-80)

Tally = Callable[[int, int, int, int], bool]  # (ssrc, seq, timestamp, payload octets) -> counted


class UnseenVideo(StreamGate):
    """The drop decision for one publisher's video (see the module's docstring)."""

    def __init__(
        self,
        publisher: str,
        ssrcs: Iterable[int],
        *,
        seen: Callable[[], bool],
        keep: Callable[[bytes], None],
        tally: Tally,
        interrupted: Callable[[], None],
        keep_every: float = KEEP_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(publisher, ssrcs, keep_every=keep_every, clock=clock)
        self._seen = seen
        self._keep = keep
        self._tally = tally
        self._interrupted = interrupted
        self.dropping = False

    def decide(self, datagram: bytes, head: rtp_peek.RtpHeader, now: float) -> bool:
        if self._seen():
            self.dropping = False
            return False
        if not self._tally(head.ssrc, head.sequence_number, head.timestamp, _octets(datagram)):
            return False  # its receive statistics do not exist yet: let the receiver start them
        if not self.dropping:
            self.dropping = True
            self._interrupted()
        if self.keep_alive(head.ssrc, now):
            self._keep(datagram)
        self.dropped += 1
        return True


def _octets(datagram: bytes) -> int:
    """The payload's size in an SRTP datagram (0 when its header is truncated)."""
    try:
        return max(0, len(datagram) - rtp_bytes.payload_start(datagram) - SRTP_TAG)
    except struct.error:
        return 0


def offered_ssrcs(offer_sdp: str, mids: Iterable[str | None]) -> list[int]:
    """The SSRCs (media and RTX) an offer names on the m-sections ``mids`` the remote sends on."""
    wanted = {mid for mid in mids if mid is not None}
    out: list[int] = []
    for media in aiortc_sdp.SessionDescription.parse(offer_sdp).media:
        if media.rtp.muxId not in wanted:
            continue
        if media.direction in (None, "sendonly", "sendrecv"):  # absent: sendrecv
            out.extend(s.ssrc for s in media.ssrc)
    return out
