"""Network inventory: the regency's sites (kabupaten → kecamatan → desa/kelurahan), their
uplinks, probe targets and the change log, in SQLite.

Use :class:`Inventory` (``edge.keys.INVENTORY`` in the app): ``picker(parent_code)`` and
``site_by_code(code)`` for join pickers, ``probe_targets()`` and ``subscribe()`` for the prober,
``states`` for the prober's site states.
"""

from network_inventory.errors import Conflict, InventoryError, NotFound, ValidationError
from network_inventory.model import (
    VILLAGE_KINDS,
    Change,
    Link,
    LinkStatus,
    Medium,
    ProbeKind,
    ProbeTarget,
    Site,
    SiteKind,
)
from network_inventory.schema import COMPONENT
from network_inventory.service import ChangeEvent, Inventory, SiteStates

__all__ = [
    "COMPONENT",
    "VILLAGE_KINDS",
    "Change",
    "ChangeEvent",
    "Conflict",
    "Inventory",
    "InventoryError",
    "Link",
    "LinkStatus",
    "Medium",
    "NotFound",
    "ProbeKind",
    "ProbeTarget",
    "Site",
    "SiteKind",
    "SiteStates",
    "ValidationError",
]
