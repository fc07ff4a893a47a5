"""The site page shows the link's baseline (issue 11): a VSAT kecamatan's 1,500 ms threshold as a
dashed line on the latency chart and the loss threshold on the loss chart, named in the summary
line with where it comes from; a link's own value replaces the medium's."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from edge.keys import DATABASE, INVENTORY, LIVE
from network_inventory import history
from tests.browser.test_inventory_dashboard import sign_in_at
from tests.conftest import make_settings, start_server


async def test_the_charts_draw_the_links_baseline(browser: Browser, tmp_path: Path) -> None:
    runner, server = await start_server(make_settings(tmp_path))
    try:
        inventory = server.app[INVENTORY]
        site = await inventory.get_site("33.14.01")
        link = (await inventory.list_links(site=site.id)).items[0]
        await inventory.update_link(link.id, {"medium": "vsat"}, user="admin")
        live = server.app[LIVE]
        await live.caught_up()
        now = int(time.time())
        samples = [
            history.Sample(site.id, now - 600 + i * 30, 5, 5, 560.0, 640.0, 900.0)
            for i in range(20)
        ]
        await server.app[DATABASE].write(lambda c: history.insert_samples(c, samples))

        context = await browser.new_context(viewport={"width": 1366, "height": 900})
        page = await context.new_page()
        await sign_in_at(page, f"{server.url}/inventory/sites/{site.id}")
        await expect(page.locator("#latency-chart line.baseline")).to_be_attached()
        await expect(page.locator("#latency-chart .baseline-label")).to_have_text("ambang 1500 ms")
        await expect(page.locator("#loss-chart line.baseline")).to_be_attached()
        await expect(page.locator("#chart-summary")).to_contain_text(
            "ambang menurun: 1500 ms atau hilang 20.0 % (bawaan media tautan)"
        )

        # Its own threshold, set over the API, replaces the medium's on the next load.
        response = await page.request.put(
            f"{server.url}/api/links/{link.id}/thresholds",
            data={"rtt_degraded_ms": 1200},
            headers={"X-CSRF-Token": await _csrf(page)},
        )
        assert response.status == 200, await response.text()
        await live.caught_up()
        await page.goto(f"{server.url}/inventory/sites/{site.id}?lang=en")
        await expect(page.locator("#latency-chart .baseline-label")).to_have_text(
            "threshold 1200 ms"
        )
        await expect(page.locator("#chart-summary")).to_contain_text("(set for this link)")
        await context.close()
    finally:
        await runner.cleanup()


async def _csrf(page: Page) -> str:
    cookies = await page.context.cookies()
    return next(c.get("value", "") for c in cookies if c.get("name") == "pendopo_csrf")
