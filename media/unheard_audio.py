"""Which of a publisher's audio datagrams to drop before DTLS and SRTP: the quiet ones nobody
hears (a town hall's 225 silent sites cost their full receive path, 50 packets/s each, only
to be thrown away at the end of it).

One :class:`UnheardAudio` per publisher connection, consulted by the connection's datagram
gate (media/hooks.py ``set_datagram_gate``) with every raw UDP datagram. It drops an RTP packet
only when all of this holds:

- it is audio of the publisher (an SSRC of its audio m-section) and carries the RFC 6464 level
  element under the id that publisher's SDP negotiated (no level: never dropped);
- the level is below ``LoudestSettings.speaking_level`` (the V bit is not read: the same rule
  as :class:`~media.loudest.Loudness`, which reads levels only);
- the publisher is not in a speaking run (``Loudness.speaking``) and nothing hears it now
  (``listened()``: no slot forwards it, no recorder takes it; a muted one is heard by nobody);
- it is not the stream's keep-alive: one packet per ``keep_every`` s goes through anyway, so the
  normal receive path still reports a level now and then, and SRTP's rollover estimate never
  faces a jump of 2^15 sequence numbers;
- the receive statistics of its SSRC exist and took it (``tally``): the server's receiver
  reports then say the packet arrived, as it did, instead of reporting 98 % loss to a publisher
  whose bandwidth estimate reads that loss.

A packet at or above the speaking level is never dropped; when its publisher is not in a run
yet, its level is handed to ``hear`` (the SFU's level callback, which feeds ``Loudness``), so the
run starts on that packet and the ones after it pass. Video, RTCP, DTLS and anything that is not
the publisher's audio pass untouched.

The clear header is not authenticated before ``unprotect``: a forged datagram with a
publisher's SSRC can only be dropped here (and counted in that stream's receive statistics: a
distortion of that publisher's own figures) or passed on, where SRTP authenticates it as
before; nothing is injected (docs/media.md, "Unheard audio").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from media import rtp_peek
from media.datagram_gate import KEEP_EVERY, StreamGate
from media.loudest import Loudness

LevelCallback = Callable[[int, bool], None]  # (level in dBov <= 0, voiced)
Tally = Callable[[int, int, int], bool]  # (ssrc, sequence number, timestamp) -> counted


class UnheardAudio(StreamGate):
    """The drop decision for one publisher's connection (see the module's docstring)."""

    def __init__(
        self,
        publisher: str,
        loudness: Loudness,
        level_id: int,
        ssrcs: Iterable[int],
        *,
        listened: Callable[[], bool],
        hear: LevelCallback,
        tally: Tally,
        keep_every: float = KEEP_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(publisher, ssrcs, keep_every=keep_every, clock=clock)
        self.level_id = level_id
        self._loudness = loudness
        self._speaking_level = loudness.settings.speaking_level
        self._listened = listened
        self._hear = hear
        self._tally = tally

    def decide(self, datagram: bytes, head: rtp_peek.RtpHeader, now: float) -> bool:
        found = rtp_peek.audio_level(datagram, self.level_id)
        if found is None:
            return False
        level = -found.level
        publisher = self.publisher
        if level >= self._speaking_level:
            if not self._loudness.speaking(publisher, now):
                self._hear(level, found.voiced)  # the run starts with this packet
            return False
        if self._loudness.speaking(publisher, now) or self._listened():
            return False
        if self.keep_alive(head.ssrc, now):
            return False
        if not self._tally(head.ssrc, head.sequence_number, head.timestamp):
            return False  # its receive statistics do not exist yet: let the receiver start them
        self.dropped += 1
        return True
