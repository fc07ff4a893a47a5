"""docs/protocol.md stays true to the code: every handled and pushed event, every error code."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from rooms.errors import ERROR_CODES
from signaling import meeting
from signaling.client import PUSHED_EVENTS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")


def handled_events() -> set[str]:
    source = inspect.getsource(meeting.Meeting.__init__)
    return set(re.findall(r'"([a-z:-]+)": self\.on_', source))


def test_the_handler_table_was_read() -> None:
    assert {"join", "leave", "host:end", "media:offer"} <= handled_events()


def test_every_handled_event_is_documented() -> None:
    missing = sorted(e for e in handled_events() if f"`{e}`" not in DOC)
    assert not missing, f"docs/protocol.md does not document: {missing}"


def test_every_pushed_event_is_documented() -> None:
    source = inspect.getsource(meeting) + inspect.getsource(
        __import__("signaling.media_bridge", fromlist=["x"])
    )
    emitted = set(re.findall(r'to_(?:participant|room)\([^"]*"([a-z:-]+)"', source))
    emitted.add("room:state")
    assert emitted <= set(PUSHED_EVENTS), "signaling/client.py must record every pushed event"
    missing = sorted(e for e in PUSHED_EVENTS if f"`{e}`" not in DOC)
    assert not missing, f"docs/protocol.md does not document: {missing}"


def test_the_lobby_events_are_documented() -> None:
    """The doc lists exactly the events a lobby participant may send."""
    match = re.search(r"lobby may send only (.+?) \(`LOBBY_EVENTS`", DOC, re.S)
    assert match, "docs/protocol.md has no list of the lobby's events"
    listed = set(re.findall(r"`([a-z:-]+)`", match.group(1)))
    assert listed == set(meeting.LOBBY_EVENTS)
    assert set(meeting.LOBBY_EVENTS) <= handled_events()


def test_every_error_code_is_documented() -> None:
    missing = sorted(c for c in ERROR_CODES if f"`{c}`" not in DOC)
    assert not missing, f"docs/protocol.md does not list error codes: {missing}"


def test_rest_routes_are_documented() -> None:
    from web import rooms_api

    source = inspect.getsource(rooms_api.setup)
    routes = re.findall(r'add_(get|post)\("(/api/[^"]+)"', source)
    assert routes
    for method, path in routes:
        assert f"`{method.upper()} {path}" in DOC, f"{method.upper()} {path} is undocumented"
