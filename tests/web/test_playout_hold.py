"""How long the page holds a received video back for repairs (``playoutHold`` in
web/static/js/protocol.js), run with node.

Over a 600 ms round trip with a few % loss, every lost packet is repaired a round trip later;
played at once, each repair froze the lurah's picture (14–23 frozen seconds a minute in
bench/weaklink.py). The page sets ``RTCRtpReceiver.jitterBufferTarget`` from this.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

PROTOCOL = Path(__file__).resolve().parents[2] / "web" / "static" / "js" / "protocol.js"


def _holds(steps: list[dict[str, Any]], start: int | None = None) -> list[int | None]:
    """The hold after each step, each step starting from the one before."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: install the Debian package nodejs")
    script = f"""
      const {{ playoutHold }} = await import({json.dumps(PROTOCOL.as_uri())});
      let held = {json.dumps(start)};
      const out = [];
      for (const seen of {json.dumps(steps)}) {{ held = playoutHold(held, seen); out.push(held); }}
      console.log(JSON.stringify(out));
    """
    run = subprocess.run(
        [node, "--input-type=module", "-e", script],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    result: list[int | None] = json.loads(run.stdout)
    return result


CLEAN = {"rtt_ms": 20, "nackRate": 0.0, "froze": False}
VSAT = {"rtt_ms": 600, "nackRate": 0.05, "froze": False}


def test_a_clean_link_is_left_to_the_browser() -> None:
    assert _holds([CLEAN, CLEAN]) == [None, None]
    # a long but clean path needs no repairs: nothing held
    assert _holds([{"rtt_ms": 600, "nackRate": 0.0, "froze": False}]) == [None]


def test_a_lossy_long_link_holds_a_round_trip_and_more_when_it_still_freezes() -> None:
    assert _holds([VSAT]) == [750]
    froze = {**VSAT, "froze": True}
    assert _holds([VSAT, froze, froze, VSAT]) == [750, 950, 1150, 1150]
    assert _holds([froze] * 8)[-1] == 1500  # never more than HOLD_MAX_MS


def test_repairs_from_behind_the_server_grow_the_hold_by_freezes() -> None:
    """The host on a clean link watching a lurah on a weak uplink: the server's repairs come a
    weak round trip late, which the host's own round trip does not show."""
    behind = {"rtt_ms": 15, "nackRate": 0.03, "froze": True}
    assert _holds([behind, behind, behind]) == [200, 400, 600]


def test_the_hold_shrinks_slowly_once_no_repair_is_needed() -> None:
    assert _holds([CLEAN, CLEAN], start=750) == [700, 650]
    assert _holds([CLEAN], start=140) == [None]  # under 100 ms: the browser's own choice again
    # one clean reading in a lossy minute does not drop the hold to nothing
    assert _holds([VSAT, CLEAN, VSAT]) == [750, 700, 750]
