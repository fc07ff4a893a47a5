"""The VP8 payload descriptor (RFC 7741 4.2), read and rewritten without decoding anything.

What per-receiver thinning needs from each packet, parsed once per received packet and shared by
every slot it goes to: the picture id (and its width), TL0PICIDX, the temporal layer (TID) with
its layer-sync bit (Y), whether the packet starts a frame, and whether that frame is a keyframe.

    0 1 2 3 4 5 6 7
   +-+-+-+-+-+-+-+-+
   |X|R|N|S|R| PID | (REQUIRED)
   +-+-+-+-+-+-+-+-+
X: |I|L|T|K| RSV   | (OPTIONAL)
   +-+-+-+-+-+-+-+-+
I: |M| PictureID   | (OPTIONAL, 7 or 15 bits)
   +-+-+-+-+-+-+-+-+
L: |   TL0PICIDX   | (OPTIONAL)
   +-+-+-+-+-+-+-+-+
T/K:|TID|Y| KEYIDX | (OPTIONAL)
   +-+-+-+-+-+-+-+-+
"""

from __future__ import annotations


class Vp8Descriptor:
    """One packet's payload descriptor. ``tid`` is None when the packet carries no temporal
    layer (one-layer encoders such as aiortc's): it is then treated as layer 0."""

    __slots__ = (
        "frame_start",
        "keyframe",
        "layer_sync",
        "picture_at",
        "picture_id",
        "picture_modulus",
        "tid",
        "tl0_at",
        "tl0picidx",
    )

    def __init__(self) -> None:
        self.frame_start = False  # S bit set and partition 0: the first packet of a frame
        self.keyframe = False  # frame_start and the VP8 payload header's P bit is 0
        self.picture_id: int | None = None
        self.picture_modulus = 1 << 15
        self.picture_at = 0  # offset of the picture id's first byte (0: none)
        self.tl0picidx: int | None = None
        self.tl0_at = 0  # offset of TL0PICIDX (0: none)
        self.tid: int | None = None
        self.layer_sync = False


def parse(payload: bytes) -> Vp8Descriptor | None:
    """The descriptor of a VP8 RTP payload, or None when the payload is too short (padding)."""
    size = len(payload)
    if size < 2:
        return None
    desc = Vp8Descriptor()
    first = payload[0]
    offset = 1
    if first & 0x80:  # X
        ext = payload[1]
        offset = 2
        if ext & 0x80:  # I
            if offset >= size:
                return None
            if payload[offset] & 0x80:  # M: 15-bit picture id
                if offset + 1 >= size:
                    return None
                desc.picture_id = ((payload[offset] & 0x7F) << 8) | payload[offset + 1]
                desc.picture_at = offset
                offset += 2
            else:
                desc.picture_id = payload[offset] & 0x7F
                desc.picture_modulus = 1 << 7
                desc.picture_at = offset
                offset += 1
        if ext & 0x40:  # L
            if offset >= size:
                return None
            desc.tl0picidx = payload[offset]
            desc.tl0_at = offset
            offset += 1
        if ext & 0x30:  # T or K
            if offset >= size:
                return None
            if ext & 0x20:  # T: TID and Y are meaningful
                desc.tid = payload[offset] >> 6
                desc.layer_sync = bool(payload[offset] & 0x20)
            offset += 1
    if first & 0x10 and not first & 0x07 and offset < size:  # S, partition 0
        desc.frame_start = True
        desc.keyframe = not payload[offset] & 0x01
    return desc


def rewrite(payload: bytes, desc: Vp8Descriptor, picture_id: int, tl0picidx: int) -> bytes:
    """The payload with its picture id and TL0PICIDX replaced (same widths; a field the packet
    does not carry is left out)."""
    data = bytearray(payload)
    at = desc.picture_at
    if at:
        if desc.picture_modulus == 1 << 15:
            data[at] = 0x80 | ((picture_id >> 8) & 0x7F)
            data[at + 1] = picture_id & 0xFF
        else:
            data[at] = picture_id & 0x7F
    if desc.tl0_at:
        data[desc.tl0_at] = tl0picidx & 0xFF
    return bytes(data)
