"""The dashboard at a 1024 px wide screen (docs/dashboard.md: two panes down to 1000 px): the
filters fit their panel and every column of the site table is visible without scrolling, and
no page of the inventory makes Chromium warn about the Permissions-Policy header."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.browser.test_inventory_dashboard import sign_in_at
from tests.conftest import make_settings, start_server

expect.set_options(timeout=20_000)


async def _overflow(page: Page) -> dict[str, object]:
    """What sticks out: filter controls past their panel, header cells past the table's
    visible box."""
    result: dict[str, object] = await page.evaluate(
        """() => {
          const panel = document.querySelector('.table-panel').getBoundingClientRect();
          const clipped = [...document.querySelectorAll('#filters input, #filters select,'
                                                          + ' #filters button')]
            .filter((el) => {
              const r = el.getBoundingClientRect();
              return r.right > panel.right + 0.5 || r.width < 110;
            })
            .map((el) => el.id || el.textContent);
          const box = document.querySelector('.table-scroll').getBoundingClientRect();
          const hidden = [...document.querySelectorAll('#sites th')]
            .filter((th) => th.getBoundingClientRect().right > box.right + 0.5)
            .map((th) => th.dataset.sort);
          return {clipped, hidden, columns: getComputedStyle(document.querySelector('.layout'))
                  .gridTemplateColumns.split(' ').length};
        }"""
    )
    return result


async def test_dashboard_fits_1024_px_and_no_policy_warning(
    browser: Browser, tmp_path: Path
) -> None:
    runner, server = await start_server(make_settings(tmp_path))
    try:
        context = await browser.new_context(viewport={"width": 1024, "height": 768})
        page = await context.new_page()
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text))
        await sign_in_at(page, f"{server.url}/inventory")
        await expect(page.locator("#site-rows tr").first).to_be_visible()
        figures = await _overflow(page)
        assert figures == {"clipped": [], "hidden": [], "columns": 2}, figures

        # Below 1000 px: one column, as documented.
        await page.set_viewport_size({"width": 960, "height": 768})
        figures = await _overflow(page)
        assert figures["columns"] == 1, figures

        await page.goto(f"{server.url}/inventory/sites/1")
        await expect(page.locator("#facts dt").first).to_be_visible()
        warnings = [m for m in console if re.search(r"Permissions-Policy|feature", m)]
        assert warnings == [], warnings
        await context.close()
    finally:
        await runner.cleanup()
