"""bench/sfu.py end to end (small): the measured window must see media on every pair.

The session benchmark once reported most site->host pairs at 0 fps: it started measuring as
soon as every track *existed* on the clients, and its server stopped reading signaling while it
measured, so the host's answer to the server's last offer (the sites' m-lines) was only read
after the window. Not a speed test: it checks that nothing is silent, not how fast anything is.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "sfu.py"
SITES = 8


async def test_session_bench_measures_media_on_every_pair(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    args = ["--scenario", "session", "--sites", str(SITES), "--seconds", "3", "--warmup", "1"]
    # Answers to server offers arrive 1.5 s late (a slow signaling path): the window must still
    # wait for them, and the server must still read them.
    args += ["--answer-delay", "1.5"]
    args += ["--width", "160", "--height", "120", "--bitrate", "150000", "--json", str(out)]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(BENCH),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        stdout, _ = await asyncio.wait_for(proc.communicate(), timeout=240)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, stdout.decode(errors="replace")
    figures = json.loads(out.read_text())
    pairs = 2 * SITES  # host -> each site, each site -> host
    assert figures["pairs"] == pairs
    assert figures["peers"] == SITES + 1
    assert len(figures["video_fps"]) == pairs and len(figures["audio_pps"]) == pairs
    assert figures["flowing"] == figures["tracks"] == 2 * pairs
    assert figures["silent_video"] == 0 and figures["silent_audio"] == 0, figures
    assert min(figures["video_fps"]) > 0 and min(figures["audio_pps"]) > 0, figures
    assert figures["packets"]["video"] > 0 and figures["inbound"] > 0
