"""What changed between two versions of a room's view: the ``room:delta`` of docs/protocol.md.

A page gets its full ``room:state`` view (rooms.views) on joining, on admission and on
``room:get``; after that only what changed, as a delta from the version it has to the next one.
A 228-site town hall then sends one participant's entry per mute instead of 229 to each of 229
pages (issue 12 item 6). Pure functions, like rooms.views: the server builds a room's
``SharedDelta`` once per push and filters it per viewer (``personal_delta``) by the same rules as
``personal_view``; a client (signaling.client, and ``applyRoomDelta`` in web/static/js/protocol.js)
applies it with ``apply_delta``.

Every part of a delta is a replacement, never a toggle: applying a delta to a view that already
shows some of its changes gives the same view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

from rooms.model import Participant, ParticipantState
from rooms.views import RoomView


class ListDelta(TypedDict):
    """Changes to a list of entries keyed by ``id`` (``participants``, ``lobby``)."""

    set: list[dict[str, Any]]
    """New or changed entries, whole: an entry with a known id replaces it in place, a new one
    goes at the end."""
    gone: list[str]
    """Ids no longer listed."""
    order: NotRequired[list[str]]
    """Every id in the server's order; only when replacing and appending would not give it."""


class RoomDelta(TypedDict):
    """``room:delta``: the changes of one viewer's ``room:state`` view from version ``base`` (the
    one the page has) to ``version``. Only the keys that changed are present."""

    base: int
    version: int
    room: NotRequired[dict[str, Any]]
    """The room's fields that changed (merged into ``room``)."""
    participants: NotRequired[ListDelta]
    hands: NotRequired[list[str]]
    presenting: NotRequired[dict[str, str] | None]
    receive: NotRequired[dict[str, Any]]
    lobby: NotRequired[ListDelta]
    """Only in hosts' deltas, as ``lobby`` is only in hosts' views."""


@dataclass(frozen=True)
class SharedDelta:
    """What changed in the parts every viewer's view shares (``RoomView``): built once per push,
    the same objects in every viewer's delta. ``None``: unchanged."""

    room: dict[str, Any] | None
    participants: ListDelta | None
    hands: list[str] | None
    presenting_changed: bool
    presenting: dict[str, str] | None
    lobby: ListDelta | None


def list_delta(old: Sequence[Mapping[str, Any]], new: Sequence[dict[str, Any]]) -> ListDelta | None:
    """The ``ListDelta`` from ``old`` to ``new`` (entries with unique ids); ``None``: equal."""
    before = {e["id"]: e for e in old}
    now_ids = [e["id"] for e in new]
    changed = [e for e in new if before.get(e["id"]) != e]
    present = set(now_ids)
    gone = [i for i in before if i not in present]
    if not changed and not gone and list(before) == now_ids:
        return None
    delta: ListDelta = {"set": changed, "gone": gone}
    gone_set = set(gone)
    kept = [i for i in before if i not in gone_set]
    if kept + [e["id"] for e in changed if e["id"] not in before] != now_ids:
        delta["order"] = now_ids
    return delta


def diff(old: RoomView, new: RoomView) -> SharedDelta:
    room = {k: v for k, v in new.room.items() if old.room.get(k) != v}
    return SharedDelta(
        room=room or None,
        participants=list_delta(old.participants, new.participants),
        hands=new.hands if new.hands != old.hands else None,
        presenting_changed=new.presenting != old.presenting,
        presenting=new.presenting,
        lobby=list_delta(old.lobby, new.lobby),
    )


@dataclass(frozen=True)
class Sent:
    """What a viewer's page was last given: the version and the parts of its view that decide
    its shape or are its own."""

    version: int
    status: ParticipantState
    host: bool
    receive: dict[str, Any]


def sent(viewer: Participant, version: int) -> Sent:
    return Sent(version, viewer.state, viewer.is_host, _receive(viewer))


def _receive(viewer: Participant) -> dict[str, Any]:
    return {"video": viewer.receive_video, "auto": viewer.receive_auto}


def needs_snapshot(before: Sent | None, viewer: Participant) -> bool:
    """A viewer whose view changed shape (admitted, now a host) or was never given a version
    gets a whole snapshot instead of a delta."""
    return before is None or before.status is not viewer.state or before.host != viewer.is_host


def personal_delta(
    shared: SharedDelta, viewer: Participant, before: Sent, version: int
) -> RoomDelta | None:
    """``viewer``'s delta from ``before.version`` to ``version``: what its view shows of
    ``shared`` (the rules of ``rooms.views.personal_view``), ``None`` when its view is unchanged.
    ``before`` must not need a snapshot (``needs_snapshot``)."""
    delta: RoomDelta = {"base": before.version, "version": version}
    if shared.room is not None:
        delta["room"] = shared.room
    if viewer.state is not ParticipantState.LOBBY:  # the lobby sees the room and itself only
        if shared.participants is not None:
            delta["participants"] = shared.participants
        if shared.hands is not None:
            delta["hands"] = shared.hands
        if shared.presenting_changed:
            delta["presenting"] = shared.presenting
        receive = _receive(viewer)
        if receive != before.receive:
            delta["receive"] = receive
        if viewer.is_host and shared.lobby is not None:
            delta["lobby"] = shared.lobby
    return delta if len(delta) > 2 else None


def _apply_list(entries: Iterable[dict[str, Any]], change: ListDelta) -> list[dict[str, Any]]:
    gone = set(change["gone"])
    result = {e["id"]: e for e in entries if e["id"] not in gone}
    for e in change["set"]:
        result[e["id"]] = e  # a known id keeps its place in the dict, a new one goes last
    if "order" in change:
        return [result[i] for i in change["order"]]
    return list(result.values())


def delta_fits(view: Mapping[str, Any] | None, delta: RoomDelta) -> bool | None:
    """What a client does with ``delta`` given the ``view`` it has (docs/protocol.md,
    ``room:delta``): True apply it, False drop it (already in the view: a ``room:get`` raced
    the push), None read the whole view again (no view yet, or a version gap)."""
    have = view.get("version") if view else None
    if have is not None and delta["version"] <= have:
        return False
    if have is None or delta["base"] != have:
        return None
    return True


def apply_delta(view: Mapping[str, Any], delta: RoomDelta) -> dict[str, Any]:
    """The view at ``delta["version"]`` from ``view`` at ``delta["base"]`` (a new dict; ``view`` is
    left as it is). The caller checks the versions (:func:`delta_fits`)."""
    result = dict(view)
    result["version"] = delta["version"]
    if "room" in delta:
        result["room"] = {**view.get("room", {}), **delta["room"]}
    for key in ("participants", "lobby"):
        change = delta.get(key)
        if change is not None:
            result[key] = _apply_list(view.get(key) or [], change)  # type: ignore[arg-type]
    for key in ("hands", "presenting", "receive"):
        if key in delta:
            result[key] = delta[key]  # type: ignore[literal-required]
    return result
