"""Static files: gzip by Accept-Encoding with Vary, versioned URLs cached for a year, pages
revalidated, module imports versioned transitively, a favicon."""

from __future__ import annotations

import gzip
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import RunningServer
from web.static_files import StaticFiles

PAGES = ("/login", "/", "/admin")
STATIC_REF = re.compile(r"""(?:src|href)="(/static/[^"]+)\"""")


@pytest.fixture
async def raw(server: RunningServer) -> AsyncIterator[aiohttp.ClientSession]:
    """A client that shows bodies as sent (no automatic decompression, no Accept-Encoding)."""
    async with aiohttp.ClientSession(
        base_url=server.url,
        auto_decompress=False,
        skip_auto_headers=["Accept-Encoding"],
    ) as http:
        yield http


async def _versioned_refs(http: aiohttp.ClientSession, page: str) -> list[str]:
    async with http.get(page, allow_redirects=False) as resp:
        assert resp.status == 200, page
        assert resp.headers["Cache-Control"] == "no-cache"
        return STATIC_REF.findall(await resp.text())


async def test_gzip_follows_accept_encoding_and_says_vary(raw: aiohttp.ClientSession) -> None:
    path = "/static/vendor/socket.io/socket.io.esm.min.js"
    async with raw.get(path) as resp:
        assert resp.status == 200
        assert "Content-Encoding" not in resp.headers
        assert "Accept-Encoding" in resp.headers["Vary"]
        plain = await resp.read()
    async with raw.get(path, headers={"Accept-Encoding": "gzip, deflate, br"}) as resp:
        assert resp.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in resp.headers["Vary"]
        packed = await resp.read()
        assert int(resp.headers["Content-Length"]) == len(packed)
        assert resp.headers["ETag"] != ""
    assert gzip.decompress(packed) == plain
    assert len(packed) < len(plain) / 2
    for refused in ("gzip;q=0", "identity", "br", "gzip;q=0, deflate"):
        async with raw.get(path, headers={"Accept-Encoding": refused}) as resp:
            assert "Content-Encoding" not in resp.headers, refused
            assert await resp.read() == plain
    async with raw.head(path, headers={"Accept-Encoding": "GZIP;q=0.5"}) as resp:
        assert resp.status == 200 and resp.headers["Content-Encoding"] == "gzip"


async def test_pages_link_versioned_files_cached_for_a_year(raw: aiohttp.ClientSession) -> None:
    seen = 0
    for page in PAGES:
        refs = await _versioned_refs(raw, page)
        assert refs, page
        for ref in refs:
            assert re.search(r"\?v=[0-9a-f]{16}$", ref), (page, ref)
            async with raw.get(ref) as resp:
                assert resp.status == 200, ref
                assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
                seen += 1
    assert seen >= 6
    async with raw.get("/static/js/http.js") as resp:  # unversioned: always revalidated
        assert resp.headers["Cache-Control"] == "no-cache"
        etag = resp.headers["ETag"]
    async with raw.get("/static/js/http.js?v=0123456789abcdef") as resp:  # an old version
        assert resp.headers["Cache-Control"] == "no-cache"
    async with raw.get("/static/js/http.js", headers={"If-None-Match": etag}) as resp:
        assert resp.status == 304
        assert await resp.read() == b""
    async with raw.get("/login") as resp:
        page_etag = resp.headers["ETag"]
    async with raw.get("/login", headers={"If-None-Match": page_etag}) as resp:
        assert resp.status == 304 and resp.headers["Cache-Control"] == "no-cache"


async def test_module_imports_carry_the_imported_files_version(
    raw: aiohttp.ClientSession,
) -> None:
    (room_js,) = [r for r in await _versioned_refs(raw, "/j/some-room") if "/room.js" in r]
    async with raw.get(room_js) as resp:
        body = await resp.text()
    imports = re.findall(r"""from "(\./[^"]+)\"""", body)
    assert imports and all("?v=" in spec for spec in imports), imports
    (http_spec,) = [spec for spec in imports if spec.startswith("./http.js")]
    async with raw.get("/static/js/" + http_spec.removeprefix("./")) as resp:
        assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    async with raw.get("/static/js/protocol.js") as resp:
        assert "../vendor/socket.io/socket.io.esm.min.js?v=" in await resp.text()


def test_a_change_below_a_module_changes_every_url_above_it(tmp_path: Path) -> None:
    js = tmp_path / "js"
    js.mkdir()
    (js / "a.js").write_text('import { b } from "./b.js";\nexport const a = b;\n')
    (js / "b.js").write_text('import "./c.js";\nexport const b = 1;\n')
    (js / "c.js").write_text("export const c = 1;\n")
    (js / "d.js").write_text('import { x } from "./x.js"; export const d = x;\n')
    (js / "x.js").write_text('import { d } from "./d.js"; export const x = 1;\n')  # a cycle
    before = StaticFiles(tmp_path)
    (js / "c.js").write_text("export const c = 2;\n")
    after = StaticFiles(tmp_path)
    for name in ("js/a.js", "js/b.js", "js/c.js"):
        assert before.url(name) != after.url(name), name
    for name in ("js/d.js", "js/x.js"):
        assert before.url(name) == after.url(name), name
    served = after.get("js/a.js")
    assert served is not None
    assert f'from "./b.js?v={after.url("js/b.js").split("?v=")[1]}"' in served.body.decode()


async def test_favicon_on_every_page_and_at_the_root(raw: aiohttp.ClientSession) -> None:
    for page in PAGES:
        icons = [r for r in await _versioned_refs(raw, page) if "favicon" in r]
        assert len(icons) == 1 and icons[0].startswith("/static/favicon.svg?v="), page
        async with raw.get(icons[0]) as resp:
            assert resp.status == 200 and resp.content_type == "image/svg+xml"
    async with raw.get("/favicon.ico") as resp:
        assert resp.status == 200
        assert resp.content_type == "image/x-icon"
        assert (await resp.read())[:4] == b"\x00\x00\x01\x00"  # ICO header
        assert resp.headers["Cache-Control"] == "public, max-age=86400"


async def test_large_api_json_is_gzipped(server: RunningServer) -> None:
    http = await server.signed_in_session()
    async with http:
        headers = {"Accept-Encoding": "gzip"}
        async with http.get("/api/sites?limit=500", headers=headers, auto_decompress=False) as r:
            assert r.status == 200
            assert r.headers["Content-Encoding"] == "gzip"
            assert "Accept-Encoding" in r.headers["Vary"]
            assert r.headers["Cache-Control"] == "no-store"
            body = gzip.decompress(await r.read())
        assert body.startswith(b"{") and len(body) > 10_000
        async with http.get("/api/me", headers=headers, auto_decompress=False) as r:
            assert "Content-Encoding" not in r.headers  # too small to gain


def test_pages_preload_every_module_their_script_imports(tmp_path: Path) -> None:
    """One round trip for all modules instead of one per level of imports (600 ms on VSAT)."""
    (tmp_path / "js").mkdir()
    (tmp_path / "pages").mkdir()
    (tmp_path / "js" / "page.js").write_text(
        'import "./a.js";\nconst later = import("./late.js");\n'
    )
    (tmp_path / "js" / "late.js").write_text('import "./deep.js";\n')
    (tmp_path / "js" / "deep.js").write_text("export const d = 1;\n")
    (tmp_path / "js" / "a.js").write_text('import { b } from "./b.js";\nexport const a = b;\n')
    (tmp_path / "js" / "b.js").write_text('import "./a.js";\nexport const b = 1;\n')  # a cycle
    (tmp_path / "js" / "other.js").write_text("export const o = 1;\n")
    (tmp_path / "pages" / "p.html").write_text(
        '<html><head><script type="module" src="/static/js/page.js"></script></head></html>'
    )
    files = StaticFiles(tmp_path)
    page = files.get("pages/p.html")
    assert page is not None
    preloads = re.findall(r'<link rel="modulepreload" href="([^"]+)">', page.body.decode())
    # what page.js loads later with import() is not preloaded, but still versioned
    assert preloads == [files.url("js/a.js"), files.url("js/b.js")]
    assert page.body.decode().index("modulepreload") < page.body.decode().index("</head>")
    script = files.get("js/page.js")
    assert script is not None and files.url("js/late.js").removeprefix("/static/js/") in (
        script.body.decode()
    )


async def test_the_join_page_preloads_its_modules(raw: aiohttp.ClientSession) -> None:
    async with raw.get("/j/abcdefghijk") as res:
        body = await res.text()
    preloads = re.findall(r'<link rel="modulepreload" href="/static/([^"?]+)', body)
    assert {"js/i18n.js", "js/room-strings.js", "js/http.js"} <= set(preloads)
    # the meeting protocol and socket.io come after the join form is usable (room.js import())
    assert "js/protocol.js" not in preloads
    assert "vendor/socket.io/socket.io.esm.min.js" not in preloads
    assert 'id="join-button" class="big" data-i18n="join.submit" disabled' in body
