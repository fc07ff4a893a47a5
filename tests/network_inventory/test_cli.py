"""The inventory's CLI commands against a database folder's SQLite file, or PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from pendopo.cli import main
from tests.conftest import SRAGEN_DATA, RunningServer, make_settings, start_server


def _where(data_dir: Path, database_url: str | None) -> list[str]:
    return ["--data-dir", str(data_dir)] + (
        ["--database-url", database_url] if database_url else []
    )


def test_import_regions_export_and_rejected_probe_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str | None
) -> None:
    data = _where(tmp_path / "data", database_url)
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


async def test_import_regions_reaches_the_join_page_of_a_running_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str | None
) -> None:
    """The CLI writes the server's database from another connection (another process in real
    life); the join page's site list shows the change without a restart (the inventory's
    revision, bumped by triggers on either database)."""
    runner, server = await start_server(make_settings(tmp_path, database_url=database_url))
    try:
        await _import_reaches_the_join_page(server, tmp_path, capsys)
    finally:
        await runner.cleanup()


async def _import_reaches_the_join_page(
    server: RunningServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:

    async def villages() -> set[str]:
        async with http.get("/api/sites/picker", params={"parent": "33.14.01"}) as resp:
            assert resp.status == 200
            return {item["code"] for item in (await resp.json())["items"]}

    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "desa_baru.csv").write_text(
        "code,kecamatan_code,name,kind,lat,lon\n"
        "33.14.01.2099,33.14.01,Desa Baru,desa,-7.44,110.78\n",
        encoding="utf-8",
    )
    async with aiohttp.ClientSession(base_url=server.url) as http:  # the picker is public
        before = await villages()
        assert len(before) == 14 and "33.14.01.2099" not in before
        where = _where(server.settings.data_dir, server.settings.database_url)
        args = ["import-regions", *where, "--dir", str(folder)]
        assert await asyncio.to_thread(main, args) == 0
        assert json.loads(capsys.readouterr().out)["added"][0]["code"] == "33.14.01.2099"
        deadline = asyncio.get_running_loop().time() + 10
        while "33.14.01.2099" not in (now := await villages()):
            assert asyncio.get_running_loop().time() < deadline, now
            await asyncio.sleep(0.2)
        assert now == before | {"33.14.01.2099"}


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
