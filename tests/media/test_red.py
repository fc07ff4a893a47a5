"""RFC 2198 packing and parsing, and the per-stream RED encoder (media/red.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from media.red import MAX_BLOCK, MAX_OFFSET, RedBlock, RedEncoder, RedError, pack, parse

OPUS = 111


def test_layout_follows_rfc_2198() -> None:
    payload = pack(OPUS, b"PRIMARY", [(1920, b"AA"), (960, b"BBB")])
    # F=1 | PT, then 14-bit offset and 10-bit length in 24 bits, per redundant block
    assert payload[:4] == bytes((0x80 | OPUS,)) + ((1920 << 10) | 2).to_bytes(3, "big")
    assert payload[4:8] == bytes((0x80 | OPUS,)) + ((960 << 10) | 3).to_bytes(3, "big")
    assert payload[8] == OPUS  # F=0: the primary block's one-byte header comes last
    assert payload[9:] == b"AA" + b"BBB" + b"PRIMARY"


def test_primary_only() -> None:
    assert pack(OPUS, b"xyz", []) == bytes((OPUS,)) + b"xyz"
    assert parse(bytes((OPUS,)) + b"xyz") == [RedBlock(OPUS, 0, b"xyz")]


def test_limits_of_the_header_fields() -> None:
    big = pack(OPUS, b"p", [(MAX_OFFSET, b"x" * MAX_BLOCK)])
    assert parse(big)[0] == RedBlock(OPUS, MAX_OFFSET, b"x" * MAX_BLOCK)
    with pytest.raises(ValueError):
        pack(OPUS, b"p", [(MAX_OFFSET + 1, b"x")])
    with pytest.raises(ValueError):
        pack(OPUS, b"p", [(960, b"x" * (MAX_BLOCK + 1))])
    with pytest.raises(ValueError):
        pack(OPUS, b"p", [(0, b"x")])


@pytest.mark.parametrize(
    "payload",
    [b"", bytes((0x80 | OPUS, 0, 0)), bytes((0x80 | OPUS, 0, 0x0F, 0x05, OPUS)) + b"ab"],
)
def test_truncated_payloads_are_refused(payload: bytes) -> None:
    with pytest.raises(RedError):
        parse(payload)


@given(
    primary=st.binary(max_size=300),
    redundant=st.lists(
        st.tuples(st.integers(1, MAX_OFFSET), st.binary(max_size=MAX_BLOCK)), max_size=3
    ),
    pt=st.integers(0, 127),
)
def test_round_trip(primary: bytes, redundant: list[tuple[int, bytes]], pt: int) -> None:
    blocks = parse(pack(pt, primary, redundant))
    assert blocks == [RedBlock(pt, o, d) for o, d in redundant] + [RedBlock(pt, 0, primary)]


def test_encoder_carries_the_previous_frames_with_their_offsets() -> None:
    enc = RedEncoder()
    assert enc.wrap(1000, b"f0", OPUS, 0) == b"f0"  # plain Opus, but remembered
    assert parse(enc.wrap(1960, b"f1", OPUS, 1)) == [
        RedBlock(OPUS, 960, b"f0"),
        RedBlock(OPUS, 0, b"f1"),
    ]
    assert parse(enc.wrap(2920, b"f2", OPUS, 2)) == [
        RedBlock(OPUS, 1920, b"f0"),
        RedBlock(OPUS, 960, b"f1"),
        RedBlock(OPUS, 0, b"f2"),
    ]
    assert enc.wrapped == 2


def test_encoder_first_red_packet_has_only_the_primary() -> None:
    enc = RedEncoder()
    assert parse(enc.wrap(5000, b"first", OPUS, 2)) == [RedBlock(OPUS, 0, b"first")]
    assert enc.wrapped == 0


def test_encoder_leaves_out_frames_too_old_for_the_offset_field() -> None:
    """DTX: a silent publisher sends a frame every 400 ms (19200 ticks > 16383)."""
    enc = RedEncoder()
    enc.wrap(0, b"old", OPUS, 0)
    enc.wrap(960, b"prev", OPUS, 0)
    blocks = parse(enc.wrap(960 + 19200, b"now", OPUS, 2))
    assert blocks == [RedBlock(OPUS, 0, b"now")]
    blocks = parse(enc.wrap(960 + 19200 + 960, b"next", OPUS, 2))
    assert blocks == [RedBlock(OPUS, 960, b"now"), RedBlock(OPUS, 0, b"next")]


def test_encoder_wraps_timestamps_and_ignores_late_frames() -> None:
    enc = RedEncoder()
    enc.wrap(0xFFFFFC40, b"a", OPUS, 0)  # 960 before the wrap
    assert parse(enc.wrap(0, b"b", OPUS, 1))[0] == RedBlock(OPUS, 960, b"a")
    # a late (reordered) frame: nothing newer is carried as "earlier", and it is not kept
    assert parse(enc.wrap(0xFFFFF880, b"late", OPUS, 1)) == [RedBlock(OPUS, 0, b"late")]
    assert parse(enc.wrap(960, b"c", OPUS, 1))[0] == RedBlock(OPUS, 960, b"b")


def test_encoder_keeps_packets_inside_the_mtu() -> None:
    enc = RedEncoder()
    enc.wrap(0, b"x" * 600, OPUS, 0)
    enc.wrap(960, b"y" * 600, OPUS, 0)
    blocks = parse(enc.wrap(1920, b"z" * 400, OPUS, 2))
    # both earlier frames would make 1600+ bytes: only the one that fits is carried
    assert [b.data[:1] for b in blocks] == [b"y", b"z"]
    assert len(pack(OPUS, b"z" * 400, [(960, b"y" * 600)])) < 1100
