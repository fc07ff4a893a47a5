"""bench/janus_server.py without Janus: the configuration it writes and the VideoRoom requests.

The benchmark must start Janus with nothing but the VideoRoom plugin and the HTTP transport,
the API on 127.0.0.1, ICE on one local address and no STUN/TURN/NAT mapping: a Janus that
contacted an outside address, or loaded every plugin of the Debian package, would not be the
measurement (or the machine) the benchmark promises.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import janus_server


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


def test_config_loads_videoroom_and_http_only_on_loopback(tmp_path: Path) -> None:
    libraries = fake_libraries(tmp_path / "lib")
    folder = tmp_path / "conf"
    main = janus_server.write_config(folder, 18088, "192.0.2.2", libraries)

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
    nat = config["nat"]
    assert nat["ice_enforce_list"] == '"192.0.2.2"'
    outward = ("stun_server", "turn_server", "turn_rest_api", "nat_1_1_mapping")
    assert not any(key in section for section in config.values() for key in outward)

    http = entries((folder / "janus.transport.http.jcfg").read_text())
    assert http["general"]["ip"] == '"127.0.0.1"'
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
