"""Audio for hundreds, end to end: real aiortc peers on 127.0.0.1 send audio with set levels
(aiortc writes the RFC 6464 header extension from the samples); a receiver subscribed to six of
them holds three audio slots, carrying the loudest, and they switch when another gets loud."""

from __future__ import annotations

import time

import pytest

from media.testing import ClientPeer, connect, wait_for

from .conftest import Harness, tone

AUDIO = frozenset({"audio"})
LOUD, QUIET = 0.3, 0.0003  # about -13 dBov and -73 dBov


@pytest.fixture
async def harness(loudest_harness: Harness) -> Harness:
    return loudest_harness


def heard(receiver: ClientPeer) -> set[str]:
    """Whom the receiver's audio m-lines carry, by the SFU's track map."""
    mids = {
        t.mid
        for t in receiver.pc.getTransceivers()
        if t.kind == "audio" and t.receiver.track is not None
    }
    return {
        info["participant"]
        for mid, info in receiver.tracks.items()
        if mid in mids and info["kind"] == "audio"
    }


def audio_mlines(receiver: ClientPeer) -> int:
    """Audio m-lines the server added (the client's own first offer has one of its own)."""
    return sum(1 for t in receiver.pc.getTransceivers() if t.kind == "audio") - 1


def audio_slots(publisher: ClientPeer) -> int:
    """Audio m-lines the server added to a publishing client's connection."""
    return sum(1 for t in publisher.pc.getTransceivers() if t.kind == "audio") - 1


def flowing(receiver: ClientPeer, participant: str, since: float, frames: int = 10) -> bool:
    rec = receiver.from_participant(participant, "audio")
    return rec is not None and rec.since(since) >= frames


async def test_receiver_gets_the_loudest_three_and_switches(harness: Harness) -> None:
    names = [f"site{i}" for i in range(6)]
    publishers = {}
    for i, name in enumerate(names):
        client = harness.client(name)
        client.publish(audio=True, video=False)
        tone(client).set_amplitude(LOUD if i < 3 else QUIET)
        await connect(harness.sfu, name, client)
        publishers[name] = client
    receiver = harness.client("bupati")
    await connect(harness.sfu, "bupati", receiver)
    for name in names:
        await harness.sfu.subscribe("bupati", name, AUDIO)

    loud = {"site0", "site1", "site2"}
    t0 = time.monotonic()
    await wait_for(
        lambda: heard(receiver) == loud and all(flowing(receiver, p, t0) for p in loud),
        within=30,
        what="the three loud sites heard",
    )
    assert audio_mlines(receiver) == 3  # never six audio tracks to mix

    # site4 starts speaking, site0 stops: after site0's hold, site4 takes its slot.
    tone(publishers["site4"]).set_amplitude(LOUD)
    tone(publishers["site0"]).set_amplitude(QUIET)
    now_loud = {"site1", "site2", "site4"}
    t1 = time.monotonic()
    await wait_for(
        lambda: heard(receiver) == now_loud and flowing(receiver, "site4", t1),
        within=30,
        what="site4 heard in place of site0",
    )
    assert audio_mlines(receiver) == 3  # the slot switched source: no renegotiation
    assert not harness.events.errors

    # A publisher never hears itself: site1 subscribed to everyone else hears three others.
    for name in names:
        await harness.sfu.subscribe("site1", name, AUDIO)
    site1 = publishers["site1"]
    await wait_for(
        lambda: {"site2", "site4"} <= heard(site1) and audio_slots(site1) == 3,
        within=30,
        what="site1 hears the others",
    )
    assert "site1" not in heard(site1) and len(heard(site1)) <= 3


async def test_the_priority_speaker_gets_a_slot_at_once(harness: Harness) -> None:
    names = [f"site{i}" for i in range(4)] + ["host"]
    publishers = {}
    for name in names:
        client = harness.client(name)
        client.publish(audio=True, video=False)
        tone(client).set_amplitude(QUIET if name == "host" else LOUD)
        await connect(harness.sfu, name, client)
        publishers[name] = client
    harness.sfu.set_audio_priority("host", True)
    receiver = harness.client("lurah")
    await connect(harness.sfu, "lurah", receiver)
    for name in names:
        await harness.sfu.subscribe("lurah", name, AUDIO)
    await wait_for(lambda: len(heard(receiver)) == 3, within=30, what="three sites heard")
    assert "host" not in heard(receiver)

    tone(publishers["host"]).set_amplitude(LOUD)  # four sites keep talking: the host still in
    t0 = time.monotonic()
    await wait_for(
        lambda: "host" in heard(receiver) and flowing(receiver, "host", t0),
        within=30,
        what="the host heard",
    )
    assert audio_mlines(receiver) == 3
