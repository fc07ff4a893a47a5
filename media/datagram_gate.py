"""What a publisher connection's datagram gates (media/hooks.py ``set_datagram_gate``) have in
common: media/unheard_audio.py (quiet audio nobody hears) and media/unseen_video.py (video
nobody sees) each drop some RTP datagrams of the publisher's SSRCs before DTLS and SRTP, each
lets one packet a second of a stream it drops be its keep-alive, and a connection runs both
(:func:`gates`)."""

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
        raise NotImplementedError

    def header(self, datagram: bytes) -> rtp_peek.RtpHeader | None:
        """The clear RTP header of a datagram of one of the gate's SSRCs; None for anything
        else (RTCP, DTLS, another SSRC, a truncated packet)."""
        head = rtp_peek.header(datagram)
        return head if head is not None and head.ssrc in self.ssrcs else None

    def keep_alive(self, ssrc: int, now: float) -> bool:
        """This packet of ``ssrc`` is its keep-alive (the first, then one per ``keep_every``)."""
        if now - self._kept.get(ssrc, float("-inf")) >= self._keep_every:
            self._kept[ssrc] = now
            return True
        return False


def gates(*gates: Gate | None) -> Gate | None:
    """One datagram gate from several (None where a connection has none): the first that
    drops a datagram drops it."""
    present = [g for g in gates if g is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    if len(present) == 2:  # a publisher's two gates: every datagram it sends comes here
        first, second = present
        return lambda datagram: first(datagram) or second(datagram)
    return lambda datagram: any(gate(datagram) for gate in present)
