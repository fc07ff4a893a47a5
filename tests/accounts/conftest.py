"""A bare accounts database (no web server) for unit tests of the accounts package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from accounts.schema import COMPONENT
from pendopo.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "accounts.sqlite3")
    database.open([COMPONENT])
    try:
        yield database
    finally:
        database.close()
