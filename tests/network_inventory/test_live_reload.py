"""The live service's copy of the inventory stays the newest one when reads finish out of order.

Reads run on a pool of threads: a sweep's read begun before an edit can end after the re-read
that the edit asked for. The database below holds one read's answer until the test lets it go,
which fixes that order instead of hoping for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from network_inventory import Inventory
from network_inventory.live import LiveService, load_inventory
from pendopo.db import Database
from pendopo.schema import components
from tests.network_inventory.live_helpers import add_site, wait_for

T = TypeVar("T")


class HeldRead(Database):
    """A database whose next inventory read, once ``hold()`` is called, keeps its answer until
    ``release()``: a slow reader thread."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._gate: asyncio.Event | None = None
        self.answered = asyncio.Event()
        """Set when the held read has its answer (it has read the tables)."""

    def hold(self) -> None:
        self._gate = asyncio.Event()

    def release(self) -> None:
        assert self._gate is not None
        self._gate.set()

    async def read(self, fn: Callable[..., T]) -> T:
        result = await super().read(fn)
        gate = self._gate
        if fn is load_inventory and gate is not None and not self.answered.is_set():
            self.answered.set()
            await gate.wait()
        return result


@pytest.fixture
async def held_db(tmp_path: Path) -> AsyncIterator[HeldRead]:
    db = HeldRead(tmp_path / "inventory.sqlite3")
    db.open(components())
    try:
        yield db
    finally:
        db.close()


async def test_a_sweeps_late_read_does_not_undo_an_edit(held_db: HeldRead) -> None:
    inventory = Inventory(held_db)
    root = await add_site(held_db, "33.14", "Sragen", "kabupaten", None)
    kec = await add_site(held_db, "33.14.01", "Kalijambe", "kecamatan", root)
    village = await add_site(held_db, "33.14.01.2001", "Keden", "desa", kec, link="planned")
    live = LiveService(held_db)
    unsubscribe = inventory.subscribe(live.inventory_changed)
    try:
        await live.load()
        assert village not in live.inventory.active_parents

        held_db.hold()
        sweep = asyncio.create_task(live.sweep_once())
        await asyncio.wait_for(held_db.answered.wait(), 20)  # it read the uplink as planned

        link = (await inventory.list_links(site=village)).items[0]
        await inventory.update_link(link.id, {"status": "active"}, user="admin")
        await wait_for(lambda: village in live.inventory.active_parents)

        held_db.release()
        await sweep
        assert live.inventory.active_parents.get(village) == (kec,)
        # The next sweep reads the edit too: the village is no longer planned.
        await live.sweep_once()
        assert live.state_of(village) != "planned"
    finally:
        unsubscribe()
        await live.stop()
