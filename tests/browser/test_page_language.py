"""Every page arrives in its language (web/page_language.py): what the server sends for each
``data-i18n`` mark is what the page's own scripts write there once they run, in English
(``?lang=en``) and in Bahasa Indonesia. Compared in Chromium: the page as sent, parsed without
running anything, against the scripts' ``t()`` of the same keys."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Browser, Page

from tests.browser.pages import create_session, en, new_page, sign_in
from tests.conftest import RunningServer

# The marks of the page as sent, each with what the page's i18n module says it should read.
COMPARE = """async () => {
  const i18nUrl = performance.getEntriesByType("resource").map(e => e.name)
    .find(n => new URL(n).pathname === "/static/js/i18n.js");
  if (!i18nUrl) return {error: "the page did not load i18n.js"};
  const {t, lang} = await import(i18nUrl);  // the page's own module instance, its tables filled
  const sent = await (await fetch(location.href, {credentials: "same-origin"})).text();
  const doc = new DOMParser().parseFromString(sent, "text/html");  // scripts do not run
  const wrong = [];
  const attrs = {"data-i18n-label": "aria-label", "data-i18n-placeholder": "placeholder",
                 "data-i18n-title": "title"};
  for (const el of doc.querySelectorAll("[data-i18n]")) {
    const want = t(el.dataset.i18n);
    if (el.textContent !== want) wrong.push([el.dataset.i18n, el.textContent, want]);
  }
  for (const [marker, attr] of Object.entries(attrs)) {
    for (const el of doc.querySelectorAll(`[${marker}]`)) {
      const key = el.getAttribute(marker), want = t(key);
      if (el.getAttribute(attr) !== want) wrong.push([key, el.getAttribute(attr), want]);
    }
  }
  return {lang: lang(), sentLang: doc.documentElement.lang,
          marks: doc.querySelectorAll("[data-i18n]").length, wrong};
}"""


async def compare(page: Page, url: str) -> dict[str, Any]:
    await page.goto(url)
    await page.wait_for_load_state("networkidle")
    result: dict[str, Any] = await page.evaluate(COMPARE)
    return result


async def test_every_page_is_sent_in_its_language(browser: Browser, server: RunningServer) -> None:
    ctx, page = await new_page(browser)
    await sign_in(page, server.url)
    link = await create_session(page, "Rapat bahasa")
    room = link.rsplit("/", 1)[1]
    paths = [
        "/login",
        "/",
        "/admin",
        "/inventory",
        "/inventory/sites/1",
        "/inventory/report",
        "/inventory/alerts",
        "/layanan",
        "/layanan/kelola",
        link.removeprefix(server.url),
        f"/rooms/{room}/recordings",
        f"/sesi/{room}/hadir",
    ]
    checked, wrong = 0, []
    for path in paths:
        for language in ("en", "id"):
            url = en(server.url + path) if language == "en" else server.url + path
            result = await compare(page, url)
            assert "error" not in result, (url, result)
            assert result["lang"] == result["sentLang"] == language, (url, result)
            wrong += [(path, language, *w) for w in result["wrong"]]
            checked += result["marks"]
    assert wrong == [], "\n".join(map(repr, wrong))
    assert checked > 200  # the pages do carry their text as marks
    await ctx.close()
