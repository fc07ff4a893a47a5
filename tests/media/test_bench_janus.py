"""bench/janus_server.py without Janus: the configuration it writes and the VideoRoom requests.

The benchmark must start Janus with nothing but the VideoRoom plugin and the HTTP transport,
the API, the SDP's address and ICE on the one address it is given (its veth in the benchmark's
namespace) and no STUN/TURN/NAT mapping: a Janus that contacted an outside address, or loaded
every plugin of the Debian package, would not be the measurement (or the machine) the benchmark
promises.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import janus_netns
import janus_server

from tests.lan import netns as lan
from tests.weaklink import lab


def fake_libraries(root: Path) -> Path:
    for sub, names in {
        "plugins": ["libjanus_videoroom.so", "libjanus_echotest.so", "libjanus_sip.so"],
        "transports": ["libjanus_http.so", "libjanus_websockets.so"],
        "events": ["libjanus_sampleevh.so"],
        "loggers": ["libjanus_jsonlog.so"],
    }.items():
        (root / sub).mkdir(parents=True)
        for name in names:
            (root / sub / name).write_bytes(b"")
    return root


def entries(text: str) -> dict[str, dict[str, str]]:
    """The sections of a flat .jcfg as written: {section: {key: raw value}}."""
    out: dict[str, dict[str, str]] = {}
    section = ""
    for line in text.splitlines():
        if line.endswith(": {"):
            section = line[: -len(": {")]
            out[section] = {}
        elif " = " in line:
            key, value = line.strip().split(" = ", 1)
            out[section][key] = value
    return out


def test_config_loads_videoroom_and_http_only_on_the_given_address(tmp_path: Path) -> None:
    libraries = fake_libraries(tmp_path / "lib")
    folder = tmp_path / "conf"
    main = janus_server.write_config(folder, 18088, "10.79.0.1", libraries)

    config = entries(main.read_text())
    general = config["general"]
    assert sorted(p.name for p in Path(general["plugins_folder"].strip('"')).iterdir()) == [
        "libjanus_videoroom.so"
    ]
    assert sorted(p.name for p in Path(general["transports_folder"].strip('"')).iterdir()) == [
        "libjanus_http.so"
    ]
    for folder_key in ("events_folder", "loggers_folder"):
        assert list(Path(general[folder_key].strip('"')).iterdir()) == []
    assert general["configs_folder"] == f'"{folder}"'
    assert general["interface"] == '"10.79.0.1"'
    nat = config["nat"]
    assert nat["ice_enforce_list"] == '"10.79.0.1"'
    outward = ("stun_server", "turn_server", "turn_rest_api", "nat_1_1_mapping")
    assert not any(key in section for section in config.values() for key in outward)

    http = entries((folder / "janus.transport.http.jcfg").read_text())
    assert http["general"]["ip"] == '"10.79.0.1"'
    assert http["general"]["port"] == "18088"
    assert http["general"]["https"] == "false"
    assert http["admin"] == {"admin_http": "false", "admin_https": "false"}
    assert (folder / "janus.plugin.videoroom.jcfg").exists()


def test_jcfg_quotes_strings_and_leaves_numbers_and_booleans_bare() -> None:
    text = janus_server.jcfg({"general": {"a": 'x"y', "b": 3, "c": True}, "empty": {}})
    assert text == 'general: {\n\ta = "x\\"y"\n\tb = 3\n\tc = true\n}\nempty: {\n}\n'


def test_videoroom_requests() -> None:
    room = janus_server.create_room(1234, 1_400_000)
    assert room["request"] == "create" and room["room"] == 1234
    assert (room["videocodec"], room["audiocodec"], room["publishers"]) == ("vp8", "opus", 1)
    assert janus_server.join_publisher(1234, 1, "pub0") == {
        "request": "join",
        "ptype": "publisher",
        "room": 1234,
        "id": 1,
        "display": "pub0",
    }
    assert janus_server.join_subscriber(1234, 1) == {
        "request": "join",
        "ptype": "subscriber",
        "room": 1234,
        "streams": [{"feed": 1}],
    }
    assert janus_server.start_subscription() == {"request": "start"}
    # aiortc puts every candidate in its SDP and never trickles: Janus must not wait for more.
    assert janus_server.jsep("answer", "v=0") == {"type": "answer", "sdp": "v=0", "trickle": False}


def test_janus_namespace_is_apart_from_the_labs() -> None:
    assert not janus_netns.SUBNET.overlaps(ipaddress.ip_network(lab.SUBNET))
    assert not janus_netns.SUBNET.overlaps(ipaddress.ip_network("10.77.0.0/16"))  # tests/lan
    for other in (lab.PREFIX, lan.PREFIX):
        assert not other.startswith(janus_netns.PREFIX)
        assert not janus_netns.PREFIX.startswith(other)
    assert janus_netns.SUBNET.is_private
    assert {janus_netns.JANUS_ADDR, janus_netns.CLIENT_ADDR} <= {
        str(a) for a in janus_netns.SUBNET.hosts()
    }


def ip_json(*args: str) -> list[dict[str, Any]]:
    out = subprocess.run(["ip", "-j", *args], capture_output=True, text=True, check=True)
    rows: list[dict[str, Any]] = json.loads(out.stdout or "[]")
    return rows


@pytest.mark.skipif(janus_netns.unavailable_reason() is not None, reason="needs root and ip")
def test_janus_namespace_has_one_way_out_and_goes_away() -> None:
    """Janus's namespace: lo and its end of the pair, a route to the /30 only; from the root
    namespace 10.79.0.1 is reached over the pair's other end; nothing is left afterwards."""
    try:
        net = janus_netns.JanusNet().__enter__()
    except janus_netns.NetUnavailable as exc:  # e.g. a benchmark holds the subnet right now
        pytest.skip(str(exc))
    try:
        assert {link["ifname"] for link in ip_json("-n", net.name, "link")} == {"lo", "jn0"}
        for route in ip_json("-n", net.name, "route", "show", "table", "all"):
            assert route.get("dst") != "default"
            assert route.get("dev") in ("lo", "jn0"), route
        inside = ip_json("-n", net.name, "addr", "show", "dev", "jn0")[0]["addr_info"]
        assert [(a["local"], a["prefixlen"]) for a in inside] == [("10.79.0.1", 30)]
        outside = ip_json("addr", "show", "dev", net.outside)[0]["addr_info"]
        assert [(a["local"], a["prefixlen"]) for a in outside] == [("10.79.0.2", 30)]
        assert ip_json("route", "get", janus_netns.JANUS_ADDR)[0]["dev"] == net.outside
    finally:
        net.close()
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert net.name not in names
    gone = subprocess.run(["ip", "link", "show", net.outside], capture_output=True)
    assert gone.returncode != 0
