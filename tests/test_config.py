"""Settings: precedence of sources, validation, and every setting documented."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from pendopo.cli import main
from pendopo.config import ConfigError, Settings, load_settings

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
    ],
)
def test_bad_values_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({}, environ=env)


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
