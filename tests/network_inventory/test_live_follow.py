"""A node that does not probe follows the one that does (several nodes or workers,
docs/scaling.md): its states and inventory are what the prober stores, not what they were when
it started. Before, such a node read them once at start-up and answered ``/api/state`` with
that forever."""

from __future__ import annotations

from network_inventory import Inventory
from network_inventory.live import LiveService
from pendopo.db import Database
from tests.network_inventory.live_helpers import add_site, wait_for


async def test_a_follower_answers_with_what_the_prober_stores(db: Database) -> None:
    inventory = Inventory(db)
    root = await add_site(db, "33.14", "Sragen", "kabupaten", None)
    kec = await add_site(db, "33.14.01", "Kalijambe", "kecamatan", root)
    village = await add_site(db, "33.14.01.2001", "Keden", "desa", kec, link="planned")
    prober = LiveService(db)  # the worker that probes: it hears this process's edits
    unsubscribe = inventory.subscribe(prober.inventory_changed)
    follower = LiveService(db)  # another worker: edits made elsewhere, states stored elsewhere
    try:
        await prober.load()
        await follower.follow(0.05)
        assert follower.state_of(village) == prober.state_of(village) == "planned"

        link = (await inventory.list_links(site=village)).items[0]
        await inventory.update_link(link.id, {"status": "active"}, user="admin")
        await prober.caught_up()
        assert prober.state_of(village) not in (None, "planned")

        await wait_for(lambda: follower.state_of(village) == prober.state_of(village), 5)
        assert follower.inventory.active_parents.get(village) == (kec,)
        assert follower.live_summary() == prober.live_summary()
    finally:
        unsubscribe()
        await follower.stop()
        await prober.stop()


async def test_a_node_that_loads_once_does_not_follow(db: Database) -> None:
    """Without ``follow`` (one process with probing off): read once, as before."""
    root = await add_site(db, "33.14", "Sragen", "kabupaten", None)
    kec = await add_site(db, "33.14.01", "Kalijambe", "kecamatan", root)
    village = await add_site(db, "33.14.01.2001", "Keden", "desa", kec, link="planned")
    inventory = Inventory(db)
    prober, reader = LiveService(db), LiveService(db)
    unsubscribe = inventory.subscribe(prober.inventory_changed)
    try:
        await prober.load()
        await reader.load()
        link = (await inventory.list_links(site=village)).items[0]
        await inventory.update_link(link.id, {"status": "active"}, user="admin")
        await prober.caught_up()
        assert prober.state_of(village) != "planned"
        assert reader.state_of(village) == "planned"
    finally:
        unsubscribe()
        await reader.stop()
        await prober.stop()
