"""The monthly availability report page in Chromium: Indonesian, English, A4 print layout."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.pages import unnamed_controls
from tests.browser.test_inventory_dashboard import SCREENSHOTS, sign_in_at
from tests.conftest import make_settings, start_server
from tests.network_inventory.report_helpers import kalijambe_november

A4_POINTS = (595, 842)  # 210 × 297 mm


async def test_report_page_screen_print_and_english(browser: Browser, tmp_path: Path) -> None:
    runner, server = await start_server(make_settings(tmp_path))
    try:
        await kalijambe_november(server)
        context = await browser.new_context(viewport={"width": 1366, "height": 768})
        page = await context.new_page()
        await sign_in_at(page, f"{server.url}/inventory/report?month=2026-11")
        await expect(
            page.get_by_role("heading", name="Laporan Ketersediaan Jaringan — November 2026")
        ).to_be_visible()
        await expect(page.get_by_label("Bulan", exact=True)).to_have_value("2026-11")
        kec = page.locator("#kecamatan table")
        await expect(kec.locator("thead th")).to_have_text(
            ["Kecamatan", "Lokasi", "Ketersediaan", "Gangguan", "Terlama", "MTTR",
             "RTT median (ms)", "Paket hilang (%)"]
        )  # fmt: skip
        # down 2 h of 719 h in service (1 h of maintenance left out): 99.72 %, one outage
        await expect(kec.locator("tbody tr").first).to_have_text(
            re.compile(r"Kalijambe\s*1\s*99,72 %\s*1\s*2 jam 00 mnt\s*2 jam 00 mnt")
        )
        await expect(page.locator("#providers tbody")).to_contain_text("Telkom")
        await expect(page.locator("#media tbody")).to_contain_text("serat optik")
        await expect(page.locator("#report-summary")).to_contain_text(
            "November 2026: 1 lokasi, ketersediaan 99,72 %, 1 gangguan"
        )
        csv_link = page.get_by_role("link", name="Unduh CSV")
        await expect(csv_link).to_have_attribute(
            "href", "/api/reports/availability.csv?month=2026-11"
        )
        await expect(page.get_by_role("button", name="Cetak (A4)")).to_be_visible()
        unnamed = await unnamed_controls(page)
        assert unnamed == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "report.png"), full_page=True)

        # Paper: the regency's header instead of the app's, no controls, A4 pages.
        await page.emulate_media(media="print")
        await expect(page.locator("header.top")).to_be_hidden()
        await expect(page.locator("#month-form")).to_be_hidden()
        await expect(page.locator("#print-region")).to_have_text("Pemerintah Kabupaten Sragen")
        await expect(page.locator("#print-title")).to_have_text(
            "Laporan Ketersediaan Jaringan — November 2026"
        )
        await expect(page.locator("#print-region")).to_be_visible()
        await expect(page.locator("#printed")).to_contain_text("Dicetak")
        header_repeats = await page.evaluate(
            "getComputedStyle(document.querySelector('#sites thead')).display"
        )
        assert header_repeats == "table-header-group"
        await page.screenshot(path=str(SCREENSHOTS / "report-print.png"), full_page=True)
        pdf = await page.pdf(prefer_css_page_size=True, print_background=True)
        sizes = {
            (round(float(w)), round(float(h)))
            for w, h in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
        }
        assert sizes == {A4_POINTS}, sizes
        await page.emulate_media(media="screen")

        # Another month through the picker: nothing was watched before 31 October.
        await page.get_by_label("Bulan", exact=True).fill("2026-09")
        await page.get_by_role("button", name="Tampilkan").click()
        await expect(page).to_have_url(re.compile(r"month=2026-09"))
        await expect(page.locator("#report-summary")).to_have_text(
            "Tidak ada lokasi yang beroperasi pada bulan ini."
        )
        await expect(page.locator("#kecamatan table")).to_have_count(0)

        # A month not begun: the picker refuses it; typed into the address: a message, no tables.
        month = page.get_by_label("Bulan", exact=True)
        await month.fill("2099-01")
        assert await month.evaluate("(el) => el.validity.rangeOverflow")
        await page.goto(f"{server.url}/inventory/report?month=2099-01")
        await expect(page.get_by_role("alert")).to_have_text(
            "Bulan tidak valid atau belum dimulai."
        )
        await expect(page.locator("#kecamatan table")).to_have_count(0)

        await page.goto(f"{server.url}/inventory/report?month=2026-11&lang=en")
        await expect(
            page.get_by_role("heading", name="Network Availability Report — November 2026")
        ).to_be_visible()
        await expect(page.locator("#kecamatan tbody tr").first).to_contain_text("2 h 00 min")
        await expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
        await expect(page.get_by_label("Month", exact=True)).to_have_value("2026-11")
        await context.close()
    finally:
        await runner.cleanup()
