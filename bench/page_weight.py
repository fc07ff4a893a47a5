"""Bytes a kecamatan PC downloads to show the join page, first visit and repeat visit.

    .venv/bin/python bench/page_weight.py [--page join|login] [--region-data DIR]

Starts a server on a loopback port (temporary data folder, probes off), makes a session, opens its
join link in headless Chromium (Debian's /usr/bin/chromium) and sums the Resource Timing figures of
every request the page made: ``transferSize`` (bytes on the wire, headers included),
``encodedBodySize`` (body as sent, compressed or not) and ``decodedBodySize`` (body after
decompression). Then it loads the page again in the same browser (its cache warm) and sums again.
At 256 kbit/s every 32 KB is a second.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.async_api import Page, async_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import make_settings, start_server

ENTRIES = """() => [
  ...performance.getEntriesByType("navigation"),
  ...performance.getEntriesByType("resource"),
].map(e => ({name: e.name, transfer: e.transferSize, encoded: e.encodedBodySize,
             decoded: e.decodedBodySize}))"""


async def _measure(page: Page, base: str, path: str) -> list[dict[str, Any]]:
    await page.goto(base + path, wait_until="networkidle")
    await page.wait_for_timeout(500)
    entries: list[dict[str, Any]] = await page.evaluate(ENTRIES)
    return [e for e in entries if not e["name"].startswith(base + "/socket.io/")]


def _print(title: str, entries: list[dict[str, Any]], base: str) -> None:
    print(f"\n{title}")
    print(f"{'resource':<48} {'on wire':>9} {'body':>9} {'decoded':>9}")
    for e in sorted(entries, key=lambda e: -e["decoded"]):
        name = e["name"].removeprefix(base)[:48]
        print(f"{name:<48} {e['transfer']:>9} {e['encoded']:>9} {e['decoded']:>9}")
    total = {k: sum(e[k] for e in entries) for k in ("transfer", "encoded", "decoded")}
    print(
        f"{'total (' + str(len(entries)) + ' requests)':<48} {total['transfer']:>9} "
        f"{total['encoded']:>9} {total['decoded']:>9}"
    )
    seconds = total["transfer"] * 8 / 256_000
    print(f"at 256 kbit/s: {seconds:.1f} s of transfer")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--page", choices=("join", "login"), default="join")
    parser.add_argument(
        "--region-data",
        type=Path,
        default=None,
        help="Kemendagri CSV/GeoJSON folder seeded on start (the picker then lists codes)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(Path(tmp), region_data_dir=args.region_data)
        runner, server = await start_server(settings)
        try:
            http = await server.signed_in_session()
            async with http, http.post("/api/rooms", json={"title": "Ukur halaman"}) as resp:
                room = (await resp.json())["room"]["id"]
            path = {"join": f"/j/{room}", "login": "/login"}[args.page]
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
                )
                try:
                    page = await (await browser.new_context()).new_page()
                    first = await _measure(page, server.url, path)
                    again = await _measure(page, server.url, path)
                finally:
                    await browser.close()
        finally:
            await runner.cleanup()
    _print(f"{args.page} page, first visit (empty cache)", first, server.url)
    _print(f"{args.page} page, repeat visit (same browser)", again, server.url)


if __name__ == "__main__":
    asyncio.run(main())
