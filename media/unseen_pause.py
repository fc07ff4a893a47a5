"""When a publisher's page may stop sending its camera: nobody has seen its video for a while.

The unseen-video gate (media/unseen_video.py) drops a town hall's 222 unseen cameras at the
server, but each site's link still carries its own: ~60–150 kbit/s of a 256 kbit/s VSAT uplink
that the kecamatan's other services share. :class:`UnseenWatch` decides when the page is told
to pause its camera (``MediaEvents.video_seen(publisher, False)``, which signaling turns into
``media:limits`` with ``unseen``) and when to send again (``video_seen(publisher, True)``):

- a publisher nobody may see (``seen`` false: no slot has one of its streams selected, no
  recorder takes it, no other worker wants it) for ``after`` seconds is told unseen; a shorter
  spell (the speaker view's large tile moving on, a page scrolled past and back) is not;
- a publisher told unseen is told seen the moment someone may see it again: :meth:`recheck`
  from wherever that can start (a slot selecting one of its streams, a recorder, a relay),
  and :meth:`check` every tick for whatever else.

Its page answers with ``active = false`` on both camera layers, and with ``true`` again, when
its encoder starts with a keyframe; the slot that made it seen has asked for one as well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

Seen = Callable[[str], bool]
Tell = Callable[[str, bool], None]  # publisher, seen


class UnseenWatch:
    """One per SFU: the publishers connected to it whose pages were told to pause."""

    def __init__(self, after: float, seen: Seen, tell: Tell) -> None:
        self._after = after
        self._seen = seen
        self._tell = tell
        self._since: dict[str, float] = {}  # publisher -> when it was first found unseen
        self.paused: set[str] = set()
        """Publishers told unseen and not told seen since."""

    @property
    def enabled(self) -> bool:
        return self._after > 0

    def check(self, publishers: Iterable[str], now: float) -> None:
        """Every publisher with video connected here, once a tick."""
        if not self.enabled:
            return
        for publisher in publishers:
            if self._seen(publisher):
                self._since.pop(publisher, None)
                self._resume(publisher)
            elif publisher not in self.paused:
                since = self._since.setdefault(publisher, now)
                if now - since >= self._after:
                    del self._since[publisher]
                    self.paused.add(publisher)
                    self._tell(publisher, False)

    def recheck(self, publisher: str) -> None:
        """Someone may have started to see the publisher: a paused camera resumes at once."""
        if publisher in self.paused and self._seen(publisher):
            self._since.pop(publisher, None)
            self._resume(publisher)

    def forget(self, publisher: str) -> None:
        """Its connection is gone, and with it the pause: told seen if it was paused (a new
        connection starts sending, and is told unseen again only after ``after`` seconds)."""
        self._since.pop(publisher, None)
        self._resume(publisher)

    def _resume(self, publisher: str) -> None:
        if publisher in self.paused:
            self.paused.discard(publisher)
            self._tell(publisher, True)
