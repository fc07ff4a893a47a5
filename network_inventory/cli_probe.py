"""``pendopo probe <site code or id>``: one round of each of a site's probe targets, printed.

Reads the server's database (it does not write: no samples, states or alerts); prints one line
per target with the method used (icmp-raw, icmp-dgram, tcp-fallback, tcp, http), replies, loss
and RTT; ``--json`` prints the results as JSON. Exits 1 when no target answered, 2 when the site
is unknown or has no enabled target.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from network_inventory.model import ProbeTarget
from network_inventory.probing import Prober, ProbeResult
from pendopo.cli_common import command, run_async
from pendopo.config import Settings
from pendopo.db_choice import database_for
from pendopo.schema import components


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("site", help="Kemendagri code (e.g. 33.14.11) or numeric id of the site")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--icmp", default="auto", choices=["auto", "raw", "dgram", "tcp"], help="ICMP method"
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def format_result(target: ProbeTarget, result: ProbeResult) -> str:
    where = target.url or (f"{target.host}:{target.port}" if target.port else target.host)
    line = (
        f"{target.kind.value:<4} {where:<32} {result.method:<12}"
        f" {result.received}/{result.sent} loss {result.loss:.0%}"
        f" rtt min/med/max {_fmt(result.rtt_min)}/{_fmt(result.rtt_median)}/"
        f"{_fmt(result.rtt_max)} ms"
    )
    return line + (f"  ({result.error})" if result.error else "")


async def probe_site(
    settings: Settings, ref: str, icmp_mode: str
) -> tuple[dict[str, Any] | None, list[tuple[ProbeTarget, ProbeResult]]]:
    db = database_for(settings)
    db.open(components())  # every package's, so it is fully migrated
    try:
        column = "id" if ref.isdigit() else "code"
        site = await db.fetchone(
            f"SELECT id, code, name, kind FROM sites WHERE {column} = ?", (ref,)
        )
        if site is None:
            return None, []
        rows = await db.fetchall(
            "SELECT * FROM probe_targets WHERE site_id = ? AND enabled = 1 ORDER BY id",
            (site["id"],),
        )
        targets = [ProbeTarget.from_row(r) for r in rows]
    finally:
        db.close()
    prober = Prober(icmp_mode=icmp_mode)
    try:
        results = await prober.sweep(targets)
    finally:
        await prober.close()
    return dict(site), list(zip(targets, results, strict=True))


@command("probe", "probe one site's targets once and print the results", _arguments)
def probe(settings: Settings, args: argparse.Namespace) -> int:
    site, pairs = run_async(probe_site(settings, args.site, args.icmp))
    if site is None:
        print(f"pendopo: no site {args.site!r}", file=sys.stderr)
        return 2
    if not pairs:
        print(
            f"pendopo: site {site['code'] or site['id']} has no enabled probe target",
            file=sys.stderr,
        )
        return 2
    if args.json:
        print(json.dumps({"site": site, "results": [r.public() for _, r in pairs]}, indent=2))
    else:
        print(f"{site['kind']} {site['name']} ({site['code'] or '#' + str(site['id'])})")
        for target, result in pairs:
            print("  " + format_result(target, result))
    return 0 if any(r.ok for _, r in pairs) else 1
