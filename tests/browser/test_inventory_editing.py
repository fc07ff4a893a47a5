"""Editing the inventory in a real Chromium, as Sragen's IT officer would, through the same REST
API curl uses: a new site, its link moved planned → installing → active, a probe target (with
the server's message next to a bad port), a recurring maintenance window, a webhook; and a
viewer who gets no edit controls and a 403 when forcing a change."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, expect

from accounts import AccountRole
from edge.keys import ACCOUNTS
from tests.conftest import RunningServer, make_settings, start_server

expect.set_options(timeout=20_000)

IT_USER, IT_PASSWORD = "teknisi", "kabel-fiber-2026!"
VIEWER, VIEWER_PASSWORD = "pemantau", "lihat-saja-2026!"


async def sign_in(page: Page, server: RunningServer, user: str, password: str, path: str) -> None:
    await page.goto(f"{server.url}{path}")
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.locator("#username").fill(user)
    await page.locator("#password").fill(password)
    await page.locator("#signin").click()
    await expect(page).to_have_url(re.compile(re.escape(path.split("?")[0])))


async def _api(server: RunningServer, path: str, **params: str) -> Any:
    http = await server.signed_in_session()
    try:
        async with http.get(path, params=params) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()
    finally:
        await http.close()


def field_error(page: Page, name: str) -> Any:
    return page.locator(f'.edit-form .field[data-name="{name}"] .field-error')


async def test_it_officer_edits_the_inventory_in_the_browser(
    browser: Browser, tmp_path: Path
) -> None:
    runner, server = await start_server(make_settings(tmp_path))
    try:
        await server.app[ACCOUNTS].create_user(IT_USER, IT_PASSWORD, AccountRole.IT)
        context = await browser.new_context(viewport={"width": 1366, "height": 768})
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: d.accept())  # "Delete ...?" confirmations
        await sign_in(page, server, IT_USER, IT_PASSWORD, "/inventory?lang=en")

        # A new site: the server's message stands next to the field it is about.
        await page.get_by_role("button", name="Add site").click()
        form = page.get_by_role("form", name="Add site")
        await form.get_by_label("Parent (site id or code)").fill("33.14.01")
        await form.get_by_label("Latitude").fill("95")
        await form.get_by_role("button", name="Save").click()
        await expect(field_error(page, "name")).to_have_text("is required")
        await expect(field_error(page, "lat")).to_contain_text("at most 90")
        await expect(form.get_by_label("Name (required)")).to_have_attribute("aria-invalid", "true")
        await form.get_by_label("Name (required)").fill("Pos Uji Kalijambe")
        await form.get_by_label("Latitude").fill("-7.41")
        await form.get_by_label("Longitude").fill("110.85")
        await form.get_by_label("Kind").select_option("other")
        await form.get_by_role("button", name="Save").click()
        await expect(page).to_have_url(re.compile(r"/inventory/sites/\d+\?lang=en$"))
        site_id = int(page.url.split("/")[-1].split("?")[0])
        await expect(page.get_by_role("heading", name="Pos Uji Kalijambe")).to_be_visible()

        # Its uplink, then the rollout: planned → installing → active.
        await page.get_by_role("button", name="Add link").click()
        form = page.get_by_role("form", name="Add link")
        await expect(form.get_by_label("To parent site (id or code) (required)")).to_have_value(
            "33.14.01"
        )
        await form.get_by_label("Medium").select_option("vsat")
        await form.get_by_label("Provider").fill("Telkomsat")
        await form.get_by_label("Capacity (kbps)").fill("2048")
        await form.get_by_label("Target date").fill("2026-12-20")
        await form.get_by_role("button", name="Save").click()
        links = page.locator("#links")
        await expect(links).to_contain_text("planned")
        await expect(links).to_contain_text("Telkomsat")
        await links.get_by_role("button", name=re.compile(r"^Mark installing")).click()
        await expect(links).to_contain_text("installing")
        await links.get_by_role("button", name=re.compile(r"^Mark active")).click()
        await expect(links.locator("tbody tr").first).to_contain_text("active")
        link = (await _api(server, "/api/links", site=str(site_id)))["items"][0]
        assert (link["status"], link["medium"], link["capacity_kbps"]) == ("active", "vsat", 2048)
        assert link["installed_date"] is not None

        # A probe target: port 70000 is refused with the range, next to the port.
        await page.get_by_role("button", name="Add probe target").click()
        form = page.get_by_role("form", name="Add probe target")
        await form.get_by_label("Probe kind").select_option("tcp")
        await form.get_by_label("Host address").fill("127.0.0.1")
        await form.get_by_label("Port").fill("70000")
        await form.get_by_role("button", name="Save").click()
        await expect(field_error(page, "port")).to_have_text("must be at most 65535")
        await form.get_by_label("Port").fill("8080")
        await form.get_by_role("button", name="Save").click()
        await expect(page.locator("#probes")).to_contain_text("127.0.0.1:8080")

        # A recurring maintenance window: every Sunday 22:00-24:00 WIB.
        await page.get_by_role("button", name="Add maintenance window").click()
        form = page.get_by_role("form", name="Add maintenance window")
        days = form.get_by_role("group", name="Days (required)")
        await expect(days.get_by_label("Sunday")).to_be_checked()
        await form.get_by_label("Start (HH:MM, WIB) (required)").fill("22:00")
        await form.get_by_label("End (HH:MM, WIB; 24:00 = midnight) (required)").fill("24:00")
        await form.get_by_label("Notes").fill("Pemeliharaan UPS")
        await form.get_by_role("button", name="Save").click()
        await expect(page.locator("#windows")).to_contain_text("Sunday")
        await expect(page.locator("#windows")).to_contain_text("22:00–24:00 WIB")
        windows = (await _api(server, "/api/maintenance-windows", site=str(site_id)))["items"]
        assert [(w["weekdays"], w["start"], w["end"]) for w in windows] == [([7], "22:00", "24:00")]

        # Delete the probe target (confirmed).
        await page.locator("#probes").get_by_role("button", name=re.compile("^Delete")).click()
        await expect(page.locator("#probes")).to_contain_text("No probe targets")

        # Everything is in the change log under the IT officer's name.
        changes = (await _api(server, "/api/changes", user=IT_USER, limit="50"))["items"]
        done = [(c["entity"], c["action"]) for c in reversed(changes)]
        assert done == [
            ("site", "create"),
            ("link", "create"),
            ("link", "update"),
            ("link", "update"),
            ("probe", "create"),
            ("maintenance", "create"),
            ("probe", "delete"),
        ], done

        # A webhook from the dashboard; a bad URL is refused next to the field.
        await page.goto(f"{server.url}/inventory?lang=en")
        await page.get_by_role("button", name="Add webhook").click()
        form = page.get_by_role("form", name="Add webhook")
        await form.get_by_label("Receiver URL (required)").fill("ftp://x")
        await form.get_by_role("button", name="Save").click()
        await expect(field_error(page, "url")).to_contain_text("http://")
        await form.get_by_label("Receiver URL (required)").fill("http://127.0.0.1:9/hook")
        await form.get_by_role("button", name="Save").click()
        await expect(page.locator("#hooks")).to_contain_text("http://127.0.0.1:9/hook")

        # In Indonesian the same controls carry Indonesian names.
        await page.goto(f"{server.url}/inventory/sites/{site_id}")
        await expect(page.get_by_role("button", name="Ubah situs")).to_be_visible()
        await expect(page.get_by_role("button", name="Tambah jadwal pemeliharaan")).to_be_visible()
        assert errors == []
        await context.close()
    finally:
        await runner.cleanup()


async def test_viewer_gets_no_edit_controls_and_a_403(browser: Browser, tmp_path: Path) -> None:
    runner, server = await start_server(make_settings(tmp_path))
    try:
        await server.app[ACCOUNTS].create_user(VIEWER, VIEWER_PASSWORD, AccountRole.VIEWER)
        http = await server.signed_in_session()
        async with http.post(
            "/api/maintenance-windows",
            json={"site": "33.14.01", "weekdays": [7], "start": "22:00", "end": "24:00"},
        ) as resp:
            assert resp.status == 201
            site_id = (await resp.json())["site_id"]
        await http.close()
        context = await browser.new_context(viewport={"width": 1366, "height": 768})
        page = await context.new_page()
        await sign_in(page, server, VIEWER, VIEWER_PASSWORD, f"/inventory/sites/{site_id}?lang=en")
        await expect(page.locator("#windows")).to_contain_text("22:00–24:00 WIB")
        await expect(page.locator("#links tbody tr").first).to_be_visible()
        for name in ("Edit site", "Delete site", "Add link", "Add maintenance window", "Edit"):
            await expect(page.get_by_role("button", name=name)).to_have_count(0)
        await expect(page.locator("form.edit-form, td.actions")).to_have_count(0)

        await page.goto(f"{server.url}/inventory?lang=en")
        await expect(page.locator("#site-rows tr").first).to_be_visible()
        await expect(page.get_by_role("button", name="Add site")).to_have_count(0)
        await expect(page.locator("#hooks-section")).to_be_hidden()

        # Forcing it from the page (with the viewer's own CSRF token): the server refuses.
        status = await page.evaluate(
            """async () => {
              const csrf = decodeURIComponent(document.cookie.match(/pendopo_csrf=([^;]*)/)[1]);
              const res = await fetch('/api/sites', {method: 'POST', headers: {
                'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
                body: JSON.stringify({name: 'Paksa', kind: 'other'})});
              const win = await fetch('/api/maintenance-windows/1', {method: 'DELETE',
                headers: {'X-CSRF-Token': csrf}});
              return [res.status, win.status];
            }"""
        )
        assert status == [403, 403]
        await context.close()
    finally:
        await runner.cleanup()
