"""Capture the raw (SRTP-protected) audio datagrams a real Chromium sends, as the Sfu's ICE
connection receives them (run once; the output is committed as ``chrome_audio.json`` for
tests/media/test_rtp_peek.py).

A headless Chromium (Debian's /usr/bin/chromium) publishes a WebAudio tone, loud for half a
second and silent for the next half, to the Sfu as a page publishes its microphone; the
datagram gate of the server's connection sees each datagram before DTLS/SRTP and records those
of the audio SSRC, untouched: the RTP header and extension block in the clear, the payload
encrypted.

    .venv/bin/python tests/media/data/capture_chrome_audio.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from media import MediaSettings, Sfu, audio_sdp, hooks, rtp_peek  # noqa: E402
from media.testing import LOOPBACK, LoopbackEvents  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: E402
from tests.media.data.chrome_publisher import publish  # noqa: E402

PAGE = """
async () => {
  // A 440 Hz tone, loud for 0.5 s then silent for 0.5 s: both kinds of level in a second.
  const ctx = new AudioContext();
  await ctx.resume();
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  const out = ctx.createMediaStreamDestination();
  osc.connect(gain).connect(out);
  osc.start();
  setInterval(() => { gain.gain.value = gain.gain.value > 0 ? 0 : 0.5; }, 500);
  const pc = new RTCPeerConnection({bundlePolicy: "max-bundle"});
  window.pc = pc;
  pc.addTransceiver(out.stream.getAudioTracks()[0], {direction: "sendonly"});
  await pc.setLocalDescription();
  await new Promise(r => { if (pc.iceGatheringState === "complete") r();
    else pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && r(); });
  return pc.localDescription.sdp;
}
"""
ARGS = [*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"]


async def capture(seconds: float) -> dict[str, Any]:
    events = LoopbackEvents()
    sfu = Sfu(MediaSettings(host_addresses=LOOPBACK, drop_unheard_audio=False), events)
    events.sfu = sfu
    datagrams: list[str] = []
    found: dict[str, Any] = {}

    def answered(offer: str) -> None:
        level_id, ssrcs = audio_sdp.level_source(offer, "0")
        found.update(level_id=level_id, ssrcs=ssrcs)

        def record(data: bytes) -> bool:
            if rtp_peek.ssrc(data) in ssrcs and len(datagrams) < 150:
                datagrams.append(data.hex())
            return False  # nothing dropped

        hooks.set_datagram_gate(sfu._peer("chrome").pc.getTransceivers(), record)

    try:
        version = await publish(sfu, PAGE, seconds, answered, ARGS)
    finally:
        await sfu.close()
    return {"chromium": version, **found, "datagrams": datagrams}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("chrome_audio.json"))
    args = parser.parse_args()
    data = asyncio.run(capture(args.seconds))
    args.out.write_text(json.dumps(data, indent=0) + "\n")
    print(f"{args.out}: {len(data['datagrams'])} datagrams from Chromium {data['chromium']}")


if __name__ == "__main__":
    main()
