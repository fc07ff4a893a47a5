"""Benchmark of a lurah behind a weak link (issue 8): two real Chromiums, the link shaped.

For each profile (a clean; b 2 Mbit/s, 100 ms, 0.5 %; c 384 kbit/s, 600 ms, 5 %; d 256 kbit/s,
600 ms, 5 %) it builds the weak-link lab (tests/weaklink/: network namespaces, kernel tbf, the
project's user-space delay/loss bridge), starts ``pendopo run`` inside it, and drives two headless
Chromiums (fake camera 640x360 and microphone): the host on the clean link signs in and creates
a session; the lurah first opens the join link in a cold browser context (join page ready to
type a name, in English and in Bahasa Indonesia), then joins the lobby; the host admits once the
lurah's media connection (set up in the lobby) is up (lobby -> connection up; admit -> first
decoded frame of the host's video, and its steps on the lurah's page: the admission message,
the host's tile, the first video packet and the first frame decoded of any video); then the
lurah's page is sampled every 2 s for ``--seconds``. A third table lists every layer the server
chose for the lurah's view of the host (``media:layer``: when, which, why).

Figures of the host as the lurah receives them, over the window after the first frame:
stayed connected (every sample "connected"), audio concealed (concealedSamples /
totalSamplesReceived), video fps (framesDecoded) and the last frame size, frozen seconds per
minute (totalFreezesDuration; the whole window when no frame came), kbit/s on the selected
candidate pair, NACKs sent and retransmissions received (Chromium's inbound-rtp counters),
the host's view of the lurah's video (fps, frozen s/min), the host's outgoing frame size and
Chromium's quality limitation, what the link itself dropped (tbf queue, random loss), and the
server's CPU (user + system of the ``pendopo run`` process / wall seconds).
Needs root (namespaces). Nothing leaves the lab: the bridge counts frames to or from any address
outside 10.78.0.0/16 and the run fails if there is one.

    .venv/bin/python bench/weaklink.py                       # a, b, c, d, 120 s each
    .venv/bin/python bench/weaklink.py --profiles cd --seconds 60 --json out.json
    .venv/bin/python bench/weaklink.py --profiles d --site-link vsat   # the inventory knows

By default the lurah's site (Kalijambe) is one the inventory knows nothing about; with
``--site-link MEDIUM`` the host records its uplink first (that medium, the profile's rate as
capacity), so the server can act on it from the start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.async_api import async_playwright

from tests.weaklink.browsers import change, snapshot, window
from tests.weaklink.lab import Lab, unavailable_reason
from tests.weaklink.meeting import (
    LURAH,
    admit_lurah,
    join_page_ready,
    layer_changes,
    open_meeting,
    record_uplink,
    stayed_connected,
    watch,
)
from tests.weaklink.profiles import PROFILES, Profile


@dataclass
class Row:
    profile: str
    link: str
    inventory: str
    connected: bool
    page_ready_s: float
    """Join page ready to type a name, in English (the tests' language)."""
    page_ready_id_s: float
    """The same in Bahasa Indonesia, what a lurah's browser opens."""
    lobby_ready_s: float | None
    """From the lobby to the lurah's media connection up (the host admits then)."""
    first_frame_s: float | None
    first_media: dict[str, float | None]
    """Admit -> what the lurah's page saw first: message, tile, packet, decoded (seconds)."""
    layers: list[tuple[float, str, str]]
    """The server's choices for the lurah's view of the host: (s after Admit, layer, reason)."""
    concealed_pct: float
    fps: float
    resolution: str
    frozen_s_per_min: float
    kbps: float
    nacks: int
    rtx_received: int
    host_sees_lurah_fps: float
    host_sees_lurah_frozen_s_per_min: float
    host_sees_lurah_detail: str
    """The host's inbound video of the lurah: frame size, NACKs and PLIs it sent, repairs,
    freezes, and how long a frame waited in its jitter buffer (mean; the target the page's
    playout hold sets, in brackets)."""
    lurah_sends: str
    """The lurah's camera upstream (see lurah_sending)."""
    uplink_tbf_drop_pct: float
    uplink_random_loss_pct: float
    host_sends: str
    """The host's camera stream at the end: frame size and Chromium's qualityLimitationReason."""
    link_tbf_drop_pct: float
    link_random_loss_pct: float
    server_cpu: float
    seconds: float


def link_drops(
    before: dict[str, Any], after: dict[str, Any], direction: str = "a_to_b"
) -> tuple[float, float]:
    """Share refused by the tbf queue and lost at random, in %: ``a_to_b`` the downlink (server
    -> lurah), ``b_to_a`` the uplink."""
    grown = {k: after[direction][k] - before[direction][k] for k in after[direction]}
    offered = max(1, grown["received"])
    return 100 * grown["queue_drops"] / offered, 100 * grown["lost"] / offered


def host_sending(snap: dict[str, Any]) -> str:
    sent = snap.get("sent") or {}
    size = f"{sent.get('frameWidth', 0)}x{sent.get('frameHeight', 0)}"
    return f"{size} ({sent.get('limitation') or '?'})"


def lurah_sending(first: dict[str, Any], last: dict[str, Any], seconds: float) -> str:
    """What the lurah's camera sent over the window (every outbound video stream together):
    the largest frame size, Chromium's limitation reasons, kbit/s, and the repairs and keyframe
    requests the server asked of it."""
    sent = last.get("sent") or {}

    def delta(key: str) -> float:
        return change(first, last, "sent", key)

    kbps = 8 * delta("bytesSent") / seconds / 1000 if seconds > 0 else 0.0
    return (
        f"{sent.get('frameWidth', 0)}x{sent.get('frameHeight', 0)} "
        f"({sent.get('limitation') or '?'}) "
        f"{kbps:.0f} kbit/s, NACKs {delta('nackCount'):.0f}, rtx "
        f"{delta('retransmittedPacketsSent'):.0f}, PLIs {delta('pliCount'):.0f}"
    )


async def run_profile(
    profile: Profile, seconds: float, workdir: Path, site_link: str, log_level: str = "WARNING"
) -> Row:
    inventory = "nothing known"
    with Lab(profile, workdir, log_level=log_level) as lab:
        async with async_playwright() as pw:
            meeting = await open_meeting(pw, lab)
            try:
                if site_link != "none":
                    await record_uplink(meeting, site_link, profile.rate_kbit)
                    inventory = f"{site_link} {profile.rate_kbit or '?'} kbit/s"
                ready = await join_page_ready(meeting, "en")
                ready_id = await join_page_ready(meeting, "id")
                _admitted, first_frame = await admit_lurah(meeting)
                assert meeting.host is not None
                host_first = await snapshot(meeting.host, LURAH)
                bridge0, cpu0, t0 = lab.bridge_figures(), lab.server_cpu_seconds(), time.time()
                snaps = await watch(meeting, seconds)
                cpu1, t1 = lab.server_cpu_seconds(), time.time()
                bridge1 = lab.bridge_figures()
                host_last = await snapshot(meeting.host, LURAH)
                layers = await layer_changes(meeting)
            finally:
                await meeting.close()
        problems = lab.containment()
        if problems:
            raise SystemExit(f"traffic outside the lab: {problems}")
    w = window(snaps[0], snaps[-1])
    upstream = window(host_first, host_last)
    tbf, loss = link_drops(bridge0, bridge1)
    up_tbf, up_loss = link_drops(bridge0, bridge1, "b_to_a")
    return Row(
        profile=profile.name,
        link=profile.describe(),
        inventory=inventory,
        connected=stayed_connected(snaps),
        page_ready_s=ready,
        page_ready_id_s=ready_id,
        lobby_ready_s=meeting.lobby_ready_s,
        first_frame_s=first_frame,
        first_media=meeting.first_media,
        layers=layers,
        concealed_pct=100 * w.concealed if w.concealed >= 0 else 100.0,
        fps=w.fps,
        resolution=f"{w.width}x{w.height}",
        frozen_s_per_min=w.frozen_per_minute if w.frames > 0 else 60.0,
        kbps=w.kbps,
        nacks=int(w.nacks),
        rtx_received=int(w.retransmitted),
        host_sees_lurah_fps=upstream.fps,
        host_sees_lurah_frozen_s_per_min=upstream.frozen_per_minute if upstream.frames else 60.0,
        host_sees_lurah_detail=(
            f"{upstream.width}x{upstream.height}, NACKs {upstream.nacks:.0f}, "
            f"rtx {upstream.retransmitted:.0f}, PLIs {upstream.plis:.0f}, "
            f"freezes {upstream.freezes:.0f}, held {upstream.held_ms:.0f} ms "
            f"(target {upstream.hold_target_ms:.0f} ms)"
        ),
        lurah_sends=lurah_sending(snaps[0], snaps[-1], w.seconds),
        uplink_tbf_drop_pct=up_tbf,
        uplink_random_loss_pct=up_loss,
        host_sends=host_sending(host_last),
        link_tbf_drop_pct=tbf,
        link_random_loss_pct=loss,
        server_cpu=(cpu1 - cpu0) / (t1 - t0),
        seconds=w.seconds,
    )


HEADER = (
    "| profile | link | inventory | stayed connected | join page ready en / id "
    "| lobby → connection up | admit → first frame (message / tile / packet / decoded) "
    "| audio concealed | video fps | resolution | frozen s/min | kbit/s to lurah "
    "| NACKs / rtx received | host sees lurah | host sends (limited by) "
    "| tbf drops / random loss (down) | server CPU |"
)


FIRST_MEDIA = ("message", "tile", "packet", "decoded")


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


def markdown(row: Row) -> str:
    first = "none" if row.first_frame_s is None else f"{row.first_frame_s:.1f} s"
    seen = row.first_media
    first += " (" + " / ".join(_seconds(seen.get(k)) for k in FIRST_MEDIA) + ")"
    lobby = "?" if row.lobby_ready_s is None else f"{row.lobby_ready_s:.1f} s"
    return (
        f"| {row.profile} | {row.link} | {row.inventory} | {'yes' if row.connected else 'NO'} "
        f"| {row.page_ready_s:.1f} / {row.page_ready_id_s:.1f} s | {lobby} | {first} "
        f"| {row.concealed_pct:.1f} % | {row.fps:.1f} "
        f"| {row.resolution} | {row.frozen_s_per_min:.0f} | {row.kbps:.0f} "
        f"| {row.nacks} / {row.rtx_received} | {row.host_sees_lurah_fps:.1f} fps, "
        f"frozen {row.host_sees_lurah_frozen_s_per_min:.0f} s/min "
        f"| {row.host_sends} "
        f"| {row.link_tbf_drop_pct:.0f} % / {row.link_random_loss_pct:.1f} % "
        f"| {row.server_cpu:.3f} |"
    )


UPSTREAM_HEADER = (
    "| profile | lurah sends (limited by), repairs and keyframes asked of it "
    "| host receives of the lurah | uplink tbf drops / random loss |"
)


LAYERS_HEADER = "| profile | the server's layers for the lurah's view of the host (s after Admit) |"


def layers_markdown(row: Row) -> str:
    """Each layer change: when, which layer, why (``media:layer``; docs/protocol.md)."""
    changes = ", ".join(f"{at:.0f} s {layer} ({reason})" for at, layer, reason in row.layers)
    return f"| {row.profile} | {changes or 'none'} |"


def upstream_markdown(row: Row) -> str:
    """The lurah's camera on its way up: what it sent, what the host got."""
    return (
        f"| {row.profile} | {row.lurah_sends} | {row.host_sees_lurah_fps:.1f} fps, frozen "
        f"{row.host_sees_lurah_frozen_s_per_min:.0f} s/min, {row.host_sees_lurah_detail} "
        f"| {row.uplink_tbf_drop_pct:.0f} % / {row.uplink_random_loss_pct:.1f} % |"
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profiles", default="abcd", help="letters of the profiles to run")
    parser.add_argument("--seconds", type=float, default=120.0, help="measured window")
    parser.add_argument(
        "--site-link",
        default="none",
        choices=["none", "vsat", "wireless", "fiber"],
        help="record the lurah's site's uplink in the inventory first (medium, the profile's "
        "rate as capacity); none: the inventory knows nothing of it",
    )
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument(
        "--server-log",
        type=Path,
        help="keep each profile's server log in this folder (<n>-<profile>-server.log), with "
        "the rate control's decisions once a second and each slot's keyframe requests and starts "
        "(media.layer_control, media.video_forward and media.sfu at DEBUG)",
    )
    args = parser.parse_args()
    reason = unavailable_reason()
    if reason is not None:
        print(f"weaklink: {reason}", file=sys.stderr)
        return 2
    unknown = set(args.profiles) - set(PROFILES)
    if unknown:
        parser.error(f"unknown profiles {sorted(unknown)}: choose from {sorted(PROFILES)}")
    rows = []
    print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, window {args.seconds} s")
    log_level = (
        "WARNING,media.layer_control=DEBUG,media.video_forward=DEBUG,media.sfu=DEBUG"
        if args.server_log
        else "WARNING"
    )
    for n, letter in enumerate(args.profiles, start=1):
        profile = PROFILES[letter]
        load = os.getloadavg()[0]
        with tempfile.TemporaryDirectory(prefix="pendopo-weaklink-") as tmp:
            try:
                row = await run_profile(profile, args.seconds, Path(tmp), args.site_link, log_level)
            finally:
                if args.server_log is not None:
                    args.server_log.mkdir(parents=True, exist_ok=True)
                    log = Path(tmp) / "server.log"
                    if log.exists():
                        shutil.copy(log, args.server_log / f"{n}-{letter}-server.log")
        rows.append(row)
        print(f"profile {letter} ({profile.describe()}), load {load:.1f} -> "
              f"{os.getloadavg()[0]:.1f}: {json.dumps(asdict(row))}", flush=True)  # fmt: skip
    print()
    print(HEADER)
    print("|" + "---|" * HEADER.count(" | ") + "---|")
    for row in rows:
        print(markdown(row))
    print()
    print(UPSTREAM_HEADER)
    print("|---|---|---|---|")
    for row in rows:
        print(upstream_markdown(row))
    print()
    print(LAYERS_HEADER)
    print("|---|---|")
    for row in rows:
        print(layers_markdown(row))
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
