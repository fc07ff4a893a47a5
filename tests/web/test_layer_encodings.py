"""What the page's camera layers send under the server's ``media:limits`` (``layerEncodings`` in
web/static/js/protocol.js, run with node): the link's limits shape the two layers, and
``unseen`` (nobody shows this page's video) switches both off — also on a link without limits,
and for an older server that does not send the field, nothing changes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

PROTOCOL = Path(__file__).resolve().parents[2] / "web" / "static" / "js" / "protocol.js"


def _encodings(limits: list[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """``layerEncodings`` of each of ``limits`` (undefined values left out, as JSON does)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: install the Debian package nodejs")
    script = """
      const { layerEncodings } = await import(process.argv[1]);
      const cases = JSON.parse(process.argv[2]);
      const out = cases.map((limits) => {
        const before = JSON.stringify(limits);
        const got = layerEncodings(limits);
        if (JSON.stringify(limits) !== before) throw new Error("the limits were changed");
        return got;
      });
      console.log(JSON.stringify(out));
    """
    run = subprocess.run(
        [node, "--input-type=module", "-e", script, PROTOCOL.as_uri(), json.dumps(limits)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    result: list[dict[str, Any]] = json.loads(run.stdout)
    return result


OK = {"max_bitrate": None, "scale_down": 1, "max_framerate": None, "low_only": False,
      "reason": "ok"}  # fmt: skip
VSAT = {"max_bitrate": 200_000, "scale_down": 1, "max_framerate": 15, "low_only": True,
        "reason": "vsat"}  # fmt: skip


def _active(encodings: dict[str, Any]) -> tuple[bool, bool]:
    return encodings["high"]["active"], encodings["low"]["active"]


def test_without_unseen_both_layers_send_as_the_link_allows() -> None:
    none, ok, ok_seen, vsat, vsat_seen = _encodings(
        [None, OK, {**OK, "unseen": False}, VSAT, {**VSAT, "unseen": False}]
    )
    assert _active(none) == _active(ok) == _active(ok_seen) == (True, True)
    assert ok == ok_seen == none  # an older server (no field) and "seen" are the same
    assert _active(vsat) == _active(vsat_seen) == (False, True)  # low_only: the low layer only
    assert vsat == vsat_seen
    assert vsat["low"] == {"active": True, "maxBitrate": 150_000, "maxFramerate": 15}


def test_unseen_switches_both_layers_off_also_on_a_good_link() -> None:
    ok, vsat, audio_only = _encodings(
        [
            {**OK, "unseen": True},
            {**VSAT, "unseen": True},
            {"max_bitrate": 60_000, "scale_down": 4, "max_framerate": 5, "low_only": True,
             "reason": "audio_only", "unseen": True},
        ]
    )  # fmt: skip
    for got in (ok, vsat, audio_only):
        assert _active(got) == (False, False), got


def test_unseen_keeps_the_link_limits_for_when_someone_shows_us_again() -> None:
    """Only ``active`` changes: the rest is what the link's limits give (applied all the same, so
    that switching the layers on again sends within them from the first frame)."""
    unseen, seen = _encodings([{**VSAT, "unseen": True}, VSAT])
    for layer in ("high", "low"):
        assert {k: v for k, v in unseen[layer].items() if k != "active"} == {
            k: v for k, v in seen[layer].items() if k != "active"
        }
