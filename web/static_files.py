"""Static files for slow links: read once at start, gzipped once, addressed by version.

Every file under ``web/static`` is read when the app is made (about 300 KB) and, when it is text
(JS, CSS, HTML, JSON, GeoJSON, SVG), gzipped at level 9 once. A file's *version* is a hash of its
bytes and of every file it imports, so a change anywhere below a script gives it a new URL:

- pages (``static/pages/*.html``, served at their own paths by ``web/pages.py``) have each
  ``src``/``href="/static/..."`` rewritten to ``/static/...?v=<version>``;
- scripts have each relative ES-module import (``from "./http.js"``) rewritten the same way,
  so the browser never mixes an old module with a new one.

``GET /static/<file>?v=<its current version>`` is cacheable for a year (``immutable``); without
``?v=`` or with an old one it is ``no-cache`` (revalidated with its ETag, 304 when unchanged).
Pages are ``no-cache`` too: a deploy is seen at the next page load, and a repeat visit costs one
small page and 304s. The gzipped body goes to clients whose ``Accept-Encoding`` takes gzip;
``Vary: Accept-Encoding`` keeps caches from mixing the two. Editing a static file needs a restart.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from aiohttp import hdrs, web

from web.compression import accepts_gzip, add_vary
from web.page_language import LANGUAGES, strings, translate

STATIC_DIR = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
FAVICON_CACHE = "public, max-age=86400"
TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".json": "application/json",
    ".geojson": "application/geo+json",
    ".svg": "image/svg+xml",
    ".md": "text/markdown",
    ".txt": "text/plain",
    ".ico": "image/x-icon",
    ".png": "image/png",
}
"""Fixed here, not from the system's mime.types (which differ between machines)."""
_IMPORT = re.compile(
    r"""(\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.{1,2}/[^"'?#\s]+)\2""",
)
_PAGE_REF = re.compile(r"""\b(src|href)=(["'])/static/([^"'?#\s]+)\2""")
_PAGE_MODULE = re.compile(r"""<script\s+type=["']module["']\s+src=["']/static/([^"'?#\s]+)["']""")


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    content_type: str
    version: str

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def _content_type(name: str) -> str:
    suffix = posixpath.splitext(name)[1].lower()
    return TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


_COMPRESSIBLE = {"application/json", "application/geo+json", "image/svg+xml", "image/x-icon"}


def _gzip(body: bytes, content_type: str) -> bytes | None:
    """The gzipped body, when the type compresses and it saves at least a tenth."""
    if not (content_type.startswith("text/") or content_type in _COMPRESSIBLE) or len(body) < 256:
        return None
    packed = gzip.compress(body, compresslevel=9, mtime=0)
    return packed if len(packed) < len(body) * 0.9 else None


def _read_tree(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root`` by its posix path; symlinks are never followed."""
    files: dict[str, bytes] = {}
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if not (Path(folder) / d).is_symlink()]
        for name in names:
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


class StaticFiles:
    """The files of one static folder with their versions and compressed bodies."""

    def __init__(self, root: Path = STATIC_DIR) -> None:
        self._raw = _read_tree(root)
        self._imports = {
            name: self._module_imports(name, body)
            for name, body in self._raw.items()
            if name.endswith(".js")
        }
        self._static_imports = {
            name: self._module_imports(name, body, dynamic=False)
            for name, body in self._raw.items()
            if name.endswith(".js")
        }
        self._versions = {name: self._version(name) for name in self._raw}
        self._assets = {name: self._asset(name) for name in self._raw}
        scripts = {n: b for n, b in self._raw.items() if n.startswith("js/")}
        self._pages = {
            (name, language): self._text_asset(
                translate(asset.body.decode("utf-8"), strings(scripts, language), language),
                asset,
            )
            for language in LANGUAGES
            for name, asset in self._assets.items()
            if name.startswith("pages/") and name.endswith(".html")
        }

    # -- versions ---------------------------------------------------------------------------
    def _module_imports(self, name: str, body: bytes, dynamic: bool = True) -> list[str]:
        """What the module imports (with ``dynamic``, ``import("./x.js")`` too)."""
        here = posixpath.dirname(name)
        found = []
        for match in _IMPORT.finditer(body.decode("utf-8", "replace")):
            if not dynamic and "(" in match.group(1):
                continue
            target = posixpath.normpath(posixpath.join(here, match.group(3)))
            if target in self._raw:
                found.append(target)
        return found

    def _version(self, name: str) -> str:
        """Hash of the file and of everything it imports, transitively (cycles included)."""
        seen: set[str] = set()
        stack = [name]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self._imports.get(current, ()))
        digest = hashlib.sha256()
        for member in sorted(seen):
            digest.update(member.encode() + b"\0" + hashlib.sha256(self._raw[member]).digest())
        return digest.hexdigest()[:16]

    def url(self, name: str) -> str:
        return f"/static/{name}?v={self._versions[name]}"

    # -- rewritten bodies -------------------------------------------------------------------
    def _rewrite_module(self, name: str, text: str) -> str:
        here = posixpath.dirname(name)

        def versioned(match: re.Match[str]) -> str:
            target = posixpath.normpath(posixpath.join(here, match.group(3)))
            if target not in self._versions:
                return match.group(0)
            spec = f"{match.group(3)}?v={self._versions[target]}"
            return f"{match.group(1)}{match.group(2)}{spec}{match.group(2)}"

        return _IMPORT.sub(versioned, text)

    def _rewrite_page(self, text: str) -> str:
        def versioned(match: re.Match[str]) -> str:
            target = match.group(3)
            if target not in self._versions:
                return match.group(0)
            return f"{match.group(1)}={match.group(2)}{self.url(target)}{match.group(2)}"

        return _PAGE_REF.sub(versioned, self._preload_modules(text))

    def _preload_modules(self, text: str) -> str:
        """``<link rel="modulepreload">`` for every module a page's scripts import statically,
        transitively, before ``</head>``: the browser fetches them all at once instead of one
        level of imports per round trip (six levels cost seconds at a VSAT site's 600 ms).
        What a script loads later with ``import()`` is left out: it must not take the link
        from what the page needs first."""
        wanted: list[str] = []
        for entry in _PAGE_MODULE.findall(text):
            stack = list(self._static_imports.get(entry, ()))
            while stack:
                current = stack.pop(0)
                if current != entry and current not in wanted:
                    wanted.append(current)
                    stack.extend(self._static_imports.get(current, ()))
        if not wanted or "</head>" not in text:
            return text
        links = "".join(f'  <link rel="modulepreload" href="/static/{name}">\n' for name in wanted)
        return text.replace("</head>", links + "</head>", 1)

    def _asset(self, name: str) -> Asset:
        body = self._raw[name]
        if name.endswith(".js"):
            body = self._rewrite_module(name, body.decode("utf-8")).encode("utf-8")
        elif name.startswith("pages/") and name.endswith(".html"):
            body = self._rewrite_page(body.decode("utf-8")).encode("utf-8")
        content_type = _content_type(name)
        version = self._versions[name]
        if name.startswith("pages/"):  # pages are never addressed by version: hash what is sent
            version = hashlib.sha256(body).hexdigest()[:16]
        return Asset(body, _gzip(body, content_type), content_type, version)

    @staticmethod
    def _text_asset(text: str, like: Asset) -> Asset:
        body = text.encode("utf-8")
        version = hashlib.sha256(body).hexdigest()[:16]
        return Asset(body, _gzip(body, like.content_type), like.content_type, version)

    def get(self, name: str, language: str = "id") -> Asset | None:
        """A file; for a page, its text in ``language`` ("id" or "en", see web/page_language.py)."""
        return self._pages.get((name, language)) or self._assets.get(name)

    def names(self) -> list[str]:
        return sorted(self._assets)

    # -- responses --------------------------------------------------------------------------
    def respond(self, request: web.BaseRequest, asset: Asset, cache_control: str) -> web.Response:
        gzipped = asset.gzipped is not None and accepts_gzip(request)
        etag = f'"{asset.version}-gz"' if gzipped else asset.etag
        headers = {hdrs.CACHE_CONTROL: cache_control, hdrs.ETAG: etag}
        if _not_modified(request, asset):
            response = web.Response(status=304, headers=headers)
        else:
            response = web.Response(
                body=asset.gzipped if gzipped else asset.body,
                headers=headers,
                content_type=asset.content_type,
                charset="utf-8" if asset.content_type.startswith("text/") else None,
            )
            if gzipped:
                response.headers[hdrs.CONTENT_ENCODING] = "gzip"
        if asset.gzipped is not None:
            add_vary(response)
        return response


def _not_modified(request: web.BaseRequest, asset: Asset) -> bool:
    given = request.headers.get(hdrs.IF_NONE_MATCH, "")
    tags = {t.strip().removeprefix("W/") for t in given.split(",") if t.strip()}
    return bool(tags & {asset.etag, f'"{asset.version}-gz"', "*"})


STATIC_FILES = web.AppKey("static_files", StaticFiles)


async def _static(request: web.Request) -> web.Response:
    files = request.app[STATIC_FILES]
    asset = files.get(request.match_info["name"])
    if asset is None:
        raise web.HTTPNotFound()
    fresh = request.query.get("v") == asset.version
    return files.respond(request, asset, IMMUTABLE if fresh else REVALIDATE)


async def _favicon(request: web.Request) -> web.Response:
    files = request.app[STATIC_FILES]
    asset = files.get("favicon.ico")
    assert asset is not None, "web/static/favicon.ico is part of the package"
    return files.respond(request, asset, FAVICON_CACHE)


def setup(app: web.Application) -> None:
    app[STATIC_FILES] = StaticFiles()
    app.router.add_get("/static/{name:.+}", _static)
    app.router.add_get("/favicon.ico", _favicon)
