"""``pendopo probe <site>`` against loopback targets."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from pendopo.cli import main
from pendopo.db import Database
from pendopo.schema import components
from tests.network_inventory.live_helpers import add_site, add_target


def _prepare(data_dir: Path) -> None:
    async def fill() -> None:
        db = Database(data_dir / "pendopo.sqlite3")
        db.open(components())
        try:
            site = await add_site(db, "C.1", "Kecamatan Coba", "kecamatan", None)
            await add_target(db, site, "icmp", "127.0.0.7", count=4)
            await add_target(db, site, "tcp", "127.0.0.1", port=1, count=1)
            await add_site(db, "C.2", "Tanpa Target", "kecamatan", None)
        finally:
            db.close()

    asyncio.run(fill())


def test_probe_prints_each_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _prepare(tmp_path)
    assert main(["probe", "C.1", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "kecamatan Kecamatan Coba (C.1)"
    assert "127.0.0.7" in out[1] and "4/4 loss 0%" in out[1]
    assert "0/1 loss 100%" in out[2] and "refused" in out[2]


def test_probe_json_and_tcp_fallback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _prepare(tmp_path)
    assert main(["probe", "1", "--data-dir", str(tmp_path), "--json", "--icmp", "tcp"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["method"] for r in data["results"]] == ["tcp-fallback", "tcp"]


def test_probe_unknown_site_or_no_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _prepare(tmp_path)
    assert main(["probe", "99.99", "--data-dir", str(tmp_path)]) == 2
    assert main(["probe", "C.2", "--data-dir", str(tmp_path)]) == 2
    assert "no enabled probe target" in capsys.readouterr().err
