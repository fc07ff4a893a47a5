"""Capture the VP8 RTP payloads a real Chromium sends with scalabilityMode "L1T3" (run once;
the output is committed as ``chrome_l1t3.json`` for tests/media/test_chrome_packets.py).

A headless Chromium (Debian's /usr/bin/chromium) publishes a canvas stream to the Sfu as the
page does: video m-line 1 = high (L1T3), video m-line 2 = low (scaled down, L1T3). The Sfu's
receive tap records each packet (sequence number, timestamp, marker, payload) per stream.

    .venv/bin/python tests/media/data/capture_chrome_vp8.py [--seconds 4]
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

from media import MediaSettings, Sfu  # noqa: E402
from media.testing import LOOPBACK, LoopbackEvents  # noqa: E402
from tests.media.data.chrome_publisher import publish  # noqa: E402

PAGE = """
async () => {
  const canvas = document.createElement("canvas");
  canvas.width = 640; canvas.height = 360;
  const ctx = canvas.getContext("2d");
  let n = 0;
  setInterval(() => {
    n += 1;
    ctx.fillStyle = `hsl(${(n * 7) % 360}, 60%, 50%)`;
    ctx.fillRect(0, 0, 640, 360);
    for (let i = 0; i < 200; i++) {
      ctx.fillStyle = `rgb(${Math.random()*255},${Math.random()*255},${Math.random()*255})`;
      ctx.fillRect(Math.random() * 640, Math.random() * 360, 20, 20);
    }
  }, 33);
  const stream = canvas.captureStream(30);
  const track = stream.getVideoTracks()[0];
  const pc = new RTCPeerConnection({bundlePolicy: "max-bundle"});
  window.pc = pc;
  pc.addTransceiver(track, {direction: "sendonly", sendEncodings: [{scalabilityMode: "L1T3"}]});
  pc.addTransceiver(track.clone(), {direction: "sendonly", sendEncodings: [
    {scaleResolutionDownBy: 2, maxBitrate: 150000, maxFramerate: 15, scalabilityMode: "L1T3"}]});
  for (const t of pc.getTransceivers()) {
    const vp8 = RTCRtpSender.getCapabilities("video").codecs.filter(
      c => c.mimeType === "video/VP8" || c.mimeType === "video/rtx");
    t.setCodecPreferences(vp8);
  }
  await pc.setLocalDescription();
  await new Promise(r => { if (pc.iceGatheringState === "complete") r();
    else pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && r(); });
  return pc.localDescription.sdp;
}
"""


async def capture(seconds: float) -> dict[str, Any]:
    events = LoopbackEvents()
    sfu = Sfu(MediaSettings(host_addresses=LOOPBACK), events)
    events.sfu = sfu
    recorded: dict[str, list[dict[str, Any]]] = {"high": [], "low": []}
    original = sfu._video_tap

    def tap(pub: Any) -> Any:
        inner = original(pub)

        def on_packet(packet: Any) -> None:
            rows = recorded[pub.stream]
            if len(rows) < 400:
                rows.append(
                    {
                        "seq": packet.sequence_number,
                        "ts": packet.timestamp,
                        "marker": bool(packet.marker),
                        "payload": packet.payload.hex(),
                    }
                )
            inner(packet)

        return on_packet

    sfu._video_tap = tap  # type: ignore[method-assign]
    try:
        version = await publish(sfu, PAGE, seconds)
    finally:
        await sfu.close()
    return {"chromium": version, "scalabilityMode": "L1T3", "streams": recorded}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("chrome_l1t3.json"))
    args = parser.parse_args()
    data = asyncio.run(capture(args.seconds))
    counts = {k: len(v) for k, v in data["streams"].items()}
    args.out.write_text(json.dumps(data, indent=0) + "\n")
    print(f"{args.out}: {counts} packets from Chromium {data['chromium']}")


if __name__ == "__main__":
    main()
