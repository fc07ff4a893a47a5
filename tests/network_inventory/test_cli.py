"""The inventory's CLI commands against a database folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pendopo.cli import main
from tests.conftest import SRAGEN_DATA


def test_import_regions_export_and_rejected_probe_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    assert main(["import-regions", *data, "--dir", str(SRAGEN_DATA)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["matched"] == {"kecamatan": 20, "village": 208}
    assert report["kinds"] == {"desa": 196, "kelurahan": 12}
    bad = tmp_path / "probes.csv"
    bad.write_text("site_code,kind,host,port\n33.14.01,tcp,10.0.0.1,99999\n", encoding="utf-8")
    assert main(["import-probes", *data, str(bad)]) == 1
    assert "probes.csv:2 port" in capsys.readouterr().err
    out = tmp_path / "sites.csv"
    assert main(["export", "sites", *data, "--output", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 230 and ",33.14.20.2007," in "\n".join(lines)
