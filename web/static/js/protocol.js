// Client side of the Pendopo meeting protocol (docs/protocol.md). No DOM: the UI (room.js)
// listens to this module's events and renders; this module only talks socket.io and WebRTC.
//
// One socket.io connection (websocket only) and exactly one RTCPeerConnection to the server, set
// up already while waiting in the lobby (the server forwards nothing to or from it until the host
// admits us, so admission costs one message and a keyframe). The client makes the first offer
// (its microphone, its camera as a "high" VP8 layer with temporal layers and a ~320x180 "low"
// clone); after that the server offers when participants come and go, and `tracks` maps each mid
// to the participant whose media it carries. When the socket drops, the client shows "reconnecting", lets socket.io
// reconnect, joins again with its resume token (no lobby within the grace period) and builds a
// fresh RTCPeerConnection: no page reload. Scale-out (docs/scaling.md, "Failover"): when the
// node cannot be reached, the client tries the other nodes its join ack listed and follows
// `wrong_node`, in this page (the page stays on its origin; only the socket and media move).

import { io } from "../vendor/socket.io/socket.io.esm.min.js";

export const PROTOCOL_VERSION = 1;

/** How long to wait for an ack before giving up on a request (ms). */
const ACK_TIMEOUT = 15000;
/** Pause before trying the next node after one could not be reached (ms). */
const NODE_RETRY = 250;
/** How long to wait for ICE gathering before sending what we have (no trickle ICE). */
const GATHER_TIMEOUT = 5000;
/** The low layer (docs/protocol.md `media:offer`): ~320x180, at most 150 kbit/s and 20 fps. */
export const LOW_LAYER = { height: 180, maxBitrate: 150000, maxFramerate: 20 };
/** VP8 with three temporal layers: the server thins them per receiver without decoding. */
const SCALABILITY = "L1T3";
/** The dependency descriptor would take the temporal layer out of the VP8 payload descriptor. */
const DEPENDENCY_DESCRIPTOR = "https://aomedia.org/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";

// ---------------------------------------------------------------------------------------------
// Messages (one typedef per message of docs/protocol.md)

/** @typedef {{urls: string|string[], username?: string, credential?: string}} IceServer */
/** @typedef {{code: string, name: string, label?: string}} Site */
/** @typedef {{state: string, rtt_ms?: number|null, loss?: number|null, medium?: string|null, capacity_kbps?: number|null}} LinkHealth */
/**
 * @typedef {object} Participant
 * @property {string} id
 * @property {string} name
 * @property {Site|null} site
 * @property {"host"|"participant"} role
 * @property {boolean} mic
 * @property {boolean} camera
 * @property {boolean} hard_muted
 * @property {boolean} speaking
 * @property {LinkHealth|null} [link]
 * @property {boolean} [connected]   false while their socket is gone (grace period)
 * @property {boolean} [may_present] a host, or allowed by the host to share a screen
 */
/** @typedef {{id: string, name: string, site: Site|null}} LobbyEntry */
/** @typedef {{id: string, title: string, state: "open"|"locked"|"ended", recording?: boolean}} RoomInfo */
/**
 * `room:state` (server -> client): the full, re-readable snapshot, sent on every change.
 * @typedef {object} RoomState
 * @property {RoomInfo} room
 * @property {string} you            own participant id
 * @property {Participant[]} participants
 * @property {LobbyEntry[]} [lobby]  only in the host's copy
 * @property {{video: boolean, auto: string|null}} [receive]  what you receive; `auto`: why the server chose audio only
 * @property {string[]} [hands]      participants with a raised hand, first raised first
 * @property {Presenting|null} [presenting]  who shares a screen (null: nobody)
 * @property {number} [version]     what `room:delta`s build on
 */
/**
 * Changes to a list of entries keyed by `id`: `set` replaces a known id in place and appends a
 * new one, `gone` drops ids, `order` (only when those two do not give it) is the server's order.
 * @template T
 * @typedef {{set: T[], gone: string[], order?: string[]}} ListDelta
 */
/**
 * `room:delta` (server -> client): what changed in your view from version `base` to `version`;
 * only the keys that changed are present (docs/protocol.md).
 * @typedef {object} RoomDelta
 * @property {number} base
 * @property {number} version
 * @property {Partial<RoomInfo>} [room]             changed room fields
 * @property {ListDelta<Participant>} [participants]
 * @property {string[]} [hands]
 * @property {Presenting|null} [presenting]
 * @property {{video: boolean, auto: string|null}} [receive]
 * @property {ListDelta<LobbyEntry>} [lobby]        only in a host's deltas
 */
/**
 * Who presents: `share` is the publisher id of the share in track maps (docs/protocol.md "Presenting").
 * @typedef {{participant: string, name: string, share: string}} Presenting
 */
/** @typedef {{participant: string, kind: "audio"|"video"}} TrackInfo */
/** @typedef {Record<string, TrackInfo>} TrackMap  mid -> whose media it carries */

/** @typedef {{ok: false, error: string, message: string}} ErrorAck */
/** @typedef {{ok: true}} OkAck */

/**
 * `join` (client -> server). `invite`: the token of an invite link (from the URL fragment).
 * @typedef {{protocol: number, room: string, name: string, site: string|null, resume?: string, invite?: string}} JoinRequest
 */
/**
 * Ack of `join`.
 * @typedef {object} JoinAck
 * @property {true} ok
 * @property {number} protocol
 * @property {{id: string, role?: string, name?: string}} participant
 * @property {string} resume          token to rejoin without the lobby within the grace period
 * @property {"lobby"|"admitted"} status
 * @property {RoomState|RoomInfo} [room]
 * @property {IceServer[]} [ice_servers]
 * @property {boolean} [resumed]      true when the resume token brought us back (no lobby)
 * @property {ChatMessage[]} [chat]   admitted joins: the last chat messages
 * @property {string[]} [nodes]       scale-out: the other nodes' base URLs (where to go if this one dies)
 */
/** `leave` {} -> OkAck. @typedef {Record<string, never>} LeaveRequest */
/** `room:get` {} -> {ok: true, state: RoomState} (re-read after a missed push or a `room:delta` gap). */
/** `lobby:admit` / `lobby:deny` (host) -> OkAck. @typedef {{participant: string}} LobbyDecision */
/** `lobby:admit-invited` (host, `{}`) -> the ids admitted. @typedef {{ok: true, participants: string[]}} AdmitInvitedAck */
/** `media:offer` (client -> server). @typedef {{sdp: string}} MediaOfferRequest */
/** Ack of the client's `media:offer`. @typedef {{ok: true, sdp: string, tracks?: TrackMap}} MediaAnswerAck */
/** `media:answer` (client -> server, answer to a server offer) -> OkAck. @typedef {{sdp: string}} MediaAnswer */
/** `self:media` -> OkAck (forbidden when unmuting while hard-muted). @typedef {{mic?: boolean, camera?: boolean}} SelfMedia */
/** `media:receive` (audio-only mode) -> OkAck. @typedef {{video: boolean}} MediaReceive */
/** `chat:send` (at most 1000 characters) -> OkAck. @typedef {{text: string}} ChatSend */
/** `host:mute` -> OkAck. @typedef {{participant: string, hard: boolean}} HostMute */
/** `host:unmute-allow` -> OkAck. @typedef {{participant: string}} HostUnmuteAllow */
/** `host:mute-all` -> OkAck. @typedef {{hard: boolean}} HostMuteAll */
/** `host:remove` -> OkAck. @typedef {{participant: string}} HostRemove */
/** `host:lock` -> OkAck. @typedef {{locked: boolean}} HostLock */
/** `host:record` -> `{ok: true, recording: boolean}`. @typedef {{on: boolean}} HostRecord */
/** `host:end` {} -> OkAck. @typedef {Record<string, never>} HostEnd */
/** `hand:raise` (admitted) -> OkAck. @typedef {{raised: boolean}} HandRaise */
/** `host:hand-lower` / `host:floor` (host) -> OkAck. @typedef {{participant: string}} HandDecision */
/** `present:start` (the share connection's offer) -> `{ok: true, sdp, share}`. @typedef {{sdp: string}} PresentStart */
/** `present:stop` {} -> OkAck (the presenter, or a host). `host:present-allow` -> OkAck. @typedef {{participant: string, allowed: boolean}} PresentAllow */
/** `present:stopped` (to a presenter whose share someone else ended). @typedef {{reason: "taken_over"|"host"|"revoked"}} PresentStopped */
/** `media:shown` (last-N: whose video the page shows; null: all) -> OkAck. @typedef {{participants: string[]|null}} MediaShown */

/**
 * `lobby:result` (server -> waiting participant). An admission carries your `room:state` view
 * and the track map of the connection set up in the lobby, so the host's tiles need no other
 * message (older servers sent only `status`).
 * @typedef {{status: "admitted"|"denied", room?: RoomState, tracks?: TrackMap}} LobbyResult
 */
/** `media:offer` (server -> client renegotiation). @typedef {{sdp: string, tracks: TrackMap}} ServerOffer */
/** `media:tracks` (mid map changed without renegotiation). @typedef {{tracks: TrackMap}} TracksChanged */
/** `speaking`. @typedef {{participant: string, speaking: boolean}} Speaking */
/** `chat`. @typedef {{from: string, name: string, text: string, ts: number}} ChatMessage */
/** `muted` (to the muted participant). @typedef {{by: string, hard: boolean}} Muted */
/** `floor` (to the participant the host gave the floor; the mic goes on). @typedef {{by: string}} Floor */
/**
 * `media:limits` (server -> client): what the camera may send (applied with setParameters).
 * `max_bitrate` bit/s for the whole camera (null: the browser decides); `scale_down` the high
 * layer's scaleResolutionDownBy; `max_framerate` caps both layers; `low_only` switches the high
 * layer off. `reason`: "ok" (no limits), "audio_only", a weak-link reason ("vsat", ...),
 * "uplink_loss", "uplink_rate". `unseen`: true while nobody in the session shows our video (no
 * page has our tile, for the server's `camera_pause_unseen` seconds): both camera layers are
 * switched off, whatever the other fields say (they still carry the link's limits for when
 * someone shows us again); false or absent (an older server): send as the other fields say.
 * @typedef {object} MediaLimits
 * @property {number|null} max_bitrate
 * @property {number} scale_down
 * @property {number|null} max_framerate
 * @property {boolean} low_only
 * @property {string} reason
 * @property {boolean} [unseen]
 */
/**
 * `media:layer` (server -> client): which layer of `publisher`'s video the server forwards to us.
 * `layer`: "high", "low", "low_base", "still", "off"; `reason`: "ok", "bandwidth", "ceiling", "no_source",
 * "hidden" (the page does not show that tile: `media:shown`), "server_busy" (the server sheds
 * video for everyone while its CPU is full).
 * @typedef {{publisher: string, layer: string, reason: string}} MediaLayer
 */
/**
 * Live quality of one media path, from getStats (`linkQuality()`): loss 0..1 and jitter of the
 * inbound streams from a participant (or, for ourselves, what the server reports of our uplink),
 * the connection's round trip. `level`: "good", "fair", "poor".
 * @typedef {{loss: number|null, jitter_ms: number|null, rtt_ms: number|null, level: "good"|"fair"|"poor"}} LinkQuality
 */
/** `removed` {} and `ended` {}: the session is over for this client. */

/**
 * Where the client is. Terminal: denied, removed, ended, left, failed.
 * @typedef {"idle"|"connecting"|"lobby"|"admitted"|"reconnecting"|"denied"|"removed"|"ended"|"left"|"failed"} Status
 */

const TERMINAL = new Set(["denied", "removed", "ended", "left", "failed"]);

/**
 * One word for a path's quality: "poor" beyond what keeps a call usable (5 % loss, 700 ms round
 * trip, 60 ms jitter), "fair" beyond a clean link (2 %, 300 ms, 30 ms), else "good".
 * @param {{loss: number|null, jitter_ms: number|null, rtt_ms: number|null}} q
 * @returns {"good"|"fair"|"poor"}
 */
export function qualityLevel({ loss, jitter_ms, rtt_ms }) {
  const over = (/** @type {number|null} */ v, /** @type {number} */ limit) => v !== null && v > limit;
  if (over(loss, 0.05) || over(rtt_ms, 700) || over(jitter_ms, 60)) return "poor";
  if (over(loss, 0.02) || over(rtt_ms, 300) || over(jitter_ms, 30)) return "fair";
  return "good";
}

/** Most a video stream is held back for retransmissions (ms; Chromium allows 4000). */
export const HOLD_MAX_MS = 1500;
/** Retransmission requests per packet received above which a stream counts as lossy. */
const HOLD_LOSSY = 0.01;

/**
 * How long to hold one received video stream back so that retransmitted packets arrive before
 * their frame is due (`RTCRtpReceiver.jitterBufferTarget`, ms; null: the browser's own choice).
 * Over a 600 ms round trip every lost packet costs a round trip before it is repaired; played at
 * once, each one freezes the picture. A stream that needed retransmissions (`nackRate`: NACKs per
 * packet received since the last call) is held for the round trip plus 150 ms, and 200 ms more
 * each time it froze all the same (the repair came from further away: a weak uplink behind the
 * server), up to `HOLD_MAX_MS`; once no retransmission is needed the hold shrinks by 50 ms a call.
 * Pure.
 * @param {number|null} held  the hold now (ms; null: none)
 * @param {{rtt_ms: number|null, nackRate: number, froze: boolean}} seen  since the last call
 * @returns {number|null}
 */
export function playoutHold(held, { rtt_ms, nackRate, froze }) {
  const now = held ?? 0;
  let next;
  if (nackRate > HOLD_LOSSY) {
    const base = rtt_ms !== null && rtt_ms > 250 ? rtt_ms + 150 : 0;
    next = Math.max(now, base) + (froze ? 200 : 0);
  } else {
    next = now - 50;
  }
  next = Math.min(HOLD_MAX_MS, Math.round(next));
  return next >= 100 ? next : null;
}

/**
 * The encodings of both camera layers under `limits` (null: none). Pure: the caller copies them
 * into `RTCRtpSender.getParameters().encodings[0]`. `limits.unseen` switches both layers off
 * (nobody shows our video), also when `reason` is "ok"; the other limits still shape what the
 * layers send once they are switched on again.
 * @param {MediaLimits|null} limits
 * @returns {{high: Record<string, any>, low: Record<string, any>}}
 */
export function layerEncodings(limits) {
  const l = limits && limits.reason !== "ok" ? limits : null;
  const unseen = limits?.unseen === true;
  const budget = l?.max_bitrate ?? null;
  const lowRate = budget === null ? LOW_LAYER.maxBitrate : Math.min(LOW_LAYER.maxBitrate, budget);
  const fps = l?.max_framerate ?? null;
  return {
    high: {
      active: !unseen && !l?.low_only,
      scaleResolutionDownBy: Math.max(1, l?.scale_down ?? 1),
      maxBitrate: budget === null ? undefined : Math.max(50000, budget - lowRate),
      maxFramerate: fps ?? undefined,
    },
    low: {
      active: !unseen,
      maxBitrate: lowRate,
      maxFramerate: Math.min(LOW_LAYER.maxFramerate, fps ?? LOW_LAYER.maxFramerate),
    },
  };
}

/** An error ack, or a request that could not be made (code "not_connected", "timeout"). */
/**
 * @template {{id: string}} T
 * @param {T[]} entries
 * @param {ListDelta<T>} change
 * @returns {T[]}
 */
function applyListDelta(entries, change) {
  const gone = new Set(change.gone);
  /** @type {Map<string, T>} */
  const byId = new Map();
  for (const e of entries) if (!gone.has(e.id)) byId.set(e.id, e);
  for (const e of change.set) byId.set(e.id, e); // a known id keeps its place, a new one goes last
  if (change.order) return change.order.map((id) => /** @type {T} */ (byId.get(id)));
  return [...byId.values()];
}

/**
 * The state at `delta.version` from `state` at `delta.base` (docs/protocol.md `room:delta`): a new
 * object; `state` and its unchanged entries are not modified. The caller checks the versions.
 * @param {RoomState} state
 * @param {RoomDelta} delta
 * @returns {RoomState}
 */
export function applyRoomDelta(state, delta) {
  const next = { ...state, version: delta.version };
  if (delta.room) next.room = { ...state.room, ...delta.room };
  if (delta.participants) next.participants = applyListDelta(state.participants ?? [], delta.participants);
  if (delta.lobby) next.lobby = applyListDelta(state.lobby ?? [], delta.lobby);
  if ("hands" in delta) next.hands = delta.hands;
  if ("presenting" in delta) next.presenting = delta.presenting;
  if ("receive" in delta) next.receive = delta.receive;
  return next;
}

export class ProtocolError extends Error {
  /** @param {string} code @param {string} message @param {Record<string, unknown>} [details] */
  constructor(code, message, details = {}) {
    super(message || code);
    this.code = code;
    /** Extra fields of the refusal, e.g. `node` of `wrong_node` (scale-out). */
    this.details = details;
  }
}

/**
 * Put VP8 (and its RTX) first and leave out the dependency-descriptor header extension, where
 * the browser lets us (the server's answer leaves it out anyway).
 * @param {RTCRtpTransceiver} transceiver
 */
export function preferVp8(transceiver) {
  try {
    const codecs = RTCRtpReceiver.getCapabilities("video")?.codecs ?? [];
    const vp8 = codecs.filter((c) => /^video\/(vp8|rtx)$/i.test(c.mimeType));
    if (vp8.length) transceiver.setCodecPreferences(vp8);
  } catch {
    // the server pins VP8 in its answer in any case
  }
  const t = /** @type {any} */ (transceiver);
  if (typeof t.getHeaderExtensionsToNegotiate !== "function") return;
  try {
    const extensions = t.getHeaderExtensionsToNegotiate().map((/** @type {any} */ e) =>
      e.uri === DEPENDENCY_DESCRIPTOR ? { ...e, direction: "stopped" } : e,
    );
    t.setHeaderExtensionsToNegotiate(extensions);
  } catch {
    // older browsers: the server's answer leaves it out
  }
}

/**
 * Resolve when ICE gathering is complete (or after GATHER_TIMEOUT: send what we have).
 * @param {RTCPeerConnection} pc
 */
export function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== "complete") return;
      pc.removeEventListener("icegatheringstatechange", done);
      clearTimeout(timer);
      resolve(undefined);
    };
    const timer = setTimeout(() => {
      pc.removeEventListener("icegatheringstatechange", done);
      resolve(undefined);
    }, GATHER_TIMEOUT);
    pc.addEventListener("icegatheringstatechange", done);
  });
}

/**
 * A meeting client for one room.
 *
 * Events (all `CustomEvent`, payload in `detail`):
 * - `limits`  MediaLimits                        the server's limits for our camera (applied)
 * - `layer`   MediaLayer                         the layer of someone's video we receive changed
 * - `status`  {status: Status, reason?: string}  connection / lobby / session lifecycle
 * - `state`   RoomState                          every whole `room:state` (join ack, admission, room:get)
 *                                                and every `room:delta` merged into the last one
 * - `media`   {streams: Map<string, MediaStream>} remote media per participant id changed
 * - `chat`    ChatMessage
 * - `chathistory` {messages: ChatMessage[]}   on every admitted join (replaces what is shown)
 * - `speaking` Speaking
 * - `muted`   Muted                               the host muted this client's microphone
 * - `local`   {mic: boolean, camera: boolean}     own microphone/camera switched
 * - `resume`  {token: string, participant: string} store it to come back after a reload
 * - `pc`      {pc: RTCPeerConnection|null}        a new peer connection was made (tests read it)
 * - `presentstopped` PresentStopped               someone else ended our screen share
 */
export class MeetingClient extends EventTarget {
  /**
   * @param {object} opts
   * @param {string} opts.room          room id
   * @param {string} [opts.url]         server origin (default: this page's)
   * @param {boolean} [opts.debug]      log every event in and out to the console
   */
  constructor({ room, url, debug }) {
    super();
    this.debug = Boolean(debug);
    this.room = room;
    this.url = url;
    /** @type {Status} */
    this.status = "idle";
    /** @type {string|null} */
    this.participantId = null;
    /** @type {string|null} */
    this.resumeToken = null;
    /** @type {RoomState|null} */
    this.state = null;
    /** @type {RoomDelta[]|null} deltas held while the whole state is read again (version gap) */
    this._held = null;
    /** @type {IceServer[]} */
    this.iceServers = [];
    /** @type {RTCPeerConnection|null} */
    this.pc = null;
    /** @type {MediaStream|null} */
    this.localStream = null;
    this.micOn = true;
    this.cameraOn = true;
    this.receiveVideo = true;
    /** @type {MediaLimits|null} the server's latest limits for our camera */
    this.limits = null;
    /** @type {Map<string, MediaLayer>} publisher id -> the layer of their video we receive */
    this.layers = new Map();
    /** @type {string[]|null|undefined} last-N: whose video the page shows (undefined: never said) */
    this._shown = undefined;
    /** @type {string|null|undefined} the shown set as last sent */
    this._shownKey = undefined;
    /** @type {{high: RTCRtpSender, low: RTCRtpSender, lowTrack: MediaStreamTrack}|null} */
    this._camera = null;
    /** @type {RTCRtpSender|null} the microphone's sender */
    this._audio = null;
    /** @type {Map<string, {received: number, lost: number, nacks: number, freezes: number}>} previous getStats counters */
    this._counters = new Map();
    /** @type {Map<string, number|null>} receiving video track id -> its hold (`playoutHold`) */
    this._holds = new Map();
    /** @type {TrackMap} */
    this.tracks = {};
    /** @type {Map<string, MediaStream>} participant id -> stream kept stable across changes */
    this._streams = new Map();
    /** @type {import("../vendor/socket.io/socket.io.esm.min.js").Socket|null} */
    this.socket = null;
    this._name = "";
    /** @type {string|null} */
    this._site = null;
    /** @type {string|null} invite token, sent with every join (also after a reconnect) */
    this._invite = null;
    this._generation = 0;
    /** @type {string[]} scale-out: other nodes' base URLs, from the last join ack */
    this._nodes = [];
    /** the URL the socket is opened to ("" or undefined: this page's origin) */
    this._socketUrl = url ?? "";
    /** @type {ReturnType<typeof setTimeout>|null} */
    this._nodeTimer = null;
    /** @type {Promise<unknown>} negotiation steps run one at a time */
    this._queue = Promise.resolve();
  }

  // -- lifecycle ------------------------------------------------------------------------------

  /**
   * Connect and join. Resolves with the first join ack; rejects with a ProtocolError.
   * @param {{name: string, site: string|null, resume?: string|null, stream?: MediaStream|null, invite?: string|null}} opts
   * @returns {Promise<JoinAck>}
   */
  join({ name, site, resume, stream, invite }) {
    this._name = name;
    this._site = site;
    this._invite = invite ?? null;
    this.resumeToken = resume ?? null;
    this.localStream = stream ?? null;
    this._applyLocal();
    this._setStatus("connecting");
    return new Promise((resolve, reject) => this._open(this.url ?? "", { resolve, reject }));
  }

  /**
   * Open the socket to `url` and join on every connect. `first`: the promise of join().
   * @param {string} url
   * @param {{resolve: (ack: JoinAck) => void, reject: (e: ProtocolError) => void}|null} first
   */
  _open(url, first) {
    const socket = io(url, {
      path: "/socket.io/",
      transports: ["websocket"],
      autoConnect: false,
      reconnectionDelay: 500,
      reconnectionDelayMax: 3000,
      timeout: 10000,
    });
    this.socket = socket;
    this._socketUrl = url;
    if (this.debug) {
      socket.onAny((ev, ...args) => console.debug("pendopo <-", ev, JSON.stringify(args).slice(0, 300)));
      socket.onAnyOutgoing((ev, ...args) =>
        console.debug("pendopo ->", ev, JSON.stringify(args).slice(0, 300)),
      );
    }
    socket.on("connect", async () => {
      const waiting = first;
      first = null;
      try {
        const ack = await this._join();
        waiting?.resolve(ack);
      } catch (e) {
        const err = e instanceof ProtocolError ? e : new ProtocolError("internal", String(e));
        if (waiting) waiting.reject(err);
        else if (err.code === "wrong_node" && typeof err.details.node === "string") {
          // Joining again after a drop: the session moved to another node. Follow it.
          this._moveTo(err.details.node, 0);
          return;
        }
        this._fail(err);
      }
    });
    socket.on("connect_error", (/** @type {Error} */ e) => {
      // socket.io retries by itself; the first failure is still worth telling the caller.
      if (first && this.status === "connecting") {
        first.reject(new ProtocolError("not_connected", e.message));
        first = null;
        this._setStatus("reconnecting", "connect_error");
      } else if (this._nodes.length && this.status === "reconnecting") {
        // This node is gone (scale-out): try the next one we know of.
        const all = ["", ...this._nodes];
        const here = Math.max(0, all.indexOf(this._socketUrl));
        this._moveTo(all[(here + 1) % all.length], NODE_RETRY);
      }
    });
    socket.on("disconnect", (/** @type {string} */ reason) => this._onDisconnect(reason));
    this._wire(socket);
    socket.connect();
  }

  /**
   * Scale-out failover: drop this socket and join again through `url` ("" this page's origin).
   * @param {string} url @param {number} delay ms
   */
  _moveTo(url, delay) {
    if (this._nodeTimer !== null || TERMINAL.has(this.status)) return;
    const old = this.socket;
    if (old) {
      old.removeAllListeners();
      old.disconnect();
    }
    this._closePc();
    this._setStatus("reconnecting", "node_moved");
    this._nodeTimer = setTimeout(() => {
      this._nodeTimer = null;
      if (!TERMINAL.has(this.status)) this._open(url === globalThis.location?.origin ? "" : url, null);
    }, delay);
  }

  /** Leave the session for good (explicit `leave`, then close everything). */
  async leave() {
    if (this.socket?.connected && !TERMINAL.has(this.status)) {
      try {
        await this.socket.timeout(2000).emitWithAck("leave", {});
      } catch {
        // the socket disconnect tears the peer down on the server anyway
      }
    }
    this._finish("left");
  }

  /** Close without telling the server (page unload: the disconnect is the signal). */
  close() {
    this._teardown();
  }

  // -- requests -------------------------------------------------------------------------------

  /**
   * Emit an event with an ack; resolve with the ok ack or throw a ProtocolError.
   * @param {string} event
   * @param {object} payload
   * @returns {Promise<any>}
   */
  async request(event, payload) {
    const socket = this.socket;
    if (!socket || !socket.connected) throw new ProtocolError("not_connected", "not connected");
    /** @type {any} */
    let ack;
    try {
      ack = await socket.timeout(ACK_TIMEOUT).emitWithAck(event, payload);
    } catch {
      throw new ProtocolError("timeout", `no answer to ${event}`);
    }
    if (!ack || ack.ok !== true) {
      const { ok, error, message, ...details } = ack ?? {};
      throw new ProtocolError(error ?? "internal", message ?? "", details);
    }
    return ack;
  }

  /** Switch own microphone on or off. @param {boolean} on */
  async setMic(on) {
    const before = this.micOn;
    this.micOn = on;
    this._applyLocal();
    try {
      if (this.status === "admitted") await this.request("self:media", { mic: on });
    } catch (e) {
      this.micOn = before;
      this._applyLocal();
      throw e;
    }
  }

  /** Switch own camera on or off. @param {boolean} on */
  async setCamera(on) {
    const before = this.cameraOn;
    this.cameraOn = on;
    this._applyLocal();
    try {
      if (this.status === "admitted") await this.request("self:media", { camera: on });
    } catch (e) {
      this.cameraOn = before;
      this._applyLocal();
      throw e;
    }
  }

  /** Low-bandwidth mode: stop (false) or resume (true) receiving video. @param {boolean} video */
  async setReceiveVideo(video) {
    this.receiveVideo = video;
    if (this.status === "admitted") await this.request("media:receive", { video });
  }

  /** @param {string} text */
  sendChat(text) {
    return this.request("chat:send", { text });
  }

  /** @param {string} participant */
  admit(participant) {
    return this.request("lobby:admit", { participant });
  }

  /**
   * Admit everyone waiting from a site the session invited (host).
   * @returns {Promise<AdmitInvitedAck>}
   */
  admitInvited() {
    return this.request("lobby:admit-invited", {});
  }

  /** @param {string} participant */
  deny(participant) {
    return this.request("lobby:deny", { participant });
  }

  /** @param {string} participant @param {boolean} [hard] */
  mute(participant, hard = false) {
    return this.request("host:mute", { participant, hard });
  }

  /** @param {string} participant */
  allowUnmute(participant) {
    return this.request("host:unmute-allow", { participant });
  }

  /** @param {boolean} [hard] */
  muteAll(hard = false) {
    return this.request("host:mute-all", { hard });
  }

  /** @param {string} participant */
  remove(participant) {
    return this.request("host:remove", { participant });
  }

  /** @param {boolean} locked */
  lock(locked) {
    return this.request("host:lock", { locked });
  }

  /** Start or stop recording the session (host only). @param {boolean} on */
  record(on) {
    return this.request("host:record", { on });
  }

  end() {
    return this.request("host:end", {});
  }

  /** Raise (true) or take down (false) own hand. @param {boolean} raised */
  raiseHand(raised) {
    return this.request("hand:raise", { raised });
  }

  /** @param {string} participant */
  lowerHand(participant) {
    return this.request("host:hand-lower", { participant });
  }

  /** Give the floor: the hand goes down and the participant's microphone on. @param {string} participant */
  giveFloor(participant) {
    return this.request("host:floor", { participant });
  }

  /**
   * Start presenting with the offer of a share connection (presenting.js makes it).
   * @param {string} sdp @returns {Promise<{ok: true, sdp: string, share: string}>}
   */
  presentStart(sdp) {
    return this.request("present:start", { sdp });
  }

  /** Stop the share (own, or as host anyone's). */
  presentStop() {
    return this.request("present:stop", {});
  }

  /** Host: let a participant present, or no longer. @param {string} participant @param {boolean} allowed */
  allowPresent(participant, allowed) {
    return this.request("host:present-allow", { participant, allowed });
  }

  /**
   * Last-N: the participants whose video this page shows (null: all); the server forwards no
   * other video. Sent only when the set changes (and again after every admission).
   * @param {string[]|null} participants
   */
  async setShown(participants) {
    const key = participants === null ? null : [...participants].sort().join(",");
    if (key === this._shownKey) return;
    this._shownKey = key;
    this._shown = participants;
    if (this.status !== "admitted") return;
    try {
      await this.request("media:shown", { participants });
    } catch (e) {
      this._shownKey = undefined; // try again with the next change
      throw e;
    }
  }

  /** Own participant record in the latest state, if any. */
  me() {
    return this.state?.participants.find((p) => p.id === this.participantId) ?? null;
  }

  /** Remote media per participant id (streams keep their identity while tracks change). */
  streams() {
    return this._streams;
  }

  // -- internals: join, state, lobby ----------------------------------------------------------

  /** @returns {Promise<JoinAck>} */
  async _join() {
    /** @type {JoinRequest} */
    const req = { protocol: PROTOCOL_VERSION, room: this.room, name: this._name, site: this._site };
    if (this.resumeToken) req.resume = this.resumeToken;
    if (this._invite) req.invite = this._invite;
    /** @type {JoinAck} */
    const ack = await this.request("join", req);
    this.participantId = ack.participant.id;
    if (Array.isArray(ack.nodes)) this._nodes = ack.nodes.filter((u) => typeof u === "string");
    if (ack.resume) {
      this.resumeToken = ack.resume;
      this._emit("resume", { token: ack.resume, participant: ack.participant.id });
    }
    this.iceServers = Array.isArray(ack.ice_servers) ? ack.ice_servers : [];
    if (ack.room && "participants" in ack.room) this._onState(/** @type {RoomState} */ (ack.room));
    if (Array.isArray(ack.chat)) this._emit("chathistory", { messages: ack.chat });
    if (ack.status === "admitted") await this._admitted();
    else {
      this._setStatus("lobby");
      // Media ready while we wait: the host's admission then costs one message and a keyframe.
      this._startMedia().catch((e) => this._mediaFailed(e));
    }
    return ack;
  }

  /** @param {import("../vendor/socket.io/socket.io.esm.min.js").Socket} socket */
  _wire(socket) {
    socket.on("room:state", (/** @type {RoomState} */ s) => this._onState(s));
    socket.on("room:delta", (/** @type {RoomDelta} */ d) => this._onDelta(d));
    socket.on("lobby:result", (/** @type {LobbyResult} */ r) => {
      if (r.status !== "admitted") {
        this._finish("denied");
        return;
      }
      if (r.room) this._onState(r.room);
      if (r.tracks) this._mergeTracks(r.tracks);
      this._admitted().catch((e) => this._mediaFailed(e));
    });
    socket.on("media:offer", (/** @type {ServerOffer} */ o) => this._onServerOffer(o));
    socket.on("media:limits", (/** @type {MediaLimits} */ l) => {
      this.limits = l;
      this._applySending().catch(() => {});
      this._emit("limits", l);
    });
    socket.on("media:layer", (/** @type {MediaLayer} */ l) => {
      this.layers.set(l.publisher, l);
      this._emit("layer", l);
    });
    socket.on("media:tracks", (/** @type {TracksChanged} */ m) => this._mergeTracks(m.tracks ?? {}));
    // The server's side of the media connection is gone (its worker process ended): connect
    // again at once instead of waiting for the connection's consent checks to fail.
    socket.on("media:restart", () => {
      if (this.pc && (this.status === "admitted" || this.status === "lobby")) {
        this._startMedia().catch((e) => this._mediaFailed(e));
      }
    });
    socket.on("speaking", (/** @type {Speaking} */ s) => {
      const p = this.state?.participants.find((x) => x.id === s.participant);
      if (p) p.speaking = s.speaking;
      this._emit("speaking", s);
    });
    socket.on("chat", (/** @type {ChatMessage} */ m) => this._emit("chat", m));
    socket.on("muted", (/** @type {Muted} */ m) => {
      this.micOn = false;
      this._applyLocal();
      this._emit("muted", m);
    });
    socket.on("floor", (/** @type {Floor} */ f) => {
      this.micOn = true; // the host gave us the floor: the server forwards our microphone again
      this._applyLocal();
      this._emit("floor", f);
    });
    socket.on("present:stopped", (/** @type {PresentStopped} */ p) => this._emit("presentstopped", p));
    socket.on("removed", () => this._finish("removed"));
    socket.on("ended", () => this._finish("ended"));
  }

  /**
   * Merge a track map into the known one (docs/protocol.md), after pending negotiation steps.
   * @param {TrackMap} tracks
   */
  _mergeTracks(tracks) {
    const generation = this._generation;
    this._enqueue(async () => {
      if (generation !== this._generation) return; // a map of a connection since replaced
      Object.assign(this.tracks, tracks);
      this._updateStreams();
    });
  }

  /**
   * Apply a delta to the state it builds on; after a gap (a delta missed), read the whole state
   * again with `room:get`, holding the deltas that come meanwhile.
   * @param {RoomDelta} d
   */
  _onDelta(d) {
    if (this._held) {
      this._held.push(d);
      return;
    }
    const have = this.state?.version;
    if (have !== undefined && d.version <= have) return; // already in the state we have
    if (!this.state || have !== d.base) {
      this._readAgain();
      return;
    }
    this._onState(applyRoomDelta(this.state, d));
  }

  async _readAgain() {
    this._held = [];
    try {
      /** @type {{ok: true, state: RoomState}} */
      const ack = await this.request("room:get", {});
      this._onState(ack.state);
    } catch {
      // the next delta finds the gap again (or a reconnect brings a whole state)
    } finally {
      const held = this._held;
      this._held = null;
      for (const d of held) this._onDelta(d);
    }
  }

  /** @param {RoomState} s */
  _onState(s) {
    this.state = s;
    if (s.you) this.participantId = s.you;
    const me = this.me();
    // The server's word wins when it switched us off (host mute, mute all).
    if (me && me.mic === false && this.micOn) {
      this.micOn = false;
      this._applyLocal();
    }
    if (s.room?.state === "ended") {
      this._emit("state", s);
      this._finish("ended");
      return;
    }
    this._emit("state", s);
  }

  async _admitted() {
    this._setStatus("admitted");
    // Tell the server about switches made before joining (preview) or kept over a reconnect.
    const off = {};
    if (!this.micOn) Object.assign(off, { mic: false });
    if (!this.cameraOn) Object.assign(off, { camera: false });
    if (Object.keys(off).length) this.request("self:media", off).catch(() => {});
    // Not when the server chose audio only itself (its view, which lobby:result carries, says
    // so): asking again would record it as this person's choice and lose the reason shown.
    if (!this.receiveVideo && this.state?.receive?.video !== false) {
      this.request("media:receive", { video: false }).catch(() => {});
    }
    if (this._shown !== undefined && this._shown !== null) {
      this.request("media:shown", { participants: this._shown }).catch(() => {});
    }
    // The connection set up in the lobby carries on (now sending); the server offers the
    // session's media on it.
    const pc = this.pc;
    if (pc && !["failed", "closed"].includes(pc.connectionState)) {
      await this._applySending();
      return;
    }
    await this._startMedia();
  }

  /** @param {string} reason */
  _onDisconnect(reason) {
    if (TERMINAL.has(this.status)) return;
    this._closePc();
    this._setStatus("reconnecting", reason);
    // socket.io reconnects by itself except after a server-side disconnect.
    if (reason === "io server disconnect") this.socket?.connect();
  }

  /** @param {ProtocolError} err */
  _fail(err) {
    const terminal = {
      room_ended: "ended",
      denied: "denied",
      removed: "removed",
    }[err.code];
    if (terminal) this._finish(/** @type {Status} */ (terminal), err.code);
    else if (err.code === "timeout" || err.code === "not_connected") {
      // The socket will reconnect and we will try again.
      this._setStatus("reconnecting", err.code);
    } else this._finish("failed", err.code, err.message);
  }

  /** @param {Status} status @param {string} [reason] @param {string} [message] */
  _finish(status, reason, message) {
    if (TERMINAL.has(this.status)) return;
    this._teardown();
    this._setStatus(status, reason, message);
  }

  _teardown() {
    if (this._nodeTimer !== null) clearTimeout(this._nodeTimer);
    this._nodeTimer = null;
    this._closePc();
    if (this.socket) {
      this.socket.removeAllListeners();
      this.socket.disconnect();
    }
  }

  // -- internals: media -----------------------------------------------------------------------

  _applyLocal() {
    for (const t of this.localStream?.getAudioTracks() ?? []) t.enabled = this.micOn;
    for (const t of this.localStream?.getVideoTracks() ?? []) t.enabled = this.cameraOn;
    if (this._camera) this._camera.lowTrack.enabled = this.cameraOn;
    this._emit("local", { mic: this.micOn, camera: this.cameraOn });
  }

  /**
   * What we send (RTCRtpSender.setParameters): nothing while waiting in the lobby (the server
   * would forward none of it; the microphone stays private and a thin uplink stays free — on
   * admission the encoder starts with the keyframe the server asks for), else the server's
   * `media:limits` on both camera layers (no camera at all while nobody shows our video:
   * `unseen`; the microphone is not touched by it).
   */
  async _applySending() {
    const waiting = this.status === "lobby";
    const wanted = layerEncodings(this.limits);
    /** @type {[RTCRtpSender, Record<string, any>][]} */
    const plan = [];
    if (this._audio) plan.push([this._audio, { active: !waiting }]);
    if (this._camera) {
      plan.push([this._camera.high, { ...wanted.high, active: wanted.high.active && !waiting }]);
      plan.push([this._camera.low, { ...wanted.low, active: wanted.low.active && !waiting }]);
    }
    for (const [sender, encoding] of plan) {
      const params = sender.getParameters();
      if (!params.encodings?.length) continue;
      const current = /** @type {Record<string, any>} */ (params.encodings[0]);
      for (const [key, value] of Object.entries(encoding)) {
        if (value === undefined) delete current[key];
        else current[key] = value;
      }
      await sender.setParameters(params);
    }
  }

  /**
   * Use another camera or microphone without leaving (the page opened `track` from the device
   * the person chose): RTCRtpSender.replaceTrack on the running connection, so nothing is
   * negotiated again and the server keeps receiving the same stream; a camera replaces both
   * layers (a new clone for "low"). The replaced track is stopped and `localStream` holds the
   * new one (the self view follows). Where nothing of that kind was sent yet (joined without a
   * camera), the media connection starts again with it.
   * @param {MediaStreamTrack} track
   */
  async replaceTrack(track) {
    const kind = track.kind;
    track.enabled = kind === "audio" ? this.micOn : this.cameraOn;
    const stream = this.localStream ?? new MediaStream();
    this.localStream = stream;
    const old = stream.getTracks().filter((x) => x.kind === kind);
    const sender = kind === "audio" ? this._audio : (this._camera?.high ?? null);
    if (sender) {
      await sender.replaceTrack(track);
      if (this._camera && kind === "video") {
        const lowTrack = track.clone();
        lowTrack.enabled = this.cameraOn;
        await this._camera.low.replaceTrack(lowTrack);
        this._camera.lowTrack.stop();
        this._camera.lowTrack = lowTrack;
      }
    }
    for (const x of old) {
      stream.removeTrack(x);
      x.stop();
    }
    stream.addTrack(track);
    if (!sender && this.pc && (this.status === "admitted" || this.status === "lobby")) {
      await this._startMedia();
    }
    this._emit("local", { mic: this.micOn, camera: this.cameraOn });
  }

  /**
   * Our camera as two layers (docs/protocol.md `media:offer`): the track itself with temporal
   * layers ("high"), and a ~320x180 clone ("low", send only). VP8 first; no dependency
   * descriptor.
   * @param {RTCPeerConnection} pc @param {MediaStream} stream @param {MediaStreamTrack} camera
   */
  _addCamera(pc, stream, camera) {
    const height = camera.getSettings().height || 360;
    const lowTrack = camera.clone();
    lowTrack.enabled = this.cameraOn;
    const low = {
      scaleResolutionDownBy: Math.max(1, height / LOW_LAYER.height),
      maxBitrate: LOW_LAYER.maxBitrate,
      maxFramerate: LOW_LAYER.maxFramerate,
    };
    const add = (/** @type {MediaStreamTrack} */ track, /** @type {any} */ init) => {
      const direction = track === camera ? "sendrecv" : "sendonly";
      try {
        return pc.addTransceiver(track, {
          direction,
          streams: [stream],
          sendEncodings: [{ ...init, scalabilityMode: SCALABILITY }],
        });
      } catch {
        return pc.addTransceiver(track, { direction, streams: [stream], sendEncodings: [init] });
      }
    };
    const high = add(camera, {});
    const lowTransceiver = add(lowTrack, low);
    for (const tr of [high, lowTransceiver]) preferVp8(tr);
    this._camera = { high: high.sender, low: lowTransceiver.sender, lowTrack };
  }

  /**
   * Live link quality per participant id from getStats (loss and jitter of what we receive
   * from them, since the previous call; the connection's round trip), and under our own id what
   * the server reports of our uplink.
   * @returns {Promise<Map<string, LinkQuality>>}
   */
  async linkQuality() {
    /** @type {Map<string, LinkQuality>} */
    const result = new Map();
    const pc = this.pc;
    if (!pc) return result;
    /** @type {Map<string, string>} receiving track id -> participant */
    const owner = new Map();
    for (const tr of pc.getTransceivers()) {
      const info = tr.mid != null ? this.tracks[tr.mid] : undefined;
      if (info && tr.receiver.track) owner.set(tr.receiver.track.id, info.participant);
    }
    const report = await pc.getStats();
    /** @type {number|null} */
    let rtt = null;
    /** @type {Map<string, {received: number, lost: number, jitter: number}>} */
    const sums = new Map();
    const add = (/** @type {string} */ who, /** @type {number} */ received, /** @type {number} */ lost, /** @type {number} */ jitter) => {
      const sum = sums.get(who) ?? { received: 0, lost: 0, jitter: 0 };
      sum.received += received;
      sum.lost += lost;
      sum.jitter = Math.max(sum.jitter, jitter);
      sums.set(who, sum);
    };
    /** @type {{track: string, received: number, nacks: number, froze: boolean}[]} */
    const videos = [];
    report.forEach((/** @type {any} */ s) => {
      if (s.type === "candidate-pair" && s.nominated && typeof s.currentRoundTripTime === "number") {
        rtt = s.currentRoundTripTime * 1000;
      } else if (s.type === "inbound-rtp") {
        const who = owner.get(s.trackIdentifier);
        const before = this._counters.get(s.id) ?? { received: 0, lost: 0, nacks: 0, freezes: 0 };
        const now = {
          received: s.packetsReceived ?? 0,
          lost: Math.max(0, s.packetsLost ?? 0),
          nacks: s.nackCount ?? 0,
          freezes: s.freezeCount ?? 0,
        };
        this._counters.set(s.id, now);
        if (s.kind === "video") {
          videos.push({
            track: s.trackIdentifier,
            received: now.received - before.received,
            nacks: now.nacks - before.nacks,
            froze: now.freezes > before.freezes,
          });
        }
        if (who) add(who, now.received - before.received, now.lost - before.lost, (s.jitter ?? 0) * 1000);
      } else if (s.type === "remote-inbound-rtp" && this.participantId) {
        // What the server receives of what we send: its receiver reports.
        const lost = typeof s.fractionLost === "number" ? s.fractionLost : 0;
        add(this.participantId, 1000, lost * 1000, (s.jitter ?? 0) * 1000);
      }
    });
    this._holdForRepairs(videos, rtt);
    for (const [who, sum] of sums) {
      const total = sum.received + sum.lost;
      /** @type {Omit<LinkQuality, "level">} */
      const q = { loss: total > 0 ? sum.lost / total : null, jitter_ms: sum.jitter, rtt_ms: rtt };
      result.set(who, { ...q, level: qualityLevel(q) });
    }
    return result;
  }

  /**
   * Hold each received video stream back by `playoutHold` (see there).
   * @param {{track: string, received: number, nacks: number, froze: boolean}[]} videos
   * @param {number|null} rtt_ms
   */
  _holdForRepairs(videos, rtt_ms) {
    const pc = this.pc;
    if (!pc) return;
    /** @type {Map<string, any>} receiving track id -> its receiver */
    const receivers = new Map();
    for (const r of pc.getReceivers()) if (r.track) receivers.set(r.track.id, r);
    for (const v of videos) {
      const receiver = receivers.get(v.track);
      if (!receiver || !("jitterBufferTarget" in receiver)) continue;
      const nackRate = v.received > 0 ? v.nacks / v.received : 0;
      const held = this._holds.get(v.track) ?? null;
      const next = playoutHold(held, { rtt_ms, nackRate, froze: v.froze });
      if (next === held) continue;
      this._holds.set(v.track, next);
      try {
        receiver.jitterBufferTarget = next;
      } catch {
        // an older browser without the setter: it plays as it always did
      }
    }
  }

  _closePc() {
    this._generation += 1;
    if (this.pc) {
      this.pc.ontrack = null;
      this.pc.onconnectionstatechange = null;
      this.pc.close();
      this.pc = null;
      this._emit("pc", { pc: null });
    }
    this._camera?.lowTrack.stop();
    this._camera = null;
    this._audio = null;
    this._counters.clear();
    this._holds.clear();
    this.layers.clear();
    this.tracks = {};
    this._updateStreams();
  }

  /** A fresh RTCPeerConnection and the client's offer with its own microphone and camera. */
  _startMedia() {
    this._closePc();
    const generation = this._generation;
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: "max-bundle" });
    this.pc = pc;
    const stream = this.localStream ?? new MediaStream();
    const audio = stream.getAudioTracks()[0];
    const mic = pc.addTransceiver(audio ?? "audio", { direction: "sendrecv", streams: [stream] });
    this._audio = audio ? mic.sender : null;
    const camera = stream.getVideoTracks()[0];
    if (camera) this._addCamera(pc, stream, camera);
    else pc.addTransceiver("video", { direction: "sendrecv", streams: [stream] });
    this._applySending().catch(() => {}); // in the lobby: connect, but send nothing yet
    pc.ontrack = (ev) => {
      ev.track.addEventListener("unmute", () => this._updateStreams());
      this._updateStreams();
    };
    pc.onconnectionstatechange = () => {
      // A failed connection with the socket still up: start media again (the server replaces
      // the failed peer). With the socket down, the reconnect will do it.
      if (pc.connectionState === "failed" && this.pc === pc && this.status === "admitted") {
        this._startMedia().catch((e) => this._mediaFailed(e));
      }
    };
    this._emit("pc", { pc });
    return this._offer(pc, generation, 0);
  }

  /**
   * Send our offer; on `offer_collision` (the server's own offer is pending) roll back, let the
   * server's offer (queued behind this step) be answered first, then offer again.
   * @param {RTCPeerConnection} pc @param {number} generation @param {number} attempt
   * @returns {Promise<void>}
   */
  _offer(pc, generation, attempt) {
    return this._enqueue(async () => {
      if (generation !== this._generation) return;
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      if (generation !== this._generation) return;
      /** @type {MediaAnswerAck} */
      let ack;
      try {
        ack = await this.request("media:offer", { sdp: pc.localDescription?.sdp ?? "" });
      } catch (e) {
        if (!(e instanceof ProtocolError) || e.code !== "offer_collision" || attempt >= 3) throw e;
        await pc.setLocalDescription({ type: "rollback" });
        this._offer(pc, generation, attempt + 1).catch((err) => this._mediaFailed(err));
        return;
      }
      if (generation !== this._generation) return;
      this.tracks = ack.tracks ?? {};
      await pc.setRemoteDescription({ type: "answer", sdp: ack.sdp });
      await this._applySending().catch(() => {});
      this._updateStreams();
    });
  }

  /** @param {ServerOffer} offer */
  _onServerOffer(offer) {
    const generation = this._generation;
    this._enqueue(async () => {
      const pc = this.pc;
      if (!pc || generation !== this._generation) return;
      this.tracks = offer.tracks ?? {};
      await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      if (generation !== this._generation) return;
      await this.request("media:answer", { sdp: pc.localDescription?.sdp ?? "" });
      this._updateStreams();
    }).catch((e) => this._mediaFailed(e));
  }

  /** @param {unknown} e */
  _mediaFailed(e) {
    const err = e instanceof ProtocolError ? e : new ProtocolError("media_failed", String(e));
    if (this.debug) console.error("pendopo media", err.code, err.message);
    this._emit("error", { code: err.code, message: err.message });
    if (["room_ended", "removed", "denied"].includes(err.code)) this._fail(err);
  }

  /** @template T @param {() => Promise<T>} step @returns {Promise<T>} */
  _enqueue(step) {
    const run = this._queue.then(step, step);
    this._queue = run.catch(() => {});
    return run;
  }

  /** Rebuild participant -> MediaStream from the mid map and the live transceivers. */
  _updateStreams() {
    /** @type {Map<string, MediaStreamTrack[]>} */
    const wanted = new Map();
    const pc = this.pc;
    if (pc) {
      for (const tr of pc.getTransceivers()) {
        const info = tr.mid != null ? this.tracks[tr.mid] : undefined;
        if (!info || info.participant === this.participantId) continue;
        const dir = tr.currentDirection;
        if (dir !== "sendrecv" && dir !== "recvonly") continue;
        const list = wanted.get(info.participant) ?? [];
        list.push(tr.receiver.track);
        wanted.set(info.participant, list);
      }
    }
    let changed = false;
    for (const [id, stream] of this._streams) {
      if (!wanted.has(id)) {
        this._streams.delete(id);
        changed = true;
        continue;
      }
      const keep = new Set(wanted.get(id));
      for (const t of stream.getTracks()) {
        if (!keep.has(t)) {
          stream.removeTrack(t);
          changed = true;
        }
      }
    }
    for (const [id, tracks] of wanted) {
      let stream = this._streams.get(id);
      if (!stream) {
        stream = new MediaStream();
        this._streams.set(id, stream);
        changed = true;
      }
      for (const t of tracks) {
        if (!stream.getTracks().includes(t)) {
          stream.addTrack(t);
          changed = true;
        }
      }
    }
    if (changed) this._emit("media", { streams: this._streams });
  }

  // -- internals: events ----------------------------------------------------------------------

  /** @param {Status} status @param {string} [reason] @param {string} [message] */
  _setStatus(status, reason, message) {
    if (this.status === status && !reason) return;
    this.status = status;
    this._emit("status", { status, reason, message });
  }

  /** @param {string} type @param {unknown} detail */
  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
