"""The join page in Chromium: nothing answers 404 (the favicon), scripts and styles come gzipped
and cacheable for a year, and the whole first visit stays small enough for a 256 kbit/s VSAT."""

from __future__ import annotations

from playwright.async_api import Browser, Response

from tests.conftest import RunningServer

FIRST_VISIT_BUDGET = 66_500
"""Bytes on the wire for the join page's first visit: 63,275 B measured (2026-12-04) once what
only the session needs loads with import() when the form is touched, Join is pressed or the form
comes filled in (SESSION_ONLY: raise hand, presenting, speaker view, the lobby list, the yes/no
dialog and the session's text, ~13 KB with headers); 76,274 B before, with the control bar's
icons. Earlier: ~70 KB with presenting and the town-hall lobby list, ~63 KB with raise hand,
speaker view, device choice and the confirmation dialog, 43 KB before them, 128 KB before
compression (docs/performance.md "Page weight over slow links"). Do not raise it: load what the
form does not need later.
The Name box does not wait for any of it: the page arrives written in its language.
protocol.js and socket.io load after the form is usable, so the name field does not wait for
all of it."""

SESSION_ONLY = (
    "hands.js",
    "presenting.js",
    "speaker-view.js",
    "lobby-list.js",
    "confirm.js",
    "session-strings.js",
)
"""Loaded by room.js with import() once the join form is touched (or Join pressed)."""


async def test_join_page_loads_compressed_and_cached_without_404(
    browser: Browser, server: RunningServer
) -> None:
    http = await server.signed_in_session()
    async with http, http.post("/api/rooms", json={"title": "Uji halaman"}) as resp:
        room = (await resp.json())["room"]["id"]
    context = await browser.new_context()
    page = await context.new_page()
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    await page.goto(f"{server.url}/j/{room}", wait_until="networkidle")
    failed = [(r.url, r.status) for r in responses if r.status >= 400]
    assert failed == []
    static = [r for r in responses if "/static/" in r.url]
    assert any("favicon.svg" in r.url for r in static)
    for response in static:
        headers = await response.all_headers()
        assert headers["cache-control"] == "public, max-age=31536000, immutable", response.url
        if response.url.split("?")[0].endswith((".js", ".css")):
            assert headers.get("content-encoding") == "gzip", response.url
    on_wire = await page.evaluate(
        """() => [...performance.getEntriesByType("navigation"),
                  ...performance.getEntriesByType("resource")]
                 .reduce((sum, e) => sum + e.transferSize, 0)"""
    )
    assert 0 < on_wire < FIRST_VISIT_BUDGET
    # What only the session needs is not part of it: it comes once the person starts on the form.
    assert {r.url.split("?")[0].rsplit("/", 1)[1] for r in static}.isdisjoint(SESSION_ONLY)
    await page.locator("#name").fill("Bu Lurah")
    await page.wait_for_function(
        """(names) => names.every(n => performance.getEntriesByType("resource")
                 .some(e => new URL(e.name).pathname === `/static/js/${n}`))""",
        arg=list(SESSION_ONLY),
        timeout=10_000,
    )
    await context.close()
