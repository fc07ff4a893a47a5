"""What a publisher connection's datagram gates (media/hooks.py ``set_datagram_gate``) have in
common: media/unheard_audio.py (quiet audio nobody hears) and media/unseen_video.py (video
nobody sees) each drop some RTP datagrams of the publisher's SSRCs before DTLS and SRTP, each
lets one packet a second of a stream it drops be its keep-alive, and a connection runs both
(:func:`gates`: one header read per datagram, handed to the gate of its SSRC)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from media import rtp_peek

KEEP_EVERY = 1.0  # seconds between keep-alive packets per dropped stream

Gate = Callable[[bytes], bool]  # a raw datagram -> True: drop it


class StreamGate:
    """A gate on some SSRCs of one publisher; subclasses decide in :meth:`should_drop`."""

    def __init__(
        self,
        publisher: str,
        ssrcs: Iterable[int],
        *,
        keep_every: float = KEEP_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.publisher = publisher
        self.ssrcs = frozenset(ssrcs)
        self._keep_every = keep_every
        self._clock = clock
        self._kept: dict[int, float] = {}  # ssrc -> when its last keep-alive went through
        self.dropped = 0

    def __call__(self, datagram: bytes) -> bool:
        """The datagram gate's form: True drops the datagram."""
        return self.should_drop(datagram, self._clock())

    def should_drop(self, datagram: bytes, now: float) -> bool:
        """Whether to drop any datagram: only RTP of the gate's SSRCs is decided on (not RTCP,
        DTLS, another SSRC, a truncated packet)."""
        head = rtp_peek.header(datagram)
        return head is not None and head.ssrc in self.ssrcs and self.decide(datagram, head, now)

    def decide(self, datagram: bytes, head: rtp_peek.RtpHeader, now: float) -> bool:
        """Whether to drop an RTP datagram of one of the gate's SSRCs (``head``: its clear
        header, read once by the caller)."""
        raise NotImplementedError

    def keep_alive(self, ssrc: int, now: float) -> bool:
        """This packet of ``ssrc`` is its keep-alive (the first, then one per ``keep_every``)."""
        if now - self._kept.get(ssrc, float("-inf")) >= self._keep_every:
            self._kept[ssrc] = now
            return True
        return False


def gates(*gates: StreamGate | None) -> Gate | None:
    """One datagram gate from a connection's gates (None where it has none): each datagram's
    header is read once and the datagram goes to the gate of its SSRC (a publisher's audio and
    video gates have SSRCs of their own)."""
    present = [g for g in gates if g is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    by_ssrc = {ssrc: gate for gate in present for ssrc in gate.ssrcs}

    def gate(datagram: bytes) -> bool:
        head = rtp_peek.header(datagram)
        if head is None:
            return False
        found = by_ssrc.get(head.ssrc)
        return found is not None and found.decide(datagram, head, found._clock())

    return gate
