"""CSV export of sites, links and probe targets. Link and probe exports use the import's
columns, so a file exported, edited in a spreadsheet and imported again updates in place."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from network_inventory import links as links_repo
from network_inventory import probes as probes_repo
from network_inventory import sites as sites_repo
from network_inventory.model import Site
from network_inventory.rows_import import LINK_COLUMNS, PROBE_COLUMNS
from pendopo.db import Connection


def _cell(value: Any) -> Any:
    """A JSON value as a CSV cell, the way the import reads it back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value


def _csv(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return out.getvalue()


def sites_csv(conn: Connection) -> str:
    items, _ = sites_repo.list_sites(conn, sites_repo.SiteFilter(), limit=None)
    return _csv(Site.CSV_COLUMNS, (site.public(with_boundary=False) for site in items))


def links_csv(conn: Connection) -> str:
    items, _ = links_repo.list_links(conn, links_repo.LinkFilter(), limit=None)
    return _csv(LINK_COLUMNS, (link.public() for link in items))


def probes_csv(conn: Connection) -> str:
    items, _ = probes_repo.list_probes(conn, probes_repo.ProbeFilter(), limit=None)
    return _csv(PROBE_COLUMNS, (probe.public() for probe in items))


EXPORTS = {"sites": sites_csv, "links": links_csv, "probes": probes_csv}
