"""Every package's database schema (its ``COMPONENT``), in migration order: what the server and
each command line tool open the database with, so that all of them see it fully migrated.

The packages sit above pendopo (they build on its ``Database``), so they are named here rather
than imported at module level; ``components()`` imports them when a database is about to open.
"""

from __future__ import annotations

import importlib

from pendopo.db import Component

MODULES = (
    "accounts.schema",
    "rooms.schema",
    "network_inventory.schema",  # before the components whose tables reference its tables
    "network_inventory.history",
    "network_inventory.call_quality",
    "network_inventory.revision",
    "network_inventory.services_schema",  # the KPT service catalogue (references sites)
    "network_inventory.channels_schema",  # alert channels, sends, acks (references alerts)
    "network_inventory.thresholds",  # links' own degradation thresholds (references links)
    "rooms.attendance",  # a session's attendance list (references rooms)
    "network_inventory.maintenance_windows",  # recurring maintenance windows (reference sites)
    "network_inventory.flapping_store",  # each site's flapping, kept over a restart
)
"""Modules defining a ``COMPONENT``; append a new one, never reorder (migrations run in order)."""


def components() -> list[Component]:
    found: list[Component] = []
    for name in MODULES:
        component = importlib.import_module(name).COMPONENT
        if not isinstance(component, Component):
            raise TypeError(f"{name}.COMPONENT is not a pendopo.db.Component")
        found.append(component)
    return found


__all__ = ["MODULES", "components"]
