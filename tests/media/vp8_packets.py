"""Crafted VP8 RTP packets shaped like Chrome's L1T3 (scalabilityMode "L1T3") for unit tests."""

from __future__ import annotations

from aiortc.rtp import RtpPacket

L1T3_TIDS = (0, 2, 1, 2)  # the temporal pattern of L1T3, repeating


def descriptor(
    picture_id: int, tl0: int, tid: int, sync: bool, start: bool, key: bool, body: bytes = b""
) -> bytes:
    first = 0x90 if start else 0x80  # X, and S on a frame's first packet (partition 0)
    head = bytes(
        [
            first,
            0xE0,  # I, L, T
            0x80 | (picture_id >> 8) & 0x7F,
            picture_id & 0xFF,
            tl0 & 0xFF,
            (tid << 6) | (0x20 if sync else 0),
        ]
    )
    vp8 = bytes([0x00 if key else 0x01]) if start else b""  # payload header: P bit
    return head + vp8 + (body or b"\x00" * 20)


def l1t3_stream(
    frames: int, packets_per_frame: int = 2, first_seq: int = 1000, first_picture: int = 100
) -> list[RtpPacket]:
    """``frames`` frames, the first a keyframe, each of ``packets_per_frame`` packets."""
    out: list[RtpPacket] = []
    seq = first_seq
    tl0 = 7
    for n in range(frames):
        tid = L1T3_TIDS[n % 4]
        if tid == 0 and n:
            tl0 += 1
        sync = tid > 0 and n % 4 in (1, 2)  # the first frames above the base after it
        for k in range(packets_per_frame):
            payload = descriptor(
                (first_picture + n) & 0x7FFF, tl0, tid, sync, start=k == 0, key=n == 0
            )
            packet = RtpPacket(
                payload_type=96,
                marker=int(k == packets_per_frame - 1),
                sequence_number=seq & 0xFFFF,
                timestamp=3000 * n,
                ssrc=1234,
                payload=payload,
            )
            out.append(packet)
            seq += 1
    return out
