"""HTML pages: plain files under static/pages, served at friendly paths.

Pages are static (no templates, no build step), in Bahasa Indonesia; with ``?lang=en`` the
server sends them already in English (``web/page_language.py``, from the scripts' string tables)
and static/js/i18n.js translates what the scripts add later. They are served by
``web/static_files.py``: script and stylesheet URLs versioned, gzipped, ``no-cache``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from edge.keys import request_user
from web.static_files import REVALIDATE, STATIC_FILES

# path -> file under static/pages; each package adds its own pages with add_page().
PAGES: dict[str, str] = {
    "/login": "login.html",
}


def login_redirect(request: web.Request) -> web.HTTPFound:
    """Where a page sends a visitor who is not signed in: /login?next=<this path and query>."""
    query = {"next": request.path_qs}
    if request.query.get("lang") == "en":
        query["lang"] = "en"
    return web.HTTPFound("/login?" + urlencode(query))


def add_page(app: web.Application, path: str, filename: str, *, signed_in: bool = False) -> None:
    """Serve static/pages/<filename> at ``path``; with ``signed_in``, visitors who are not signed
    in are redirected to the sign-in page, which brings them back afterwards."""
    name = f"pages/{filename}"

    async def page(request: web.Request) -> web.Response:
        if signed_in and request_user(request) is None:
            raise login_redirect(request)
        files = request.app[STATIC_FILES]
        asset = files.get(name, "en" if request.query.get("lang") == "en" else "id")
        if asset is None:
            raise web.HTTPNotFound()
        return files.respond(request, asset, REVALIDATE)

    app.router.add_get(path, page)


def setup(app: web.Application) -> None:
    for path, filename in PAGES.items():
        add_page(app, path, filename)
