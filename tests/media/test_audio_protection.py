"""Protected audio: RED switching on reported loss, loss reflected to publishers, end to end."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from aiortc import RTCPeerConnection
from aiortc.rtp import RtcpReceiverInfo, RtcpRrPacket

from media import hooks
from media.audio_protection import AudioProtection, RedSwitch, WorstLoss
from media.budget import TokenBucket
from media.forwarding import ForwardingTrack
from media.peer import Peer, Slot
from media.red import RedBlock, parse
from media.rtp_forward import PacketForwarder
from media.settings import MediaSettings, rtc_configuration
from media.testing import connect, wait_for
from tests.media.conftest import Harness
from tests.media.red_client import RedClient


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _rr(ssrc: int, fraction_lost: int) -> RtcpRrPacket:
    block = RtcpReceiverInfo(
        ssrc=ssrc,
        fraction_lost=fraction_lost,
        packets_lost=7,
        highest_sequence=1000,
        jitter=0,
        lsr=0,
        dlsr=0,
    )
    return RtcpRrPacket(ssrc=4242, reports=[block])


# ------------------------------------------------------------------ the switch, with a clock


def test_red_switch_turns_on_above_two_percent() -> None:
    clock = Clock()
    switch = RedSwitch(clock)
    assert switch.distance() == 0
    switch.report(3)  # 1.2 %: below the on threshold
    assert switch.distance() == 0
    switch.report(5)  # 1.95 %: still not above 2 %
    assert switch.distance() == 0
    switch.report(6)  # 2.3 %
    assert switch.distance() == 1


def test_red_switch_hysteresis_and_hold() -> None:
    clock = Clock()
    switch = RedSwitch(clock, hold=10.0)
    switch.report(13)  # 5 %
    assert switch.distance() == 1
    for _ in range(3):  # 1.6 %: between off and on keeps it on, for as long as it lasts
        clock.now += 5
        switch.report(4)
        assert switch.distance() == 1
    clock.now += 5
    switch.report(1)  # 0.4 %: below off, but the last lossy report is only 5 s old
    assert switch.distance() == 1
    clock.now += 5.1
    switch.report(0)
    assert switch.distance() == 0
    assert switch.switches == 2
    switch.report(4)  # 1.6 % does not switch it on again
    assert switch.distance() == 0


def test_red_switch_carries_two_frames_under_heavy_loss() -> None:
    clock = Clock()
    switch = RedSwitch(clock, hold=10.0)
    switch.report(30)  # 11.7 %
    assert switch.distance() == 2
    clock.now += 5
    switch.report(13)
    assert switch.distance() == 2  # heavy loss seen within the hold
    clock.now += 5.5
    switch.report(13)
    assert switch.distance() == 1


def test_worst_loss_of_recent_reports() -> None:
    clock = Clock()
    worst = WorstLoss(clock, window=12.0)
    assert worst.worst() == 0
    worst.report("a", 10)
    worst.report("b", 40)
    assert worst.worst() == 40
    clock.now += 6
    worst.report("a", 12)
    worst.report("b", 0)  # b's link recovered: its new report replaces the old one
    assert worst.worst() == 12
    clock.now += 12.5
    assert worst.worst() == 0  # a left (no report within the window)
    worst.report("c", 300)
    assert worst.worst() == 255


# ------------------------------------------------------------------ the seams, without a network


@pytest.fixture
async def pc() -> AsyncIterator[RTCPeerConnection]:
    hooks.install()
    connection = RTCPeerConnection(rtc_configuration(MediaSettings()))
    yield connection
    await connection.close()


def _audio_slot(pc: RTCPeerConnection, publisher: str | None) -> tuple[Peer, Slot]:
    """A subscriber connection with one audio slot on mid "1", as Sfu._add_slot builds it."""
    peer = Peer(peer_id="lurah", pc=pc, budget=TokenBucket(rate=50))
    track = ForwardingTrack("audio", on_need_keyframe=lambda: None)
    transceiver = pc.addTransceiver(track, direction="sendonly")
    transceiver._set_mid("1")
    slot = Slot(kind="audio", track=track, transceiver=transceiver, publisher=publisher)
    slot.forwarder = PacketForwarder("audio", transceiver)
    return peer, slot


async def test_slot_sends_red_while_its_subscriber_reports_loss(pc: RTCPeerConnection) -> None:
    clock = Clock()
    protection = AudioProtection(clock)
    peer, slot = _audio_slot(pc, publisher="bupati")
    protection.add_slot(peer, slot)
    protection.answered(peer, _answer_with_red(mid="1", red_pt=63))
    rewrite = slot.forwarder.rewrite_payload
    assert rewrite is not None
    sender = slot.sender

    assert rewrite(0, b"f0", 111) == (b"f0", 111)  # no loss reported: plain Opus
    await sender._handle_rtcp_packet(_rr(sender._ssrc, 13))  # 5 % on this slot
    red_payload, red_pt = rewrite(960, b"f1", 111)
    assert red_pt == 63
    assert parse(red_payload) == [RedBlock(111, 960, b"f0"), RedBlock(111, 0, b"f1")]
    assert protection.red_distance(peer) == 1
    # the same report counts for the publisher that slot carries
    assert protection.worst_loss("bupati") == 13
    # reports about another SSRC (another slot in a compound RR) change nothing
    await sender._handle_rtcp_packet(_rr(sender._ssrc + 1, 200))
    assert protection.red_distance(peer) == 1
    clock.now += 11
    await sender._handle_rtcp_packet(_rr(sender._ssrc, 0))
    assert rewrite(1920, b"f2", 111)[1] == 111
    clock.now += 13
    assert protection.worst_loss("bupati") == 0


async def test_no_red_where_the_answer_refused_it(pc: RTCPeerConnection) -> None:
    protection = AudioProtection(Clock())
    peer, slot = _audio_slot(pc, publisher=None)
    protection.add_slot(peer, slot)
    protection.answered(peer, _answer_with_red(mid="7", red_pt=63))  # another m-line only
    await slot.sender._handle_rtcp_packet(_rr(slot.sender._ssrc, 50))
    assert slot.forwarder.rewrite_payload is not None
    assert slot.forwarder.rewrite_payload(960, b"opus", 111) == (b"opus", 111)


async def test_receiver_reports_to_the_publisher_carry_the_worst_loss(
    pc: RTCPeerConnection,
) -> None:
    floor = [0]
    receiver = pc.addTransceiver("audio", direction="recvonly").receiver
    hooks.set_rr_loss_floor(receiver, lambda: floor[0])
    packet = _rr(1234, 3)
    await receiver._send_rtcp(packet)  # not connected: nothing is sent, the report is edited
    assert packet.reports[0].fraction_lost == 3  # own loss above the floor stays
    floor[0] = 40
    await receiver._send_rtcp(packet)
    assert packet.reports[0].fraction_lost == 40
    assert packet.reports[0].packets_lost == 7  # the cumulative count stays the server's own
    assert bytes(packet)[12] == 40  # on the wire: the fraction byte of the first block


def _section(mid: str, direction: str, red_pt: int | None) -> str:
    pts = "111" if red_pt is None else f"111 {red_pt}"
    red = "" if red_pt is None else f"a=rtpmap:{red_pt} red/48000/2\r\na=fmtp:{red_pt} 111/111\r\n"
    return (
        f"m=audio 9 UDP/TLS/RTP/SAVPF {pts}\r\nc=IN IP4 0.0.0.0\r\n"
        f"a=mid:{mid}\r\na={direction}\r\na=rtpmap:111 opus/48000/2\r\n{red}"
    )


def _sdp(*sections: str) -> str:
    return "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" + "".join(sections)


def _answer_with_red(mid: str, red_pt: int) -> str:
    return _sdp(_section(mid, "recvonly", red_pt))


# ------------------------------------------------------------------ end to end, real aiortc peers


async def test_red_follows_the_subscribers_loss_and_the_publisher_hears_it(
    harness: Harness,
) -> None:
    host = harness.client("host")
    host.publish(video=False)
    lurah = harness.client("lurah")
    red = RedClient(lurah)
    reflected: list[int] = []
    await connect(harness.sfu, "host", host)
    await connect(harness.sfu, "lurah", lurah)
    host_sender = next(t.sender for t in host.pc.getTransceivers() if t.kind == "audio")
    ssrc = hooks.sender_ssrc(host_sender)

    def on_rtcp(packet: object) -> None:
        if isinstance(packet, RtcpRrPacket):
            reflected.extend(r.fraction_lost for r in packet.reports if r.ssrc == ssrc)

    hooks.add_rtcp_listener(host_sender, on_rtcp)
    await harness.sfu.subscribe("lurah", "host", frozenset({"audio"}))
    await lurah.wait_frames("host", "audio", 50)
    assert red.red_pts, "the server offered no RED on the lurah's audio slot"
    await wait_for(lambda: bool(reflected), within=5, what="a receiver report to the host")
    # no loss: plain Opus only, and the host hears no loss
    assert red.total().red == 0 and red.total().plain >= 50
    assert harness.sfu.stats().red_packets == 0
    assert reflected and max(reflected) == 0

    red.drop_every = 8  # 12.5 % of the lurah's audio lost
    # heavy loss (above 10 %): two earlier frames per packet, 1920 and 960 ticks back (the
    # first packets may carry one: the first report can cover a partly lossy interval)
    await wait_for(
        lambda: red.total().red >= 50 and 1920 in red.total().offsets,
        within=15,
        what="50 RED packets, some with two earlier frames",
    )
    seen = red.total()
    assert seen.offsets == {960, 1920}
    assert seen.mismatched == 0  # each block is the frame first sent at that time
    assert harness.sfu.stats().red_packets >= 50
    await lurah.wait_frames("host", "audio", 50)  # the stock receiver still decodes
    await wait_for(lambda: max(reflected) >= 20, within=10, what="loss reflected to the host")
    assert max(reflected) <= 64  # the lurah's loss, not more

    red.drop_every = 0
    started = time.monotonic()
    await wait_for(lambda: red.total().plain > seen.plain + 50, within=25, what="plain again")
    assert time.monotonic() - started > 5  # hysteresis: not at the first clean report
    before = red.total().red
    await lurah.wait_frames("host", "audio", 25)
    assert red.total().red == before  # it stays off while the loss stays low


async def test_answer_to_a_client_reoffer_keeps_red_on_slots(pc: RTCPeerConnection) -> None:
    """A page that re-offers (camera on) lists RED on every audio m-line; the server's answer
    keeps it on the slots (server sendonly) and never puts it where the server receives."""
    from aiortc import RTCSessionDescription

    protection = AudioProtection(Clock())
    peer, slot_obj = _audio_slot(pc, publisher="bupati")
    protection.add_slot(peer, slot_obj)
    offer = _sdp(_section("0", "sendonly", 63), _section("1", "recvonly", 63))
    aiortc_answer = _sdp(_section("0", "recvonly", None), _section("1", "sendonly", None))
    out = protection.protect_answer(peer, offer, RTCSessionDescription(aiortc_answer, "answer"))
    publisher, slot = out.sdp.split("m=audio")[1:]
    assert "red/48000/2" not in publisher
    assert "a=rtpmap:63 red/48000/2" in slot and "a=fmtp:63 111/111" in slot
    assert " 111 63\r\n" in slot.splitlines(keepends=True)[0]
    for section in (publisher, slot):
        assert "a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1" in section
    # the slot on mid "1" wraps in RED once its subscriber reports loss
    await slot_obj.sender._handle_rtcp_packet(_rr(slot_obj.sender._ssrc, 13))
    assert slot_obj.forwarder is not None and slot_obj.forwarder.rewrite_payload is not None
    payload, payload_type = slot_obj.forwarder.rewrite_payload(960, b"opus", 111)
    assert payload_type == 63 and parse(payload) == [RedBlock(111, 0, b"opus")]


async def test_forget_drops_what_listeners_reported(pc: RTCPeerConnection) -> None:
    protection = AudioProtection(Clock())
    peer, slot = _audio_slot(pc, publisher="bupati")
    protection.add_slot(peer, slot)
    receiver = pc.addTransceiver("audio", direction="recvonly").receiver
    protection.add_publication("bupati", receiver)
    await slot.sender._handle_rtcp_packet(_rr(slot.sender._ssrc, 30))
    packet = _rr(1234, 0)
    await receiver._send_rtcp(packet)
    assert packet.reports[0].fraction_lost == 30
    protection.forget("bupati")
    assert protection.worst_loss("bupati") == 0
    await receiver._send_rtcp(packet := _rr(1234, 0))
    assert packet.reports[0].fraction_lost == 0
