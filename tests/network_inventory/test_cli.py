"""The inventory's CLI commands against a database folder."""

from __future__ import annotations

import json
import subprocess
import sys
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


def test_the_inventory_commands_do_not_load_the_web_app(tmp_path: Path) -> None:
    """The domain CLIs migrate the database from pendopo.schema, not from the web app."""
    script = (
        "import sys\nfrom pendopo.cli import main\n"
        f"code = main(['export', 'links', '--data-dir', {str(tmp_path)!r},"
        f" '--output', {str(tmp_path / 'links.csv')!r}])\n"
        "print(code, sorted(m for m in sys.modules if m == 'web' or m.startswith('web.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split("\n")[0] == "0 []", done.stdout + done.stderr
    assert len((tmp_path / "links.csv").read_text(encoding="utf-8").splitlines()) == 229
