"""1:1 NAT (``ice_announce_addresses``): the server's SDP names the public address in place of the
one it gathered on, ports unchanged, and media flows through such a NAT."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from media import MediaSettings
from media.announce import announce
from media.testing import LOOPBACK, connect
from tests.media.conftest import Harness

SDP = "\r\n".join(
    [
        "v=0",
        "m=audio 40001 UDP/TLS/RTP/SAVPF 96",
        "c=IN IP4 10.0.0.5",
        "a=candidate:1 1 udp 2130706431 10.0.0.5 40001 typ host",
        "a=candidate:2 1 udp 2130706431 10.1.0.5 40002 typ host",
        "a=candidate:3 1 udp 1694498815 203.0.113.9 5000 typ srflx raddr 10.0.0.5 rport 40001",
        "",
    ]
)


def test_host_candidates_on_local_name_public() -> None:
    out = announce(SDP, (("10.0.0.5", "203.0.113.7"),)).split("\r\n")
    assert out[2] == "c=IN IP4 203.0.113.7"
    assert out[3] == "a=candidate:1 1 udp 2130706431 203.0.113.7 40001 typ host"
    assert out[4] == "a=candidate:2 1 udp 2130706431 10.1.0.5 40002 typ host"  # not mapped
    assert out[5] == SDP.split("\r\n")[5]  # only host candidates
    every = announce(SDP, (("*", "2001:db8::7"),)).split("\r\n")
    assert every[2] == "c=IN IP6 2001:db8::7"
    assert "2001:db8::7 40002 typ host" in every[4]
    assert announce(SDP, ()) == SDP


@pytest.fixture
async def nat_harness() -> AsyncIterator[Harness]:
    """The SFU gathers on 127.0.0.1 and announces 127.0.0.2 as its "public" address."""
    h = Harness(MediaSettings(host_addresses=LOOPBACK, announced_addresses=(("*", "127.0.0.2"),)))
    yield h
    await h.close()


async def test_media_flows_through_a_one_to_one_nat(nat_harness: Harness) -> None:
    seen: list[str] = []

    def nat(sdp: str) -> str:
        """What the client's packets meet: 127.0.0.2 translated to 127.0.0.1, same port."""
        seen.append(sdp)
        return sdp.replace(" 127.0.0.2 ", " 127.0.0.1 ").replace("IP4 127.0.0.2", "IP4 127.0.0.1")

    host = nat_harness.client("host")
    host.publish(audio=False, video=True)
    host.incoming_sdp = nat
    await connect(nat_harness.sfu, "host", host)
    lurah = nat_harness.client("lurah")
    lurah.incoming_sdp = nat
    await connect(nat_harness.sfu, "lurah", lurah)
    await nat_harness.sfu.subscribe("lurah", "host", frozenset({"video"}))
    await lurah.wait_frames("host", "video", 10)
    candidates = [line for sdp in seen for line in sdp.split("\r\n") if "typ host" in line]
    assert candidates and all(" 127.0.0.2 " in line for line in candidates), candidates
    assert len(seen) >= 3  # two answers and the server's offer to the subscriber
