"""Source trees' SFU side by side on a shared machine: ``bench/sfu.py`` of each, alternately.

On a machine shared with other work the load moves between two runs more than a change of the
forwarding code does; running both trees in turn, several rounds, in one invocation puts them
under the same load. Each tree runs its own ``bench/sfu.py`` (which imports its own tree's
``media/``) with this interpreter; one table row per run, then the median per tree and size.

    git worktree add --detach /tmp/base main
    .venv/bin/python bench/sfu_compare.py --trees /tmp/base . --subscribers 0 20 --rounds 2

Fixed cost: server CPU at ``--subscribers 0`` (the publisher's streams received, nothing
forwarded). Per forwarded packet: (CPU at N - CPU at 0) / forwarded packets at N, which leaves
the fixed cost out, next to ``bench/sfu.py``'s own CPU / forwarded packets.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def run(tree: Path, subscribers: int, args: argparse.Namespace) -> dict[str, Any]:
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
            *args.extra,
        ]
        subprocess.run(command, cwd=tree, check=True, stdout=subprocess.DEVNULL)
        figures: dict[str, Any] = json.loads(out.read_text())
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trees", nargs="+", type=Path, required=True, help="two or more")
    parser.add_argument("--subscribers", nargs="+", type=int, default=[0, 20])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("extra", nargs="*", help="more bench/sfu.py options, after --")
    args = parser.parse_args()
    rows: list[tuple[str, int, dict[str, Any]]] = []
    print("tree | N | load before | CPU core-s/s | fwd pkt/s | µs/fwd pkt | fps min | audio min")
    for _round in range(args.rounds):
        for n in args.subscribers:
            for tree in args.trees:
                f = run(tree.resolve(), n, args)
                rows.append((str(tree), n, f))
                packets = f["packets"]["audio"] + f["packets"]["video"]
                per = 1e6 * f["cpu_seconds"] / packets if packets else float("nan")
                print(
                    f"{tree} | {n} | {f['load_before'][0]:.1f} | {f['cpu']:.3f} | "
                    f"{packets / f['elapsed']:.0f} | {per:.1f} | "
                    f"{min(f['video_fps']):.1f} | {min(f['audio_pps']):.1f}",
                    flush=True,
                )
    print("\nmedians (per forwarded packet net of the fixed cost: (CPU(N) - CPU(0)) / pkt/s)")
    for tree in args.trees:
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


if __name__ == "__main__":
    main()
