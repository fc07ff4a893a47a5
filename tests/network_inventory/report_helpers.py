"""A month of synthetic state history for the availability report's API and browser tests."""

from __future__ import annotations

import sqlite3

from edge.keys import DATABASE
from network_inventory.availability import Month
from tests.conftest import RunningServer

NOV = Month(2026, 11)
H = 3600


async def kalijambe_november(server: RunningServer) -> None:
    """Kalijambe (33.14.01) down 2 h on 10 November, with 1 h of maintenance inside."""

    def run(conn: sqlite3.Connection) -> None:
        kec = conn.execute("SELECT id FROM sites WHERE code = '33.14.01'").fetchone()[0]
        conn.execute("UPDATE links SET provider = 'Telkom', medium = 'fiber' WHERE site_id = ?",
                     (kec,))  # fmt: skip
        s = NOV.start + 9 * 86400
        conn.executemany(
            "INSERT INTO inventory_events (at, site_id, previous, state) VALUES (?, ?, ?, ?)",
            [
                (NOV.start - 86400, kec, "unknown", "up"),
                (s, kec, "up", "down"),
                (s + H, kec, "down", "maintenance"),
                (s + 2 * H, kec, "maintenance", "down"),
                (s + 3 * H, kec, "down", "up"),
            ],
        )

    await server.app[DATABASE].write(run)
