"""Counters the SFU reports (``Sfu.stats()``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class KindStats:
    packets: int = 0  # RTP packets sent to subscribers (media SSRC, not RTX)
    bytes: int = 0  # RTP payload bytes sent to subscribers
    frames: int = 0  # encoded frames (video) / Opus packets (audio) handed to slots
    dropped: int = 0  # frames not forwarded to a slot (waiting for a keyframe, queue overflow)


@dataclass
class SfuStats:
    peers: int = 0
    connected_peers: int = 0
    publications: int = 0
    slots: int = 0
    forwarded: dict[str, KindStats] = field(
        default_factory=lambda: {"audio": KindStats(), "video": KindStats()}
    )
    received: dict[str, KindStats] = field(  # from publishers (packets incl. RTX, frames)
        default_factory=lambda: {"audio": KindStats(), "video": KindStats()}
    )
    keyframe_requests: int = 0  # asked for (subscriber added, PLI/FIR forwarded, ...)
    keyframe_requests_sent: int = 0  # PLIs actually sent to publishers after throttling
    keyframes_from_cache: int = 0  # slot starts / stills served from a cached keyframe
    keyframes_repeated: int = 0  # runs' first keyframes sent twice (long or lossy links)
    rtx_resent: int = 0  # NACKed packets resent within the per-subscriber budget
    rtx_dropped: int = 0  # NACKed packets refused by the budget
    # NACKs to publishers (media/nack_retry.py), in sequence numbers: asked for when the gap
    # appeared, asked again (a NACK or its retransmission lost), arrived after being asked,
    # dropped still missing (too old to help or out of the history)
    upstream_nacked: int = 0
    upstream_nack_retries: int = 0
    upstream_repaired: int = 0
    upstream_repair_seconds: float = 0.0  # from gap to arrival, summed over the repaired
    upstream_given_up: int = 0
    # publishers' audio packets dropped before decryption: quiet, and nobody hears them
    # (media/unheard_audio.py); they count in ``received`` (the server did receive them)
    unheard_audio_dropped: int = 0
    # publishers' video packets dropped before decryption: nobody sees that video now
    # (media/unseen_video.py); they count in ``received`` too
    unseen_video_dropped: int = 0
    late_audio_dropped: int = 0  # Opus packets arriving after a newer one (not forwarded)
    red_packets: int = 0  # audio packets sent as RED with an earlier frame (lossy subscribers)
    # video layers (packet path): packets sent per layer ("high", "low", "low_base", "still"),
    # packets dropped by a slot's temporal cap, and runs started on another layer
    layer_packets: dict[str, int] = field(default_factory=dict)
    # the server's load (media/load_guard.py): every subscriber's video ceiling while busy,
    # how often it was lowered, the smoothed CPU share of one core it last read
    load_ceiling: str = "high"
    load_steps_down: int = 0
    cpu_share: float | None = None
    thinned: int = 0
    layer_switches: int = 0
