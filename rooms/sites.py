"""Which sites a participant can say they join from, and how healthy each site's link is.

``SiteDirectory`` is the seam: the network inventory provides the real implementation (every
kecamatan and village, with live link state); until it is wired in, ``BuiltinSites`` lists the
20 kecamatan of Kabupaten Sragen (Kemendagri codes) and knows nothing about links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class DirectorySite:
    code: str
    name: str
    kind: str
    """"regency", "kecamatan" or "desa"/"kelurahan"."""
    parent: str | None = None

    def label(self, parent: DirectorySite | None) -> str:
        """How the site is named to people: "Village, Kecamatan" for a village (12 village names
        repeat across Sragen's kecamatan), the plain name for a kecamatan or the regency."""
        if parent is not None and parent.kind == "kecamatan" and self.kind != "kecamatan":
            return f"{self.name}, {parent.name}"
        return self.name

    def public(self, parent: DirectorySite | None = None) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "label": self.label(parent)}


@dataclass(frozen=True)
class LinkHealth:
    state: str
    """"UP", "DEGRADED", "DOWN", "UNREACHABLE", "MAINTENANCE", "PLANNED", "UNKNOWN" (the
    inventory's site states, upper case)."""
    rtt_ms: float | None = None
    loss: float | None = None
    medium: str | None = None
    """Medium of the site's active primary uplink (fiber, wireless, vsat, ...), if known."""
    capacity_kbps: int | None = None
    """Capacity of that uplink, if known."""

    def public(self) -> dict[str, object]:
        return {
            "state": self.state,
            "rtt_ms": self.rtt_ms,
            "loss": self.loss,
            "medium": self.medium,
            "capacity_kbps": self.capacity_kbps,
        }


class SiteDirectory(Protocol):
    """Every site people join from; the kecamatan under the regency, villages under those."""

    async def get(self, code: str) -> DirectorySite | None: ...

    async def children(self, parent: str | None) -> list[DirectorySite]:
        """Sites under ``parent`` (None: the kecamatan), sorted by name."""

    async def link(self, code: str) -> LinkHealth | None:
        """The site's current link health, or None when nothing is known."""


async def site_and_parent(
    directory: SiteDirectory, code: str
) -> tuple[DirectorySite | None, DirectorySite | None]:
    """The site of ``code`` and the site above it (for :meth:`DirectorySite.label`)."""
    site = await directory.get(code)
    parent = await directory.get(site.parent) if site is not None and site.parent else None
    return site, parent


async def all_sites(directory: SiteDirectory) -> list[tuple[DirectorySite, DirectorySite | None]]:
    """Every kecamatan and every village under them, each with the site above it: what the
    type-ahead site searches offer (kecamatan by name, each followed by its villages)."""
    found: list[tuple[DirectorySite, DirectorySite | None]] = []
    for kecamatan in await directory.children(None):
        found.append((kecamatan, None))
        found.extend((village, kecamatan) for village in await directory.children(kecamatan.code))
    return found


# Kemendagri codes and names of the 20 kecamatan of Kabupaten Sragen (33.14).
SRAGEN_KECAMATAN: tuple[tuple[str, str], ...] = (
    ("33.14.01", "Kalijambe"),
    ("33.14.02", "Plupuh"),
    ("33.14.03", "Masaran"),
    ("33.14.04", "Kedawung"),
    ("33.14.05", "Sambirejo"),
    ("33.14.06", "Gondang"),
    ("33.14.07", "Sambungmacan"),
    ("33.14.08", "Ngrampal"),
    ("33.14.09", "Karangmalang"),
    ("33.14.10", "Sragen"),
    ("33.14.11", "Sidoharjo"),
    ("33.14.12", "Tanon"),
    ("33.14.13", "Gemolong"),
    ("33.14.14", "Miri"),
    ("33.14.15", "Sumberlawang"),
    ("33.14.16", "Mondokan"),
    ("33.14.17", "Sukodono"),
    ("33.14.18", "Gesi"),
    ("33.14.19", "Tangen"),
    ("33.14.20", "Jenar"),
)
REGENCY = DirectorySite("33.14", "Kabupaten Sragen", "regency")


class BuiltinSites:
    """The 20 kecamatan (and the regency office itself); no villages, no link data."""

    def __init__(self) -> None:
        kecamatan = [
            DirectorySite(code, name, "kecamatan", REGENCY.code) for code, name in SRAGEN_KECAMATAN
        ]
        self._by_code = {s.code: s for s in [REGENCY, *kecamatan]}
        self._kecamatan = sorted(kecamatan, key=lambda s: s.name)

    async def get(self, code: str) -> DirectorySite | None:
        return self._by_code.get(code)

    async def children(self, parent: str | None) -> list[DirectorySite]:
        if parent is None or parent == REGENCY.code:
            return list(self._kecamatan)
        return []

    async def link(self, code: str) -> LinkHealth | None:
        return None
