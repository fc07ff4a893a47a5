"""The IT staff's inventory pages: the live dashboard and one page per site.

Both are static files (``static/pages/inventory.html``, ``site.html``) drawn in the browser by
``static/js/inventory*.js`` from the REST API and the socket.io namespace ``/inventory`` (whose
connect handler, signed-in users only, lives in ``web/inventory_live_api.py``); see
docs/dashboard.md. Only signed-in users see the pages: others are sent to /login?next=....
"""

from __future__ import annotations

from aiohttp import web

from web.pages import add_page


def setup(app: web.Application) -> None:
    add_page(app, "/inventory", "inventory.html", signed_in=True)
    add_page(app, r"/inventory/sites/{site_id:\d+}", "site.html", signed_in=True)
