"""The two halves together, on a real server that probes loopback every second: a lurah from a
site whose link is down is admitted audio only and sees the link in room:state; the call's
quality is kept under the site; the host sees the invited sites' readiness."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import RunningServer, free_port, make_settings, start_server
from tests.signaling.meeting import Person, admit, join_host, join_lobby, wait

DOWN_SITE = "33.14.06"  # Gondang: its probe target is a closed loopback port
UP_SITE = "33.14.12"  # Tanon: a listener this test owns
SILENT_SITE = "33.14.01"  # Kalijambe: no probe target at all


@pytest.fixture
async def probing_server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    settings = make_settings(
        tmp_path,
        probe_enabled=True,
        probe_interval=1.0,
        probe_down_rounds=1,
        probe_up_rounds=1,
        call_quality_interval=1.0,
    )
    runner, running = await start_server(settings)
    try:
        yield running
    finally:
        await runner.cleanup()


async def http_json(http: aiohttp.ClientSession, method: str, path: str, body: Any = None) -> Any:
    async with http.request(method, path, json=body) as resp:
        assert resp.status < 300, f"{method} {path}: {resp.status} {await resp.text()}"
        return await resp.json()


async def until(check: Any, within: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {within} s")
        await asyncio.sleep(0.25)


def _me(person: Person) -> dict[str, Any]:
    me = person.client.participant(person.name)
    assert me is not None
    return me


async def test_weak_site_admitted_audio_only_quality_recorded_readiness_listed(
    probing_server: RunningServer, people: list[Person]
) -> None:
    server = probing_server
    listener = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    http = await server.signed_in_session()
    try:
        closed_port = free_port()
        open_port = listener.sockets[0].getsockname()[1]
        for code, port in ((DOWN_SITE, closed_port), (UP_SITE, open_port)):
            await http_json(
                http,
                "POST",
                "/api/probes",
                {"site": code, "kind": "tcp", "host": "127.0.0.1", "port": port, "count": 1,
                 "timeout_s": 0.5},
            )  # fmt: skip
        down_id = (await http_json(http, "GET", f"/api/sites/{DOWN_SITE}"))["id"]

        async def states() -> bool:
            items = (await http_json(http, "GET", "/api/state"))["items"]
            by_code = {i["code"]: i["state"] for i in items}
            return by_code.get(DOWN_SITE) == "down" and by_code.get(UP_SITE) == "up"

        await until(states, what="probe states")

        # The join page's picker now lists the inventory's kecamatan and their villages.
        picker = await http_json(http, "GET", "/api/sites/picker")
        assert len(picker["items"]) == 20
        villages = await http_json(http, "GET", f"/api/sites/picker?parent={DOWN_SITE}")
        assert villages["items"] and all(
            v["code"].startswith(DOWN_SITE + ".") for v in villages["items"]
        )

        room = (
            await http_json(
                http,
                "POST",
                "/api/rooms",
                {"title": "Rapat", "invited_sites": [DOWN_SITE, UP_SITE, SILENT_SITE]},
            )
        )["room"]
        assert room["invited_sites"] == [DOWN_SITE, UP_SITE, SILENT_SITE]
        async with http.post(
            "/api/rooms", json={"title": "x", "invited_sites": ["33.14.99"]}
        ) as resp:
            assert resp.status == 400 and (await resp.json())["error"] == "invalid_request"

        host = await join_host(server, room["id"])
        people.append(host)
        await host.start_media()
        gondang = await join_lobby(server, room["id"], "Lurah Gondang", site=DOWN_SITE)
        people.append(gondang)
        tanon = await join_lobby(server, room["id"], "Lurah Tanon", site=UP_SITE)
        people.append(tanon)

        waiting = await http_json(http, "GET", f"/api/rooms/{room['id']}/readiness")
        assert [s["presence"] for s in waiting["sites"]] == ["lobby", "lobby", "absent"]

        await admit(host, gondang)
        await admit(host, tanon)

        # The weak site is told what it receives, and sees its own link's state.
        await gondang.client.wait_until(
            lambda: (
                gondang.client.state.get("receive") == {"video": False, "auto": "link_down"}
                and bool(gondang.client.participant(gondang.name))
            ),
            what="audio-only receive in room:state",
        )
        assert _me(gondang)["link"]["state"] == "DOWN"
        await tanon.client.wait_until(lambda: bool(tanon.client.participant(tanon.name)))
        assert tanon.client.state["receive"] == {"video": True, "auto": None}
        assert _me(tanon)["link"]["state"] == "UP"

        # Media: Gondang hears the host and sees at most a still of the host; Tanon gets both.
        await gondang.frames(host, "audio", 10)
        await tanon.frames(host, "video", 5)
        await host.frames(gondang, "video", 5)  # its camera still reaches the host ...
        assert gondang.decoded(host, "video") <= 3
        # ... within limits: in audio-only mode the low layer at a few frames per second
        # (while it waited in the lobby: the low layer only, as its link is down)
        limits = await gondang.client.wait_event(
            "media:limits", lambda d: d["reason"] != "link_down"
        )
        assert limits["low_only"] and limits["reason"] == "audio_only"
        assert limits["max_framerate"] == 5.0
        assert tanon.client.events("media:limits") == []  # a good link is not limited

        # Readiness: one of each, and both present.
        ready = await http_json(http, "GET", f"/api/rooms/{room['id']}/readiness")
        assert ready["counts"] == {"ready": 1, "weak": 0, "down": 1, "unknown": 1}
        by_code = {s["code"]: s for s in ready["sites"]}
        assert by_code[DOWN_SITE]["readiness"] == "down"
        assert by_code[DOWN_SITE]["link"]["state"] == "DOWN"
        assert by_code[DOWN_SITE]["audio_only"] and by_code[DOWN_SITE]["reason"] == "link_down"
        assert by_code[UP_SITE]["readiness"] == "ready"
        assert by_code[UP_SITE]["link"]["rtt_ms"] is not None
        assert by_code[SILENT_SITE]["readiness"] == "unknown"
        assert [s["presence"] for s in ready["sites"]] == ["present", "present", "absent"]

        # A short call later, the inventory keeps Gondang's call quality.
        async def recorded() -> dict[str, Any] | None:
            report = await http_json(http, "GET", f"/api/sites/{down_id}/call-quality?range=24h")
            sessions = report["sessions"]
            if sessions and sessions[0]["samples"] >= 3 and sessions[0]["rtt_median"] is not None:
                return dict(report)
            return None

        report = await until(recorded, what="call-quality samples")
        session = report["sessions"][0]
        assert session["room_id"] == room["id"] and session["title"] == "Rapat"
        assert session["participants"] == 1
        assert session["kbps_out"] > 0 and session["kbps_in"] > 0  # audio out, audio+video in
        assert 0 <= session["rtt_median"] < 1000 and session["loss_in"] < 0.05
        assert report["points"] and report["points"][-1]["samples"] >= 1
        last = (await http_json(http, "GET", f"/api/rooms/{room['id']}/readiness"))["sites"][0]
        assert last["last_call"]["room_id"] == room["id"]

        # The participant may override: video on again.
        await gondang.client.receive(video=True)
        await gondang.client.wait_until(
            lambda: gondang.client.state.get("receive") == {"video": True, "auto": None}
        )
        # over a weak link the camera stays at the low layer, with the reason to show
        await gondang.client.wait_event(
            "media:limits", lambda d: d["reason"] == "link_down" and d["low_only"]
        )
        await gondang.frames(host, "video", 3)
    finally:
        await http.close()
        listener.close()
        await listener.wait_closed()
        await wait(lambda: True)
