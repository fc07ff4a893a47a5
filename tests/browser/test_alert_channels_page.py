"""The alert-channel page and the dashboard's open outages in Chromium: IT staff add a Telegram
channel for one kecamatan (the token is never shown back), change it, see its last delivery;
on the dashboard they acknowledge an open outage with a note, and who, when and the note show.
Indonesian by default, English with ?lang=en; every control has an accessible name."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from playwright.async_api import Browser, expect

from edge.keys import DATABASE
from tests.browser.pages import unnamed_controls
from tests.browser.test_inventory_dashboard import sign_in_at
from tests.conftest import make_settings, start_server

TOKEN = "123456:" + "Z" * 35


async def test_channels_page_and_acknowledging_an_outage(browser: Browser, tmp_path: Path) -> None:
    runner, server = await start_server(make_settings(tmp_path))
    try:
        db = server.app[DATABASE]
        kec = await db.fetchone(
            "SELECT id, code, name FROM sites WHERE kind = 'kecamatan' ORDER BY code LIMIT 1"
        )
        assert kec is not None
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        await sign_in_at(page, f"{server.url}/inventory/alerts")
        await expect(page.get_by_role("heading", name="Saluran peringatan")).to_be_visible()
        await expect(page.locator("#channel-rows")).to_contain_text("Belum ada saluran.")

        await page.get_by_label("Jenis", exact=True).select_option("telegram")
        await page.get_by_label("Nama", exact=True).fill("Grup TI")
        await page.get_by_label("ID obrolan Telegram").fill("-1001234567890")
        await page.get_by_label("Token bot").fill(TOKEN)
        await page.get_by_label("Kirim ulang bila belum ditangani").fill("15")
        await page.get_by_label(kec["name"], exact=True).check()
        await page.get_by_label("Menurun").uncheck()
        await page.get_by_role("button", name="Simpan").click()
        await expect(page.locator("#form-status")).to_have_text("Tersimpan.")
        row = page.locator("#channel-rows tr").first
        await expect(row).to_contain_text(
            re.compile(rf"Grup TI\s*Telegram\s*-1001234567890\s*{kec['name']}\s*"
                       r"Putus, Normal kembali\s*15 menit\s*berhasil belum pernah")
        )  # fmt: skip
        assert TOKEN not in await page.content()
        assert await unnamed_controls(page) == []

        await page.get_by_role("button", name="Ubah saluran Grup TI").click()
        await expect(page.get_by_label("Token bot")).to_have_attribute(
            "placeholder", "tersimpan — isi hanya untuk mengganti"
        )
        await expect(page.get_by_label("Token bot")).to_have_value("")
        await page.get_by_label("Nama", exact=True).fill("Grup TI Sragen")
        await page.get_by_role("button", name="Simpan").click()
        await expect(row).to_contain_text("Grup TI Sragen")
        stored = await db.fetchone("SELECT name, token FROM alert_channels")
        assert stored is not None and tuple(stored) == ("Grup TI Sragen", TOKEN)

        # An open outage of that kecamatan, as a sweep stores it.
        now = time.time()
        payload = {
            "type": "pendopo.site_state", "version": 1, "kind": "down", "grouped": False,
            "site": {"id": kec["id"], "code": kec["code"], "name": kec["name"],
                     "kind": "kecamatan"},
            "affected": [], "affected_count": 0, "text": "DOWN",
        }  # fmt: skip
        await db.execute_write(
            "INSERT INTO inventory_alerts (at, site_id, kind, payload) VALUES (?, ?, 'down', ?)",
            (now - 120, kec["id"], json.dumps(payload)),
        )
        await db.execute_write(
            "INSERT OR REPLACE INTO inventory_site_state (site_id, shown, effective, since, health,"
            " updated_at) VALUES (?, 'down', 'down', ?, 'failed', ?)",
            (kec["id"], now - 120, now),
        )

        await page.goto(f"{server.url}/inventory")
        panel = page.locator("#open-alerts")
        await expect(panel.get_by_role("heading", name="Gangguan terbuka")).to_be_visible()
        await expect(panel).to_contain_text(f"Putus: Kecamatan {kec['name']}")
        await panel.get_by_label(f"Catatan penanganan: Kecamatan {kec['name']}").fill(
            "Teknisi Telkom menuju lokasi"
        )
        await panel.get_by_role("button", name=f"Tandai ditangani: Kecamatan {kec['name']}").click()
        await expect(panel).to_contain_text(
            re.compile(
                r"Ditangani oleh Kantor Bupati \(admin\), .*: “Teknisi Telkom menuju lokasi”"
            )
        )
        ack = await db.fetchone("SELECT user, note FROM alert_acks")
        assert ack is not None and tuple(ack) == (
            "Kantor Bupati (admin)",
            "Teknisi Telkom menuju lokasi",
        )

        await page.goto(f"{server.url}/inventory/alerts?lang=en")
        await expect(page.get_by_role("heading", name="Alert channels")).to_be_visible()
        await expect(page.get_by_role("heading", name="Recent alerts")).to_be_visible()
        await expect(page.locator("#recent-alerts")).to_contain_text("Handled by Kantor Bupati")
        await expect(
            page.get_by_role("button", name="Delete channel Grup TI Sragen")
        ).to_be_visible()
        assert await unnamed_controls(page) == []
        await context.close()
    finally:
        await runner.cleanup()
