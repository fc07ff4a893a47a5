"""Time of the monthly availability report over a month of a regency's history (temp DB).

    .venv/bin/python bench/report.py [--villages 208] [--changes-per-day 1]

Writes what a month leaves behind for a Sragen-sized inventory (1 office, 20 kecamatan, the
villages, one link each): 720 hourly roll-ups per site, raw samples of the last 48 h, and
``--changes-per-day`` state changes per site per day (down, then up an hour later), then times
``availability.load`` (what ``GET /api/reports/availability`` runs) and prints the figures.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from network_inventory import availability, history
from network_inventory.history import HOUR
from pendopo.db import migrate
from pendopo.schema import components


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--villages", type=int, default=208)
    parser.add_argument("--changes-per-day", type=int, default=1)
    args = parser.parse_args()
    rnd = random.Random(1)
    month = availability.Month(2026, 11)
    start, end = int(month.start), int(month.end)
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "r.sqlite3", isolation_level=None)
        conn.row_factory = sqlite3.Row
        migrate(conn, components())
        conn.execute("BEGIN")
        sites = [(1, "33.14", "Kantor Bupati", "kabupaten", None)]
        sites += [(1 + k, f"33.14.{k:02d}", f"Kec {k}", "kecamatan", 1) for k in range(1, 21)]
        sites += [
            (22 + v, f"33.14.{v % 20 + 1:02d}.{2001 + v}", f"Desa {v}", "desa", 2 + v % 20)
            for v in range(args.villages)
        ]
        conn.executemany(
            "INSERT INTO sites (id, code, name, kind, parent_id, created_at, updated_at,"
            " name_key) VALUES (?, ?, ?, ?, ?, 0, 0, '')",
            sites,
        )
        media = ["fiber", "wireless", "vsat", "cellular"]
        conn.executemany(
            "INSERT INTO links (site_id, parent_site_id, medium, provider, status, priority,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, 'active', 0, 0, 0)",
            [(s[0], s[4], media[s[0] % 4], f"ISP {s[0] % 5}") for s in sites if s[4]],
        )
        rows = []
        for sid, *_ in sites:
            for bucket in range(start, end, HOUR):
                lo, rlo, med, rhi, hi = sorted(rnd.uniform(2, 800) for _ in range(5))
                rows.append((HOUR, sid, bucket, 120, 119, 600, 590, lo, med, hi, rlo, rhi))
        conn.executemany(
            "INSERT INTO probe_rollups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
        conn.execute(
            "INSERT INTO history_watermarks (level, done_until) VALUES (?, ?)", (HOUR, end - HOUR)
        )
        history.insert_samples(
            conn,
            (
                history.Sample(sid, at, 5, 5, 2.0, 3.0, 4.0)
                for sid, *_ in sites
                for at in range(end - HOUR, end, 30)
            ),
        )
        events = []
        for sid, *_ in sites:
            for day in range(30):
                for n in range(args.changes_per_day):
                    at = start + day * 86400 + n * 3 * HOUR + rnd.randrange(2 * HOUR)
                    events += [(at, sid, "up", "down"), (at + HOUR, sid, "down", "up")]
        conn.executemany(
            "INSERT INTO inventory_events (at, site_id, previous, state) VALUES (?, ?, ?, ?)",
            events,
        )
        conn.execute("COMMIT")
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            report = availability.load(conn, month, end + 1)
            times.append(time.perf_counter() - t0)
        conn.close()
    print(
        f"{len(sites)} sites, {len(rows)} hourly roll-ups, {len(events)} state changes in the month"
    )
    print(f"report: {report['total']['sites']} sites, {report['total']['outages']} outages")
    print(
        f"availability.load: best {min(times) * 1000:.0f} ms of 3,"
        f" median {sorted(times)[1] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
