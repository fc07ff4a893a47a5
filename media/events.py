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
        """connectionState changes of a peer ("connected", "failed", "closed", ...)."""

    def video_layer(self, subscriber: str, publisher: str, layer: str, reason: str) -> None:
        """The layer a video slot forwards changed (``Sfu.set_video_ceiling`` / the per-receiver
        controller): ``layer`` is "high", "low", "low_base", "still" or "off"; ``reason`` is
        "ok" (best available), "bandwidth" (the receiver's estimate or loss holds it lower),
        "ceiling" (set_video_ceiling) or "no_source" (the publisher sends no video, or only
        one layer where a lower one would have been chosen). Told when the choice is made; the
        switch itself follows at the target stream's next keyframe."""
