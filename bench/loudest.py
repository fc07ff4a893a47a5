"""Benchmark of the audio selection (media/loudest.py) in a town hall, on simulated time.

228 sites and a host publish audio; every publisher's level is reported every 0.2 s (as
``ImmediateAudioBuffer`` does); a few sites speak in turns, the host now and then. Every 0.1 s
the SFU's check runs as in ``Sfu._reselect_audio``: the signature, and — only when it changed —
each pooled receiver's choice (the host: 228 candidates; each site: the host and the 8 recent
speakers). Prints the CPU the selection costs per second of session (a core fraction) and how
many slot switches it made, and the forwarded audio streams with and without the limit.

    .venv/bin/python bench/loudest.py --sites 228 --seconds 120
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from media.loudest import LoudestSettings, Loudness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=228)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--limit", type=int, default=3)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    loudness = Loudness(LoudestSettings(limit=args.limit))
    sites = [f"s{i}" for i in range(args.sites)]
    everyone = ["host", *sites]
    recent: list[str] = []
    chosen: dict[str, list[str]] = {p: [] for p in everyone}
    priority = {"host"}
    speakers: set[str] = {"host"}
    switches = 0
    mark: object = None
    cpu = 0.0
    reports = 0
    step = 0.1
    now = 0.0
    next_turn = 0.0
    while now < args.seconds:
        now += step
        if now >= next_turn:  # a new turn: one to three sites speak, the host half the time
            speakers = set(rng.sample(sites, rng.randint(1, 3)))
            if rng.random() < 0.5:
                speakers.add("host")
            for s in speakers:
                if s != "host":
                    recent = [s, *(r for r in recent if r != s)][:8]
            next_turn = now + rng.uniform(3.0, 12.0)
        started = time.process_time()
        # level reports: every publisher every 0.2 s (half of them in each 0.1 s step)
        parity = round(now / step) % 2
        for i, p in enumerate(everyone):
            if i % 2 == parity:
                level = rng.randint(-30, -15) if p in speakers else rng.randint(-90, -70)
                loudness.level(p, level, now)
                reports += 1
        signature = loudness.signature(now)
        if signature != mark:
            mark = signature
            for receiver in everyone:
                if receiver == "host":
                    candidates = set(sites)
                else:
                    candidates = {"host", *recent}
                new = loudness.choose(chosen[receiver], candidates, priority, now, receiver)
                switches += len(set(new) - set(chosen[receiver]))
                chosen[receiver] = new
        cpu += time.process_time() - started
    n = len(everyone)
    print(f"{args.sites} sites + host, {args.seconds:.0f} s simulated, limit {args.limit}")
    print(f"selection CPU: {cpu:.2f} s = {cpu / args.seconds:.4f} core")
    print(f"level reports: {reports} ({reports / args.seconds:.0f}/s); slot switches: {switches}")
    before = (n - 1) + (n - 1) * 4  # the host heard every site, each site the host + 3 recent
    limited = n * args.limit
    print(
        f"audio streams forwarded: before {before} (the host's page {n - 1}), with limit "
        f"{args.limit} at most {limited} (each page {args.limit}); "
        f"{before * 50} vs {limited * 50} packets/s at 50 packets/s each"
    )


if __name__ == "__main__":
    main()
