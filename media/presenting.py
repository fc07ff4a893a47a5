"""A screen share at a weak receiver: slides instead of faces.

A share (rooms.presenting) is a publisher like a camera, on the same ladders
(media/layer_choice.py). Where the receiver's ceiling says its link is weak (anything below
``high``: a weak site's ``low``, audio-only mode's ``still``), and a share is among what it
receives, the share gets the one moving picture the link can afford — its lowest temporal layer
(``low_base``: TID 0, a quarter of the page's 5 frames/s) — and cameras drop to a still every
few seconds. The budget still has the last word: a share whose TID 0 does not fit falls to
stills like any other slot. A receiver on a good link gets everything as before.
"""

from __future__ import annotations

from media.layer_choice import Layer, lower

SHARE_AT_WEAK: Layer = "low_base"
"""The highest layer of a share at a weak receiver (its lowest temporal layer)."""
CAMERA_AT_WEAK: Layer = "still"
"""The highest layer of a camera at a weak receiver while a share is on."""


def slot_ceiling(ceiling: Layer, is_share: bool, share_on: bool) -> Layer:
    """The ceiling of one video slot of a receiver whose own ceiling is ``ceiling``:
    ``is_share`` the slot carries a share, ``share_on`` the receiver gets a share at all."""
    if ceiling in ("high", "off") or not share_on:
        return ceiling
    return SHARE_AT_WEAK if is_share else lower(ceiling, CAMERA_AT_WEAK)
