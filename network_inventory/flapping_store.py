"""Where each site's flapping is kept between restarts (``inventory_site_flapping``).

A site's recent changes and whether it is flapping (``network_inventory.flapping.Flap``) are
stored beside its state (``inventory_site_state``, written in the same transaction by
``history.save_status``): a restart in the middle of a flapping link neither forgets that it
flaps (its next changes would be alerted one by one again, "down", "up", then "flapping" once
more) nor forgets the changes counted towards it. Only sites with recent changes have a row;
a site whose changes left the window loses its row at its next save. Its own component (the
``inventory_site_state`` table stays as it is); no foreign key, like that table: a pass may
save a site an edit has just deleted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from network_inventory.flapping import Flap
from pendopo.db import Component, Connection, upsert

_V1 = """
CREATE TABLE inventory_site_flapping (
    site_id INTEGER PRIMARY KEY,
    changes TEXT NOT NULL,
    flapping INTEGER NOT NULL CHECK (flapping IN (0, 1))
);
"""

COMPONENT = Component("inventory_flapping", [_V1])


def save(conn: Connection, flaps: Iterable[tuple[int, Flap]]) -> None:
    """Store these sites' flapping (a site with no recent change: its row goes)."""
    keep, drop = [], []
    for site_id, flap in flaps:
        if flap.changes or flap.flapping:
            keep.append((site_id, json.dumps(list(flap.changes)), int(flap.flapping)))
        else:
            drop.append((site_id,))
    conn.executemany(
        upsert("inventory_site_flapping", ("site_id", "changes", "flapping"), key=("site_id",)),
        keep,
    )
    conn.executemany("DELETE FROM inventory_site_flapping WHERE site_id = ?", drop)


def load(conn: Connection) -> Mapping[int, Flap]:
    return {
        row["site_id"]: Flap(
            tuple(float(t) for t in json.loads(row["changes"])), bool(row["flapping"])
        )
        for row in conn.execute("SELECT site_id, changes, flapping FROM inventory_site_flapping")
    }


__all__ = ["COMPONENT", "load", "save"]
