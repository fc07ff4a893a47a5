"""The outgoing video stream of one subscriber slot: which publisher stream, which temporal
layers, and the renumbering that makes it one continuous stream.

The SFU tells the forwarder what it wants (:meth:`VideoForwarder.select`): a target stream (a
``Publication``: the publisher's "high" or "low" video), the highest temporal layer (TID) to
pass, and whether only a still every ``STILL_INTERVAL`` seconds is wanted. Every packet of the
publisher's video streams is offered to :meth:`VideoForwarder.forward` with its parsed VP8
descriptor; the forwarder:

- keeps forwarding its current stream until the first packet of a keyframe of the target
  arrives, then switches (a *run* starts: sequence number, timestamp, picture id and TL0PICIDX
  continue from the last ones sent, as on a publisher rejoin);
- lowers the temporal cap at the next frame, raises it at a keyframe or at a layer-sync frame
  (Y bit) of the layer it climbs to (after ``RAISE_WAIT`` without one, it asks for a keyframe);
- drops frames above the cap and closes the holes (media/thinning.py): sequence numbers and
  picture ids stay consecutive, so a thinned frame is not a loss to the receiver, and a late
  packet (a retransmission the server recovered) maps to the number it would have had;
- in still mode forwards one keyframe of the target (to its marker bit), then nothing until
  the next one is due;
- when told a pace (``repeat_pace``, from the subscriber's estimate: a long or lossy link), sends
  the keyframe of a route's first picture (admission, a slot re-fed) a second time as
  retransmissions once the first copy has drained at that pace: a lost packet of it is
  repaired before a NACK could ask for it. Later starts (switches, video back on) are sent
  once: a second copy of every switch's keyframe overfilled a 256 kbit/s link.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiortc.rtp import RtpPacket

from media import hooks, vp8_layers
from media.rtp_forward import PacketForwarder
from media.thinning import ThinningMap
from media.vp8_layers import Vp8Descriptor

STILL_INTERVAL = 5.0  # seconds between stills of the host in audio-only mode
RAISE_WAIT = 2.0  # seconds a temporal climb waits for a layer-sync frame before a keyframe
ALL_TIDS = 3
REPEAT_MARGIN = 0.03  # seconds after the first copy has drained that the second is sent
REPEAT_MAX_WAIT = 1.0  # seconds: a copy later than this would come after a NACK's repair

logger = logging.getLogger(__name__)


class VideoForwarder(PacketForwarder):
    def __init__(self, transceiver: Any) -> None:
        super().__init__("video", transceiver)
        self._target: object | None = None
        self._layer = "off"  # what select() last asked for
        self._active = "off"  # what is being forwarded
        self._want_tid = ALL_TIDS
        self._max_tid = ALL_TIDS
        self._still = False
        self._still_due = 0.0  # monotonic time the next still may start
        self._raise_since: float | None = None  # a temporal climb waiting since (monotonic)
        self._seq: ThinningMap | None = None
        self._pic: ThinningMap | None = None
        self._frame_in: int | None = None  # the newest frame's picture id ...
        self._frame_out: int | None = None  # ... what it became ...
        self._frame_kept = True  # ... and whether it is forwarded
        self._sent_mark = 0  # self.sent when the current layer became active
        self._tl0_offset = 0
        self._last_pic: int | None = None
        self._last_tl0: int | None = None
        self.thinned = 0  # packets dropped by the temporal cap
        self.switches = 0  # runs started on another stream or layer than the previous one
        self._sent_by_layer: dict[str, int] = {}
        self.repeat_pace: int | None = None  # bits/s: send a route's first keyframe twice
        self._first_picture = True  # the route's first picture is still to start
        self._key_ts: int | None = None  # the run's first keyframe, while it is being sent ...
        self._key_seqs: list[int] = []  # ... its packets' outgoing sequence numbers ...
        self._key_bytes = 0  # ... and their size
        self._repeat_task: asyncio.Task[None] | None = None
        self.key_repeats = 0  # keyframes sent a second time

    # ------------------------------------------------------------------ the SFU's side

    def select(self, target: object | None, layer: str, max_tid: int, still: bool) -> None:
        """Want ``target`` (None: forward nothing) up to ``max_tid``, or stills of it."""
        self._layer = layer
        self._want_tid = max_tid
        if target is None:
            self._source = None
        if still and not self._still:
            self._source = None  # at once: the next keyframe of the target is the first still
            self._still_due = 0.0
        self._still = still
        self._target = target
        if target is self._source and target is not None and layer != self._active:
            self._set_active(layer)
            self.switches += 1  # a temporal step on the same stream

    def restart(self) -> None:
        """Start again from the target's next keyframe (route added, slot re-fed)."""
        self._source = None
        self._still_due = 0.0
        self._first_picture = True

    def waiting(self, now: float) -> bool:
        """True while the slot waits for a keyframe of its target (the SFU asks for one): a
        stream switch, a still that is due, or a temporal climb that has seen no layer-sync
        frame for ``RAISE_WAIT`` seconds."""
        if self._target is None:
            return False
        if self._source is self._target:
            if self._want_tid <= self._max_tid or self._still:
                self._raise_since = None
                return False
            if self._raise_since is None:
                self._raise_since = now
            return now - self._raise_since >= RAISE_WAIT
        return not self._still or now >= self._still_due

    @property
    def target(self) -> object | None:
        return self._target

    @property
    def sent_by_layer(self) -> dict[str, int]:
        """Packets sent per layer name (the current layer's run included)."""
        counts = dict(self._sent_by_layer)
        counts[self._active] = counts.get(self._active, 0) + self.sent - self._sent_mark
        return {k: v for k, v in counts.items() if v}

    def _set_active(self, layer: str) -> None:
        counts = self._sent_by_layer
        counts[self._active] = counts.get(self._active, 0) + self.sent - self._sent_mark
        self._sent_mark = self.sent
        self._active = layer

    @property
    def still_mode(self) -> bool:
        return self._still

    @property
    def still_interval(self) -> float:
        return STILL_INTERVAL

    @property
    def forwarding(self) -> bool:
        """A run is on: some stream's packets are being forwarded."""
        return self._source is not None

    @property
    def active_layer(self) -> str:
        return self._active if self._source is not None or self._still else "off"

    # ------------------------------------------------------------------ per packet

    def forward(  # type: ignore[override]
        self, packet: RtpPacket, source: object, desc: Vp8Descriptor | None, ntp: int, wall: float
    ) -> None:
        if source is not self._source:
            if source is not self._target:
                return  # another stream of the publisher, not wanted here
            if self._still:
                if wall < self._still_due or desc is None or not desc.keyframe:
                    return  # between stills: not a drop
            elif desc is None or not desc.keyframe:
                self.dropped += 1  # waiting for a keyframe
                return
            if not self.can_send():
                self.dropped += 1  # a run starts with a keyframe that goes out
                return
            self._start(source, packet, desc, wall)
        picture = desc.picture_id if desc is not None else None
        if picture is not None and picture == self._frame_in:  # the newest frame: decided
            keep = self._frame_kept
            pic_out = self._frame_out
        else:
            keep, pic_out = self._frame(desc, picture)
        seq_map = self._seq
        assert seq_map is not None
        if not keep:
            seq_map.skip(packet.sequence_number)
            self.thinned += 1
            return
        seq_out = seq_map.keep(packet.sequence_number)
        if seq_out is None:
            self.dropped += 1  # older than this run (or a late packet of a thinned frame)
            return
        payload = packet.payload
        if desc is not None and (pic_out != picture or self._tl0_offset):
            tl0 = desc.tl0picidx
            tl0_out = (tl0 + self._tl0_offset) & 0xFF if tl0 is not None else 0
            payload = vp8_layers.rewrite(payload, desc, pic_out or 0, tl0_out)
        self._send(
            packet, seq_out, (packet.timestamp + self._ts_offset) & 0xFFFFFFFF, payload, ntp, wall
        )
        if self._key_ts is not None and packet.timestamp == self._key_ts:
            self._key_seqs.append(seq_out)
            self._key_bytes += len(payload)
            if packet.marker:
                self._repeat_key()
        if self._still and packet.marker:
            self._source = None  # the still is whole: nothing more until the next one
            self._still_due = wall + STILL_INTERVAL

    def _repeat_key(self) -> None:
        """The run's first keyframe is sent: send it again once it has drained."""
        seqs, size, pace = self._key_seqs, self._key_bytes, self.repeat_pace
        self._key_ts, self._key_seqs, self._key_bytes = None, [], 0
        out = self._out
        if out is None or pace is None or not seqs:
            return
        with contextlib.suppress(RuntimeError):  # no event loop: nothing to repeat on
            delay = min(REPEAT_MAX_WAIT, size * 8 / pace + REPEAT_MARGIN)
            task = asyncio.get_running_loop().create_task(_repeat(out, seqs, delay))
            if self._repeat_task is not None:
                self._repeat_task.cancel()  # an earlier run's copy: this run replaced it
            self._repeat_task = task
            self.key_repeats += 1

    def _frame(self, desc: Vp8Descriptor | None, picture: int | None) -> tuple[bool, int | None]:
        """(forward it?, its output picture id) for a packet not of the newest frame."""
        tid = 0 if desc is None or desc.tid is None else desc.tid
        pic_map = self._pic
        if picture is None or pic_map is None or desc is None:
            return tid <= self._max_tid, picture
        if not pic_map.is_newer(picture):  # a late packet: forwarded only if its frame was
            late = pic_map.keep(picture)
            return late is not None, late
        self._adjust_cap(desc, tid)
        keep = tid <= self._max_tid
        out: int | None = None
        if keep:
            out = pic_map.keep(picture)
            self._last_pic = out
            if desc.tl0picidx is not None:
                self._last_tl0 = (desc.tl0picidx + self._tl0_offset) & 0xFF
        else:
            pic_map.skip(picture)
        self._frame_in, self._frame_out, self._frame_kept = picture, out, keep
        return keep, out

    def _start(self, source: object, packet: RtpPacket, desc: Vp8Descriptor, wall: float) -> None:
        """A keyframe of the target: a new run continuing the numbers sent so far."""
        if logger.isEnabledFor(logging.DEBUG) and self._transceiver is not None:
            logger.debug(
                "slot %s starts %s at a keyframe (first picture: %s)",
                hooks.sender_ssrc(self._transceiver.sender), self._layer, self._first_picture,
            )  # fmt: skip
        if self._last_seq is not None and self._active != self._layer:
            self.switches += 1
        self._source = source
        self._set_active(self._layer)
        self._seq = ThinningMap(0x10000, packet.sequence_number, self._next_seq() & 0xFFFF)
        self._ts_offset = (self._next_ts(wall) - packet.timestamp) & 0xFFFFFFFF
        picture = desc.picture_id
        if picture is None:
            self._pic = None
        else:
            modulus = desc.picture_modulus
            first = picture if self._last_pic is None else (self._last_pic + 1) % modulus
            self._pic = ThinningMap(modulus, picture, first)
        tl0 = desc.tl0picidx
        if tl0 is not None and self._last_tl0 is not None:
            self._tl0_offset = (self._last_tl0 + 1 - tl0) & 0xFF
        else:
            self._tl0_offset = 0
        self._max_tid = self._want_tid
        # the keyframe is the newest frame, forwarded
        self._frame_in, self._frame_out, self._frame_kept = picture, None, True
        if picture is not None and self._pic is not None:
            self._frame_out = self._last_pic = self._pic.keep(picture)
        if tl0 is not None:
            self._last_tl0 = (tl0 + self._tl0_offset) & 0xFF
        # only a route's first picture (admission, a publisher's slot re-fed): a second copy of
        # every switch's keyframe overfilled a 256 kbit/s link; a still is one keyframe every
        # few seconds to the weakest links
        repeat = self._first_picture and self.repeat_pace is not None and not self._still
        self._first_picture = False
        self._key_ts = packet.timestamp if repeat else None
        self._key_seqs, self._key_bytes = [], 0

    def _adjust_cap(self, desc: Vp8Descriptor, tid: int) -> None:
        """At the first packet of a new frame: the temporal cap moves toward the wanted one."""
        want = self._want_tid
        if want < self._max_tid:
            self._max_tid = want  # lowering is safe at any frame
        elif want > self._max_tid and (
            desc.keyframe or (desc.layer_sync and self._max_tid < tid <= want)
        ):
            self._max_tid = want if desc.keyframe else tid


async def _repeat(out: hooks.SlotSender, seqs: list[int], delay: float) -> None:
    """Send the packets ``seqs`` again, from the slot's history, after ``delay`` seconds."""
    await asyncio.sleep(delay)
    for seq in seqs:
        await out.retransmit(seq)
