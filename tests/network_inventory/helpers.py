"""Shared bits of the inventory tests: the region data folder and a database fixture."""

from __future__ import annotations

from pathlib import Path

from network_inventory.importer import region_files
from tests.conftest import SHARED_DATA


def shared_region_files() -> list[tuple[str, bytes]]:
    """The Kemendagri CSV/GeoJSON files of ../shared/data (read there, never copied)."""
    paths, _ = region_files(SHARED_DATA)
    return [(p.name, p.read_bytes()) for p in paths]


def shared_file(name: str) -> Path:
    return SHARED_DATA / name
