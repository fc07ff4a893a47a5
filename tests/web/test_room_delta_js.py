"""The page applies ``room:delta`` as the server means it (``applyRoomDelta`` in
web/static/js/protocol.js, run with node): each viewer's state after a town hall's changes is
the view a fresh snapshot gives (the cases of tests/rooms/test_view_delta.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rooms import RoomService
from tests.rooms.test_service import clock, db, service  # noqa: F401  (fixtures)
from tests.rooms.test_view_delta import town_hall_steps

PROTOCOL = Path(__file__).resolve().parents[2] / "web" / "static" / "js" / "protocol.js"


def _applied(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: install the Debian package nodejs")
    script = f"""
      const {{ applyRoomDelta }} = await import({json.dumps(PROTOCOL.as_uri())});
      const cases = JSON.parse(process.argv[1]);
      const out = cases.map(({{ state, delta }}) => {{
        const before = JSON.stringify(state);
        const next = applyRoomDelta(state, delta);
        if (JSON.stringify(state) !== before) throw new Error("the old state was changed");
        return next;
      }});
      console.log(JSON.stringify(out));
    """
    run = subprocess.run(
        [node, "--input-type=module", "-e", script, json.dumps(cases)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    result: list[dict[str, Any]] = json.loads(run.stdout)
    return result


async def test_the_page_reconstructs_each_viewers_fresh_view(
    service: RoomService,  # noqa: F811
) -> None:
    steps = [c for c in await town_hall_steps(service) if c[2] is not None]
    cases = [
        {"state": {**before, "version": delta["base"]}, "delta": delta}
        for _role, before, delta, _after in steps
        if delta is not None
    ]
    expected = [
        {**after, "version": delta["version"]}
        for _role, _before, delta, after in steps
        if delta is not None
    ]
    got = _applied(cases)
    for case, want, have in zip(cases, expected, got, strict=True):
        assert json.loads(json.dumps(want)) == have, case["delta"]
        assert [p["id"] for p in have["participants"]] == [p["id"] for p in want["participants"]]
