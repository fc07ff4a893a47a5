"""Size of the probe history after a year of 30-second probing (synthetic data, temp DB).

    .venv/bin/python bench/history_size.py [--sites 229] [--interval 30]

Retention keeps raw samples 48 h, 5-minute roll-ups 14 d and hourly roll-ups 400 d, so after a
year the tables hold exactly those windows: this writes that steady state (raw samples through
``history.insert_samples`` and a real ``roll_up`` of the last 48 h; older roll-ups synthesised
with the same shape), plus one state change per site per day in the event log, then VACUUMs and
prints the file size per table.
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

from network_inventory import history
from network_inventory.history import DAY, FIVE_MINUTES, HOUR, Retention, Sample
from pendopo.db import migrate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=229)
    parser.add_argument("--interval", type=int, default=30)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    keep = Retention()
    rnd = random.Random(1)
    now = int(time.time()) // HOUR * HOUR
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "h.sqlite3"
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        migrate(conn, [history.COMPONENT])
        t0 = time.perf_counter()
        conn.execute("BEGIN")
        raw_start = now - keep.raw_s
        for at in range(raw_start, now, args.interval):
            history.insert_samples(
                conn,
                (
                    Sample(
                        s,
                        at,
                        5,
                        5 - (rnd.random() < 0.02),
                        *sorted(rnd.uniform(2, 80) for _ in range(3)),
                    )
                    for s in range(1, args.sites + 1)
                ),
            )
        conn.execute("COMMIT")
        conn.execute("BEGIN")
        rolled = history.roll_up(conn, now, keep)  # the last 48 h, for real
        conn.execute("COMMIT")

        def synth(level: int, span: int, stop: int) -> None:
            conn.execute("BEGIN")
            rows = []
            for bucket in range(now - span, stop, level):
                for s in range(1, args.sites + 1):
                    n = level // args.interval
                    lo, rlo, med, rhi, hi = sorted(rnd.uniform(2, 80) for _ in range(5))
                    rows.append((level, s, bucket, n, n, 5 * n, 5 * n - 1, lo, med, hi, rlo, rhi))
            conn.executemany(
                "INSERT OR IGNORE INTO probe_rollups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.execute("COMMIT")

        synth(FIVE_MINUTES, keep.five_min_s, raw_start)
        synth(HOUR, min(keep.hourly_s, args.days * DAY), raw_start)
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO inventory_events (at, site_id, previous, state, rtt_ms, loss, method)"
            " VALUES (?, ?, 'up', 'degraded', 12.5, 0.2, 'icmp-raw')",
            [(now - d * DAY, s) for d in range(args.days) for s in range(1, args.sites + 1)],
        )
        conn.execute("COMMIT")
        build = time.perf_counter() - t0
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        t1 = time.perf_counter()
        conn.execute("BEGIN")
        history.roll_up(conn, now + FIVE_MINUTES, keep)
        history.apply_retention(conn, now + FIVE_MINUTES, keep)
        conn.execute("COMMIT")
        sweep_cost = time.perf_counter() - t1
        sizes = (
            dict(
                conn.execute(
                    "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
                ).fetchall()
            )
            if _has_dbstat(conn)
            else {}
        )
        counts = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("probe_samples", "probe_rollups", "inventory_events")
        }
        conn.close()
        total = path.stat().st_size
    print(
        f"{args.sites} sites, one sample per {args.interval} s, {args.days} days, retention {keep}"
    )
    print(f"rows: {counts}; real roll-up of 48 h wrote {rolled} rows; built in {build:.0f} s")
    for name, size in sizes.items():
        print(f"  {name:<32} {size / 1e6:8.1f} MB")
    print(f"database file after VACUUM: {total / 1e6:.1f} MB")
    print(f"one sweep's roll-up + retention at the steady state: {sweep_cost * 1000:.0f} ms")


def _has_dbstat(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("SELECT 1 FROM dbstat LIMIT 1")
        return True
    except sqlite3.OperationalError:
        return False


if __name__ == "__main__":
    main()
