"""The rule of media/unheard_audio.py on hand-built datagrams (no network); the same with real
aiortc peers: test_unheard_audio_peers.py."""

from __future__ import annotations

import struct
from pathlib import Path

from media import audio_sdp
from media.loudest import LoudestSettings, Loudness
from media.unheard_audio import UnheardAudio

LEVEL_ID = 1
MIC, CAMERA = 1111, 2222


def packet(ssrc: int, level: int | None, seq: int = 1, voiced: bool = False) -> bytes:
    """An RTP datagram with a one-byte extension block carrying ``level`` (-dBov)."""
    head = struct.pack("!BBHII", 0x90 if level is not None else 0x80, 111, seq, seq * 960, ssrc)
    if level is None:
        return head + b"opus"
    element = bytes([LEVEL_ID << 4, (0x80 if voiced else 0) | level, 0, 0])
    return head + struct.pack("!HH", 0xBEDE, 1) + element + b"opus"


class Policy:
    def __init__(self) -> None:
        self.loudness = Loudness(LoudestSettings())
        self.listened = False
        self.heard: list[tuple[int, bool]] = []
        self.tallied: list[tuple[int, int, int]] = []
        self.known = True  # the receiver's statistics of the SSRC exist

        def hear(level: int, voiced: bool) -> None:
            self.heard.append((level, voiced))
            self.loudness.level("pub", level, self.now)

        def tally(ssrc: int, seq: int, ts: int) -> bool:
            if self.known:
                self.tallied.append((ssrc, seq, ts))
            return self.known

        self.now = 100.0
        self.gate = UnheardAudio(
            "pub",
            self.loudness,
            LEVEL_ID,
            [MIC],
            listened=lambda: self.listened,
            hear=hear,
            tally=tally,
        )

    def drops(self, data: bytes, at: float) -> bool:
        self.now = at
        return self.gate.should_drop(data, at)


def test_quiet_audio_nobody_hears_is_dropped_but_one_packet_a_second() -> None:
    p = Policy()
    kept = [t for t in range(150) if not p.drops(packet(MIC, 70, seq=t), 100 + t * 0.02)]
    assert kept == [0, 50, 100]  # t = 100.0, 101.0, 102.0 s: one a second
    assert p.gate.dropped == 147
    assert p.tallied[0] == (MIC, 1, 960)  # counted in the receive statistics
    assert len(p.tallied) == 147
    assert not p.heard


def test_the_first_loud_packet_passes_and_starts_the_run() -> None:
    p = Policy()
    assert not p.drops(packet(MIC, 70, seq=1), 100.0)  # the keep-alive
    assert p.drops(packet(MIC, 70, seq=2), 100.02)
    assert not p.drops(packet(MIC, 20, seq=3, voiced=True), 100.04)
    assert p.heard == [(-20, True)]
    assert p.loudness.speaking("pub", 100.04)
    # In the run, quiet packets pass too (the receive path's reports end it); the level is
    # handed over once per run start only.
    assert not p.drops(packet(MIC, 70, seq=4), 100.06)
    assert not p.drops(packet(MIC, 20, seq=5), 100.08)
    assert p.heard == [(-20, True)]
    # The run ends (a quiet report, as ImmediateAudioBuffer gives one): quiet packets drop again
    p.loudness.level("pub", -70, 100.2)
    assert p.drops(packet(MIC, 70, seq=6), 100.22)


def test_a_level_at_the_threshold_is_speech() -> None:
    p = Policy()
    p.drops(packet(MIC, 70, seq=1), 100.0)
    assert not p.drops(packet(MIC, 50, seq=2), 100.02)  # -50 dBov: speaking_level
    assert p.drops(packet(MIC, 51, seq=3), 100.5) is False  # still in the run
    assert p.heard == [(-50, False)]


def test_nothing_dropped_while_someone_hears_the_publisher() -> None:
    p = Policy()
    p.listened = True
    assert not any(p.drops(packet(MIC, 90, seq=t), 100 + t * 0.02) for t in range(100))
    assert p.gate.dropped == 0


def test_what_is_never_dropped() -> None:
    p = Policy()
    p.drops(packet(MIC, 70, seq=1), 100.0)  # the keep-alive is spent
    others = [
        packet(CAMERA, 90, seq=2),  # another SSRC (the publisher's video)
        packet(MIC, None, seq=3),  # no level element
        bytes([0x80, 200]) + bytes(26),  # RTCP sender report
        bytes([22, 0xFE, 0xFD]) + bytes(30),  # DTLS
        bytes.fromhex("000100002112a442") + bytes(12),  # STUN
        packet(MIC, 70)[:15],  # truncated
    ]
    assert not any(p.drops(data, 100.1) for data in others)
    p.known = False  # the receiver has no statistics of the SSRC yet: let it start them
    assert not p.drops(packet(MIC, 70, seq=4), 100.2)
    assert p.gate.dropped == 0


def test_the_gate_form_reads_its_clock() -> None:
    p = Policy()
    clock = iter([100.0, 100.5])
    gate = UnheardAudio(
        "pub",
        p.loudness,
        LEVEL_ID,
        [MIC],
        listened=lambda: False,
        hear=lambda level, voiced: None,
        tally=lambda ssrc, seq, ts: True,
        clock=lambda: next(clock),
    )
    assert gate(packet(MIC, 70, seq=1)) is False
    assert gate(packet(MIC, 70, seq=2)) is True


def test_level_source_reads_a_chromium_offer() -> None:
    offer = (Path(__file__).parent / "data" / "chromium156_offer.sdp").read_text()
    assert audio_sdp.level_source(offer, "0") == (1, [3259122321])
    assert audio_sdp.level_source(offer, "1") == (None, [])  # video
    assert audio_sdp.level_source(offer, "9") == (None, [])
