"""A 21-site session end to end: one host in headless Chromium and 20 sites as Python aiortc
clients (ICE gathering on 127.0.0.1 only), through the lobby.

    .venv/bin/python bench/session21.py [--sites 20] [--seconds 20]

Starts a server on a loopback port (temporary data folder), schedules nothing: the host signs in
and the session invites the 20 kecamatan; every site joins and waits in the lobby; the host
clicks "Admit everyone invited"; each site then publishes pre-encoded VP8 (320x240, 10 fps) and
Opus — the last of them ("the speaker") live Opus whose RFC 6464 level the SFU reads, silent until
everyone is in. Each site's page is taken to show the host's tile only (``media:shown``). The
host's page opens in speaker view by itself (21 tiles). Prints:

- admission: from the click to the last site's ``lobby:result``; and to each site's first frame
  of the host's video (median, max), counted as complete encoded frames (nothing decoded);
- the host's page: its layout (speaker view, thumbnails), how many tiles it shows on screen and
  how many video streams it receives (last-N: only those), the time from the speaker's first
  loud packet to the host's large tile being the speaker;
- over ``--seconds``: host video frames per second at every site (min, median), and the CPU of
  this process (server and all 20 clients: one process) and of Chromium's processes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.async_api import async_playwright, expect

from media.testing import (
    VIDEO_CLOCK,
    ClientPeer,
    PreEncodedTrack,
    SyntheticAudioTrack,
    encode_opus_cycle,
    encode_vp8_cycle,
)
from signaling.client import MediaSession, ProtocolClient
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.pages import in_session, join, sign_in
from tests.browser.test_speaker_view import write_silence_wav
from tests.conftest import make_settings, start_server
from tests.signaling.meeting import create_room

FPS = 10.0
KECAMATAN = [f"33.14.{i:02d}" for i in range(1, 21)]

# The host page: layout, tiles on screen (the page's last media:shown), video streams received.
HOST_VIEW = """async () => {
  const c = window.pendopo.client;
  const grid = document.getElementById("videos");
  const main = grid.querySelector("figure.main video");
  const received = new Set();
  (await window.pendopo.pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") received.add(s.id + ":" + s.bytesReceived);
  });
  return {
    speaker: grid.classList.contains("speaker"),
    main: main ? main.getAttribute("aria-label") : null,
    thumbs: grid.querySelectorAll("figure.thumb").length,
    tiles: grid.querySelectorAll("figure.tile").length,
    hidden: [...c.layers.values()].filter((l) => l.reason === "hidden").length,
    stats: [...received],
  };
}"""


def cpu_of(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def chromium_pids() -> list[int]:
    """This process's descendants that are Chromium (the browser and its renderers, GPU and
    utility processes; not Playwright's driver)."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            pid = int(entry.name)
            names[pid] = stat[stat.index("(") + 1 : stat.rindex(")")]
            parents[pid] = int(stat.rsplit(")", 1)[1].split()[1])
    found: list[int] = []
    for pid in parents:
        p = pid
        while p in parents and p != os.getpid():
            p = parents[p]
        if p == os.getpid() and "chrom" in names[pid]:
            found.append(pid)
    return found


class Site:
    def __init__(self, name: str, code: str) -> None:
        self.name = name
        self.code = code
        self.client: ProtocolClient | None = None
        self.peer = ClientPeer(name, decode=False)
        self.tone: SyntheticAudioTrack | None = None
        self.admitted_at: float | None = None

    @property
    def id(self) -> str:
        assert self.client is not None and self.client.participant_id is not None
        return self.client.participant_id

    def publish(self, opus: list[bytes], vp8: list[bytes], live_audio: bool) -> None:
        pc = self.peer.pc
        if live_audio:  # its level rides in the RTP header extension: the SFU sees it speak
            self.tone = SyntheticAudioTrack(amplitude=0.0)
            audio: Any = self.tone
        else:
            audio = PreEncodedTrack("audio", opus, 50.0, 48000)
        video = PreEncodedTrack("video", vp8, FPS, VIDEO_CLOCK)
        for track in (audio, video):
            pc.addTransceiver(track, direction="sendonly")
            self.peer.local_tracks.append(track)

    def host_frames(self, host_id: str) -> int:
        rec = self.peer.from_participant(host_id, "video")
        return 0 if rec is None else rec.frames


async def run(args: argparse.Namespace, workdir: Path) -> None:
    settings = make_settings(workdir)
    runner, server = await start_server(settings)
    sites = [Site(f"Lurah {i + 1}", KECAMATAN[i % len(KECAMATAN)]) for i in range(args.sites)]
    opus = encode_opus_cycle()
    vp8 = encode_vp8_cycle(320, 240, FPS, 300_000, 30)
    silence = write_silence_wav(workdir / "silence.wav")
    chrome_args = [*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={silence}"]
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=str(CHROMIUM), args=chrome_args, headless=True
            )
            context = await browser.new_context(viewport={"width": 1366, "height": 768})
            host = await context.new_page()
            await sign_in(host, server.url)
            room = await create_room(server, "Rapat 21 situs", KECAMATAN)
            await join(host, f"{server.url}/j/{room}", name=None, site=None)
            await in_session(host)
            host_id = await host.evaluate("window.pendopo.client.participantId")

            for site in sites:
                site.client = ProtocolClient(server.url, name=site.name)
                await site.client.connect()
                ack = await site.client.join(room, site.name, site=site.code)
                assert ack["status"] == "lobby", ack
            lobby = host.get_by_role("list", name="Waiting in the lobby")
            await expect(lobby.locator("button", has_text="Admit")).to_have_count(len(sites))

            clicked = time.monotonic()
            await host.get_by_role("button", name="Admit everyone invited").click()

            async def admitted(site: Site) -> None:
                assert site.client is not None
                await site.client.wait_event(
                    "lobby:result", lambda d: d["status"] == "admitted", within=60.0
                )
                site.admitted_at = time.monotonic()
                site.publish(opus, vp8, live_audio=site is sites[-1])
                await site.client.shown([host_id])  # the site's page shows the host
                await MediaSession(site.client, site.peer).start()

            await asyncio.gather(*(admitted(s) for s in sites))
            all_in = max(s.admitted_at or 0.0 for s in sites) - clicked

            async def first_frame(site: Site) -> float:
                await site.peer.wait_frames(host_id, "video", 1, 60.0)
                return time.monotonic() - clicked

            firsts = await asyncio.gather(*(first_frame(s) for s in sites))

            # Speaker view opens by itself from 7 tiles; a smaller trial run chooses it.
            auto_speaker = await host.evaluate(
                "document.getElementById('videos').classList.contains('speaker')"
            )
            if not auto_speaker:
                await host.get_by_role("button", name="Speaker view").click()

            # The speaker starts speaking: how soon is it the host's large tile?
            speaker = sites[-1]  # not the first thumbnail: large only by speaking
            assert speaker.tone is not None
            speaker.tone.set_amplitude(0.3)
            spoke = time.monotonic()
            main = "document.querySelector('#videos figure.main video')?.ariaLabel ?? null"
            while await host.evaluate(main) != speaker.name:
                if time.monotonic() - spoke > 30:
                    raise TimeoutError("the speaker never became the large tile")
                await asyncio.sleep(0.05)
            to_main = time.monotonic() - spoke

            # Steady state.
            await asyncio.sleep(2.0)
            counts = {s.name: s.host_frames(host_id) for s in sites}
            view0 = await host.evaluate(HOST_VIEW)
            cpu0, chrome0, wall0 = time.process_time(), cpu_of(chromium_pids()), time.monotonic()
            await asyncio.sleep(args.seconds)
            wall = time.monotonic() - wall0
            cpu = (time.process_time() - cpu0) / wall
            chrome = (cpu_of(chromium_pids()) - chrome0) / wall
            view = await host.evaluate(HOST_VIEW)
            fps = sorted((s.host_frames(host_id) - counts[s.name]) / wall for s in sites)
            before = {x.split(":")[0]: int(x.split(":")[1]) for x in view0["stats"]}
            growing = sum(
                1
                for x in view["stats"]
                if int(x.split(":")[1]) > before.get(x.split(":")[0], 1 << 62)
            )

            print(f"sites: {len(sites)} (Python aiortc, 127.0.0.1), Chromium {browser.version}")
            print(f"admission: all {len(sites)} admitted {all_in:.2f} s after the click")
            print(
                f"host video at the sites: first frame median {statistics.median(firsts):.2f} s, "
                f"max {max(firsts):.2f} s after the click"
            )
            print(
                f"host page: {'speaker' if view['speaker'] else 'grid'} view "
                f"({'by itself' if auto_speaker else 'chosen'}), large tile "
                f"{view['main']!r}, {view['thumbs']} thumbnails of {view['tiles']} tiles; "
                f"{view['hidden']} videos not forwarded (hidden), "
                f"{growing} video streams received"
            )
            print(f"active speaker: large on the host's page {to_main:.2f} s after speaking")
            print(
                f"host video fps at the sites over {wall:.0f} s: min {fps[0]:.1f}, "
                f"median {statistics.median(fps):.1f}"
            )
            print(
                f"CPU: server + {len(sites)} clients (one process) {cpu:.2f} core, "
                f"Chromium (host page, all processes) {chrome:.2f} core"
            )
            await context.close()
            await browser.close()
    finally:
        for site in sites:
            await site.peer.close()
            if site.client is not None and site.client.connected:
                await site.client.disconnect()
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
