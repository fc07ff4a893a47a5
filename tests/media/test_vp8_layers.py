"""The VP8 payload descriptor parser and rewriter (media/vp8_layers.py)."""

from __future__ import annotations

from media import vp8_layers

from .vp8_packets import descriptor, l1t3_stream


def test_l1t3_descriptor_fields() -> None:
    desc = vp8_layers.parse(descriptor(0x1234, 200, 2, True, start=True, key=False))
    assert desc is not None
    assert (desc.picture_id, desc.picture_modulus) == (0x1234, 1 << 15)
    assert (desc.tl0picidx, desc.tid, desc.layer_sync) == (200, 2, True)
    assert desc.frame_start and not desc.keyframe
    key = vp8_layers.parse(descriptor(5, 1, 0, False, start=True, key=True))
    assert key is not None and key.keyframe and key.tid == 0 and not key.layer_sync
    middle = vp8_layers.parse(descriptor(5, 1, 0, False, start=False, key=True))
    assert middle is not None and not middle.frame_start and not middle.keyframe


def test_short_and_minimal_descriptors() -> None:
    assert vp8_layers.parse(b"") is None
    assert vp8_layers.parse(b"\x90") is None
    assert vp8_layers.parse(bytes([0x80, 0xE0, 0x81])) is None  # 15-bit id cut short
    plain = vp8_layers.parse(bytes([0x10, 0x00, 0x00]))  # no X: S bit and a keyframe header
    assert plain is not None and plain.keyframe and plain.picture_id is None and plain.tid is None
    seven = vp8_layers.parse(bytes([0x90, 0x80, 0x05, 0x01]))  # 7-bit picture id, delta
    assert seven is not None and seven.picture_id == 5 and seven.picture_modulus == 128
    assert seven.frame_start and not seven.keyframe
    k_only = vp8_layers.parse(bytes([0x90, 0x10, 0xFF, 0x00]))  # K without T: no TID
    assert k_only is not None and k_only.tid is None and k_only.keyframe


def test_rewrite_keeps_widths_and_body() -> None:
    payload = descriptor(0x0102, 9, 1, False, start=True, key=False, body=b"abc")
    desc = vp8_layers.parse(payload)
    assert desc is not None
    out = vp8_layers.rewrite(payload, desc, 0x7FFF, 0x1FF)
    again = vp8_layers.parse(out)
    assert again is not None and again.picture_id == 0x7FFF and again.tl0picidx == 0xFF
    assert again.tid == 1 and out[-3:] == b"abc" and len(out) == len(payload)
    seven = bytes([0x90, 0x80, 0x05, 0x01])
    desc7 = vp8_layers.parse(seven)
    assert desc7 is not None
    out7 = vp8_layers.parse(vp8_layers.rewrite(seven, desc7, 130, 0))
    assert out7 is not None and out7.picture_id == 2  # modulo its 7 bits


def test_l1t3_stream_pattern() -> None:
    packets = l1t3_stream(8)
    descs = [vp8_layers.parse(p.payload) for p in packets]
    starts = [d for d in descs if d is not None and d.frame_start]
    assert [d.tid for d in starts] == [0, 2, 1, 2, 0, 2, 1, 2]
    assert [d.tl0picidx for d in starts] == [7, 7, 7, 7, 8, 8, 8, 8]
    assert starts[0].keyframe and not any(d.keyframe for d in starts[1:])
