"""How fast the live inventory shows an outage, a recovery and a degradation, and how many false
alerts a lossy high-latency link causes — on real links in network namespaces (root only).

The lab (``tests/network_inventory/detect_lab.py``): a kecamatan router with three villages
behind it, and a VSAT village behind a user-space bridge adding 300 ms each way (600 ms round
trip) and ``--loss`` random loss each way. The live service runs with the default settings (30 s
interval, checks every 3 s) in the lab's "regency" namespace, with a webhook receiver there.

Figures (seconds after the event, as the API shows the state; the webhook's arrival too):

- outage: ``ip link set down`` on the kecamatan's uplink → kecamatan DOWN and its villages
  UNREACHABLE (``--cuts`` times, each at a random moment of the sweep cycle);
- recovery: link up again → kecamatan UP;
- degraded: iptables drops 30 % of the echo requests to one village → DEGRADED;
- flapping: the uplink goes down and up every ``--flap-period`` s, ``--flaps`` times → alerts
  during it, and the one saying it is stable again (``flapping: "ended"``);
- false alerts: alerts of any kind during ``--soak-minutes`` of the VSAT link alone.

    sudo .venv/bin/python bench/detect.py --soak-minutes 30
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from network_inventory.alerts import WebhookDispatcher
from network_inventory.live import LiveConfig, LiveService
from pendopo.db import Database
from pendopo.schema import components
from tests.netns import inside
from tests.network_inventory.detect_lab import (
    KEC_ADDR,
    VILLAGES,
    VSAT_ADDR,
    DetectLab,
    unavailable_reason,
)
from tests.network_inventory.live_helpers import Hook, add_site, add_target, serving_hook


def since(hook: Hook, t: float) -> list[dict[str, Any]]:
    """The alerts that arrived after ``t``."""
    return [a for at, a in zip(hook.arrived, hook.bodies, strict=True) if at >= t]


def named(alert: dict[str, Any]) -> str:
    """An alert's kind, with ``/started`` or ``/ended`` when it is about flapping."""
    flapping = alert.get("flapping")
    kind = f"{alert['kind']}/{flapping}" if flapping else str(alert["kind"])
    return f"{kind} {alert['site']['name']}" + (" (grouped)" if alert.get("grouped") else "")


def first(hook: Hook, kind: str, t: float) -> float | None:
    """Seconds from ``t`` to the first alert of this kind after it."""
    pairs = zip(hook.arrived, hook.bodies, strict=True)
    return next((at - t for at, a in pairs if at >= t and a["kind"] == kind), None)


async def until(predicate: Callable[[], bool], deadline_s: float) -> float | None:
    """Seconds until ``predicate`` holds (polled every 50 ms), None after ``deadline_s``."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > deadline_s:
            return None
        await asyncio.sleep(0.05)
    return time.monotonic() - start


def fmt(values: list[float | None]) -> str:
    shown = ", ".join("never" if v is None else f"{v:.1f}" for v in values)
    done = [v for v in values if v is not None]
    if not done:
        return shown
    return f"{shown}  (median {statistics.median(done):.1f}, max {max(done):.1f})"


async def run(args: argparse.Namespace, lab: DetectLab, workdir: Path) -> None:
    db = Database(workdir / "bench.sqlite3")
    db.open(components())
    try:
        async with serving_hook(db, 8099) as hook:
            await measure(args, lab, db, hook)
    finally:
        db.close()


async def measure(args: argparse.Namespace, lab: DetectLab, db: Database, hook: Hook) -> None:
    office = await add_site(db, "B.0", "Kantor Bupati", "kabupaten", None)
    kec = await add_site(db, "B.1", "Kecamatan Uji", "kecamatan", office)
    villages = [await add_site(db, f"B.1.{i}", f"Desa {i}", "desa", kec) for i in range(3)]
    vsat = await add_site(db, "B.2", "Desa VSAT", "desa", office)
    await db.execute_write("UPDATE links SET medium = 'vsat' WHERE site_id = ?", (vsat,))
    defaults = {"count": 5, "timeout_s": 2.0}
    await add_target(db, office, "icmp", "127.0.0.1", **defaults)
    await add_target(db, kec, "icmp", KEC_ADDR, **defaults)
    for site, addr in zip(villages, VILLAGES, strict=True):
        await add_target(db, site, "icmp", addr, **defaults)
    await add_target(db, vsat, "icmp", VSAT_ADDR, **defaults)

    live = LiveService(db, LiveConfig(), dispatcher=WebhookDispatcher(db))
    await live.start()
    print(f"ICMP: {live.prober.icmp_method if live.prober else '?'}; defaults: "
          f"interval {live.config.interval_s:g} s, checks every {live.config.check_interval_s:g} s",
          flush=True)  # fmt: skip
    try:
        all_up = [office, kec, *villages, vsat]
        ready = await until(lambda: all(live.state_of(s) == "up" for s in all_up), 120)
        if ready is None:
            states = {s: live.state_of(s) for s in all_up}
            raise SystemExit(f"the lab never came up: {states}")
        print(f"all up after {ready:.1f} s (VSAT village at 600 ms: up, not degraded)", flush=True)

        outage: list[float | None] = []
        alert_down: list[float | None] = []
        recovery: list[float | None] = []
        last_cut = -1e9
        window = live.config.policy.flap_window_s
        for _ in range(args.cuts):
            # apart by more than the flap window (else the second cut's changes are flapping),
            # at a random moment of the sweep cycle
            await asyncio.sleep(max(0.0, last_cut + window + 5 - time.monotonic()))
            await asyncio.sleep(random.uniform(0, live.config.interval_s))
            t0 = last_cut = time.monotonic()
            lab.cut()
            outage.append(
                await until(
                    lambda: (
                        live.state_of(kec) == "down"
                        and all(live.state_of(v) == "unreachable" for v in villages)
                    ),
                    120,
                )
            )
            await until(lambda t=t0: bool(first(hook, "down", t)), 30)
            alert_down.append(first(hook, "down", t0))
            await asyncio.sleep(random.uniform(3, 10))
            lab.restore()
            recovery.append(await until(lambda: live.state_of(kec) == "up", 120))
        if args.cuts:
            print(f"outage shown after the cut (s): {fmt(outage)}", flush=True)
            print(f"  its webhook alert after the cut (s): {fmt(alert_down)}", flush=True)
            print(f"recovery shown after the restore (s): {fmt(recovery)}", flush=True)

        degraded: list[float | None] = []
        for _ in range(args.degradations):
            await asyncio.sleep(random.uniform(5, 15))
            lab.drop(VILLAGES[0], 0.3)
            degraded.append(await until(lambda: live.state_of(villages[0]) == "degraded", 300))
            lab.clear_drops()
            await until(lambda: live.state_of(villages[0]) == "up", 300)
        if args.degradations:
            print(f"30 % loss shown DEGRADED after (s): {fmt(degraded)}", flush=True)

        if args.flaps:
            await asyncio.sleep(max(5.0, last_cut + window + 5 - time.monotonic()))
            t0 = time.monotonic()
            for _ in range(args.flaps):
                lab.cut()
                await asyncio.sleep(args.flap_period / 2)
                lab.restore()
                await asyncio.sleep(args.flap_period / 2)
            during = [named(a) for a in since(hook, t0)]
            stable = await until(
                lambda: any(a.get("flapping") == "ended" for a in since(hook, t0)), 600
            )
            after = [named(a) for a in since(hook, t0)][len(during) :]
            print(f"flapping every {args.flap_period:g} s, {args.flaps} times: "
                  f"{len(during)} alerts during it ({', '.join(during)}); then {len(after)} "
                  f"({', '.join(after)}) {'never' if stable is None else f'{stable:.0f} s'} "
                  f"after the last flap; kecamatan now {live.state_of(kec)}",
                  flush=True)  # fmt: skip

        await asyncio.sleep(10)
        t0 = time.monotonic()
        events_before = await db.fetchall("SELECT count(*) FROM inventory_events")
        await asyncio.sleep(args.soak_minutes * 60)
        arrived = since(hook, t0)
        # Only the VSAT village's alerts are false ones here: another site may still send the
        # "stable again" alert of the flapping an earlier phase caused (ten degradations of one
        # village, less than the flap window apart, make it flapping).
        false = [a for a in arrived if a["site"]["id"] == vsat]
        events_after = await db.fetchall("SELECT count(*) FROM inventory_events")
        stats = await db.fetchall(
            "SELECT sum(sent), sum(received) FROM probe_samples WHERE site_id = ?", (vsat,)
        )
        sent, received = stats[0]
        loss = 1 - received / sent if sent else float("nan")
        print(f"false alerts over {args.soak_minutes:g} min of the VSAT link (600 ms, "
              f"{lab.loss:.0%} loss each way; sweeps measured {loss:.1%} loss): {len(false)}; "
              f"state changes: {events_after[0][0] - events_before[0][0]}; "
              f"VSAT village now {live.state_of(vsat)}", flush=True)  # fmt: skip
        for alert in false:
            print(f"  false alert: {alert.get('text_en')}")
        for alert in arrived:
            if alert not in false:
                print(f"  not counted (another site, an earlier phase): {alert.get('text_en')}")
    finally:
        await live.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cuts", type=int, default=3)
    parser.add_argument("--degradations", type=int, default=3)
    parser.add_argument("--flaps", type=int, default=10)
    parser.add_argument("--flap-period", type=float, default=40.0)
    parser.add_argument("--soak-minutes", type=float, default=30.0)
    parser.add_argument("--loss", type=float, default=0.05, help="the VSAT hop's, each way")
    args = parser.parse_args()
    reason = unavailable_reason()
    if reason:
        print(f"bench/detect.py cannot run here: {reason}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="pendopo-detect-") as tmp:
        workdir = Path(tmp)
        with DetectLab(loss=args.loss, workdir=workdir) as lab, inside(lab.reg):
            asyncio.run(run(args, lab, workdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
