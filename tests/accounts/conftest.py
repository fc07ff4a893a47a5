"""A bare accounts database (no web server) for unit tests of the accounts package, on SQLite
and on PostgreSQL (``new_database``, tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from accounts.schema import COMPONENT
from pendopo.db import Database


@pytest.fixture
def db(new_database: Callable[[str], Database]) -> Iterator[Database]:
    database = new_database("accounts.sqlite3")
    database.open([COMPONENT])
    try:
        yield database
    finally:
        database.close()
