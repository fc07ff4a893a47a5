"""web/page_language.py: the string tables read from the scripts, and pages written from them."""

from __future__ import annotations

from web.page_language import strings, translate
from web.static_files import StaticFiles

SCRIPT = b"""
import { register } from "./i18n.js";
register({
  id: {
    "a.title": "Judul {x}",  // a comment with a } brace
    "a.name": "Nama",
    "a.long":
      "Kalimat \\"panjang\\" & <rapi>",
    "a.only.id": "Hanya ini",
  },
  en: {
    "a.title": "Title {x}",
    "a.name": "Name",
    "a.long":
      "A \\"long\\" sentence & <tidy>",
  },
});
"""


def test_tables_are_read_with_the_indonesian_fallback() -> None:
    assert strings({"js/x.js": SCRIPT}, "en") == {
        "a.title": "Title {x}",
        "a.name": "Name",
        "a.long": 'A "long" sentence & <tidy>',
        "a.only.id": "Hanya ini",
    }
    assert strings({"js/x.js": SCRIPT}, "id")["a.long"] == 'Kalimat "panjang" & <rapi>'


def test_a_page_is_written_in_the_language() -> None:
    page = (
        '<html lang="id"><body><label for="n" data-i18n="a.name">Nama</label>'
        '<input id="n" data-i18n-placeholder="a.name"><br>'
        '<p data-i18n="a.long">x <b data-i18n="a.name">y</b></p>'
        '<div role="group" data-i18n-label="a.title" aria-label="Judul"></div>'
        '<span data-i18n="no.such.key">kept</span></body></html>'
    )
    table = strings({"js/x.js": SCRIPT}, "en")
    assert translate(page, table, "en") == (
        '<html lang="en"><body><label for="n" data-i18n="a.name">Name</label>'
        '<input id="n" data-i18n-placeholder="a.name" placeholder="Name"><br>'
        '<p data-i18n="a.long">A "long" sentence &amp; &lt;tidy&gt;</p>'
        '<div role="group" data-i18n-label="a.title" aria-label="Title {x}"></div>'
        '<span data-i18n="no.such.key">kept</span></body></html>'
    )


def test_every_page_is_served_in_both_languages() -> None:
    files = StaticFiles()
    for name in files.names():
        if name.startswith("pages/"):
            english, indonesian = files.get(name, "en"), files.get(name, "id")
            assert english is not None and indonesian is not None
            assert b'<html lang="en"' in english.body, name
            assert b'<html lang="id"' in indonesian.body, name
            assert english.etag != indonesian.etag, name
