"""Property-based tests (hypothesis) over every socket.io event of the meeting protocol.

A real server runs on a loopback port in its own thread and event loop, with python-socketio
clients connected to it: a host and a participant in session B (who send the generated
payloads), a fresh socket (for ``join``), and an observer admitted in session A. For each event
the docs list, random JSON-like payloads and well-formed-but-wrong ones are sent. Properties:

- every ack is ``{"ok": true, ...}`` or ``{"ok": false, "error": <documented code>, "message":
  <text>}``;
- nothing is logged at ERROR (no unhandled exception);
- a refused event changes nothing in session B (the host's ``room:get`` is the same);
- the observer in session A keeps a valid state, and the server still answers ``room:get``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pendopo.app import create_app
from rooms.errors import ERROR_CODES
from signaling.meeting import MEETING
from signaling.throttle import EventLimiter
from tests.conftest import RunningServer, make_settings
from tests.signaling.meeting import Person, admit, connect, create_room, join_host, join_lobby
from tests.signaling.test_protocol_doc import handled_events

T = TypeVar("T")
EVENTS = sorted(handled_events())
FIELDS: dict[str, tuple[str, ...]] = {
    "join": ("protocol", "room", "name", "site", "resume", "invite"),
    "lobby:admit": ("participant",),
    "lobby:deny": ("participant",),
    "media:offer": ("sdp",),
    "media:answer": ("sdp",),
    "self:media": ("mic", "camera"),
    "media:receive": ("video",),
    "chat:send": ("text",),
    "host:mute": ("participant", "hard"),
    "host:unmute-allow": ("participant",),
    "host:mute-all": ("hard",),
    "host:remove": ("participant",),
    "host:lock": ("locked",),
    "host:present-allow": ("participant", "allowed"),
    "present:start": ("sdp",),
}
"""Each event's documented fields (events missing here take ``{}``)."""


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class World:
    loop: asyncio.AbstractEventLoop
    runner: web.AppRunner
    server: RunningServer
    errors: _Errors
    host_a: Person
    observer: Person
    room_a: str
    room_b: str = ""
    host_b: Person | None = None
    guest: Person | None = None
    fresh: Person | None = None
    people: list[Person] = field(default_factory=list)

    def run(self, coro: Coroutine[Any, Any, T], within: float = 120.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(within)


async def _start(tmp: Path, loop: asyncio.AbstractEventLoop, errors: _Errors) -> World:
    settings_ = make_settings(tmp)
    app = create_app(settings_)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings_.host, settings_.port).start()
    # The flood limits have their own tests: here every generated event must reach its handler.
    app[MEETING].limits = EventLimiter(rate=1e9, burst=1e9)
    server = RunningServer(app, settings_, f"http://{settings_.host}:{settings_.port}")
    room_a = await create_room(server, "Rapat A")
    host_a = await join_host(server, room_a, "Bupati A")
    observer = await join_lobby(server, room_a, "Pengamat")
    await admit(host_a, observer, media=False)
    world = World(loop, runner, server, errors, host_a, observer, room_a)
    world.people += [host_a, observer]
    return world


async def _ensure_ready(w: World) -> None:
    """Session B with its host and an admitted guest, and a fresh unjoined socket — rebuilt
    when an earlier example left, ended, removed or locked something."""
    s = w.server
    if w.host_b is not None and not (await w.host_b.client.request("room:get", {}))["ok"]:
        ack = await w.host_b.client.request(
            "join", {"protocol": 1, "room": w.room_b, "name": "Sekda"}
        )
        if not ack["ok"]:  # the session was ended
            w.host_b = None
    if w.host_b is None:
        w.room_b = await create_room(s, "Rapat B")
        w.host_b = await join_host(s, w.room_b, "Sekda")
        w.people.append(w.host_b)
        w.guest = None
    state = (await w.host_b.client.call("room:get"))["state"]
    if state["room"]["state"] == "locked":
        await w.host_b.client.lock(False)
    admitted = {p["id"] for p in state["participants"]}
    if w.guest is None or w.guest.client.participant_id not in admitted:
        if w.guest is not None:
            await w.guest.close()
        w.guest = await join_lobby(s, w.room_b, "Lurah Uji")
        w.people.append(w.guest)
        await admit(w.host_b, w.guest, media=False)
    if w.fresh is None or not w.fresh.client.connected:
        w.fresh = await connect(s, "baru")
        w.people.append(w.fresh)


def _placeholders(w: World) -> dict[str, str]:
    assert w.host_b is not None and w.guest is not None
    return {
        "$host": w.host_b.id,
        "$guest": w.guest.id,
        "$observer": w.observer.id,
        "$roomA": w.room_a,
        "$roomB": w.room_b,
    }


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    if isinstance(value, tuple):
        return tuple(_fill(v, names) for v in value)
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


def _valid_state(state: Any, room: str, me: str) -> None:
    assert isinstance(state, dict), state
    assert state["room"]["id"] == room and state["room"]["state"] == "open", state
    assert state["you"] == me and state["status"] == "admitted", state
    assert me in {p["id"] for p in state["participants"]}, state


def _check_ack(ack: Any) -> bool:
    """True when the ack is a refusal (after checking its shape)."""
    assert isinstance(ack, dict), ack
    if ack.get("ok") is True:
        return False
    assert ack.get("ok") is False, ack
    assert ack.get("error") in ERROR_CODES, ack
    assert isinstance(ack.get("message"), str) and ack["message"], ack
    return True


async def _example(w: World, event: str, who: str, payload: Any) -> None:
    await _ensure_ready(w)
    assert w.host_b is not None and w.guest is not None and w.fresh is not None
    sender = {"host": w.host_b, "guest": w.guest, "fresh": w.fresh}[who]
    before = (await w.host_b.client.call("room:get"))["state"]
    payload = _fill(payload, _placeholders(w))
    args = payload if isinstance(payload, tuple) else () if payload is None else (payload,)
    ack = await sender.client.request(event, *args)
    refused = _check_ack(ack)
    if event == "join" and not refused:
        await sender.client.call("leave")  # a fresh socket again for the next example
    if refused:
        after = await w.host_b.client.request("room:get", {})
        assert after["ok"] and after["state"] == before, (event, payload, ack)
    observed = await w.observer.client.call("room:get")
    _valid_state(observed["state"], w.room_a, w.observer.id)
    errors = [f"{r.name}: {r.getMessage()}" for r in w.errors.records]
    assert not errors, errors


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    tmp = tmp_path_factory.mktemp("socket-props")
    w = asyncio.run_coroutine_threadsafe(_start(tmp, loop, errors), loop).result(120)
    try:
        yield w
    finally:

        async def stop() -> None:
            for person in w.people:
                await person.close()
            await w.runner.cleanup()
            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in rest:  # engineio's ping tasks of the closed sockets
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        try:
            w.run(stop())
        finally:
            logging.getLogger().removeHandler(errors)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(60)
            loop.close()


# -- payloads ---------------------------------------------------------------------------------
json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
ids = st.sampled_from(["$guest", "$host", "$observer", "p_0000000000", "", " ", "p_\x00"])
flags: st.SearchStrategy[Any] = st.booleans() | st.sampled_from([0, 1, "true", None, [], {}])
SDP = (
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\n"
)
GOOD: dict[str, st.SearchStrategy[Any]] = {
    "protocol": st.sampled_from([1, 1, 2, 0, -1, "1", 1.0, True]),
    "room": st.sampled_from(["$roomA", "$roomB", "no-such-room", "", "x" * 65]),
    "name": st.sampled_from(["Pak Uji", "", "   ", "a\x00b", "y" * 81]) | st.text(max_size=90),
    "site": st.sampled_from(["33.14.06", "33.14.01", "99.99", ""]),
    "resume": st.text(max_size=210),
    "invite": st.sampled_from(["v1.a.b", "x"]) | st.text(max_size=60),
    "participant": ids,
    "sdp": st.sampled_from(["v=0\r\n", "hello", SDP, SDP.replace("opus", "PCMU")])
    | st.text(max_size=100),
    "mic": flags,
    "camera": flags,
    "video": flags,
    "hard": flags,
    "locked": flags,
    "allowed": flags,
    "text": st.sampled_from(["Selamat pagi", "", "x" * 1001, "a\x07b"]) | st.text(max_size=50),
}


def payloads(event: str) -> st.SearchStrategy[Any]:
    fields_ = FIELDS.get(event, ())
    well_formed = st.fixed_dictionaries(
        {}, optional={f: GOOD[f] | json_values for f in fields_}
    ).flatmap(
        lambda d: st.dictionaries(st.text(max_size=8), json_values, max_size=2).map(
            lambda extra: {**extra, **d}
        )
    )
    return (
        well_formed
        | well_formed
        | json_values
        | st.tuples(well_formed, json_values)  # more than one argument
    )


PROPS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("event", EVENTS)
@PROPS
@given(data=st.data())
def test_every_event_answers_with_a_documented_ack(
    world: World, event: str, data: st.DataObject
) -> None:
    payload = data.draw(payloads(event), label="payload")
    who = "fresh" if event == "join" else data.draw(st.sampled_from(["host", "guest"]), "who")
    world.run(_example(world, event, who, payload))


RESERVED = {"connect", "disconnect", "connect_error", "message"}


@PROPS
@given(
    event=st.text(min_size=1, max_size=30).filter(lambda e: e not in RESERVED | set(EVENTS)),
    payload=json_values,
)
def test_unknown_events_are_refused(world: World, event: str, payload: Any) -> None:
    world.run(_example(world, event, "guest", payload))


def test_the_sessions_survived(world: World) -> None:
    async def check() -> None:
        state = (await world.host_a.client.call("room:get"))["state"]
        assert {p["name"] for p in state["participants"]} == {"Bupati A", "Pengamat"}
        assert world.host_a.client.connected and world.observer.client.connected

    world.run(check())
