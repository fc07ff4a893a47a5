"""Headless Chromium inside the lab's namespaces, and what the lurah's page measures.

Each browser is Debian's Chromium started by Playwright through a wrapper script that enters a
namespace (``Lab.chromium_wrapper``), with the flags of tests/browser/conftest.py plus two for
the lab's address: the host-resolver rule lets the server's IP through, and the plain-HTTP
origin counts as secure so that the page may use the (fake) camera and microphone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playwright.async_api import Browser, Page, Playwright

from tests.browser.conftest import CHROMIUM_ARGS
from tests.weaklink.lab import SERVER_ADDR, Lab


def chromium_args(lab: Lab) -> list[str]:
    args = [a for a in CHROMIUM_ARGS if not a.startswith("--host-resolver-rules=")]
    rules = next(a for a in CHROMIUM_ARGS if a.startswith("--host-resolver-rules="))
    return [
        *args,
        f"{rules} , EXCLUDE {SERVER_ADDR}",
        f"--unsafely-treat-insecure-origin-as-secure={lab.url}",
    ]


async def launch(pw: Playwright, lab: Lab, ns: str) -> Browser:
    return await pw.chromium.launch(
        executable_path=str(lab.chromium_wrapper(ns)), args=chromium_args(lab), headless=True
    )


# One call gives the connection's state and the inbound figures of ``name``'s tile (its video
# and audio tracks), the selected candidate pair and the page's own outbound video.
_SNAPSHOT = """async (name) => {
  const pc = window.pendopo && window.pendopo.pc;
  const out = {state: pc ? pc.connectionState : "none", video: null, audio: null, pair: null,
               sent: null, t: performance.now()};
  if (!pc) return out;
  const tile = [...document.querySelectorAll("video")]
    .find((v) => v.getAttribute("aria-label") === name);
  const stream = tile && tile.srcObject;
  const ids = new Set(stream ? stream.getTracks().map((t) => t.id) : []);
  const pick = (s, keys) => Object.fromEntries(keys.map((k) => [k, s[k] ?? 0]));
  const stats = await pc.getStats();
  const pairs = {};
  stats.forEach((s) => { if (s.type === "candidate-pair") pairs[s.id] = s; });
  stats.forEach((s) => {
    if (s.type === "inbound-rtp" && ids.has(s.trackIdentifier) && s.kind === "video")
      out.video = pick(s, ["framesDecoded", "frameWidth", "frameHeight", "freezeCount",
        "totalFreezesDuration", "bytesReceived", "packetsReceived", "packetsLost", "nackCount",
        "pliCount", "firCount", "retransmittedPacketsReceived", "keyFramesDecoded",
        "jitterBufferDelay", "jitterBufferTargetDelay", "jitterBufferEmittedCount"]);
    if (s.type === "inbound-rtp" && ids.has(s.trackIdentifier) && s.kind === "audio")
      out.audio = pick(s, ["concealedSamples", "silentConcealedSamples",
        "totalSamplesReceived", "packetsReceived", "packetsLost", "fecPacketsReceived",
        "bytesReceived"]);
    if (s.type === "outbound-rtp" && s.kind === "video") {
      const prev = out.sent || {bytesSent: 0, retransmittedPacketsSent: 0, nackCount: 0,
                               pliCount: 0, frameWidth: 0, frameHeight: 0, limitation: ""};
      out.sent = {bytesSent: prev.bytesSent + (s.bytesSent ?? 0),
        retransmittedPacketsSent: prev.retransmittedPacketsSent + (s.retransmittedPacketsSent ?? 0),
        nackCount: prev.nackCount + (s.nackCount ?? 0), pliCount: prev.pliCount + (s.pliCount ?? 0),
        frameWidth: Math.max(prev.frameWidth, s.frameWidth ?? 0),
        frameHeight: Math.max(prev.frameHeight, s.frameHeight ?? 0),
        limitation: [prev.limitation, s.qualityLimitationReason].filter((x) => x).join(",")};
    }
    if (s.type === "transport" && s.selectedCandidatePairId && pairs[s.selectedCandidatePairId])
      out.pair = pick(pairs[s.selectedCandidatePairId],
        ["bytesReceived", "bytesSent", "currentRoundTripTime"]);
  });
  return out;
}"""


async def snapshot(page: Page, name: str) -> dict[str, Any]:
    """The figures of the tile labelled ``name`` on ``page`` (see _SNAPSHOT)."""
    result: dict[str, Any] = await page.evaluate(_SNAPSHOT, name)
    return result


def figure(snap: dict[str, Any], kind: str, key: str) -> float:
    """One counter of a snapshot's part (``video``, ``audio``, ``pair``, ``sent``); 0 if absent."""
    part = snap.get(kind) or {}
    return float(part.get(key, 0) or 0)


def change(first: dict[str, Any], last: dict[str, Any], kind: str, key: str) -> float:
    """How much a counter grew between two snapshots."""
    return figure(last, kind, key) - figure(first, kind, key)


@dataclass(frozen=True)
class Window:
    """What a page received of one participant between two snapshots."""

    seconds: float
    frames: float
    width: int
    height: int
    frozen_s: float
    freezes: float
    concealed: float
    """Concealed audio samples / samples received (0..1); -1 when no audio arrived."""
    kbps: float
    """Everything the page received on its connection (selected candidate pair)."""
    nacks: float
    retransmitted: float
    plis: float
    held_ms: float
    """Mean time a frame waited in the jitter buffer (jitterBufferDelay / emitted frames)."""
    hold_target_ms: float
    """Mean jitter-buffer target over the same frames (the page's playout hold included)."""

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    @property
    def frozen_per_minute(self) -> float:
        return 60 * self.frozen_s / self.seconds if self.seconds > 0 else 0.0


def window(first: dict[str, Any], last: dict[str, Any]) -> Window:
    seconds = (last["t"] - first["t"]) / 1000

    def delta(kind: str, key: str) -> float:
        return change(first, last, kind, key)

    samples = delta("audio", "totalSamplesReceived")
    emitted = delta("video", "jitterBufferEmittedCount")
    return Window(
        seconds=seconds,
        frames=delta("video", "framesDecoded"),
        width=int(figure(last, "video", "frameWidth")),
        height=int(figure(last, "video", "frameHeight")),
        frozen_s=delta("video", "totalFreezesDuration"),
        freezes=delta("video", "freezeCount"),
        concealed=delta("audio", "concealedSamples") / samples if samples > 0 else -1.0,
        kbps=8 * delta("pair", "bytesReceived") / seconds / 1000 if seconds > 0 else 0.0,
        nacks=delta("video", "nackCount"),
        retransmitted=delta("video", "retransmittedPacketsReceived"),
        plis=delta("video", "pliCount"),
        held_ms=1000 * delta("video", "jitterBufferDelay") / emitted if emitted > 0 else 0.0,
        hold_target_ms=(
            1000 * delta("video", "jitterBufferTargetDelay") / emitted if emitted > 0 else 0.0
        ),
    )
