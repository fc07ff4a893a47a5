"""``room:delta`` over real sockets: after the whole view a page gets only what changed, and
what it puts together is the view a fresh ``room:get`` gives; a missed delta is noticed by its
version and repaired with ``room:get``."""

from __future__ import annotations

from typing import Any

from tests.conftest import RunningServer
from tests.signaling.meeting import Person, admit, create_room, join_host, join_lobby, wait


def entry(person: Person, of: Person) -> dict[str, Any]:
    for p in (person.client.state or {}).get("participants", []):
        if p["id"] == of.id:
            return dict(p)
    return {}


async def town_hall(server: RunningServer, people: list[Person]) -> tuple[Person, Person, Person]:
    """A host and two admitted sites, no media (the state is all this is about)."""
    room = await create_room(server)
    host = await join_host(server, room)
    people.append(host)
    a = await join_lobby(server, room, "Lurah Gondang")
    b = await join_lobby(server, room, "Lurah Tanon", site="33.14.01")
    people.extend([a, b])
    await admit(host, a, media=False)
    await admit(host, b, media=False)
    await wait(lambda: bool(entry(b, a)) and bool(entry(a, b)), what="everyone listed")
    return host, a, b


def without_version(view: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (view or {}).items() if k != "version"}


async def test_a_mute_reaches_the_others_as_a_delta_of_one_entry(
    server: RunningServer, people: list[Person]
) -> None:
    host, a, b = await town_hall(server, people)
    since = len(b.client.pushed)
    await host.client.mute(a.id)
    await wait(lambda: entry(b, a).get("mic") is False, what="the mute in b's state")
    await wait(lambda: entry(host, a).get("mic") is False, what="the mute in the host's state")
    pushed = b.client.pushed[since:]
    assert [p.event for p in pushed if p.event.startswith("room:")] == ["room:delta"]
    delta = next(p.data for p in pushed if p.event == "room:delta")
    assert [e["id"] for e in delta["participants"]["set"]] == [a.id]
    assert "lobby" not in delta  # a site's view has no lobby
    for person in (host, a, b):
        fresh = (await person.client.call("room:get"))["state"]
        assert without_version(person.client.state) == without_version(fresh), person.name
    assert b.client.resyncs == 0


async def test_a_missed_delta_is_noticed_and_the_state_read_again(
    server: RunningServer, people: list[Person]
) -> None:
    host, a, b = await town_hall(server, people)
    handlers = b.client.sio.handlers["/"]
    deliver = handlers["room:delta"]
    dropped: list[Any] = []

    async def lose_one(data: Any) -> None:
        if not dropped:
            dropped.append(data)  # lost on the way: b never sees it
            return
        await deliver(data)

    handlers["room:delta"] = lose_one
    await host.client.mute(a.id)
    await wait(lambda: bool(dropped), what="the mute's delta (dropped)")
    assert entry(b, a).get("mic") is True  # b missed it
    await a.client.raise_hand()  # the next delta builds on the version b does not have
    await wait(lambda: b.client.resyncs == 1, what="b reading the state again")
    await wait(lambda: (b.client.state or {}).get("hands") == [a.id], what="the hand in b's state")
    assert entry(b, a).get("mic") is False  # the missed change is in the state read again
    fresh = (await b.client.call("room:get"))["state"]
    assert without_version(b.client.state) == without_version(fresh)
