"""Active probing of the inventory's targets: ICMP echo (several requests per round), TCP
connect and HTTP(S) GET, run by one sweeper with bounded concurrency.

``Prober`` is the seam: the live service hands it targets and gets ``ProbeResult`` values back;
nothing here knows about SQLite, site states or socket.io.
"""

from network_inventory.probing.result import ProbeResult
from network_inventory.probing.sweep import Prober, SweepPlan

__all__ = ["ProbeResult", "Prober", "SweepPlan"]
