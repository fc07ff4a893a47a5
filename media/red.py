"""RFC 2198 redundant audio (``audio/red``): packing, parsing, and a per-stream encoder.

A RED payload is a list of block headers, then the blocks' data in the same order::

    redundant header (4 bytes):  |1| block PT (7) | timestamp offset (14) | block length (10) |
    primary header   (1 byte):   |0| block PT (7) |

The primary block (the current Opus frame) comes last; each redundant block is an earlier frame,
its timestamp ``offset`` ticks before the packet's RTP timestamp. So a 14-bit offset reaches
16383 ticks back (341 ms at 48 kHz) and a redundant block holds at most 1023 bytes.

Pure functions and a small stateful :class:`RedEncoder`; nothing here touches aiortc.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

MAX_OFFSET = (1 << 14) - 1  # timestamp offset field: 14 bits
MAX_BLOCK = (1 << 10) - 1  # block length field: 10 bits
MAX_PAYLOAD = 1100  # stay well inside a 1200-byte RTP packet after SRTP and extensions


class RedError(ValueError):
    """A RED payload that does not parse (truncated headers or blocks)."""


@dataclass(frozen=True)
class RedBlock:
    """One block of a RED payload: its payload type, timestamp offset and data."""

    payload_type: int
    offset: int  # ticks before the packet's timestamp (0 for the primary block)
    data: bytes


def pack(payload_type: int, primary: bytes, redundant: list[tuple[int, bytes]]) -> bytes:
    """A RED payload: ``redundant`` = [(timestamp offset, data)], oldest first, then ``primary``.

    All blocks carry ``payload_type`` (the Opus payload type: fmtp "111/111").
    """
    if not 0 <= payload_type < 128:
        raise ValueError(f"payload type {payload_type} out of range")
    parts: list[bytes] = []
    for offset, data in redundant:
        if not 0 < offset <= MAX_OFFSET:
            raise ValueError(f"timestamp offset {offset} out of range")
        if len(data) > MAX_BLOCK:
            raise ValueError(f"redundant block of {len(data)} bytes is too long")
        header = (0x80 | payload_type) << 24 | offset << 10 | len(data)
        parts.append(header.to_bytes(4, "big"))
    parts.append(bytes((payload_type,)))
    parts.extend(data for _, data in redundant)
    parts.append(primary)
    return b"".join(parts)


def parse(payload: bytes) -> list[RedBlock]:
    """The blocks of a RED payload, in order (primary last)."""
    headers: list[tuple[int, int, int]] = []  # (pt, offset, length); primary length -1
    pos = 0
    while True:
        if pos >= len(payload):
            raise RedError("RED header truncated")
        first = payload[pos]
        if not first & 0x80:
            headers.append((first & 0x7F, 0, -1))
            pos += 1
            break
        if pos + 4 > len(payload):
            raise RedError("RED block header truncated")
        word = int.from_bytes(payload[pos + 1 : pos + 4], "big")
        headers.append((first & 0x7F, word >> 10, word & 0x3FF))
        pos += 4
    blocks: list[RedBlock] = []
    for pt, offset, length in headers:
        end = len(payload) if length < 0 else pos + length
        if end > len(payload):
            raise RedError("RED block data truncated")
        blocks.append(RedBlock(pt, offset, bytes(payload[pos:end])))
        pos = end
    return blocks


class RedEncoder:
    """Wraps each frame of one outgoing stream with up to ``distance`` earlier frames.

    Every frame sent goes through :meth:`wrap` (also while RED is off, ``distance`` 0), so the
    history is ready the moment RED is switched on. Earlier frames are carried only when they
    are recent: with DTX a silent publisher sends a frame every 400 ms, and a frame older than
    the 14-bit offset can reach (or out of order) is left out, as is one too big for a block or
    for the packet.
    """

    def __init__(self, history: int = 2) -> None:
        self._history: deque[tuple[int, bytes]] = deque(maxlen=history)
        self.wrapped = 0  # packets sent as RED with at least one redundant block

    def wrap(self, timestamp: int, payload: bytes, payload_type: int, distance: int) -> bytes:
        """The payload to send for this frame: RED with up to ``distance`` earlier frames when
        ``distance`` > 0, else ``payload`` as it is. Remembers the frame either way."""
        out = payload
        if distance > 0:
            redundant: list[tuple[int, bytes]] = []
            size = len(payload) + 1
            history = self._history
            last = len(history) - 1
            for k in range(last, max(-1, last - distance), -1):  # newest first
                earlier_ts, data = history[k]
                offset = (timestamp - earlier_ts) & 0xFFFFFFFF
                if not 0 < offset <= MAX_OFFSET or len(data) > MAX_BLOCK or not data:
                    continue
                if size + 4 + len(data) > MAX_PAYLOAD:
                    continue
                redundant.append((offset, data))
                size += 4 + len(data)
            redundant.reverse()  # oldest first on the wire
            out = pack(payload_type, payload, redundant)
            if redundant:
                self.wrapped += 1
        newest = self._history[-1][0] if self._history else None
        if newest is None or 0 < ((timestamp - newest) & 0xFFFFFFFF) < 0x80000000:
            self._history.append((timestamp, payload))
        return out
