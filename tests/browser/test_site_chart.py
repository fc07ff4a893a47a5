"""The site chart in Chromium: y labels on their gridlines, the per-round smoke, its legend."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, expect

from edge.keys import DATABASE
from network_inventory import history
from tests.browser.test_inventory_dashboard import SCREENSHOTS, sign_in_at
from tests.conftest import make_settings, start_server

DRAW = """async ([points, height]) => {
  const { latencyChart } = await import("/static/js/inventory-chart.js");
  const t0 = Date.UTC(2026, 10, 1);
  const pts = points.map((p, i) => ({ t: t0 + i * 300e3, loss: 0, availability: 1, ...p }));
  const svg = latencyChart(
    { start: t0, end: t0 + pts.length * 300e3, step: 300e3, points: pts },
    { title: "test", yLabel: "ms", empty: "-", locale: "id-ID", width: 600, height },
  );
  document.body.append(svg);
  const labels = [...svg.querySelectorAll(".axis text[text-anchor=end]:not(.unit)")].map(
    (el) => [Number(el.textContent.replace(",", ".")), Number(el.getAttribute("y"))]);
  const smoke = [...svg.querySelectorAll(".smoke rect")].map(
    (r) => Number(r.getAttribute("height")));
  svg.remove();
  return { labels, smoke };
}"""


async def draw(page: Page, points: list[dict[str, float]], height: int = 210) -> Any:
    return await page.evaluate(DRAW, [points, height])


async def test_smoke_shows_a_jittery_link_and_has_a_legend(
    browser: Browser, tmp_path: Path
) -> None:
    runner, server = await start_server(make_settings(tmp_path))
    try:
        now = int(time.time())
        samples = [
            history.Sample(1, now - 600 + i * 30, 5, 5, 560.0 + i, 640.0, 900.0 - i)
            for i in range(20)
        ]
        await server.app[DATABASE].write(lambda c: history.insert_samples(c, samples))
        context = await browser.new_context(viewport={"width": 1366, "height": 900})
        page = await context.new_page()
        await sign_in_at(page, f"{server.url}/inventory/sites/1")
        await expect(page.locator("#latency-chart .smoke rect").first).to_be_attached()
        await expect(page.locator("#chart-summary")).to_contain_text("sebaran per putaran")
        legend = page.get_by_role("list", name="Keterangan grafik")
        await expect(legend).to_contain_text("sebaran satu putaran uji (tipikal)")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.locator("#latency-chart").screenshot(path=str(SCREENSHOTS / "smoke.png"))

        # A steady fibre link with one spike, and a jittery VSAT link: same envelope, but the
        # typical round is thin for one and wide for the other.
        steady = [{"min": 2.0, "lo": 2.0, "median": 2.1, "hi": 2.4, "max": 900.0}] * 12
        jittery = [{"min": 540.0, "lo": 560.0, "median": 640.0, "hi": 900.0, "max": 900.0}] * 12
        thin, wide = (await draw(page, steady))["smoke"], (await draw(page, jittery))["smoke"]
        assert len(thin) == len(wide) == 12
        assert max(thin) <= 1.5 and min(wide) > 40, (thin, wide)
        await context.close()
    finally:
        await runner.cleanup()


async def test_y_labels_sit_on_their_gridlines(browser: Browser, tmp_path: Path) -> None:
    runner, server = await start_server(make_settings(tmp_path))
    try:
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(f"{server.url}/login")  # any page of the server: the module is static
        # Labels: a value per gridline, evenly spaced in value as the lines are in position
        # (the defect: 1.25, 2.5, 3.75 labelled 1, 3, 4).
        for top, height in [(4.8, 210), (4.8, 120), (0.9, 210), (630, 210), (2.4, 120)]:
            drawn = await draw(page, [{"min": 0.1, "median": top / 2, "max": top}], height)
            values = [v for v, _ in drawn["labels"]]
            ys = [y for _, y in drawn["labels"]]
            assert values[0] == 0 and values[-1] >= top, drawn
            per_px = [(values[i] - values[0]) / (ys[0] - ys[i]) for i in range(1, len(ys))]
            assert max(per_px) - min(per_px) < 1e-3 * max(per_px), drawn
            assert len(set(values)) == len(values), drawn
        await context.close()
    finally:
        await runner.cleanup()
