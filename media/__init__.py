"""Pass-through SFU on aiortc 1.16: forwards encoded Opus/VP8 without decoding.

Public API: the contract with signaling/ is docs/media.md, section "API".
"""

from media.cascade import Cascade
from media.errors import MediaError
from media.events import MediaEvents
from media.quality import PeerQuality, QualitySample
from media.settings import IceServer, MediaSettings, TrackInfo, UplinkStats
from media.sfu import Sfu
from media.stats import KindStats, SfuStats

MediaServer = Sfu | Cascade
"""What signaling drives: one SFU, or this worker's spread over the workers' (media/cascade.py)."""

__all__ = [
    "Cascade",
    "IceServer",
    "KindStats",
    "MediaError",
    "MediaEvents",
    "MediaServer",
    "MediaSettings",
    "PeerQuality",
    "QualitySample",
    "Sfu",
    "SfuStats",
    "TrackInfo",
    "UplinkStats",
]
