"""Shared bits of the inventory tests: the region data shipped in the repo."""

from __future__ import annotations

from pathlib import Path

from network_inventory.importer import region_files
from tests.conftest import SRAGEN_DATA


def sragen_region_files() -> list[tuple[str, bytes]]:
    """The Kemendagri CSV/GeoJSON files of Kabupaten Sragen shipped in the repo."""
    paths, _ = region_files(SRAGEN_DATA)
    return [(p.name, p.read_bytes()) for p in paths]


def sragen_file(name: str) -> Path:
    return SRAGEN_DATA / name
