"""Benchmark of the camera pause over a weak link: what a lurah's uplink carries while nobody
shows their video, and how soon the host sees them again once the tile is shown.

The weak-link lab of ``bench/weaklink.py`` (tests/weaklink/: network namespaces, kernel tbf, the
project's delay/loss bridge; profile d by default: 256 kbit/s, 600 ms round trip, 5 % loss),
``pendopo run`` inside it with its default ``camera_pause_unseen`` (10 s), two headless
Chromiums (fake camera and microphone). The host admits the lurah; once the host decodes the
lurah's video, ``--rounds`` times:

1. the lurah's uplink (the bridge's bytes from the lurah's side, everything: audio, video,
   RTCP, signaling) and the lurah's page's outbound video over ``--window`` seconds while the
   host's page shows the tile;
2. the host's page stops showing the tile (as a thumbnail scrolled away); seconds until the
   lurah's page has both camera layers off, then the same two figures over ``--window`` s;
3. the host's page shows the tile again; seconds until the lurah's camera is on and until the
   host's page decodes a new frame of the lurah (what the host waits for).

Each variant in ``--variants`` is a lab of its own, one after the other: ``pause`` (the
server's default), ``keep`` (``camera_pause_unseen = 0``: the camera keeps sending, the server
drops what nobody sees and asks for a keyframe when the tile is shown; the tile stays hidden
for ``KEEP_HIDDEN`` seconds).

Needs root (namespaces). Nothing leaves the lab (checked as in bench/weaklink.py).

    .venv/bin/python bench/camera_pause.py                    # profile d, 3 rounds
    .venv/bin/python bench/camera_pause.py --profile c --rounds 5 --variants pause
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.async_api import Page, async_playwright

from tests.browser.pages import HIDE_TILE, SHOW_TILE
from tests.weaklink.browsers import snapshot
from tests.weaklink.lab import Lab, unavailable_reason
from tests.weaklink.meeting import LURAH, admit_lurah, open_meeting
from tests.weaklink.profiles import PROFILES

# Whether any of the camera's two senders (high, low) has its encoding switched on (over a
# lossy link the page may send its low layer only: media:limits low_only).
_CAMERA_ON = """() => window.pendopo.pc.getSenders()
  .filter((s) => s.track && s.track.kind === "video")
  .some((s) => s.getParameters().encodings[0].active)"""


KEEP_HIDDEN = 12.0
"""Seconds the tile stays hidden when the camera is not paused (longer than the pause's 10)."""


async def until(page: Page, script: str, wanted: Any, within: float = 60.0) -> float:
    """Seconds until ``script`` on ``page`` gives ``wanted`` (polled every 50 ms)."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        if await page.evaluate(script) == wanted:
            return time.monotonic() - start
        await asyncio.sleep(0.05)
    raise RuntimeError(f"not {wanted} within {within} s")


async def host_decoded(host: Page) -> int:
    video = (await snapshot(host, LURAH))["video"]
    return int(video["framesDecoded"]) if video else 0


async def uplink(lab: Lab, lurah: Page, seconds: float) -> tuple[float, float]:
    """(kbit/s the lurah's link carried up, kbit/s of the lurah's outbound video) over
    ``seconds``."""
    link0, page0, t0 = lab.bridge_figures(), await snapshot(lurah, LURAH), time.monotonic()
    await asyncio.sleep(seconds)
    link1, page1, t1 = lab.bridge_figures(), await snapshot(lurah, LURAH), time.monotonic()
    link = link1["b_to_a"]["bytes_sent"] - link0["b_to_a"]["bytes_sent"]
    video = (page1["sent"] or {}).get("bytesSent", 0) - (page0["sent"] or {}).get("bytesSent", 0)
    return link * 8 / 1000 / (t1 - t0), video * 8 / 1000 / (t1 - t0)


async def run(args: argparse.Namespace, workdir: Path, pause: bool) -> list[dict[str, float]]:
    rounds: list[dict[str, float]] = []
    if pause:
        os.environ.pop("PENDOPO_CAMERA_PAUSE_UNSEEN", None)  # the server's default
    else:
        os.environ["PENDOPO_CAMERA_PAUSE_UNSEEN"] = "0"
    with Lab(PROFILES[args.profile], workdir, log_level=args.log_level) as lab:
        async with async_playwright() as pw:
            meeting = await open_meeting(pw, lab)
            try:
                await admit_lurah(meeting)
                host, lurah = meeting.host, meeting.lurah
                assert host is not None and lurah is not None
                lurah_id = await lurah.evaluate("window.pendopo.client.participantId")
                start = time.monotonic()
                while await host_decoded(host) < 30:
                    if time.monotonic() - start > 90:
                        raise RuntimeError("the host never decoded the lurah's video")
                    await asyncio.sleep(0.5)
                for _ in range(args.rounds):
                    link_shown, video_shown = await uplink(lab, lurah, args.window)
                    await host.evaluate(HIDE_TILE, lurah_id)
                    if pause:
                        paused = await until(lurah, _CAMERA_ON, False)
                    else:
                        await asyncio.sleep(KEEP_HIDDEN)
                        paused = math.nan
                    await asyncio.sleep(1.0)  # what was queued on the link drains
                    link_paused, video_paused = await uplink(lab, lurah, args.window)
                    frames = await host_decoded(host)
                    await host.evaluate(SHOW_TILE, lurah_id)
                    shown = time.monotonic()
                    try:
                        resumed = await until(lurah, _CAMERA_ON, True) if pause else math.nan
                    except RuntimeError:
                        limits = await lurah.evaluate("window.pendopo.client.limits")
                        print("lurah's limits:", limits, "\nserver log:", lab.server_log()[-6000:])
                        raise
                    while await host_decoded(host) <= frames:
                        if time.monotonic() - shown > 60:
                            raise RuntimeError("the host never saw the lurah again")
                        await asyncio.sleep(0.05)
                    picture = time.monotonic() - shown
                    rounds.append(
                        {
                            "link_shown": link_shown,
                            "video_shown": video_shown,
                            "paused_after": paused,
                            "link_paused": link_paused,
                            "video_paused": video_paused,
                            "camera_on_after": resumed,
                            "host_picture_after": picture,
                        }
                    )
                    print(" ".join(f"{k} {v:.2f}" for k, v in rounds[-1].items()), flush=True)
                    await asyncio.sleep(args.window)  # shown again, settled, before the next
            finally:
                await meeting.close()
        problems = lab.containment()
        if problems:
            raise SystemExit(f"traffic outside the lab: {problems}")
    return rounds


def summary(results: dict[str, list[dict[str, float]]]) -> str:
    """A markdown table: one row per figure, one column per variant."""
    names = list(results)
    lines = ["| figure | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for key in results[names[0]][0]:
        cells = []
        for name in names:
            values = [r[key] for r in results[name]]
            if all(math.isnan(v) for v in values):
                cells.append("—")
                continue
            median, low, high = statistics.median(values), min(values), max(values)
            cells.append(f"{median:.2f} ({low:.2f}–{high:.2f})")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="d", choices=sorted(PROFILES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--window", type=float, default=10.0, help="seconds per uplink reading")
    parser.add_argument("--log-level", default="WARNING", help="the server's log_level")
    parser.add_argument("--variants", default="pause,keep", help="pause, keep or both")
    args = parser.parse_args()
    reason = unavailable_reason()
    if reason is not None:
        print(f"skipped: {reason}")
        return 0
    results: dict[str, list[dict[str, float]]] = {}
    for variant in args.variants.split(","):
        print(f"variant {variant}", flush=True)
        with tempfile.TemporaryDirectory(prefix="pendopo-pause-") as tmp:
            results[variant] = asyncio.run(run(args, Path(tmp), pause=variant == "pause"))
    profile = PROFILES[args.profile]
    print(f"\nprofile {profile.name}: {profile.describe()}, {args.rounds} rounds: median (min–max)")
    print(summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
