"""HTML pages: plain files under static/pages, served at friendly paths.

Pages are static (no templates, no build step); their text is translated in the browser by
static/js/i18n.js (Bahasa Indonesia by default, English with ``?lang=en``).
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

PAGES_DIR = Path(__file__).parent / "static" / "pages"

# path -> file under static/pages; each package adds its own pages with add_page().
PAGES: dict[str, str] = {
    "/login": "login.html",
}


def add_page(app: web.Application, path: str, filename: str) -> None:
    file = PAGES_DIR / filename

    async def page(request: web.Request) -> web.FileResponse:
        response = web.FileResponse(file)
        response.headers["Cache-Control"] = "no-store"
        return response

    app.router.add_get(path, page)


def setup(app: web.Application) -> None:
    for path, filename in PAGES.items():
        add_page(app, path, filename)
