// Presenting (docs/protocol.md "Presenting"): the host, or a participant the host allows, shares
// a screen or window. The share is its own sendonly RTCPeerConnection (a publisher of its own on
// the server), sent as screen content — contentHint "detail", at most 5 frames/s in three
// temporal layers, so that a weak site can be given 1-2 frames/s of slides. Everyone's speaker
// view shows it large with the presenter's name; the camera tiles stay as thumbnails.
//
// Stopping: "Berhenti presentasi", the browser's own "stop sharing" bar (the track ends), the
// host taking over or revoking (`present:stopped`), or the presenter leaving.

import { $, h } from "./dom.js";
import { register, t } from "./i18n.js";

// The Present and Stop buttons' labels are in the page from the start (room-strings.js).
register({
  id: {
    "present.who": "{name} sedang presentasi",
    "present.you": "Anda sedang presentasi",
    "present.tile": "Layar {name}",
    "present.allow": "Izinkan presentasi",
    "present.allowName": "Izinkan presentasi {name}",
    "present.revoke": "Cabut izin presentasi",
    "present.revokeName": "Cabut izin presentasi {name}",
    "present.stopped.taken_over": "Tuan rumah mengambil alih presentasi.",
    "present.stopped.host": "Tuan rumah menghentikan presentasi Anda.",
    "present.stopped.revoked": "Tuan rumah mencabut izin presentasi Anda.",
    "present.busy": "{name} sedang presentasi; tunggu sampai selesai.",
    "present.notAllowed": "Tuan rumah belum mengizinkan Anda presentasi.",
  },
  en: {
    "present.who": "{name} is presenting",
    "present.you": "You are presenting",
    "present.tile": "{name}'s screen",
    "present.allow": "Allow presenting",
    "present.allowName": "Allow presenting for {name}",
    "present.revoke": "Revoke presenting",
    "present.revokeName": "Revoke presenting for {name}",
    "present.stopped.taken_over": "The host took over the presentation.",
    "present.stopped.host": "The host stopped your presentation.",
    "present.stopped.revoked": "The host withdrew your permission to present.",
    "present.busy": "{name} is presenting; wait until they finish.",
    "present.notAllowed": "The host has not allowed you to present.",
  },
});

/** How the screen is sent: slides need detail, not motion. */
export const SHARE_ENCODING = { maxFramerate: 5, maxBitrate: 600000 };
const SCALABILITY = "L1T3";

/** @typedef {import("./protocol.js").MeetingClient} MeetingClient */
/** @typedef {import("./protocol.js").RoomState} RoomState */
/** @typedef {import("./protocol.js").Participant} Participant */

/** The browser's picker: a screen, a window or a tab. @returns {Promise<MediaStream>} */
export function captureScreen() {
  return navigator.mediaDevices.getDisplayMedia({
    video: { frameRate: { max: SHARE_ENCODING.maxFramerate }, width: { max: 1920 }, height: { max: 1080 } },
    audio: false,
  });
}

/** This page's own share: its stream and connection (null: not presenting). */
class ScreenShare {
  constructor() {
    /** @type {MediaStream|null} */
    this.stream = null;
    /** @type {RTCPeerConnection|null} */
    this.pc = null;
    /** @type {(() => void)|null} */
    this.onEnded = null;
    /** A room:state named us the presenter since start(): a later one that does not is news. */
    this.confirmed = false;
  }

  /** @param {MeetingClient} client @param {MediaStream} stream */
  async start(client, stream) {
    this.close();
    // loaded with the meeting client, not with the page (room.js loads protocol.js lazily)
    const { gathered, preferVp8 } = await import("./protocol.js");
    const track = stream.getVideoTracks()[0];
    if (!track) throw new Error("no video in the shared stream");
    track.contentHint = "detail";
    const pc = new RTCPeerConnection({ iceServers: client.iceServers, bundlePolicy: "max-bundle" });
    this.pc = pc;
    this.stream = stream;
    /** @type {RTCRtpTransceiver} */
    let transceiver;
    try {
      transceiver = pc.addTransceiver(track, {
        direction: "sendonly",
        streams: [stream],
        sendEncodings: [{ ...SHARE_ENCODING, scalabilityMode: SCALABILITY }],
      });
    } catch {
      transceiver = pc.addTransceiver(track, { direction: "sendonly", streams: [stream], sendEncodings: [SHARE_ENCODING] });
    }
    preferVp8(transceiver);
    track.addEventListener("ended", () => this.onEnded?.()); // the browser's "stop sharing"
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const ack = await client.presentStart(pc.localDescription?.sdp ?? "");
    if (this.pc !== pc) return; // stopped meanwhile
    await pc.setRemoteDescription({ type: "answer", sdp: ack.sdp });
  }

  close() {
    this.confirmed = false;
    for (const tr of this.stream?.getTracks() ?? []) tr.stop();
    this.stream = null;
    this.pc?.close();
    this.pc = null;
  }
}

const share = new ScreenShare();

/**
 * Wire the Present / Stop buttons.
 * @param {() => MeetingClient|null} getClient
 * @param {(fn: () => Promise<unknown>) => Promise<void>} act  runs an action, shows its error
 * @param {() => void} rerender
 */
export function setupPresenting(getClient, act, rerender) {
  const stop = async (/** @type {boolean} */ tell) => {
    const client = getClient();
    const mine = share.stream !== null;
    share.close();
    rerender();
    if (tell && client && (mine || client.state?.presenting)) await client.presentStop();
  };
  share.onEnded = () => act(() => stop(true));
  $("present").addEventListener("click", () =>
    act(async () => {
      const client = getClient();
      if (!client) return;
      /** @type {MediaStream} */
      let stream;
      try {
        stream = await captureScreen();
      } catch (e) {
        if (e instanceof DOMException && e.name === "NotAllowedError") return; // picker cancelled
        throw e;
      }
      try {
        await share.start(client, stream);
      } catch (e) {
        share.close();
        const err = /** @type {any} */ (e);
        if (err?.code === "forbidden") {
          // someone presents already, or the host took the permission back meanwhile
          const name = client.state?.presenting?.name;
          $("session-error").textContent = name ? t("present.busy", { name }) : t("present.notAllowed");
          return;
        }
        throw e;
      }
      rerender();
    }),
  );
  $("present-stop").addEventListener("click", () => act(() => stop(true)));
  return { stopLocal: () => stop(false) };
}

/** Our share, if the server no longer counts it (taken over, revoked, dropped): close it. */
export function stopLocalShare() {
  share.close();
}

/**
 * Buttons and the "is presenting" line from the room state.
 * @param {MeetingClient} client @param {RoomState} state @param {boolean} isHost
 */
export function renderPresenting(client, state, isHost) {
  const me = client.me();
  const presenting = state.presenting ?? null;
  const mine = presenting?.participant === client.participantId;
  // The server no longer counts our share (taken over, revoked, our connection dropped): the
  // capture stops too. Not before a state named us: one sent before our start may still come.
  if (share.stream && mine) share.confirmed = true;
  else if (share.stream && share.confirmed) share.close();
  const may = Boolean(me?.may_present || isHost);
  $("present").hidden = !may || mine || (presenting !== null && !isHost);
  $("present-stop").hidden = !(mine || (isHost && presenting));
  $("presenting-status").textContent = presenting
    ? mine
      ? t("present.you")
      : t("present.who", { name: presenting.name })
    : "";
}

/**
 * The share's tile for room.js, or null: the presenter sees their own capture.
 * @param {MeetingClient} client
 * @returns {{id: string, name: string, stream: MediaStream|null, share: true}|null}
 */
export function shareTile(client) {
  const presenting = client.state?.presenting;
  if (!presenting) return null;
  const mine = presenting.participant === client.participantId;
  return {
    id: presenting.share,
    name: t("present.tile", { name: presenting.name }),
    stream: mine ? share.stream : (client.streams().get(presenting.share) ?? null),
    share: true,
  };
}

/**
 * The host's button on a participant: allow presenting, or take it back.
 * @param {Participant} p @param {MeetingClient|null} client
 * @param {(fn: () => Promise<unknown>) => Promise<void>} act
 */
export function presentAllowButton(p, client, act) {
  if (p.role === "host") return null;
  const allowed = Boolean(p.may_present);
  return h("button", {
    type: "button",
    class: "secondary small",
    text: t(allowed ? "present.revoke" : "present.allow"),
    "aria-label": t(allowed ? "present.revokeName" : "present.allowName", { name: p.name }),
    onclick: () => act(async () => client?.allowPresent(p.id, !allowed)),
  });
}
