"""Source trees' SFU side by side on a shared machine: ``bench/sfu.py`` of each, alternately.

On a machine shared with other work the load moves between two runs more than a change of the
forwarding code does; running both trees in turn, several rounds, in one invocation puts them
under the same load. Each tree runs its own ``bench/sfu.py`` (which imports its own tree's
``media/``) with this interpreter; one table row per run, then the median per tree and size.

    git worktree add --detach /tmp/base main
    .venv/bin/python bench/sfu_compare.py --trees /tmp/base . --subscribers 0 20 --rounds 2

``--variant NAME=ARGS`` (repeatable) runs each tree once per variant in every round, with the
variant's own ``bench/sfu.py`` options (shell words) before the common ones after ``--``: one
invocation alternates a setting on and off under the same load, e.g.

    .venv/bin/python bench/sfu_compare.py --trees . --subscribers 0 --rounds 1 \
        --variant=gate= --variant=no-gate=--keep-unheard-audio \
        -- --scenario townhall --sites 150 --client-processes 4

Fixed cost: server CPU at ``--subscribers 0`` (the publisher's streams received, nothing
forwarded). Per forwarded packet: (CPU at N - CPU at 0) / forwarded packets at N, which leaves
the fixed cost out, next to ``bench/sfu.py``'s own CPU / forwarded packets.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def run(
    tree: Path, subscribers: int, variant: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        command = [
            sys.executable,
            str(tree / "bench" / "sfu.py"),
            "--subscribers",
            str(subscribers),
            "--seconds",
            str(args.seconds),
            "--json",
            str(out),
            *variant,
            *args.extra,
        ]
        shown = None if args.show_runs else subprocess.DEVNULL
        subprocess.run(command, cwd=tree, check=True, stdout=shown)
        figures: dict[str, Any] = json.loads(out.read_text())
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trees", nargs="+", type=Path, required=True, help="two or more")
    parser.add_argument("--subscribers", nargs="+", type=int, default=[0, 20])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=ARGS",
        help="run every tree with these extra bench/sfu.py options too (repeatable)",
    )
    parser.add_argument("--show-runs", action="store_true", help="print each run's own report")
    parser.add_argument("extra", nargs="*", help="more bench/sfu.py options, after --")
    args = parser.parse_args()
    variants = [parse_variant(v) for v in args.variant] or [("", [])]
    labels = [
        (f"{tree}[{name}]" if name else str(tree), tree, extra)
        for tree in args.trees
        for name, extra in variants
    ]
    rows: list[tuple[str, int, dict[str, Any]]] = []
    print(
        "tree | N | load before | CPU core-s/s | fwd pkt/s | µs/fwd pkt | fps min | audio min "
        "| rcvd pkt/s | unheard dropped pkt/s | unseen dropped pkt/s"
    )
    for _round in range(args.rounds):
        for n in args.subscribers:
            for label, tree, extra in labels:
                f = run(tree.resolve(), n, extra, args)
                rows.append((label, n, f))
                packets = f["packets"]["audio"] + f["packets"]["video"]
                per = 1e6 * f["cpu_seconds"] / packets if packets else float("nan")
                fps = f.get("video_fps") or f.get("site_fps") or [float("nan")]
                aps = f.get("audio_pps") or f.get("site_aps") or [float("nan")]
                print(
                    f"{label} | {n} | {f['load_before'][0]:.1f} | {f['cpu']:.3f} | "
                    f"{packets / f['elapsed']:.0f} | {per:.1f} | "
                    f"{min(fps):.1f} | {min(aps):.1f} | "
                    f"{f['inbound'] / f['elapsed']:.0f} | "
                    f"{f.get('unheard', 0) / f['elapsed']:.0f} | "
                    f"{f.get('unseen', 0) / f['elapsed']:.0f}",
                    flush=True,
                )
    print("\nmedians (per forwarded packet net of the fixed cost: (CPU(N) - CPU(0)) / pkt/s)")
    for tree, _tree, _extra in labels:
        cpu = {
            n: statistics.median(f["cpu"] for t, m, f in rows if t == str(tree) and m == n)
            for n in args.subscribers
        }
        for n in args.subscribers:
            rates = [
                (f["packets"]["audio"] + f["packets"]["video"]) / f["elapsed"]
                for t, m, f in rows
                if t == str(tree) and m == n
            ]
            rate = statistics.median(rates)
            line = f"{tree} N={n}: CPU {cpu[n]:.3f} core"
            if rate:
                line += f", {1e6 * cpu[n] / rate:.1f} µs/pkt"
                if 0 in cpu:
                    line += f", {1e6 * (cpu[n] - cpu[0]) / rate:.1f} µs/pkt net of N=0"
            print(line)
    print(f"load average now: {os.getloadavg()}")


def parse_variant(text: str) -> tuple[str, list[str]]:
    """``NAME=ARGS`` -> (NAME, ARGS split as a shell would); ARGS may be empty."""
    name, sep, extra = text.partition("=")
    if not sep or not name:
        raise SystemExit(f"--variant wants NAME=ARGS, got {text!r}")
    return name, shlex.split(extra)


if __name__ == "__main__":
    main()
