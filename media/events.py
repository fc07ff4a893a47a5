"""The callbacks the SFU makes into signaling (implemented by ``signaling/``)."""

from __future__ import annotations

from typing import Protocol

from media.settings import TrackInfo


class MediaEvents(Protocol):
    async def send_offer(self, peer_id: str, sdp: str, tracks: dict[str, TrackInfo]) -> None:
        """Server-initiated renegotiation; the answer comes back via ``Sfu.accept_answer``."""

    def tracks_changed(self, peer_id: str, tracks: dict[str, TrackInfo]) -> None:
        """A slot was re-fed without renegotiation (publisher rejoined / slot reused)."""

    def audio_level(self, peer_id: str, level_dbov: int, voiced: bool) -> None:
        """RFC 6464 level of the publisher's audio, at most ~5 calls/s per peer."""

    def peer_state(self, peer_id: str, state: str) -> None:
        """connectionState changes of a peer ("connected", "failed", "closed", ...); "lost":
        the worker process holding the connection ended (media/cascade.py)."""

    def video_layer(self, subscriber: str, publisher: str, layer: str, reason: str) -> None:
        """The layer a video slot forwards changed (``Sfu.set_video_ceiling`` / the per-receiver
        controller): ``layer`` is "high", "low", "low_base", "still" or "off"; ``reason`` is
        "ok" (best available), "bandwidth" (the receiver's estimate or loss holds it lower),
        "ceiling" (set_video_ceiling) or "no_source" (the publisher sends no video, or only
        one layer where a lower one would have been chosen). Told when the choice is made; the
        switch itself follows at the target stream's next keyframe."""

    def video_seen(self, publisher: str, seen: bool) -> None:
        """Whether anyone may see the publisher's video: False once nobody has for
        ``MediaSettings.pause_unseen_after`` seconds (its page may stop sending its camera),
        True the moment someone may again, or when its connection ends (a new one starts
        sending). Only ever True after a False (media/unseen_pause.py)."""


class CascadeEvents(Protocol):
    """What an SFU tells the cascade it is part of (media/cascade.py): a session spread over
    several workers. Only set by ``Sfu.join_cascade``; a lone SFU makes none of these calls."""

    def published(self, publisher: str, kind: str, stream: str) -> None:
        """A publisher connected here sends a stream of ``kind`` ("high"/"low" video, "high"
        audio): other workers may relay it (``Sfu.relay_in``)."""

    def relay_wanted(self, publisher: str, kind: str, wanted: bool) -> None:
        """A relayed publisher's ``kind`` is (no longer) forwarded or recorded here: its worker
        should (stop) relay(ing) it here (``Sfu.relay_out``)."""

    def keyframe_wanted(self, publisher: str, stream: str) -> None:
        """A relayed publisher's stream needs a keyframe here (a new subscriber, a PLI)."""
