"""The rule of media/unseen_video.py on hand-built datagrams (no network), and the pieces it
leans on (a NACK policy told of skipped packets, a keyframe cache interrupted); the same with
real aiortc peers: test_unseen_video_peers.py."""

from __future__ import annotations

import struct
from types import SimpleNamespace
from typing import Any, cast

from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import RtpPacket

from media.datagram_gate import StreamGate, gates
from media.keyframes import KeyframeCache
from media.nack_retry import NackRetry
from media.peer import Publication
from media.rtp_peek import RtpHeader
from media.unseen_video import SRTP_TAG, UnseenVideo, offered_ssrcs
from media.vp8_layers import Vp8Descriptor

CAMERA, CAMERA_RTX, LOW, MIC = 2222, 2223, 3333, 1111


def packet(ssrc: int, seq: int = 1, payload: int = 100, pt: int = 96) -> bytes:
    """An SRTP-shaped datagram: a 12-byte header, ``payload`` bytes and the auth tag."""
    return struct.pack("!BBHII", 0x80, pt, seq, seq * 3000, ssrc) + bytes(payload + SRTP_TAG)


class Policy:
    def __init__(self) -> None:
        self.seen = False
        self.known = True  # the receiver's statistics of the SSRC exist
        self.tallied: list[tuple[int, int, int, int]] = []
        self.kept: list[int] = []  # sequence numbers handed to the keep-alive decryption
        self.interruptions = 0

        def tally(ssrc: int, seq: int, ts: int, octets: int) -> bool:
            if self.known:
                self.tallied.append((ssrc, seq, ts, octets))
            return self.known

        def interrupted() -> None:
            self.interruptions += 1

        self.gate = UnseenVideo(
            "site",
            [CAMERA, CAMERA_RTX, LOW],
            seen=lambda: self.seen,
            keep=lambda data: self.kept.append(struct.unpack_from("!H", data, 2)[0]),
            tally=tally,
            interrupted=interrupted,
        )

    def drops(self, data: bytes, at: float) -> bool:
        return self.gate.should_drop(data, at)


def test_video_nobody_sees_is_dropped_and_one_packet_a_second_keeps_srtp_in_step() -> None:
    p = Policy()
    kept = [t for t in range(36) if not p.drops(packet(CAMERA, seq=t), 100 + t / 12)]
    assert kept == []  # every packet dropped before SRTP...
    assert p.kept == [0, 12, 24]  # ...one a second decrypted and thrown away (t = 0, 1, 2 s)
    assert p.gate.dropped == 36 and p.gate.dropping
    assert p.tallied[1] == (CAMERA, 1, 3000, 100)  # counted, with its payload's size
    assert p.interruptions == 1  # the drops began once


def test_a_seen_publisher_passes_and_the_first_seen_packet_ends_the_drops() -> None:
    p = Policy()
    p.seen = True
    assert not any(p.drops(packet(CAMERA, seq=t), 100 + t / 12) for t in range(12))
    assert p.gate.dropped == 0 and not p.gate.dropping and p.interruptions == 0
    p.seen = False
    assert p.drops(packet(CAMERA, seq=12), 101.0)
    p.seen = True
    assert not p.drops(packet(CAMERA, seq=13), 101.1)
    assert not p.gate.dropping
    p.seen = False
    assert p.drops(packet(CAMERA, seq=14), 101.2)
    assert p.interruptions == 2  # each run of drops interrupts the cache again


def test_each_video_ssrc_is_gated_and_nothing_else() -> None:
    p = Policy()
    assert p.drops(packet(LOW, seq=5), 100.0)
    assert p.drops(packet(CAMERA_RTX, seq=9, pt=97), 100.0)
    assert not p.drops(packet(MIC, seq=5, pt=111), 100.0)  # audio: another gate's
    assert not p.drops(packet(4444, seq=5), 100.0)  # an SSRC the offer did not name
    rtcp = struct.pack("!BBHI", 0x81, 201, 7, CAMERA) + bytes(24)
    assert not p.drops(rtcp, 100.0)
    assert not p.drops(b"\x16\xfe\xfd" + bytes(40), 100.0)  # DTLS
    assert not p.drops(packet(CAMERA)[:8], 100.0)  # truncated: SRTP refuses it later


def test_until_its_statistics_exist_a_packet_passes() -> None:
    p = Policy()
    p.known = False
    assert not p.drops(packet(CAMERA, seq=1), 100.0)
    assert p.gate.dropped == 0 and not p.gate.dropping and not p.kept


def test_a_truncated_extension_block_counts_no_payload() -> None:
    p = Policy()
    head = struct.pack("!BBHII", 0x90, 96, 3, 9000, CAMERA)  # extension bit, no block
    assert p.drops(head + b"\xbe", 100.0)
    assert p.tallied[-1][3] == 0


class Recording(StreamGate):
    """A gate that drops what ``verdict`` says and records the sequence numbers it decided on."""

    def __init__(self, ssrcs: list[int], verdict: bool) -> None:
        super().__init__("site", ssrcs, clock=lambda: 100.0)
        self.verdict = verdict
        self.decided: list[int] = []

    def decide(self, datagram: bytes, head: RtpHeader, now: float) -> bool:
        self.decided.append(head.sequence_number)
        return self.verdict


def test_gates_hand_each_datagram_to_the_gate_of_its_ssrc() -> None:
    assert gates(None, None) is None
    only = Recording([MIC], False)
    assert gates(None, only) is only
    audio, video = Recording([MIC], True), Recording([CAMERA, CAMERA_RTX], False)
    both = gates(audio, video)
    assert both is not None
    assert both(packet(MIC, seq=1, pt=111))  # the audio gate's verdict, read once
    assert not both(packet(CAMERA, seq=2))
    assert not both(packet(CAMERA_RTX, seq=3, pt=97))
    assert not both(packet(4444, seq=4))  # no gate's SSRC: neither is asked
    assert not both(struct.pack("!BBHI", 0x81, 201, 7, MIC) + bytes(24))  # RTCP
    assert not both(packet(CAMERA)[:8])  # truncated
    assert audio.decided == [1] and video.decided == [2, 3]
    # Alone, a gate reads the header itself and decides on its own SSRCs only.
    assert only(packet(MIC, seq=5, pt=111)) is False and only.decided == [5]
    assert not only(packet(CAMERA, seq=6)) and only.decided == [5]


OFFER = """v=0
o=- 1 1 IN IP4 0.0.0.0
s=-
t=0 0
a=group:BUNDLE 0 1 2 3
m=audio 9 UDP/TLS/RTP/SAVPF 111
c=IN IP4 0.0.0.0
a=mid:0
a=sendrecv
a=rtpmap:111 opus/48000/2
a=ssrc:1111 cname:x
m=video 9 UDP/TLS/RTP/SAVPF 96 97
c=IN IP4 0.0.0.0
a=mid:1
a=sendrecv
a=rtpmap:96 VP8/90000
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=ssrc-group:FID 2222 2223
a=ssrc:2222 cname:x
a=ssrc:2223 cname:x
m=video 9 UDP/TLS/RTP/SAVPF 96
c=IN IP4 0.0.0.0
a=mid:2
a=sendonly
a=rtpmap:96 VP8/90000
a=ssrc:3333 cname:x
m=video 9 UDP/TLS/RTP/SAVPF 96
c=IN IP4 0.0.0.0
a=mid:3
a=recvonly
a=rtpmap:96 VP8/90000
a=ssrc:5555 cname:x
"""


def test_the_offer_names_the_video_ssrcs_it_sends() -> None:
    assert offered_ssrcs(OFFER, ["1", "2"]) == [2222, 2223, 3333]
    assert offered_ssrcs(OFFER, ["3"]) == []  # the client only receives there
    assert offered_ssrcs(OFFER, [None]) == []


def test_a_nack_policy_told_of_skipped_packets_asks_for_none_of_them() -> None:
    policy = NackRetry()
    assert policy.received(100, 0.0) == []
    for seq in range(101, 140):
        policy.skipped(seq)
    assert policy.received(140, 1.0) == []  # no gap: the skipped ones are not missing
    assert policy.received(143, 1.1) == [141, 142]  # a real loss after it still is
    policy.skipped(141)
    assert policy.missing == [142]
    policy.skipped(65535 + 10)  # wraps like any sequence number
    assert policy.received(10, 2.0) == []


def descriptor(keyframe: bool) -> Vp8Descriptor:
    desc = Vp8Descriptor()
    desc.frame_start = desc.keyframe = keyframe
    return desc


def test_an_interrupted_cache_keeps_its_still_but_no_longer_replays() -> None:
    cache = KeyframeCache()
    key = RtpPacket(payload_type=96, sequence_number=1, timestamp=900, marker=True)
    delta = RtpPacket(payload_type=96, sequence_number=2, timestamp=1800, marker=True)
    cache.add(key, descriptor(True), 10.0)
    cache.add(delta, descriptor(False), 10.05)
    assert len(cache.since_keyframe(10.1)) == 2
    cache.interrupt()
    assert cache.since_keyframe(10.1) == []
    assert [p.sequence_number for p, _ in cache.still()] == [1]
    cache.add(delta, descriptor(False), 10.2)
    assert cache.since_keyframe(10.2) == []  # only a new keyframe opens it again


def dropped_into(policy: NackRetry) -> Publication:
    """A video stream whose receiver (as aiortc keeps it) has statistics of CAMERA and of its
    RTX SSRC, and whose NACK policy is ``policy``."""
    receiver = SimpleNamespace(
        _RTCRtpReceiver__remote_streams={
            CAMERA: StreamStatistics(clockrate=90000),
            CAMERA_RTX: StreamStatistics(clockrate=90000),
        },
        _RTCRtpReceiver__rtx_ssrc={CAMERA_RTX: CAMERA},
    )
    pub = Publication("site", "video", None, cast(Any, receiver))
    pub.nacks = cast(Any, SimpleNamespace(policy=policy))
    return pub


def test_a_dropped_packet_counts_as_received_and_an_rtx_one_leaves_the_nacks_alone() -> None:
    policy = NackRetry()
    pub = dropped_into(policy)
    assert policy.received(1000, 0.0) == []
    assert pub.count_dropped(CAMERA, 1001, 3000, 900)
    assert pub.octets_by_tid[0] == 900  # its payload in the measured rate
    # A retransmission's sequence number is the RTX stream's own (here far "ahead" of the
    # media's): counted in its statistics, but the media's NACK policy does not move to it.
    assert pub.count_dropped(CAMERA_RTX, 1001 + 20_000, 3000, 900)
    assert pub.octets_by_tid[0] == 900
    assert policy.received(1002, 0.1) == []  # the next media packet: no gap, nothing to ask
    assert not pub.count_dropped(4444, 5, 0, 100)  # not this stream's SSRC
    streams = cast(Any, pub.receiver)._RTCRtpReceiver__remote_streams
    assert streams[CAMERA].packets_received == 1 and streams[CAMERA_RTX].packets_received == 1
