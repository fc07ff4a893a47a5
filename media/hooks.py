"""Patches of aiortc/aioice private hook points that make pass-through forwarding work.

Written for aiortc 1.16.0 and aioice 0.13.0 (pinned in pyproject.toml); ``install()`` refuses
other versions and ``tests/media/test_hooks.py`` fails loudly when a hook point moves. ``Sfu``
installs them once, when it is built (the test clients of media/testing.py too); every private
attribute of aiortc or aioice that media/ reads or writes is reached through a function here.

Every patch is opt-in per object, so ordinary aiortc peer connections in the same process (test
clients, benchmarks) keep decoding and behaving exactly as upstream:

- ``decoder_worker``: receivers whose track queue is marked by :func:`mark_passthrough` turn each
  reassembled ``JitterFrame`` into an ``av.Packet`` (pts = RTP timestamp, time_base = 1/clock)
  instead of decoding it. ``RTCRtpSender`` then sends packets through ``encoder.pack()``.
- ``RTCRtpSender._send_keyframe``: a sender carrying ``KEYFRAME_HANDLER`` calls it (forwarding the
  subscriber's PLI/FIR to the publisher) instead of asking a local encoder for a keyframe.
- ``RTCRtpSender._retransmit``: a sender carrying ``NACK_BUDGET`` spends a token per resend; a
  sender driven by a :class:`SlotSender` (the forwarding path) resends from that one's history of
  sent bytes (aiortc's own history holds ``RtpPacket`` objects, which that path never builds).
- ``RTCRtpSender._handle_rtcp_packet``: every listener in a sender's ``RTCP_LISTENERS`` list sees
  each RTCP packet the subscriber sends about that sender (receiver reports, REMB, NACK, PLI)
  before aiortc handles it: the input of per-receiver rate control and audio protection.
- ``RTCRtpSender._send_rtcp``: a sender with RTCP listeners remembers when it sent its last
  sender reports, so :func:`report_rtt` measures the round trip from any receiver report that
  names one of them. aiortc itself only matches the latest: at a 600 ms round trip the next
  sender report is usually out before the answer to the previous one arrives, and its RTT
  stays unknown.
- ``RTCRtpReceiver._send_rtcp``: REMBs of receivers carrying ``REMB_GROUP`` go out as one
  total for the connection (media/remb.py); a receiver carrying ``RR_LOSS_FLOOR`` (a callable
  giving a ``fraction_lost`` 0..255) raises the ``fraction_lost`` of its receiver reports to it: the
  publisher's Opus encoder hears the worst loss of its listeners (media/audio_protection.py).
- ``RTCRtpReceiver.__nack_generator``: a receiver given :class:`PacedNacks` (the SFU's
  publisher video receivers) asks a publisher again for a packet still missing once a round
  trip has passed, a bounded number of times, and sends every NACK twice 40 ms apart
  (media/nack_retry.py); aiortc's own generator NACKs only when a new gap appears, so a lost
  NACK or a lost retransmission waited for the next loss.
- ``RtpRouter.route_rtp``: a packet of an SSRC the router does not know, whose payload type
  several receivers share, goes to the receiver whose remote description names that SSRC as
  its RTX stream. aiortc registers only media SSRCs and falls back to the payload type, which
  works while a connection receives one video stream; a publisher sending the high and the low
  stream has two, and aiortc dropped every retransmission it had asked for (the server NACKed a
  weak uplink and never forwarded one repair).
- ``aioice.Connection.query_consent``: consent checks are retransmitted (RFC 7675 allows it), so a
  600 ms round trip no longer expires consent after ~30 s.
- ``aioice.ice.Connection.data_received``: a connection given a datagram gate
  (:func:`set_datagram_gate`) shows it every non-STUN datagram before DTLS and SRTP see it; the
  gate returns True to drop the datagram (media/unheard_audio.py: quiet audio nobody hears).
  A connection marked by :func:`set_direct_srtp` decrypts an SRTP or SRTCP datagram and hands
  it to aiortc's RTP/RTCP handling right there, in the socket's read callback
  (:func:`handle_srtp_now`), instead of queueing it for the DTLS transport's task: one event-loop
  turn and one queue hand-off less per received packet.
- ``aioice.ice.StunProtocol.request``: timed; the shortest answered ICE check per remote address
  is kept on the protocol (``PATH_RTTS``, read by :func:`path_rtt`): a path's round trip is known
  while a participant waits in the lobby, before any media or RTCP.
- ``aioice.ice.get_host_addresses``: :data:`host_addresses` (a ContextVar) restricts the
  addresses candidates are gathered on.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import random
import socket
import threading
import time
import traceback
from collections.abc import Callable, Coroutine, Generator, Iterator
from contextvars import ContextVar
from fractions import Fraction
from importlib.metadata import version
from typing import Any, NamedTuple, Protocol

import aioice.ice
import aiortc.rtcrtpreceiver
import av
import pylibsrtp
from aioice import stun
from aiortc import clock
from aiortc.rtcdtlstransport import RtpRouter
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTP_HISTORY_SIZE,
    HeaderExtensionsMap,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpSrPacket,
    is_rtcp,
    pack_remb_fci,
    unpack_remb_fci,
)

from media import rtp_bytes
from media.nack_retry import REPEAT_AFTER, NackRetry
from media.remb import RembGroup
from media.rtp_bytes import SlotHeader

logger = logging.getLogger(__name__)

AIORTC_VERSION = "1.16.0"
AIOICE_VERSION = "0.13.0"

PASSTHROUGH_FLAG = "_pendopo_passthrough"  # set on a RemoteStreamTrack's asyncio.Queue
KEYFRAME_HANDLER = "_pendopo_keyframe_handler"  # set on an RTCRtpSender: Callable[[], None]
NACK_BUDGET = "_pendopo_nack_budget"  # set on an RTCRtpSender: a NackBudget
CONSENT_RETRANSMISSIONS = "_pendopo_consent_retransmissions"  # set on an aioice Connection
RTCP_LISTENERS = "_pendopo_rtcp_listeners"  # set on an RTCRtpSender: list[Callable[[Any], None]]
RR_LOSS_FLOOR = "_pendopo_rr_loss_floor"  # set on an RTCRtpReceiver: Callable[[], int]
REMB_GROUP = "_pendopo_remb_group"  # set on an RTCRtpReceiver: media.remb.RembGroup
SENT_REPORTS = "_pendopo_sent_reports"  # on an RTCRtpSender: dict[int, float], LSR -> time
SENT_REPORTS_KEPT = 8
SLOT_SENDER = "_pendopo_slot_sender"  # on an RTCRtpSender: its SlotSender (forwarding path)
PATH_RTTS = "_pendopo_path_rtts"  # on an aioice StunProtocol: dict[remote addr, shortest RTT]
DATAGRAM_GATE = "_pendopo_datagram_gate"  # on an aioice Connection: Callable[[bytes], bool]
DIRECT_SRTP = "_pendopo_direct_srtp"  # on an aioice Connection: its RTCDtlsTransport, or None

DEFAULT_CONSENT_RETRANSMISSIONS = 2

#: Addresses to gather ICE host candidates on; None means every interface (aioice default).
host_addresses: ContextVar[tuple[str, ...] | None] = ContextVar(
    "pendopo_host_addresses", default=None
)


class NackBudget(Protocol):
    def allow(self) -> bool: ...


_installed = False
_lock = threading.Lock()
_original_decoder_worker: Callable[..., None] = aiortc.rtcrtpreceiver.decoder_worker
_original_send_keyframe: Callable[[RTCRtpSender], None] = RTCRtpSender._send_keyframe
_original_retransmit: Callable[[RTCRtpSender, int], Any] = RTCRtpSender._retransmit
_original_handle_rtcp_packet: Callable[[RTCRtpSender, Any], Any] = RTCRtpSender._handle_rtcp_packet
_original_send_rtcp: Callable[[RTCRtpReceiver, Any], Any] = RTCRtpReceiver._send_rtcp
_original_sender_send_rtcp: Callable[[RTCRtpSender, Any], Any] = RTCRtpSender._send_rtcp
_original_get_host_addresses: Callable[[bool, bool], list[str]] = aioice.ice.get_host_addresses
_original_query_consent: Callable[..., Any] = aioice.ice.Connection.query_consent
_original_stun_request: Callable[..., Any] = aioice.ice.StunProtocol.request
_original_data_received: Callable[..., None] = aioice.ice.Connection.data_received


def check_versions() -> None:
    """Refuse to patch versions the hooks were not written for."""
    found = {"aiortc": version("aiortc"), "aioice": version("aioice")}
    wanted = {"aiortc": AIORTC_VERSION, "aioice": AIOICE_VERSION}
    if found != wanted:
        raise RuntimeError(
            f"media/hooks.py patches private hook points of {wanted}, found {found}: "
            "re-check the hooks (tests/media/test_hooks.py) before changing the pin"
        )


def mark_passthrough(output_queue: asyncio.Queue[Any]) -> None:
    """Make the decoder thread feeding ``output_queue`` forward packets instead of frames.

    Must be called before the receiver starts (the peer connection's "track" event is early
    enough: it fires in setRemoteDescription, the receiver starts in the connect task after).
    """
    setattr(output_queue, PASSTHROUGH_FLAG, True)


def decoder_worker(
    loop: asyncio.AbstractEventLoop,
    input_q: queue.Queue[Any],
    output_q: asyncio.Queue[Any],
    decode_error: threading.Event,
) -> None:
    """Replacement for ``aiortc.rtcrtpreceiver.decoder_worker`` (same four arguments)."""
    if not getattr(output_q, PASSTHROUGH_FLAG, False):
        _original_decoder_worker(loop, input_q, output_q, decode_error)
        return
    time_bases: dict[int, Fraction] = {}
    while True:
        task = input_q.get()
        if task is None:
            loop.call_soon_threadsafe(output_q.put_nowait, None)
            break
        codec, encoded_frame = task
        time_base = time_bases.get(codec.clockRate)
        if time_base is None:
            time_base = time_bases[codec.clockRate] = Fraction(1, codec.clockRate)
        packet = av.Packet(encoded_frame.data)
        packet.pts = encoded_frame.timestamp
        packet.time_base = time_base
        loop.call_soon_threadsafe(output_q.put_nowait, packet)


def _send_keyframe(self: RTCRtpSender) -> None:
    handler: Callable[[], None] | None = getattr(self, KEYFRAME_HANDLER, None)
    if handler is None:
        _original_send_keyframe(self)
    else:
        handler()


async def _retransmit(self: RTCRtpSender, sequence_number: int) -> None:
    budget: NackBudget | None = getattr(self, NACK_BUDGET, None)
    if budget is None or budget.allow():
        out: SlotSender | None = getattr(self, SLOT_SENDER, None)
        if out is None:
            await _original_retransmit(self, sequence_number)
        else:
            await out.retransmit(sequence_number)


async def _handle_rtcp_packet(self: RTCRtpSender, packet: Any) -> None:
    listeners: list[Callable[[Any], None]] | None = getattr(self, RTCP_LISTENERS, None)
    if listeners:
        for listener in listeners:
            try:
                listener(packet)
            except Exception:  # a listener's bug must never stop aiortc's own RTCP handling
                logger.exception("RTCP listener failed")
    await _original_handle_rtcp_packet(self, packet)


async def _sender_send_rtcp(self: RTCRtpSender, packets: list[Any]) -> None:
    if getattr(self, RTCP_LISTENERS, None):
        sent: dict[int, float] = self.__dict__.setdefault(SENT_REPORTS, {})
        for packet in packets:
            if isinstance(packet, RtcpSrPacket):
                sent[(packet.sender_info.ntp_timestamp >> 16) & 0xFFFFFFFF] = time.time()
                while len(sent) > SENT_REPORTS_KEPT:
                    del sent[next(iter(sent))]
    await _original_sender_send_rtcp(self, packets)


def report_rtt(sender: Any, report: Any) -> float | None:
    """The round trip (seconds) a receiver-report block about ``sender``'s stream measures: now
    minus when the sender report it names (LSR) went out, minus the receiver's delay (DLSR)."""
    sent: dict[int, float] | None = getattr(sender, SENT_REPORTS, None)
    if not sent or not report.lsr or report.lsr not in sent:
        return None
    rtt = time.time() - sent[report.lsr] - report.dlsr / 65536
    return rtt if rtt >= 0 else None


def add_rtcp_listener(sender: Any, listener: Callable[[Any], None]) -> None:
    """Call ``listener(packet)`` for each RTCP packet (aiortc's ``Rtcp*Packet`` objects) that
    reaches ``sender``: receiver reports whose blocks name its SSRC, REMB, NACK, PLI/FIR."""
    listeners: list[Callable[[Any], None]] | None = getattr(sender, RTCP_LISTENERS, None)
    if listeners is None:
        listeners = []
        setattr(sender, RTCP_LISTENERS, listeners)
    listeners.append(listener)


async def _send_rtcp(self: RTCRtpReceiver, packet: Any) -> None:
    floor: Callable[[], int] | None = getattr(self, RR_LOSS_FLOOR, None)
    if floor is not None and isinstance(packet, RtcpRrPacket) and packet.reports:
        try:
            worst = max(0, min(255, int(floor())))
        except Exception:  # never lose a receiver report to a bug in the floor
            logger.exception("RR loss floor failed")
            worst = 0
        for report in packet.reports:
            # fraction_lost only: Chromium's Opus encoder reads it; its bandwidth estimate
            # reads the cumulative packets_lost, which stays the server's own count.
            report.fraction_lost = max(report.fraction_lost, worst)
    group: RembGroup | None = getattr(self, REMB_GROUP, None)
    if group is not None and isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
        bitrate, ssrcs = unpack_remb_fci(packet.fci)
        packet.fci = pack_remb_fci(*group.combine(id(self), bitrate, ssrcs))
    await _original_send_rtcp(self, packet)


def set_remb_group(receiver: Any, group: RembGroup) -> None:
    """REMBs of ``receiver`` go out as the sum of its group's estimates (media/remb.py)."""
    setattr(receiver, REMB_GROUP, group)


def set_rr_loss_floor(receiver: Any, floor: Callable[[], int]) -> None:
    """Receiver reports of ``receiver`` say at least ``floor()`` (0..255) as fraction lost."""
    setattr(receiver, RR_LOSS_FLOOR, floor)


def sender_rtt(sender: Any) -> float | None:
    """aiortc's smoothed round-trip time (seconds) of a sender, from receiver reports."""
    rtt: float | None = sender._RTCRtpSender__rtt
    return rtt


async def query_consent(self: aioice.ice.Connection) -> None:
    """``Connection.query_consent`` of aioice 0.13 with retransmitted checks.

    Upstream sends each check once and waits 0.5 s: at a 600 ms round trip every check "fails"
    and consent expires after 6 failures (~30 s). With ``n`` retransmissions a check waits
    0.5 + 1 + 2 + ... s (3.5 s for n = 2) and a response to any transmission counts.
    """
    assert self.remote_password is not None
    retransmissions = getattr(self, CONSENT_RETRANSMISSIONS, DEFAULT_CONSENT_RETRANSMISSIONS)
    failures = 0
    while True:
        await asyncio.sleep(aioice.ice.CONSENT_INTERVAL * (0.8 + 0.4 * random.random()))
        for pair in self._nominated.values():
            request = self.build_request(pair, nominate=False)
            try:
                await pair.protocol.request(
                    request,
                    pair.remote_addr,
                    integrity_key=self.remote_password.encode("utf8"),
                    retransmissions=retransmissions,
                )
                failures = 0
            except stun.TransactionError:
                failures += 1
            if failures >= aioice.ice.CONSENT_FAILURES:
                logger.info("ICE consent to send expired")
                self._query_consent_task = None
                await self.close()
                return


async def stun_request(
    self: aioice.ice.StunProtocol,
    request: stun.Message,
    addr: tuple[str, int],
    integrity_key: bytes | None = None,
    retransmissions: int | None = None,
) -> tuple[stun.Message, tuple[str, int]]:
    """``StunProtocol.request`` of aioice 0.13, timed: the shortest round trip of the ICE
    checks (connectivity and consent) per remote address is kept on the protocol, so the path's
    round trip is known before any media or RTCP flows (:func:`path_rtt`). A check answered
    only after a retransmission reads long; the shortest of several is the path's."""
    start = time.monotonic()
    result = await _original_stun_request(self, request, addr, integrity_key, retransmissions)
    elapsed = time.monotonic() - start
    rtts: dict[tuple[str, int], float] | None = getattr(self, PATH_RTTS, None)
    if rtts is None:
        rtts = {}
        setattr(self, PATH_RTTS, rtts)
    rtts[addr] = min(elapsed, rtts.get(addr, elapsed))
    return result


def data_received(self: aioice.ice.Connection, data: bytes, component: int) -> None:
    """``Connection.data_received`` of aioice 0.13 (a datagram that is not STUN, on its way to
    the DTLS transport's queue), behind the connection's gate when it has one."""
    gate: Callable[[bytes], bool] | None = getattr(self, DATAGRAM_GATE)
    if gate is not None and gate(data):
        return
    dtls = getattr(self, DIRECT_SRTP)
    if dtls is not None and data and 127 < data[0] < 192 and handle_srtp_now(dtls, data):
        return
    _original_data_received(self, data, component)


def set_direct_srtp(transceivers: Any, direct: bool) -> None:
    """SRTP the transceivers' connection receives is handled in the socket's read callback
    (:func:`handle_srtp_now`) when ``direct``, queued for the DTLS transport's task otherwise."""
    for transceiver in transceivers:
        dtls = transceiver.receiver.transport
        setattr(ice_connection(transceiver), DIRECT_SRTP, dtls if direct else None)


def handle_srtp_now(dtls: Any, data: bytes) -> bool:
    """The SRTP branch of ``RTCDtlsTransport._recv_next`` (aiortc 1.16), run at once: count
    the datagram, decrypt it, hand RTCP to ``_handle_rtcp_data`` and RTP to
    ``_handle_rtp_data``. False (nothing done: the caller queues it as before) until the
    transport is connected with its SRTP keys. aiortc's task would handle the queued datagrams
    one after the other; here a datagram is handled as it is read, so the few that wait in the
    queue when the keys arrive are handled after newer ones (RTP is ordered by sequence number)."""
    srtp = _receiving_srtp(dtls)
    if srtp is None:
        return False
    dtls._RTCDtlsTransport__rx_bytes += len(data)
    dtls._RTCDtlsTransport__rx_packets += 1
    arrival_time_ms = clock.current_ms()
    try:
        if is_rtcp(data):
            step = dtls._handle_rtcp_data(srtp.unprotect_rtcp(data))
        else:
            step = dtls._handle_rtp_data(srtp.unprotect(data), arrival_time_ms=arrival_time_ms)
    except pylibsrtp.Error as exc:
        logger.debug("SRTP unprotect failed: %s", exc)
        return True
    run_now(step)
    return True


def _receiving_srtp(dtls: Any) -> Any:
    """The DTLS transport's SRTP session for what it receives, or None until it is connected
    with its keys."""
    srtp = dtls._rx_srtp
    return srtp if srtp is not None and dtls._state == DtlsState.CONNECTED else None


def decrypt_only(dtls: Any, data: bytes) -> None:
    """Decrypt an SRTP datagram and drop it (media/unseen_video.py's keep-alive): SRTP's
    rollover counter follows the stream while the rest of it is dropped unread. Nothing
    happens before the transport has its keys."""
    srtp = _receiving_srtp(dtls)
    if srtp is None:
        return
    try:
        srtp.unprotect(data)
    except pylibsrtp.Error as exc:
        logger.debug("SRTP unprotect failed: %s", exc)


def run_now(step: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to its end now. aiortc's receive path is coroutines that only await each
    other and a synchronous ``sendto``, so it ends without ever waiting; one that does wait on
    a future is finished by a task. An error is logged, as aiortc's DTLS task logs it, and the
    datagram dropped (that task would have closed the transport)."""
    try:
        waiting_on = step.send(None)
    except StopIteration:
        return
    except Exception:
        logger.warning("handling a received packet failed:\n%s", traceback.format_exc())
        return
    asyncio.get_running_loop().create_task(_finish(step, waiting_on))


async def _finish(step: Coroutine[Any, Any, None], waiting_on: Any) -> None:
    await _Resumed(step, waiting_on)


class _Resumed:
    """Awaits what a started coroutine waits on, then goes on with it: a task awaiting this
    finishes the coroutine as if it had run in the task from the start."""

    def __init__(self, step: Coroutine[Any, Any, None], waiting_on: Any) -> None:
        self._step = step
        self._waiting_on = waiting_on

    def __await__(self) -> Generator[Any, Any, None]:
        step, waiting_on = self._step, self._waiting_on
        while True:
            try:
                sent = yield waiting_on
            except BaseException as exc:  # thrown in by the task (cancellation): pass it on
                try:
                    waiting_on = step.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    waiting_on = step.send(sent)
                except StopIteration:
                    return


def set_datagram_gate(transceivers: Any, gate: Callable[[bytes], bool] | None) -> None:
    """Every datagram the transceivers' ICE connections receive (one with BUNDLE), STUN aside,
    is shown to ``gate`` first; True drops it. None removes the gate."""
    for transceiver in transceivers:
        setattr(ice_connection(transceiver), DATAGRAM_GATE, gate)


class _Arrival(NamedTuple):
    """What ``StreamStatistics.add`` reads of a packet."""

    sequence_number: int
    timestamp: int


def count_as_received(receiver: Any, ssrc: int, seq: int, timestamp: int) -> bool:
    """Count a packet the server dropped before decrypting it in the receiver's statistics of
    ``ssrc`` (what its receiver reports say: loss, highest sequence number, jitter), as if it
    had been received; False when there are none yet (no packet of that SSRC received)."""
    streams: dict[int, Any] = receiver._RTCRtpReceiver__remote_streams
    stream = streams.get(ssrc)
    if stream is None:
        return False
    stream.add(_Arrival(seq, timestamp))
    return True


def path_rtt(pc: Any) -> float | None:
    """The shortest ICE check round trip (s) of the peer connection's nominated pair, or None
    before one was answered."""
    for transceiver in pc.getTransceivers():
        try:
            connection = ice_connection(transceiver)
        except AttributeError:
            continue
        for pair in connection._nominated.values():
            rtts = getattr(pair.protocol, PATH_RTTS, None)
            if rtts is not None and pair.remote_addr in rtts:
                return float(rtts[pair.remote_addr])
        return None
    return None


def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    chosen = host_addresses.get()
    if chosen is None:
        return _original_get_host_addresses(use_ipv4, use_ipv6)
    return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]


_original_route_rtp = RtpRouter.route_rtp


def route_rtp(self: Any, packet: Any) -> Any:
    receiver = _original_route_rtp(self, packet)
    if receiver is not None or packet.ssrc in self.ssrc_table:
        return receiver
    for candidate in self.payload_type_table.get(packet.payload_type, ()):
        rtx = getattr(candidate, "_RTCRtpReceiver__rtx_ssrc", None)
        if rtx is not None and packet.ssrc in rtx:
            self.ssrc_table[packet.ssrc] = candidate  # known from now on
            return candidate
    return None


def install() -> None:
    """Install every hook once (idempotent, thread-safe)."""
    global _installed
    with _lock:
        if _installed:
            return
        check_versions()
        aiortc.rtcrtpreceiver.decoder_worker = decoder_worker
        RTCRtpSender._send_keyframe = _send_keyframe  # type: ignore[method-assign]
        RTCRtpSender._retransmit = _retransmit  # type: ignore[method-assign]
        RTCRtpSender._handle_rtcp_packet = _handle_rtcp_packet  # type: ignore[method-assign]
        RTCRtpReceiver._send_rtcp = _send_rtcp  # type: ignore[method-assign]
        RTCRtpSender._send_rtcp = _sender_send_rtcp  # type: ignore[method-assign]
        RtpRouter.route_rtp = route_rtp  # type: ignore[method-assign]
        aioice.ice.Connection.query_consent = query_consent  # type: ignore[method-assign]
        aioice.ice.StunProtocol.request = stun_request  # type: ignore[method-assign]
        setattr(aioice.ice.Connection, DATAGRAM_GATE, None)  # no gate unless one is set
        setattr(aioice.ice.Connection, DIRECT_SRTP, None)  # queued unless marked
        aioice.ice.Connection.data_received = data_received  # type: ignore[method-assign]
        aioice.ice.get_host_addresses = get_host_addresses
        _installed = True


def installed() -> bool:
    return _installed


# --- every other private attribute media/ touches, in one place (checked by test_hooks.py) ---


def receiver_rtx_ssrcs(receiver: Any) -> dict[int, int]:
    """RTX SSRC -> media SSRC of an ``RTCRtpReceiver`` (from the remote description)."""
    rtx: dict[int, int] = receiver._RTCRtpReceiver__rtx_ssrc
    return rtx


def receiver_active_ssrcs(receiver: Any) -> dict[int, Any]:
    """SSRC -> last packet time of every SSRC the receiver has seen (media and RTX)."""
    active: dict[int, Any] = receiver._RTCRtpReceiver__active_ssrc
    return active


def set_receiver_jitter_buffer(receiver: Any, buffer: Any) -> None:
    """Replace the receiver's jitter buffer (before its first packet)."""
    if not hasattr(receiver, "_RTCRtpReceiver__jitter_buffer"):
        raise RuntimeError("aiortc moved RTCRtpReceiver.__jitter_buffer: re-check media/hooks.py")
    receiver._RTCRtpReceiver__jitter_buffer = buffer


def set_nack_generator(receiver: Any, generator: Any) -> None:
    """Replace a video receiver's NACK generator (an object with aiortc's ``add(packet) ->
    bool`` and ``missing``, as ``RTCRtpReceiver._handle_rtp_packet`` uses them)."""
    if getattr(receiver, "_RTCRtpReceiver__nack_generator", None) is None:
        raise RuntimeError(
            "no RTCRtpReceiver.__nack_generator (an audio receiver, or aiortc moved it): "
            "re-check media/hooks.py"
        )
    receiver._RTCRtpReceiver__nack_generator = generator


def send_nack(receiver: Any, media_ssrc: int, lost: list[int]) -> Any:
    """The coroutine sending a generic NACK of ``lost`` for ``media_ssrc`` from a receiver."""
    return receiver._send_rtcp_nack(media_ssrc, lost)


class PacedNacks:
    """A receiver's NACK generator that asks again: it stands in for aiortc's ``NackGenerator``
    (``add`` for every packet, a retransmission already unwrapped to its original number; when
    it says True aiortc NACKs ``missing`` at once), and sends the retries a :class:`NackRetry`
    schedules from a timer of its own, all those due at once in one NACK. The timer runs only
    while something may still be asked again. Every NACK is repeated ``REPEAT_AFTER`` later
    for what is still missing then (``repeated`` counts those sequence numbers)."""

    def __init__(self, receiver: Any, policy: NackRetry) -> None:
        self.policy = policy
        self._receiver = receiver
        self._loop = asyncio.get_running_loop()
        self._timer: asyncio.TimerHandle | None = None
        self._ssrc: int | None = None
        self._now: list[int] = []
        self._sending: set[asyncio.Task[None]] = set()
        self._closed = False
        self.repeated = 0

    def add(self, packet: Any) -> bool:
        self._ssrc = packet.ssrc
        policy = self.policy
        repaired = policy.repaired
        self._now = policy.received(packet.sequence_number, self._loop.time())
        if self._now:
            self._arm()
            self._loop.call_later(REPEAT_AFTER, self._repeat, self._now)
        elif policy.repaired != repaired:
            self._arm()  # one fewer to ask again: the timer may be due later, or not at all
        return bool(self._now)

    @property
    def missing(self) -> list[int]:
        """What the packet just added left missing (aiortc NACKs it at once)."""
        return self._now

    @property
    def armed(self) -> bool:
        """A retry is scheduled."""
        return self._timer is not None

    def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self) -> None:
        due = None if self._closed else self.policy.next_due()
        timer = self._timer
        if timer is not None and (due is None or timer.when() > due):
            timer.cancel()
            timer = self._timer = None
        if due is not None and timer is None:
            self._timer = self._loop.call_at(due, self._fire)

    def _fire(self) -> None:
        self._timer = None
        if self._closed:
            return
        lost = self.policy.due(self._loop.time())
        if lost:
            self._send(lost)
            self._loop.call_later(REPEAT_AFTER, self._repeat, lost)
        self._arm()

    def _repeat(self, lost: list[int]) -> None:
        still = [] if self._closed else self.policy.still_missing(lost)
        if still:
            self.repeated += len(still)
            self._send(still)

    def _send(self, lost: list[int]) -> None:
        if self._ssrc is None:
            return
        task = self._loop.create_task(send_nack(self._receiver, self._ssrc, sorted(lost)))
        self._sending.add(task)
        task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("NACK retry not sent: %r", task.exception())


def sender_counters(sender: Any) -> tuple[int, int]:
    """(RTP packets sent, payload bytes sent) of an ``RTCRtpSender`` (media SSRC only)."""
    return (
        int(sender._RTCRtpSender__packet_count),
        int(sender._RTCRtpSender__octet_count),
    )


def receiver_packets(receiver: Any) -> int:
    """RTP packets an ``RTCRtpReceiver`` has received (all its SSRCs, RTX included)."""
    streams: dict[int, Any] = receiver._RTCRtpReceiver__remote_streams
    return sum(int(stream.packets_received) for stream in streams.values())


def receiver_media_counts(receiver: Any) -> tuple[int, int]:
    """(packets expected, packets received) on a receiver's media SSRCs (RTX excluded), from
    aiortc's per-SSRC statistics: their difference is what the network lost before repair."""
    streams: dict[int, Any] = receiver._RTCRtpReceiver__remote_streams
    rtx = receiver_rtx_ssrcs(receiver)
    expected = received = 0
    for ssrc, stream in streams.items():
        if ssrc in rtx or stream.base_seq is None or stream.max_seq is None:
            continue
        expected += stream.cycles + stream.max_seq - stream.base_seq + 1
        received += stream.packets_received
    return expected, received


def sender_encoder(sender: Any) -> Any:
    """The encoder of a sender that encodes (test clients), or None before its first frame."""
    return sender._RTCRtpSender__encoder


def sender_ssrc(sender: Any) -> int:
    """The media SSRC an ``RTCRtpSender`` sends with."""
    ssrc: int = sender._ssrc
    return ssrc


def send_pli(receiver: Any, media_ssrc: int) -> Any:
    """The coroutine sending a PLI for ``media_ssrc`` from an ``RTCRtpReceiver``."""
    return receiver._send_rtcp_pli(media_ssrc)


def track_queue(track: Any) -> asyncio.Queue[Any]:
    """The queue a ``RemoteStreamTrack`` reads, fed by the decoder thread."""
    q: asyncio.Queue[Any] = track._queue
    return q


def ice_connection(transceiver: Any) -> aioice.ice.Connection:
    """The aioice ``Connection`` under a transceiver's ICE transport."""
    connection: aioice.ice.Connection = transceiver.receiver.transport.transport._connection
    return connection


def set_receive_buffer(transceivers: Any, size: int) -> None:
    """Grow SO_RCVBUF of the connection's UDP sockets (capped by net.core.rmem_max).

    With BUNDLE one socket carries all of a peer's media; a 100 ms scheduling or GC stall at
    3,000 packets/s overflows Linux's default 208 KiB buffer and every lost packet costs a NACK
    round trip or a keyframe.
    """
    if size <= 0:
        return
    for transport in _udp_transports(transceivers):
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) < size:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


def _udp_transports(transceivers: Any) -> Iterator[Any]:
    """The asyncio datagram transports under the transceivers' ICE connections (aioice keeps
    one protocol per gathered local address)."""
    for transceiver in transceivers:
        for protocol in getattr(ice_connection(transceiver), "_protocols", []):
            transport = getattr(protocol, "transport", None)
            if transport is not None:
                yield transport


def set_read_batch(transceivers: Any, limit: int) -> None:
    """Read up to ``limit`` datagrams each time a connection's UDP socket is ready, not one.

    asyncio's datagram transport reads one datagram per ready socket per loop turn. In a town
    hall a turn that reads one host packet forwards it to every site, so the turns are long and
    few, and the host's socket — the one the session lives on — queues faster than one read a
    turn empties it (docs/performance.md, "Town hall"). Draining it each turn reads it as fast
    as it fills; a socket with one datagram waiting costs one more ``recvfrom`` that finds
    nothing. Selector event loops only (the transport this wraps); other loops are left as
    they are.
    """
    if limit <= 1:
        return
    for transport in _udp_transports(transceivers):
        if isinstance(transport, _DATAGRAM_TRANSPORT) and not reads_in_batches(transport):
            read_in_batches(transport, limit)


_DATAGRAM_TRANSPORT = asyncio.selector_events._SelectorDatagramTransport  # type: ignore[attr-defined]
_BATCHED = "_pendopo_read_batch"


def reads_in_batches(transport: Any) -> bool:
    return bool(getattr(transport, _BATCHED, False))


def read_in_batches(transport: Any, limit: int) -> None:
    """One selector datagram transport reads up to ``limit`` datagrams a turn (see above)."""
    recvfrom, max_size = transport._sock.recvfrom, transport.max_size

    def read_ready() -> None:
        # asyncio's _SelectorDatagramTransport._read_ready, repeated until the socket is empty.
        for _ in range(limit):
            if transport._conn_lost:
                return
            try:
                data, addr = recvfrom(max_size)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                transport._protocol.error_received(exc)
                return
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                transport._fatal_error(exc, "Fatal read error on datagram transport")
                return
            transport._protocol.datagram_received(data, addr)

    setattr(transport, _BATCHED, True)
    transport._read_ready = read_ready  # what resume_reading registers
    if transport._loop._remove_reader(transport._sock_fd):
        transport._loop._add_reader(transport._sock_fd, read_ready)


def tap_received_rtp(dtls: Any, tap: Callable[[Any], bool]) -> None:
    """Show every RTP packet a DTLS transport receives to ``tap`` before it is routed to a
    receiver (tests: raw payload types and bytes, simulated loss); ``tap`` may change the
    packet in place and returns False to drop it. Per transport, not process-wide."""
    router = dtls._rtp_router
    route = router.route_rtp

    def route_rtp(packet: Any) -> Any:
        return route(packet) if tap(packet) else None

    router.route_rtp = route_rtp


def negotiated_codecs(transceiver: Any) -> list[Any]:
    """The codecs a transceiver negotiated (empty before its remote description)."""
    codecs: list[Any] = transceiver._codecs
    return codecs


def set_negotiated_codecs(transceiver: Any, codecs: list[Any]) -> None:
    """Narrow what a transceiver negotiated (the answer then lists only ``codecs``)."""
    transceiver._codecs = codecs


def on_keyframe_request(sender: Any, handler: Callable[[], None]) -> None:
    """The subscriber's PLI/FIR on ``sender`` calls ``handler`` (see ``_send_keyframe``)."""
    setattr(sender, KEYFRAME_HANDLER, handler)


def set_nack_budget(sender: Any, budget: NackBudget) -> None:
    """Each resend ``sender`` answers a NACK with spends a token of ``budget``."""
    setattr(sender, NACK_BUDGET, budget)


def slot_payload_type(transceiver: Any) -> int:
    """The payload type a transceiver sends with: its first negotiated codec's."""
    payload_type: int = transceiver._codecs[0].payloadType
    return payload_type


class SlotSender:
    """One slot's ``RTCRtpSender`` as the forwarding path drives it: packets go out as bytes
    built from a :class:`~media.rtp_bytes.SlotHeader` (derived once from the sender's own
    header-extension map, mid, SSRC and codec), SRTP-protected by the transport's libsrtp
    session and written to the nominated UDP pair, as ``RTCRtpSender._run_rtp`` and
    ``RTCDtlsTransport._send_rtp`` would, without their await chain or a ``RtpPacket``.

    What aiortc would keep per sent packet is kept: the transport's and the sender's counters
    (sender reports, :func:`sender_counters`), and a history of the sent bytes from which
    ``_retransmit`` answers a NACK (on the RTX SSRC, through the NACK budget).
    """

    __slots__ = ("_connection", "header", "history", "kind", "sender", "transceiver")

    def __init__(self, transceiver: Any) -> None:
        self.transceiver = transceiver
        sender = self.sender = transceiver.sender
        self.kind: str = sender.kind
        self.header: SlotHeader | None = None
        self.history: list[bytes | None] = [None] * RTP_HISTORY_SIZE
        self._connection: aioice.ice.Connection | None = None
        setattr(sender, SLOT_SENDER, self)

    def current_header(self) -> SlotHeader | None:
        """The slot's header; None while nothing is negotiated. A slot is routed as soon as the
        answer is applied, and aiortc starts the sender a moment later (in its connect task):
        until then its extension map is empty, and packets go out without extensions, as
        ``RtpPacket.serialize`` with that map gave them."""
        header = self.header
        if header is None:
            transceiver = self.transceiver
            if not transceiver._codecs:
                return None
            header = slot_header(self.sender, slot_payload_type(transceiver))
            if self.sender._RTCRtpSender__started:
                self.header = header
        return header

    def ready(self) -> bool:
        """True when a packet given now would go out (what :meth:`send` checks first): the
        server's end of DTLS is connected, the sender started and a pair nominated. A page may
        report its connection up a one-way trip before the server's end is (the last DTLS
        flight in flight, or lost and resent a second later)."""
        return self.current_header() is not None and self._path(self.sender.transport) is not None

    def _path(self, dtls: Any) -> tuple[Any, Any] | None:
        """(the UDP transport, the nominated pair) a packet goes out on, or None while the
        server's end of DTLS is not connected or no pair is nominated."""
        if dtls._state != DtlsState.CONNECTED:
            return None
        connection = self._connection
        if connection is None:
            connection = self._connection = ice_connection_of(dtls)
        pair = connection._nominated.get(1)
        udp = getattr(pair.protocol, "transport", None) if pair is not None else None
        return None if udp is None else (udp, pair)

    def send(self, data: bytes, seq: int, timestamp: int, payload_length: int, ntp: int) -> bool:
        """Protect and send one built packet; False (nothing sent) while not connected."""
        sender = self.sender
        dtls = sender.transport
        path = self._path(dtls)
        if path is None:
            return False
        udp, pair = path
        self.history[seq % RTP_HISTORY_SIZE] = data
        protected = dtls._tx_srtp.protect(data)
        udp.sendto(protected, pair.remote_addr)
        dtls._RTCDtlsTransport__tx_bytes += len(protected)
        dtls._RTCDtlsTransport__tx_packets += 1
        sender._RTCRtpSender__ntp_timestamp = ntp
        sender._RTCRtpSender__rtp_timestamp = timestamp
        sender._RTCRtpSender__octet_count += payload_length
        sender._RTCRtpSender__packet_count += 1
        return True

    async def retransmit(self, seq: int) -> None:
        """``RTCRtpSender._retransmit`` from the history of sent bytes."""
        data = self.history[seq % RTP_HISTORY_SIZE]
        if data is None or rtp_bytes.sequence_number(data) != seq:
            return
        sender = self.sender
        rtx_payload_type: int | None = sender._RTCRtpSender__rtx_payload_type
        if rtx_payload_type is not None:
            rtx_seq: int = sender._RTCRtpSender__rtx_sequence_number
            data = rtp_bytes.rtx(data, rtx_payload_type, rtx_seq, sender._rtx_ssrc)
            sender._RTCRtpSender__rtx_sequence_number = (rtx_seq + 1) & 0xFFFF
        await sender.transport._send_rtp(data)


def slot_header(sender: Any, payload_type: int) -> SlotHeader:
    """The fixed part of a started sender's packets, from its extension map and mid (both
    configured once, when the sender starts)."""
    extensions_map: HeaderExtensionsMap = sender._RTCRtpSender__rtp_header_extensions_map
    mid: str | None = sender._RTCRtpSender__mid
    return rtp_bytes.slot_header(extensions_map, mid, sender._ssrc, payload_type)


def send_rtp_now(out: SlotSender, data: bytes, seq: int, ts: int, length: int, ntp: int) -> bool:
    """Send one built packet of a slot (the seam tests use to simulate loss on the way out)."""
    return out.send(data, seq, ts, length, ntp)


def ice_connection_of(dtls: Any) -> aioice.ice.Connection:
    connection: aioice.ice.Connection = dtls.transport._connection
    return connection


def answer_as_dtls_server(transceivers: Any) -> None:
    """Answer the page's first offer with ``a=setup:passive`` (aiortc answers ``active`` when
    the offer leaves the choice): the server is then the DTLS server, which finishes the
    handshake first — the page's connection comes up only after the server's end is, never a
    one-way trip (or a lost flight's second) before it, so a participant admitted the moment
    the page reports its connection up gets a keyframe that goes out. A transport whose role
    is already settled keeps it."""
    for transceiver in transceivers:
        dtls = transceiver.receiver.transport
        if dtls is not None and dtls._role == "auto":
            dtls._set_role("server")


def set_consent_retransmissions(transceivers: Any, retransmissions: int) -> None:
    for transceiver in transceivers:
        setattr(ice_connection(transceiver), CONSENT_RETRANSMISSIONS, retransmissions)
