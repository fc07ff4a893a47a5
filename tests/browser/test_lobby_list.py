"""The host's lobby with many sites waiting (a town hall), in headless Chromium: a search box,
entries grouped by kecamatan, and "Admit everyone invited" (docs/protocol.md
`lobby:admit-invited`). The people waiting are protocol clients (no media): 24 of them."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Browser, Locator, Page, expect

from signaling.client import ProtocolClient
from tests.browser.pages import in_session, join, lobby_entry, new_page, participant_entry, sign_in
from tests.conftest import RunningServer
from tests.signaling.meeting import create_room


async def get(server: RunningServer, path: str) -> Any:
    session = await server.signed_in_session()
    try:
        async with session.get(path) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()
    finally:
        await session.close()


def lobby(host: Page) -> Locator:
    return host.get_by_role("list", name="Waiting in the lobby")


async def test_lobby_search_groups_and_admit_invited(
    browser: Browser, server: RunningServer
) -> None:
    kecamatan = (await get(server, "/api/sites/picker"))["items"]
    villages = {
        k["code"]: (await get(server, f"/api/sites/picker?parent={k['code']}"))["items"]
        for k in kecamatan[:6]
    }
    a, b, c = sorted(kecamatan[:6], key=lambda k: -len(villages[k["code"]]))[:3]
    villages_a, villages_b = villages[a["code"]][:12], villages[b["code"]][:8]
    assert len(villages_a) == 12 and len(villages_b) == 8
    # kecamatan A (and so its villages) is invited
    room = await create_room(server, "Rapat akbar", [a["code"]])

    host_ctx, host = await new_page(browser)
    await sign_in(host, server.url)
    await join(host, f"{server.url}/j/{room}", name=None, site=None)
    await in_session(host)

    waiting: list[tuple[str, ProtocolClient]] = []
    try:
        entries = [(f"Kades {v['name']}", v["code"]) for v in villages_a + villages_b]
        entries += [(f"Camat {c['name']} {i}", c["code"]) for i in range(4)]
        for name, site in entries:
            client = ProtocolClient(server.url, name=name)
            await client.connect()
            ack = await client.join(room, name, site=site)
            assert ack["status"] == "lobby", ack
            waiting.append((name, client))

        # Grouped by kecamatan, with a heading per group and its count.
        for k, n in ((a, 12), (b, 8), (c, 4)):
            heading = lobby(host).get_by_role("heading", name=f"Kecamatan {k['name']} ({n})")
            await expect(heading).to_be_visible()
        first_b = f"Kades {villages_b[0]['name']}"
        group_b = lobby(host).get_by_role("listitem", name=f"Kecamatan {b['name']} (8)")
        await expect(group_b.get_by_role("listitem", name=first_b, exact=True)).to_have_count(1)

        # The search box filters by name, site or kecamatan.
        search = host.get_by_role("searchbox", name="Search the lobby")
        await search.fill(f"camat {c['name'].lower()}")  # case does not matter
        await expect(lobby(host).get_by_role("button", name="Admit", exact=True)).to_have_count(4)
        await expect(lobby_entry(host, first_b)).to_have_count(0)
        await expect(host.get_by_text("4 of 24 shown")).to_be_visible()
        await search.fill(b["name"])
        await expect(lobby_entry(host, first_b)).to_have_count(1)
        await expect(
            lobby(host).get_by_role("heading", name=f"Kecamatan {a['name']} (12)")
        ).to_have_count(0)
        await search.fill("")
        await expect(lobby(host).get_by_role("button", name="Admit", exact=True)).to_have_count(24)

        # Everyone invited (kecamatan A's villages) in one click; the others keep waiting.
        await host.get_by_role("button", name="Admit everyone invited").click()
        await expect(lobby(host).get_by_role("button", name="Admit", exact=True)).to_have_count(12)
        await expect(
            lobby(host).get_by_role("heading", name=f"Kecamatan {a['name']} (12)")
        ).to_have_count(0)
        for _, client in waiting[:12]:
            await client.wait_event("lobby:result", lambda d: d["status"] == "admitted")
        # The participants list is long now too: searchable and grouped.
        await expect(host.get_by_role("searchbox", name="Search participants")).to_be_visible()
        first_a = f"Kades {villages_a[0]['name']}"
        await expect(participant_entry(host, first_a)).to_have_count(1)
    finally:
        for _, client in waiting:
            await client.disconnect()
        await host_ctx.close()
