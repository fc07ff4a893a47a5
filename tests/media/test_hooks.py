"""Fails loudly when aiortc/aioice move the private hook points media/hooks.py patches."""

from __future__ import annotations

import inspect
import re
import tomllib
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

import aioice.ice
import aiortc.rtcrtpreceiver
import aiortc.rtp
import pytest
from aioice import stun
from aiortc import RTCPeerConnection
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpreceiver import RemoteStreamTrack, RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtcpReceiverInfo, RtpPacket

import media  # noqa: F401  (installs the hooks)
from media import hooks
from media.nack_retry import NackRetry
from media.receive import ImmediateAudioBuffer
from media.settings import MediaSettings, rtc_configuration

ROOT = Path(__file__).resolve().parents[2]


def test_versions_are_pinned_to_what_the_hooks_were_written_for() -> None:
    assert version("aiortc") == hooks.AIORTC_VERSION
    assert version("aioice") == hooks.AIOICE_VERSION
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"aiortc=={hooks.AIORTC_VERSION}" in deps
    assert f"aioice=={hooks.AIOICE_VERSION}" in deps
    hooks.check_versions()


def test_hooks_installed_once() -> None:
    hooks.install()
    hooks.install()
    assert hooks.installed()
    assert aiortc.rtcrtpreceiver.decoder_worker is hooks.decoder_worker
    assert RTCRtpSender._send_keyframe is hooks._send_keyframe
    assert RTCRtpSender._retransmit is hooks._retransmit
    assert RTCRtpReceiver._send_rtcp is hooks._send_rtcp
    assert aioice.ice.Connection.query_consent is hooks.query_consent
    assert aioice.ice.get_host_addresses is hooks.get_host_addresses


def test_decoder_worker_hook_point() -> None:
    original = hooks._original_decoder_worker
    assert original.__module__ == "aiortc.rtcrtpreceiver"
    params = list(inspect.signature(original).parameters)
    assert params == ["loop", "input_q", "output_q", "decode_error"]
    assert list(inspect.signature(hooks.decoder_worker).parameters) == params
    # The receiver looks the worker up by module global at start (so replacing it works) and
    # feeds it (codec, JitterFrame) tuples, with the track's queue as output.
    receive = inspect.getsource(RTCRtpReceiver.receive)
    assert "target=decoder_worker" in receive
    assert "self._track._queue" in receive
    handle = inspect.getsource(RTCRtpReceiver._handle_rtp_packet)
    assert "self.__decoder_queue.put((codec, encoded_frame))" in handle
    assert "self.__jitter_buffer.add(packet)" in handle
    assert "packet.extensions" in handle or "depayload" in handle
    assert list(inspect.signature(JitterFrame).parameters) == ["data", "timestamp"]
    assert list(inspect.signature(JitterBuffer.add).parameters) == ["self", "packet"]
    assert "_queue" in inspect.getsource(RemoteStreamTrack.__init__)


def test_sender_hook_points() -> None:
    rtcp = inspect.getsource(hooks._original_handle_rtcp_packet)
    assert "self._send_keyframe()" in rtcp
    assert "await self._retransmit(seq)" in rtcp
    assert list(inspect.signature(hooks._original_retransmit).parameters) == [
        "self",
        "sequence_number",
    ]
    nxt = inspect.getsource(RTCRtpSender._next_encoded_frame)
    assert "self.__encoder.pack(data)" in nxt  # packets are packed, not encoded
    assert list(inspect.signature(RTCRtpReceiver._send_rtcp_pli).parameters) == [
        "self",
        "media_ssrc",
    ]


async def test_rtcp_listeners_see_packets_before_aiortc() -> None:
    from aiortc.rtp import RTCP_PSFB_PLI, RtcpPsfbPacket, RtcpReceiverInfo, RtcpRrPacket

    hooks.install()
    pc = RTCPeerConnection(rtc_configuration(MediaSettings()))
    try:
        sender = pc.addTransceiver("video", direction="sendrecv").sender
        seen: list[object] = []
        keyframes: list[bool] = []
        setattr(sender, hooks.KEYFRAME_HANDLER, lambda: keyframes.append(True))
        hooks.add_rtcp_listener(sender, lambda p: seen.append(p))
        hooks.add_rtcp_listener(sender, lambda p: 1 / 0)  # a failing listener changes nothing
        report = RtcpReceiverInfo(
            ssrc=sender._ssrc,
            fraction_lost=12,
            packets_lost=3,
            highest_sequence=10,
            jitter=0,
            lsr=0,
            dlsr=0,
        )
        rr = RtcpRrPacket(ssrc=1, reports=[report])
        pli = RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=sender._ssrc)
        await sender._handle_rtcp_packet(rr)
        await sender._handle_rtcp_packet(pli)
        assert seen == [rr, pli]
        assert keyframes == [True]  # aiortc's own handling still ran
    finally:
        await pc.close()


async def test_round_trip_from_any_recent_sender_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """aiortc matches a receiver report only to its latest sender report; at a 600 ms round trip
    the answer names an older one. The hook remembers the last few."""
    from aiortc.rtp import RtcpSenderInfo, RtcpSrPacket

    hooks.install()
    assert "await self._send_rtcp(packets)" in inspect.getsource(RTCRtpSender._run_rtcp)
    pc = RTCPeerConnection(rtc_configuration(MediaSettings()))
    try:
        sender = pc.addTransceiver("video", direction="sendonly").sender
        hooks.add_rtcp_listener(sender, lambda p: None)  # rate control listens: remember SRs

        async def nothing(_self: object, _packets: object) -> None:
            return None

        monkeypatch.setattr(hooks, "_original_sender_send_rtcp", nothing)
        clock = [1000.0]
        monkeypatch.setattr(hooks.time, "time", lambda: clock[0])
        for ntp in (0x0001_2345_6789_0000, 0x0001_2346_6789_0000):  # two SRs, 1 s apart
            info = RtcpSenderInfo(ntp_timestamp=ntp, rtp_timestamp=0, packet_count=0, octet_count=0)
            await sender._send_rtcp([RtcpSrPacket(ssrc=sender._ssrc, sender_info=info)])
            clock[0] += 1.0
        clock[0] += 0.2  # 2.2 s after the first SR: a 0.7 s round trip + 1.5 s at the receiver
        report = RtcpReceiverInfo(
            ssrc=sender._ssrc, fraction_lost=0, packets_lost=0, highest_sequence=0, jitter=0,
            lsr=0x2345_6789, dlsr=int(1.5 * 65536),
        )  # fmt: skip
        rtt = hooks.report_rtt(sender, report)
        assert rtt is not None and abs(rtt - 0.7) < 0.001
        report.lsr = 0x1111_0000  # never sent
        assert hooks.report_rtt(sender, report) is None
    finally:
        await pc.close()


def test_aioice_consent_hook_point() -> None:
    original = inspect.getsource(hooks._original_query_consent)
    # Upstream still sends each consent check once; if this changes, our patch may be moot.
    assert "retransmissions=0" in original
    for name in ("CONSENT_FAILURES", "CONSENT_INTERVAL", "_nominated", "build_request"):
        assert name in original
    assert "retransmissions" in inspect.signature(stun.Transaction).parameters
    params = list(inspect.signature(hooks._original_get_host_addresses).parameters)
    assert params == ["use_ipv4", "use_ipv6"]
    assert "get_host_addresses(" in inspect.getsource(aioice.ice.Connection.gather_candidates)


def test_datagram_gate_hook_point() -> None:
    """Every datagram that is not STUN reaches ``Connection.data_received`` (hooks.data_received
    gates it there); a dropped packet is counted through ``StreamStatistics.add``, which reads
    only its sequence number and timestamp."""
    from aiortc.rtcrtpreceiver import StreamStatistics

    hooks.install()
    assert aioice.ice.Connection.data_received is hooks.data_received
    original = inspect.getsource(hooks._original_data_received)
    assert "self._queue.put_nowait((data, component))" in original
    assert list(inspect.signature(hooks._original_data_received).parameters) == [
        "self",
        "data",
        "component",
    ]
    received = inspect.getsource(aioice.ice.StunProtocol.datagram_received)
    assert "self.receiver.data_received(data, self.local_candidate.component)" in received
    add = inspect.getsource(StreamStatistics.add)
    assert set(re.findall(r"packet\.(\w+)", add)) == {"sequence_number", "timestamp"}

    class Receiver:
        def __init__(self) -> None:
            self._RTCRtpReceiver__remote_streams = {7: StreamStatistics(48000)}

    receiver = Receiver()
    assert hooks.count_as_received(receiver, 7, 100, 960)
    assert hooks.count_as_received(receiver, 7, 101, 1920)
    assert not hooks.count_as_received(receiver, 8, 100, 960)  # no statistics of that SSRC
    stream = receiver._RTCRtpReceiver__remote_streams[7]
    assert (stream.packets_received, stream.max_seq) == (2, 101)


async def test_datagram_gate_drops_before_the_dtls_queue() -> None:
    hooks.install()
    connection = aioice.ice.Connection(ice_controlling=True)
    seen: list[bytes] = []
    # aiortc's chain: transceiver.receiver.transport (DTLS).transport (ICE)._connection
    ice = SimpleNamespace(_connection=connection)
    transceiver = SimpleNamespace(
        receiver=SimpleNamespace(transport=SimpleNamespace(transport=ice))
    )
    try:
        hooks.set_datagram_gate([transceiver], lambda data: seen.append(data) or data == b"x")
        connection.data_received(b"x", 1)
        connection.data_received(b"y", 1)
        assert seen == [b"x", b"y"]
        assert connection._queue.qsize() == 1
        hooks.set_datagram_gate([transceiver], None)
        connection.data_received(b"x", 1)
        assert connection._queue.qsize() == 2
    finally:
        await connection.close()


async def test_private_attributes_exist_on_live_objects() -> None:
    pc = RTCPeerConnection(rtc_configuration(MediaSettings()))
    try:
        transceiver = pc.addTransceiver("video", direction="sendrecv")
        receiver, sender = transceiver.receiver, transceiver.sender
        assert hooks.receiver_rtx_ssrcs(receiver) == {}
        assert hooks.receiver_active_ssrcs(receiver) == {}
        assert hooks.sender_counters(sender) == (0, 0)
        assert hooks.sender_rtt(sender) is None
        hooks.set_receiver_jitter_buffer(receiver, ImmediateAudioBuffer())
        connection = hooks.ice_connection(transceiver)
        assert isinstance(connection, aioice.ice.Connection)
        hooks.set_consent_retransmissions([transceiver], 3)
        assert getattr(connection, hooks.CONSENT_RETRANSMISSIONS) == 3
        assert hooks.track_queue(RemoteStreamTrack(kind="video")) is not None
        assert hooks.sender_ssrc(sender) == sender._ssrc and sender._ssrc > 0
        assert hooks.receiver_media_counts(receiver) == (0, 0)
        pli = hooks.send_pli(receiver, 1234)
        assert inspect.iscoroutine(pli)
        pli.close()
        nack = hooks.send_nack(receiver, 1234, [5, 6])
        assert inspect.iscoroutine(nack)
        nack.close()
        paced = hooks.PacedNacks(receiver, NackRetry())
        hooks.set_nack_generator(receiver, paced)
        assert receiver._RTCRtpReceiver__nack_generator is paced  # type: ignore[attr-defined]
        audio = pc.addTransceiver("audio", direction="sendrecv").receiver
        with pytest.raises(RuntimeError):  # aiortc NACKs no audio
            hooks.set_nack_generator(audio, paced)
    finally:
        await pc.close()


def test_nack_generator_hook_point() -> None:
    """``PacedNacks`` stands in for aiortc's ``NackGenerator``: fed every packet after RTX
    unwrapping, and ``missing`` NACKed at once when ``add`` says True."""
    handle = inspect.getsource(RTCRtpReceiver._handle_rtp_packet)
    unwrap = handle.index("packet = unwrap_rtx(")
    add = handle.index("self.__nack_generator.add(packet)")
    assert unwrap < add
    nack = handle.index("await self._send_rtcp_nack(")
    assert add < nack < handle.index("sorted(self.__nack_generator.missing)")
    assert "self.__nack_generator = NackGenerator()" in inspect.getsource(RTCRtpReceiver.__init__)
    assert list(inspect.signature(RTCRtpReceiver._send_rtcp_nack).parameters) == [
        "self",
        "media_ssrc",
        "lost",
    ]


def test_layer_control_reads_what_aiortc_keeps() -> None:
    """media/hooks.py receiver_media_counts reads aiortc's per-SSRC statistics; the RTCP
    listener of media/layer_control.py reads these fields of aiortc's RTCP packets."""
    from aiortc.rtcrtpreceiver import StreamStatistics
    from aiortc.rtp import pack_remb_fci, unpack_remb_fci

    stats = StreamStatistics(clockrate=90000)
    for seq in (65534, 65535, 2):
        stats.add(RtpPacket(payload_type=96, sequence_number=seq, timestamp=0))
    assert (stats.base_seq, stats.max_seq, stats.cycles) == (65534, 2, 1 << 16)
    assert stats.packets_received == 3  # expected 5: two lost
    handle = inspect.getsource(RTCRtpReceiver._handle_rtp_packet)
    assert "self.__remote_streams[packet.ssrc].add(packet)" in handle
    assert unpack_remb_fci(pack_remb_fci(300_000, [7, 8])) == (300_000, [7, 8])
    for cls, fields in (
        ("RtcpRrPacket", ("reports",)),
        ("RtcpSrPacket", ("reports",)),
        ("RtcpRtpfbPacket", ("fmt", "lost")),
        ("RtcpPsfbPacket", ("fmt", "fci")),
        ("RtcpReceiverInfo", ("ssrc", "fraction_lost")),
    ):
        params = inspect.signature(getattr(aiortc.rtp, cls)).parameters
        assert all(f in params for f in fields), (cls, list(params))


def test_host_addresses_override() -> None:
    token = hooks.host_addresses.set(("127.0.0.1", "::1"))
    try:
        assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.1"]
        assert aioice.ice.get_host_addresses(True, True) == ["127.0.0.1", "::1"]
    finally:
        hooks.host_addresses.reset(token)


def _rtp(seq: int, level: int | None = None, voiced: bool = False) -> RtpPacket:
    packet = RtpPacket(payload_type=111, sequence_number=seq, timestamp=seq * 960)
    packet._data = bytes([seq & 0xFF])  # type: ignore[attr-defined]
    if level is not None:
        packet.extensions.audio_level = (voiced, level)
    return packet


def test_immediate_audio_buffer_forwards_at_once_and_drops_late() -> None:
    now = [0.0]
    levels: list[tuple[int, bool]] = []
    buf = ImmediateAudioBuffer(on_level=lambda lv, v: levels.append((lv, v)), clock=lambda: now[0])
    out = [buf.add(_rtp(s, level=30))[1] for s in (65534, 65535, 2, 1, 2, 3)]
    # wraps 65535 -> 2 fine; 1 and the duplicate 2 come late: dropped, not waited for
    assert [f is not None for f in out] == [True, True, True, False, False, True]
    assert buf.late == 2
    first = out[0]
    assert first is not None and first.timestamp == 65534 * 960
    # levels: one report per interval, the loudest (lowest -dBov) and any voice in between
    assert levels == [(-30, False)]
    buf.add(_rtp(4, level=10, voiced=True))
    now[0] = 0.25
    buf.add(_rtp(5, level=40))
    assert levels == [(-30, False), (-10, True)]


def test_pyproject_mentions_hooks() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert re.search(r"media/hooks\.py", text)


async def test_packet_forwarding_private_attributes() -> None:
    """media/hooks.py SlotSender writes what RTCRtpSender._run_rtp writes per packet, reads
    what RTCRtpSender.send sets once, and resends as RTCRtpSender._retransmit does."""
    sources = {
        RTCRtpSender._run_rtp: (
            "self.__rtp_history[packet.sequence_number % RTP_HISTORY_SIZE]",
            "packet.serialize(self.__rtp_header_extensions_map)",
            "self.__ntp_timestamp = clock.current_ntp_time()",
            "self.__rtp_timestamp = packet.timestamp",
            "self.__octet_count += len(payload)",
            "self.__packet_count += 1",
            "packet.extensions.mid = self.__mid",
            "packet.extensions.abs_send_time = (",
        ),
        RTCRtpSender.send: (
            "if not self.__started:",
            "self.__mid = parameters.muxId",
            "self.__rtp_header_extensions_map.configure(parameters)",
            "self.__rtx_payload_type = codec.payloadType",
            "self._run_rtp(parameters.codecs[0])",
        ),
        hooks._original_retransmit: (
            "self.__rtp_history.get(sequence_number % RTP_HISTORY_SIZE)",
            "payload_type=self.__rtx_payload_type",
            "sequence_number=self.__rtx_sequence_number",
            "ssrc=self._rtx_ssrc",
            "self.__rtx_sequence_number = uint16_add(self.__rtx_sequence_number, 1)",
            "await self.transport._send_rtp(packet_bytes)",
        ),
    }
    for function, markers in sources.items():
        source = inspect.getsource(function)
        for marker in markers:
            assert marker in source, (function, marker)
    send_rtp = inspect.getsource(RTCDtlsTransport._send_rtp)
    for marker in ("self._tx_srtp.protect(data)", "self.__tx_bytes", "self.__tx_packets"):
        assert marker in send_rtp, marker
    assert "self._nominated.get(component)" in inspect.getsource(aioice.ice.Connection.sendto)
    assert "self.__jitter_buffer.add(packet)" in inspect.getsource(
        RTCRtpReceiver._handle_rtp_packet
    )
    pc = RTCPeerConnection(rtc_configuration(MediaSettings()))
    try:
        transceiver = pc.addTransceiver("video", direction="sendonly")
        sender = transceiver.sender
        for name in ("rtp_header_extensions_map", "rtp_history", "ntp_timestamp", "mid"):
            assert hasattr(sender, f"_RTCRtpSender__{name}"), name
        for name in ("rtp_timestamp", "octet_count", "packet_count", "started"):
            assert hasattr(sender, f"_RTCRtpSender__{name}"), name
        for name in ("rtx_payload_type", "rtx_sequence_number"):
            assert hasattr(sender, f"_RTCRtpSender__{name}"), name
        assert isinstance(sender._rtx_ssrc, int)
        dtls = sender.transport
        assert hasattr(dtls, "_RTCDtlsTransport__tx_bytes") and hasattr(dtls, "_state")
        assert hooks.ice_connection_of(dtls)._nominated == {}
        out = hooks.SlotSender(transceiver)
        assert out.current_header() is None  # nothing negotiated: no header
        assert not out.send(b"\x80" + bytes(11), 0, 0, 0, 0)  # not connected: nothing sent
        assert transceiver._codecs == [] or hooks.slot_payload_type(transceiver) > 0
    finally:
        await pc.close()


def test_receiver_report_hook_points() -> None:
    """media/hooks.py raises fraction_lost in the RRs aiortc's receiver builds and sends."""
    run_rtcp = inspect.getsource(RTCRtpReceiver._run_rtcp)
    assert "RtcpRrPacket(ssrc=self.__rtcp_ssrc, reports=reports)" in run_rtcp
    assert "await self._send_rtcp(packet)" in run_rtcp
    assert "fraction_lost=stream.fraction_lost" in run_rtcp
    assert list(inspect.signature(hooks._original_send_rtcp).parameters) == ["self", "packet"]
    assert "bytes(packet)" in inspect.getsource(hooks._original_send_rtcp)
    fields = inspect.signature(RtcpReceiverInfo).parameters
    assert "fraction_lost" in fields and "packets_lost" in fields


def test_received_rtp_tap_hook_point() -> None:
    """tap_received_rtp wraps the transport's router, which every received RTP packet meets."""
    handle = inspect.getsource(RTCDtlsTransport._handle_rtp_data)
    assert "receiver = self._rtp_router.route_rtp(packet)" in handle
    assert "RtpRouter()" in inspect.getsource(RTCDtlsTransport.__init__)


async def test_codec_and_encoder_hook_points() -> None:
    """What media/sfu.py's codec pinning and the test client's bitrate pin reach through."""
    pc = RTCPeerConnection(rtc_configuration(MediaSettings()))
    try:
        transceiver = pc.addTransceiver("video", direction="sendrecv")
        assert hooks.negotiated_codecs(transceiver) == []
        codecs = RTCRtpSender.getCapabilities("video").codecs[:1]
        hooks.set_negotiated_codecs(transceiver, codecs)
        assert hooks.negotiated_codecs(transceiver) == codecs
        assert hooks.sender_encoder(transceiver.sender) is None  # no frame encoded yet
        handler = lambda: None  # noqa: E731
        hooks.on_keyframe_request(transceiver.sender, handler)
        assert getattr(transceiver.sender, hooks.KEYFRAME_HANDLER) is handler
    finally:
        await pc.close()


async def test_sender_ssrc_is_the_media_ssrc() -> None:
    pc = RTCPeerConnection(rtc_configuration(MediaSettings()))
    try:
        transceiver = pc.addTransceiver("audio", direction="sendonly")
        assert hooks.sender_ssrc(transceiver.sender) == transceiver.sender._ssrc
        seen: list[RtpPacket] = []
        hooks.tap_received_rtp(transceiver.receiver.transport, lambda p: not seen.append(p))
        packet = RtpPacket(payload_type=111, sequence_number=1, timestamp=1, ssrc=5)
        assert transceiver.receiver.transport._rtp_router.route_rtp(packet) is None
        assert seen == [packet]
    finally:
        await pc.close()
