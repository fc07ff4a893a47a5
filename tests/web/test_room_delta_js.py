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


def _client_run(body: str) -> Any:
    """Run ``body`` with ``client``, a ``MeetingClient`` whose socket answers ``room:get`` with
    ``fresh`` (set by the body) and records what was asked; prints the body's result."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: install the Debian package nodejs")
    script = f"""
      const {{ MeetingClient }} = await import({json.dumps(PROTOCOL.as_uri())});
      const client = new MeetingClient({{ room: "r" }});
      const asked = [];
      let fresh = null;
      let answer = null;
      client.socket = {{
        connected: true,
        timeout: () => ({{
          emitWithAck: (event, payload) => {{
            asked.push(event);
            return new Promise((resolve) => {{
              answer = () => resolve({{ ok: true, state: fresh }});
            }});
          }},
        }}),
      }};
      const states = [];
      client.addEventListener("state", (e) => states.push(e.detail.version));
      {body}
    """
    run = subprocess.run(
        [node, "--input-type=module", "-e", script],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(run.stdout)


def _entry(pid: str, mic: bool) -> dict[str, Any]:
    return {"id": pid, "name": pid, "site": None, "role": "participant", "mic": mic}


def test_the_page_reads_the_state_again_after_a_missed_delta() -> None:
    """A delta whose base is not the page's version: ``room:get``, the deltas arriving meanwhile
    held and applied on the state read if newer; an old delta is ignored."""
    state = {"room": {"id": "r"}, "you": "p_1", "version": 3, "participants": [_entry("p_1", True)]}
    fresh = {**state, "version": 6, "participants": [_entry("p_1", True), _entry("p_2", False)]}
    body = f"""
      client._onState({json.dumps(state)});
      client._onDelta({{ base: 2, version: 3, hands: ["x"] }});  // already in: ignored
      client._onDelta({{ base: 4, version: 5, hands: ["p_2"] }});  // 4 missed: read again
      client._onDelta({{ base: 5, version: 6, hands: [] }});  // held, then older than the read
      const back = {{ set: [{json.dumps(_entry("p_2", True))}], gone: [] }};
      client._onDelta({{ base: 6, version: 7, participants: back }});
      fresh = {json.dumps(fresh)};
      const during = client.state.version;
      answer();
      await new Promise((r) => setTimeout(r, 10));
      console.log(JSON.stringify({{ asked, during, states, state: client.state }}));
    """
    out = _client_run(body)
    assert out["asked"] == ["room:get"]
    assert out["during"] == 3  # nothing applied on a state with a gap
    assert out["states"] == [3, 6, 7]
    assert out["state"]["version"] == 7
    assert out["state"]["participants"] == [_entry("p_1", True), _entry("p_2", True)]
    assert "hands" not in out["state"]  # neither the ignored nor the held old delta applied
