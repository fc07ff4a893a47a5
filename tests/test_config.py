"""Settings: precedence of sources, validation, and every setting documented."""

from __future__ import annotations

import logging
from dataclasses import fields
from pathlib import Path

import pytest

from pendopo.cli import main
from pendopo.config import ConfigError, Settings, load_settings
from pendopo.log_levels import LogLevels, parse_log_levels

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_every_setting_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for f in fields(Settings):
        assert f"| `{f.name}` | `PENDOPO_{f.name.upper()}` |" in text, f.name


def test_flags_override_env_override_file(tmp_path: Path) -> None:
    cfg = tmp_path / "p.toml"
    cfg.write_text('[pendopo]\nport = 9000\nhost = "0.0.0.0"\nregion = "Kabupaten Klaten"\n')
    env = {"PENDOPO_PORT": "9100", "PENDOPO_ICE_SERVERS": "stun:a:3478, turn:b:3478"}
    s = load_settings({"port": "9200"}, environ=env, config_file=cfg)
    assert (s.port, s.host, s.region) == (9200, "0.0.0.0", "Kabupaten Klaten")
    assert s.ice_servers == ("stun:a:3478", "turn:b:3478")
    assert load_settings({}, environ=env, config_file=cfg).port == 9100


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PENDOPO_PORT": "eighty"}, "port"),
        ({"PENDOPO_PORT": "70000"}, "port"),
        ({"PENDOPO_PROBE_ENABLED": "maybe"}, "probe_enabled"),
        ({"PENDOPO_LISTEN": "10.0.0.5:http"}, "listen"),
        ({"PENDOPO_LISTEN": "10.0.0.5:70000"}, "listen"),
        ({"PENDOPO_LISTEN": "[fd00::5:8443"}, "listen"),
        ({"PENDOPO_ICE_HOST_ADDRESSES": "eth0"}, "ice_host_addresses"),
        ({"PENDOPO_ICE_ANNOUNCE_ADDRESSES": "10.0.0.5=gateway"}, "ice_announce_addresses"),
        ({"PENDOPO_PROBE_FLAP_WINDOW": "0"}, "probe_flap_window"),
        ({"PENDOPO_PROBE_FLAP_HOLD": "-5"}, "probe_flap_hold"),
        ({"PENDOPO_PROBE_FLAP_CHANGES": "1"}, "probe_flap_changes"),
        ({"PENDOPO_LOG_LEVEL": "LOUD"}, "log_level"),
        ({"PENDOPO_DATABASE_URL": "mysql://pendopo@10.33.14.5/pendopo"}, "database_url"),
        ({"PENDOPO_DATABASE_URL": "/var/lib/pendopo/pendopo.sqlite3"}, "database_url"),
        ({"PENDOPO_LOG_LEVEL": "INFO,media.layer_control"}, "log_level"),
        ({"PENDOPO_LOG_LEVEL": "INFO,media.layer_control=chatty"}, "log_level"),
        ({"PENDOPO_WORKERS": "0"}, "workers"),
        ({"PENDOPO_WORKERS": "two"}, "workers"),
        ({"PENDOPO_WORKERS": "2"}, "workers' above 1 needs 'redis_url'"),
        (
            {
                "PENDOPO_WORKERS": "2",
                "PENDOPO_REDIS_URL": "redis://127.0.0.1:6379/0",
                "PENDOPO_PUBLIC_URL": "https://pendopo.sragenkab.go.id",
            },
            "cannot be used with 'public_url'",
        ),
        (
            {
                "PENDOPO_WORKERS": "3",
                "PENDOPO_REDIS_URL": "redis://127.0.0.1:6379/0",
                "PENDOPO_PORT": "65534",
            },
            "needs the 3 ports after it",
        ),
    ],
)
def test_bad_values_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({}, environ=env)


def test_log_level_sets_named_loggers_apart() -> None:
    levels = parse_log_levels("warning, media.layer_control=DEBUG")
    assert levels == LogLevels("WARNING", (("media.layer_control", "DEBUG"),))
    try:
        levels.apply()
        assert logging.getLogger("media.layer_control").isEnabledFor(logging.DEBUG)
    finally:
        logging.getLogger("media.layer_control").setLevel(logging.NOTSET)


def test_unknown_key_in_file_is_an_error(tmp_path: Path) -> None:
    cfg = tmp_path / "p.toml"
    cfg.write_text("prot = 1\n")
    with pytest.raises(ConfigError, match="unknown setting 'prot'"):
        load_settings({}, environ={}, config_file=cfg)


def test_cli_reports_bad_setting_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--port", "x"]) == 2
    assert "port" in capsys.readouterr().err


def test_media_forwarding_reaches_the_sfu_settings() -> None:
    from signaling.ice import media_settings

    assert media_settings(load_settings({}, environ={})).forwarding == "packet"
    frame = load_settings({}, environ={"PENDOPO_MEDIA_FORWARDING": "frame"})
    assert media_settings(frame).forwarding == "frame"
    with pytest.raises(ConfigError, match="media_forwarding"):
        load_settings({}, environ={"PENDOPO_MEDIA_FORWARDING": "decode"})


def test_media_cpu_limit_reaches_the_sfu_settings() -> None:
    from signaling.ice import media_settings

    assert media_settings(load_settings({}, environ={})).cpu_limit == 0.85
    off = load_settings({}, environ={"PENDOPO_MEDIA_CPU_LIMIT": "0"})
    assert media_settings(off).cpu_limit == 0.0
    with pytest.raises(ConfigError, match="media_cpu_limit"):
        load_settings({}, environ={"PENDOPO_MEDIA_CPU_LIMIT": "1.5"})


def test_several_listen_addresses_from_flags_env_and_file(tmp_path: Path) -> None:
    import argparse

    from pendopo.config import add_setting_flags
    from pendopo.listen import ListenAddress

    parser = argparse.ArgumentParser()
    add_setting_flags(parser)
    args = parser.parse_args(["--listen", "192.168.1.10:8443", "--listen", "[fd00::5]:9443"])
    s = load_settings(vars(args), environ={})
    assert s.listen_addresses == (
        ListenAddress("192.168.1.10", 8443),
        ListenAddress("fd00::5", 9443),
    )
    assert s.node_urls == ("http://192.168.1.10:8443", "http://[fd00::5]:9443")
    assert s.node_name == "192.168.1.10:8443"
    env = {"PENDOPO_LISTEN": "10.0.0.5:8443, 10.1.0.5", "PENDOPO_PORT": "9000"}
    assert [str(a) for a in load_settings({}, environ=env).listen_addresses] == [
        "10.0.0.5:8443",
        "10.1.0.5:9000",  # no port: the port setting
    ]
    cfg = tmp_path / "p.toml"
    cfg.write_text('listen = ["0.0.0.0:8443"]\ntls_cert = "c.pem"\n')
    s = load_settings({}, environ={}, config_file=cfg)
    assert s.listen_addresses[0].wildcard and s.node_urls == ("https://0.0.0.0:8443",)
    # Without listen, host and port as before.
    s = load_settings({"host": "0.0.0.0", "port": "8443"}, environ={})
    assert [str(a) for a in s.listen_addresses] == ["0.0.0.0:8443"]
    assert load_settings({"host": "::"}, environ={}).listen_addresses[0].url("http") == (
        "http://[::]:8080"
    )


def test_ice_addresses_reach_the_sfu_settings() -> None:
    from signaling.ice import interface_addresses, media_settings

    def media(**values: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
        m = media_settings(load_settings(values, environ={}))
        return m.host_addresses, m.announced_addresses

    assert media() == (("127.0.0.1",), ())  # the default keeps media on loopback
    assert media(listen="10.0.0.5:8443,127.0.0.1:8080")[0] == ("10.0.0.5", "127.0.0.1")
    assert media(host="10.0.0.5", ice_host_addresses="10.9.0.1") == (("10.9.0.1",), ())
    assert media(ice_announce_addresses="203.0.113.7, 10.0.0.6=198.51.100.2")[1] == (
        ("*", "203.0.113.7"),
        ("10.0.0.6", "198.51.100.2"),
    )
    # 0.0.0.0: every interface address but loopback and link-local.
    found = interface_addresses()
    assert not any(a.startswith(("127.", "169.254.")) or ":" in a for a in found)
    assert media(host="0.0.0.0")[0] == (tuple(found) or ("127.0.0.1",))


def test_interface_addresses_leave_out_loopback_and_link_local(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ifaddr

    from signaling import ice

    def ips(*addresses: str | tuple[str, int, int]) -> list[ifaddr.IP]:
        return [ifaddr.IP(a, 24, "x") for a in addresses]

    adapters = [
        ifaddr.Adapter("lo", "lo", ips("127.0.0.1", ("::1", 0, 0))),
        ifaddr.Adapter("eth0", "eth0", ips("10.0.0.5", ("fe80::1", 0, 2), ("2001:db8::5", 0, 0))),
        ifaddr.Adapter("eth1", "eth1", ips("169.254.3.4", "127.0.1.1", "192.168.1.10")),
    ]
    monkeypatch.setattr(ice.ifaddr, "get_adapters", lambda: adapters)
    assert ice.interface_addresses() == ["10.0.0.5", "192.168.1.10"]
    assert ice.interface_addresses(ipv6=True) == ["10.0.0.5", "2001:db8::5", "192.168.1.10"]
    settings = load_settings({"listen": ["[::]:8443"]}, environ={})
    assert ice.media_host_addresses(settings) == ("10.0.0.5", "2001:db8::5", "192.168.1.10")
    monkeypatch.setattr(ice.ifaddr, "get_adapters", lambda: adapters[:1])
    assert ice.media_host_addresses(settings) == ("127.0.0.1",)  # nothing else: loopback


def test_database_url_chooses_postgresql_and_empty_keeps_sqlite(tmp_path: Path) -> None:
    from pendopo.db_choice import database_for

    url = "postgresql://pendopo@10.33.14.5:5432/pendopo"
    assert database_for(load_settings({}, environ={"PENDOPO_DATABASE_URL": url})).path == ""
    sqlite = load_settings({"data_dir": str(tmp_path)}, environ={"PENDOPO_DATABASE_URL": ""})
    assert database_for(sqlite).path == str(tmp_path / "pendopo.sqlite3")
