"""Pages sent in the visitor's language, so a page is readable before its scripts arrive.

The pages' text lives once, in the scripts' string tables (``register({id: {...}, en: {...}})``
in ``web/static/js/*.js``); the HTML carries ``data-i18n`` keys, and ``i18n.apply()`` writes
the text after the scripts have loaded. Over a VSAT site's link that is seconds later (six or
more round trips of 600 ms): with ``?lang=en`` the Name box had no English label until then.
So the server reads the tables once at start and sends each page already written in both
languages; the scripts' ``apply()`` then writes the same text again.

Only what ``apply()`` writes is written here: the text of ``data-i18n`` elements, the
``aria-label``/``placeholder``/``title`` named by ``data-i18n-label``/``-placeholder``/``-title``,
and the ``<html lang>``. A key without an English string falls back to the Indonesian one, and
one without either keeps the page's own text (the script falls back the same way).
``tests/browser/test_page_language.py`` checks in Chromium that every page reads the same before
and after its scripts run.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from html.parser import HTMLParser

LANGUAGES = ("id", "en")
_STRING = r'"(?:[^"\\\n]|\\.)*"'
_PAIR = re.compile(rf"({_STRING})\s*:\s*({_STRING})\s*(?=[,}}])")
_ATTRIBUTES = {
    "data-i18n-label": "aria-label",
    "data-i18n-placeholder": "placeholder",
    "data-i18n-title": "title",
}
_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


def strings(scripts: Mapping[str, bytes], language: str) -> dict[str, str]:
    """The strings in ``language`` of every ``register()`` call in ``scripts`` (name -> source),
    with the Indonesian ones where a key has none in ``language`` (as ``t()`` does)."""
    table = {} if language == "id" else strings(scripts, "id")
    block_start = re.compile(rf"\b{re.escape(language)}\s*:\s*\{{")
    for name in sorted(scripts):
        if not name.endswith(".js"):
            continue
        text = scripts[name].decode("utf-8")
        if "register(" not in text:
            continue
        for block in block_start.finditer(text):
            body = text[block.end() : _closing_brace(text, block.end())]
            for key, value in _PAIR.findall(body):
                table[json.loads(key)] = json.loads(value)
    return table


def _closing_brace(text: str, start: int) -> int:
    """The offset of the ``}`` closing the object whose body begins at ``start`` (strings and
    ``//`` comments skipped)."""
    depth, i = 1, start
    while i < len(text):
        c = text[i]
        if c in "\"'`":
            i += 1
            while i < len(text) and text[i] != c:
                i += 2 if text[i] == "\\" else 1
        elif text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                break
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError("a language block of register() is not closed")


class _Marks(HTMLParser):
    """Finds what ``apply()`` would change, as (start, end, replacement) spans of the source."""

    def __init__(self, source: str, table: Mapping[str, str], language: str) -> None:
        super().__init__(convert_charrefs=True)
        self._lines = [0]
        for line in source.splitlines(keepends=True):
            self._lines.append(self._lines[-1] + len(line))
        self._table = table
        self._language = language
        self._open: list[tuple[str, str | None, int]] = []  # tag, data-i18n key, content start
        self.spans: list[tuple[int, int, str]] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._lines[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._offset()
        raw = self.get_starttag_text() or ""
        values = dict(attrs)
        rewritten = raw
        if tag == "html":
            rewritten = _set_attribute(rewritten, "lang", self._language)
        for marker, target in _ATTRIBUTES.items():
            english = self._table.get(values.get(marker) or "")
            if english is not None:
                rewritten = _set_attribute(rewritten, target, english)
        if rewritten != raw:
            self.spans.append((start, start + len(raw), rewritten))
        if tag not in _VOID and not raw.endswith("/>"):
            key = values.get("data-i18n")
            self._open.append((tag, key, start + len(raw)))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, key, content = self._open.pop()
            if open_tag == tag:
                english = self._table.get(key or "")
                if english is not None:
                    self.spans.append((content, self._offset(), html.escape(english, quote=False)))
                return


def _set_attribute(tag: str, name: str, value: str) -> str:
    quoted = f'{name}="{html.escape(value)}"'
    found = re.compile(rf"""(\s){re.escape(name)}=("[^"]*"|'[^']*'|[^\s>]+)""")
    if found.search(tag):
        return found.sub(lambda m: m.group(1) + quoted, tag, count=1)
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return f"{tag[:end].rstrip()} {quoted}{tag[end:]}"


def translate(page: str, table: Mapping[str, str], language: str) -> str:
    """``page`` written in ``language`` from ``table`` (see the module's docstring)."""
    marks = _Marks(page, table, language)
    marks.feed(page)
    marks.close()
    spans: list[tuple[int, int, str]] = []
    for span in sorted(marks.spans):
        if spans and span[0] < spans[-1][1]:
            continue  # inside an element whose whole text is replaced
        spans.append(span)
    out = page
    for start, end, text in reversed(spans):
        out = out[:start] + text + out[end:]
    return out
