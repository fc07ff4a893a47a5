// The meeting page at /j/{room}: join form -> lobby -> in session -> the end.
// All talking to the server goes through protocol.js (MeetingClient); this module only renders.
// For tests and support: window.pendopo = {client, pc} (see docs/ui.md).

import { $, h } from "./dom.js";
import { api } from "./http.js";
import { apply, lang, t, withLang } from "./i18n.js";
import { deviceError, listDevices, openDevice, openDevices, setupDevices, switchError, useSpeaker } from "./devices.js";
import "./room-strings.js";

/** @typedef {import("./protocol.js").MeetingClient} MeetingClient */
/** @type {Promise<typeof import("./protocol.js")>|null} */
let protocolModule = null;
/**
 * protocol.js and socket.io (about half the page's bytes) load once the join form is usable:
 * over a 256 kbit/s, 600 ms link the name field must not wait for them.
 */
function loadProtocol() {
  protocolModule ??= import("./protocol.js");
  return protocolModule;
}

/**
 * What only the session needs (raise hand, presenting, speaker view, the people and lobby lists,
 * the yes/no dialog, the session's text; ~13 KB gzipped) is not part of the join form's first
 * visit: it loads when the form is touched, Join pressed, or the form comes filled in, and
 * enter() waits for it.
 * @typedef {typeof import("./hands.js") & typeof import("./presenting.js") & typeof import("./speaker-view.js")
 *   & typeof import("./lobby-list.js") & typeof import("./confirm.js")} SessionUi
 */
/** @type {Promise<void>|null} */
let sessionLoading = null;
/** @type {SessionUi|null} set before any join */
let sessionUi = null;
function loadSession() {
  // literal paths: the server versions them (web/static_files.py)
  sessionLoading ??= Promise.all([
    import("./hands.js"),
    import("./presenting.js"),
    import("./speaker-view.js"),
    import("./lobby-list.js"),
    import("./confirm.js"),
    import("./session-strings.js"),
  ]).then(
    (modules) => {
      const ui = /** @type {SessionUi} */ (Object.assign({}, ...modules));
      ui.setupHands(() => client, act);
      ui.setupPresenting(() => client, act, () => client?.state && renderState(client.state));
      sessionUi = ui;
    },
    (e) => {
      sessionLoading = null; // tried again at the next Join
      throw e;
    },
  );
  return sessionLoading;
}

/** @typedef {import("./protocol.js").RoomState} RoomState */
/** @typedef {import("./protocol.js").Participant} Participant */
/** @typedef {import("./protocol.js").LobbyEntry} LobbyEntry */
/** @typedef {import("./protocol.js").Site} Site */

const ROOM = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() ?? "");
/** localStorage: the remembered name, only when the person ticked "remember me". */
const REMEMBER_KEY = "pendopo.remember";
/** sessionStorage (this tab only): how to come back after a reload within the grace period. */
const RESUME_KEY = `pendopo.resume.${ROOM}`;
/**
 * The invite token of an invite link (`/j/<room>#invite=<token>`). It lives in the URL fragment,
 * which the browser never sends to a server (no access log sees it); it goes only into `join`.
 */
const INVITE = new URLSearchParams(location.hash.slice(1)).get("invite");

const nameInput = /** @type {HTMLInputElement} */ ($("name"));
const siteSelect = /** @type {HTMLSelectElement} */ ($("site"));
const villageSelect = /** @type {HTMLSelectElement} */ ($("village"));
const remember = /** @type {HTMLInputElement} */ ($("remember"));

/** @param {"join"|"lobby"|"session"|"end"} view */
function show(view) {
  const before = document.body.dataset.view;
  for (const v of ["join", "lobby", "session", "end"]) $(`${v}-view`).hidden = v !== view;
  document.body.dataset.view = view;
  // The device pickers of the pre-join check serve in the session too (its "Devices" panel).
  if (view === "session") $("devices-panel").append($("devices"));
  else if (view === "join") $("preview-devices").append($("devices"));
  // A new view: focus its heading, so a screen reader says where we are (not <body>).
  const heading = /** @type {HTMLElement|null} */ ($(`${view}-view`).querySelector("h1"));
  if (before && before !== view && heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

/** Human text for an error code from the server (or protocol.js). @param {unknown} e */
function errorText(e) {
  if (e instanceof Error && "code" in e) {
    const key = `err.${/** @type {any} */ (e).code}`;
    const text = t(key);
    if (text !== key) return text;
    return e.message || t("error.generic");
  }
  return t("error.generic");
}

// ---------------------------------------------------------------------------------------------
// Page state

/** @type {MeetingClient|null} */
let client = null;
/** @type {MediaStream|null} */
let localStream = null;
let isHost = false;
let myName = "";
/** Set once the person touched the Audio only toggle: then we never switch it for them. */
let audioOnlyTouched = false;
/** @type {import("./lobby-list.js").GroupedList<Participant>|null} */
let peopleList = null;
/** @type {import("./lobby-list.js").GroupedList<LobbyEntry>|null} */
let lobbyList = null;
/** Autoplay with sound was refused (no click on this page yet, e.g. after a reload). */
let soundBlocked = false;
/** Whether the join ack came: before it, failures belong on the join form. */
let joined = false;
/** Camera and microphone asked for (the preview); joining waits for it. */
let previewReady = Promise.resolve();
/** The join form is filled in (account, remembered name, site list): Join waits for it. */
let pageReady = Promise.resolve();
/** @typedef {import("./protocol.js").LinkQuality} LinkQuality */
/** @type {Map<string, LinkQuality>} live link quality per participant id (getStats) */
let quality = new Map();
/** How often the link-quality indicators are read from getStats (ms). */
const QUALITY_EVERY = 2000;
/** This page's host ended the session (its end page then leads back to the sessions). */
let endedHere = false;
/** Last-N: the layout of the tiles and which of them are on screen (speaker-view.js). */
let speakerView = /** @type {import("./speaker-view.js").SpeakerView|null} */ (null);

window.pendopo = {
  get client() {
    return client;
  },
  get pc() {
    return client?.pc ?? null;
  },
};

// ---------------------------------------------------------------------------------------------
// Join page

async function loadSites(/** @type {string|null} */ parent) {
  const q = parent ? `?parent=${encodeURIComponent(parent)}` : "";
  const data = await api("GET", `/api/sites/picker${q}`);
  /** @type {Site[]} */
  const items = Array.isArray(data) ? data : (data.items ?? data.sites ?? []);
  return items;
}

/** @param {HTMLSelectElement} select @param {Site[]} sites @param {string} emptyKey */
function fillSelect(select, sites, emptyKey) {
  select.replaceChildren(h("option", { value: "", text: t(emptyKey) }));
  for (const s of sites) select.append(h("option", { value: s.code, text: s.name }));
}

async function setupSitePicker(/** @type {{kecamatan?: string, village?: string}} */ initial) {
  try {
    fillSelect(siteSelect, await loadSites(null), "join.site.choose");
  } catch {
    $("join-error").textContent = t("join.sitesFailed");
    return;
  }
  siteSelect.addEventListener("change", () => loadVillages(siteSelect.value));
  // The type-ahead search over every village and kecamatan loads only when someone uses it.
  const search = /** @type {HTMLInputElement} */ ($("site-search"));
  const attach = () =>
    import("./site-search.js").then((m) =>
      m.attachSiteSearch(search, /** @type {HTMLDataListElement} */ ($("site-options")), pickSite),
    );
  search.addEventListener("focus", attach, { once: true });
  if (initial.kecamatan) {
    siteSelect.value = initial.kecamatan;
    await loadVillages(initial.kecamatan);
    if (initial.village) villageSelect.value = initial.village;
  }
}

/** A site found by the search: fill the kecamatan and village pickers with it. */
async function pickSite(/** @type {{code: string, kind: string}} */ site) {
  const kecamatan = site.kind === "kecamatan" ? site.code : site.code.split(".").slice(0, 3).join(".");
  if (siteSelect.value !== kecamatan) {
    siteSelect.value = kecamatan;
    await loadVillages(kecamatan);
  }
  villageSelect.value = site.kind === "kecamatan" ? "" : site.code;
}

async function loadVillages(/** @type {string} */ kecamatan) {
  villageSelect.disabled = true;
  fillSelect(villageSelect, [], "join.village.none");
  if (!kecamatan) return;
  try {
    fillSelect(villageSelect, await loadSites(kecamatan), "join.village.none");
    villageSelect.disabled = false;
  } catch {
    // A kecamatan without a village list can still join as the kecamatan office.
  }
}

async function startPreview() {
  const video = /** @type {HTMLVideoElement} */ ($("preview"));
  for (const tr of localStream?.getTracks() ?? []) tr.stop(); // another device was chosen
  $("preview-error").textContent = "";
  try {
    localStream = await openDevices();
  } catch (e) {
    // Join anyway (receive only); say why there is no preview, and what to do.
    $("preview-error").textContent = deviceError(e);
    localStream = null;
    await listDevices();
    return;
  }
  for (const [id, kind] of [["preview-mic", "audio"], ["preview-cam", "video"]]) {
    const on = $(id).getAttribute("aria-pressed") === "true";
    for (const tr of localStream.getTracks()) if (tr.kind === kind) tr.enabled = on;
  }
  await listDevices();
  video.srcObject = localStream;
  video.play().catch(() => {});
  startMeter(localStream);
}

/** A small microphone level bar under the preview (so people see the mic works). */
function startMeter(/** @type {MediaStream} */ stream) {
  if (!stream.getAudioTracks().length || typeof AudioContext === "undefined") return;
  try {
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    ctx.createMediaStreamSource(stream).connect(analyser);
    const buf = new Uint8Array(analyser.fftSize);
    const bar = $("preview-meter");
    const tick = () => {
      if ($("join-view").hidden) {
        ctx.close().catch(() => {});
        return;
      }
      analyser.getByteTimeDomainData(buf);
      let peak = 0;
      for (const v of buf) peak = Math.max(peak, Math.abs(v - 128));
      bar.style.width = `${Math.min(100, (peak / 128) * 200)}%`;
      requestAnimationFrame(tick);
    };
    tick();
  } catch {
    // no meter: not essential
  }
}

/** Toggles show "on"/"off" next to their (unchanging) accessible name. */
function watchToggles() {
  for (const button of document.querySelectorAll("button.toggle")) {
    const state = button.querySelector(".state");
    if (!state) continue;
    const sync = () => {
      state.textContent = t(button.getAttribute("aria-pressed") === "true" ? "ctl.on" : "ctl.off");
    };
    new MutationObserver(sync).observe(button, { attributes: true, attributeFilter: ["aria-pressed"] });
    sync();
  }
}

function previewToggles() {
  for (const [id, kind] of [
    ["preview-mic", "audio"],
    ["preview-cam", "video"],
  ]) {
    const button = $(id);
    button.addEventListener("click", () => {
      const on = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", String(on));
      for (const tr of localStream?.getTracks() ?? []) if (tr.kind === kind) tr.enabled = on;
    });
  }
}

function rememberedName() {
  try {
    return JSON.parse(localStorage.getItem(REMEMBER_KEY) ?? "null");
  } catch {
    return null;
  }
}

/** @returns {{token: string, name: string, site: string|null}|null} */
function storedResume() {
  try {
    return JSON.parse(sessionStorage.getItem(RESUME_KEY) ?? "null");
  } catch {
    return null;
  }
}

function chosenSite() {
  return villageSelect.value || siteSelect.value || null;
}

async function onJoinSubmit(/** @type {SubmitEvent} */ ev) {
  ev.preventDefault();
  loadSession().catch(() => {}); // while the form is checked and the preview waited for
  await pageReady;
  const err = $("join-error");
  err.textContent = "";
  const name = nameInput.value.trim();
  if (!name) {
    err.textContent = t("join.needName");
    nameInput.focus();
    return;
  }
  if (!isHost && !siteSelect.value) {
    err.textContent = t("join.needSite");
    siteSelect.focus();
    return;
  }
  if (remember.checked) {
    localStorage.setItem(
      REMEMBER_KEY,
      JSON.stringify({ name, kecamatan: siteSelect.value, village: villageSelect.value }),
    );
  } else {
    localStorage.removeItem(REMEMBER_KEY);
  }
  const mic = $("preview-mic").getAttribute("aria-pressed") === "true";
  const camera = $("preview-cam").getAttribute("aria-pressed") === "true";
  await enter({ name, site: chosenSite(), resume: null, mic, camera });
}

/**
 * Connect and join (from the form, or straight away after a reload with a resume token).
 * @param {{name: string, site: string|null, resume: string|null, mic: boolean, camera: boolean}} opts
 */
async function enter({ name, site, resume, mic, camera }) {
  myName = name;
  const button = /** @type {HTMLButtonElement} */ ($("join-button"));
  button.disabled = true;
  await previewReady; // join with the camera and microphone, not before they are there
  client?.close();
  const debug = new URLSearchParams(location.search).get("debug") === "1";
  /** @type {typeof import("./protocol.js").MeetingClient} */
  let MeetingClient;
  try {
    [{ MeetingClient }] = await Promise.all([loadProtocol(), loadSession()]);
  } catch {
    // the link dropped while the page's scripts loaded: Join again tries again
    $("join-error").textContent = t("error.generic");
    button.disabled = false;
    return;
  }
  client = new MeetingClient({ room: ROOM, debug });
  client.micOn = mic;
  client.cameraOn = camera;
  wireClient(client, { name, site });
  try {
    await client.join({ name, site, resume, stream: localStream, invite: INVITE });
    joined = true;
  } catch (e) {
    if (goToNode(/** @type {any} */ (e)?.details?.node)) return;
    sessionStorage.removeItem(RESUME_KEY);
    show("join");
    $("join-error").textContent = errorText(e);
    client.close();
    client = null;
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Client events -> views

/** @param {MeetingClient} c @param {{name: string, site: string|null}} who */
function wireClient(c, who) {
  c.addEventListener("status", (ev) => {
    const { status, reason, message } = /** @type {CustomEvent} */ (ev).detail;
    onStatus(status, reason, message);
  });
  c.addEventListener("resume", (ev) => {
    const { token } = /** @type {CustomEvent} */ (ev).detail;
    sessionStorage.setItem(RESUME_KEY, JSON.stringify({ token, name: who.name, site: who.site }));
  });
  c.addEventListener("state", (ev) => renderState(/** @type {CustomEvent} */ (ev).detail));
  c.addEventListener("media", () => renderVideos());
  c.addEventListener("local", () => {
    renderLocal();
    renderNotice();
  });
  c.addEventListener("limits", () => renderNotice());
  c.addEventListener("layer", () => {
    renderVideos();
    renderNotice();
  });
  c.addEventListener("speaking", (ev) => {
    const { participant, speaking } = /** @type {CustomEvent} */ (ev).detail;
    if (speaking && participant !== c.participantId) speakerView?.spoke(participant);
    if (client?.state) renderState(client.state);
  });
  c.addEventListener("floor", () => {
    $("session-error").textContent = "";
    sessionUi?.handNote(t("hand.given"));
  });
  c.addEventListener("presentstopped", (ev) => {
    sessionUi?.stopLocalShare();
    $("session-error").textContent = t(`present.stopped.${/** @type {CustomEvent} */ (ev).detail.reason}`);
    renderVideos();
  });
  c.addEventListener("chat", (ev) => addChat(/** @type {CustomEvent} */ (ev).detail));
  c.addEventListener("chathistory", (ev) => {
    $("chat-messages").replaceChildren();
    for (const m of /** @type {CustomEvent} */ (ev).detail.messages) addChat(m);
  });
  c.addEventListener("muted", (ev) => {
    const { hard } = /** @type {CustomEvent} */ (ev).detail;
    $("session-error").textContent = t(hard ? "session.hardMuted" : "session.mutedByHost");
  });
  c.addEventListener("error", (ev) => {
    $("session-error").textContent = errorText(/** @type {CustomEvent} */ (ev).detail);
  });
}

/** @param {string} status @param {string} [reason] @param {string} [message] */
function onStatus(status, reason, message) {
  const conn = $("conn-status");
  // Refused before joining (locked, invite...): the join form explains; no red "Failed" chip.
  const refused = status === "failed" && !joined;
  conn.dataset.state = refused ? "idle" : status;
  conn.textContent = refused ? "" : t(`status.${status}`);
  if (status === "lobby") show("lobby");
  else if (status === "admitted") {
    show("session");
    renderLocal();
  } else if (status === "reconnecting") {
    // Stay where we are (session or lobby) and show it in the status bar.
    if (!joined) show("join");
  } else if (["denied", "removed", "ended", "left", "failed"].includes(status)) {
    sessionStorage.removeItem(RESUME_KEY);
    if (status === "failed" && !joined) return; // the join form shows the error
    stopLocal();
    const byMe = status === "ended" && endedHere;
    $("end-heading").textContent = t(`end.${status}.heading`);
    const code = reason ? `err.${reason}` : "";
    const detail = status === "failed" ? (t(code) !== code ? t(code) : message) : "";
    $("end-text").textContent = byMe ? t("end.endedByYou.text") : detail || t(`end.${status}.text`);
    $("end-again").setAttribute("href", withLang(location.pathname));
    $("end-again").hidden = status === "ended" || status === "removed" || status === "denied";
    $("end-sessions").setAttribute("href", withLang("/"));
    $("end-sessions").hidden = !byMe;
    show("end");
  }
}

/**
 * In the session: send the newly chosen camera or microphone instead of the current one. A
 * device the browser refuses is explained, and its picker goes back to the one still in use.
 * @param {"audio"|"video"} kind
 */
async function switchDevice(kind) {
  const select = /** @type {HTMLSelectElement} */ ($(kind === "audio" ? "mic-select" : "cam-select"));
  $("device-error").textContent = "";
  $("device-status").textContent = "";
  /** @type {MediaStreamTrack} */
  let track;
  try {
    track = await openDevice(kind);
  } catch (e) {
    $("device-error").textContent = switchError(e);
    const current = client?.localStream?.getTracks().find((x) => x.kind === kind);
    const id = current?.getSettings().deviceId ?? "";
    select.value = [...select.options].some((o) => o.value === id) ? id : "";
    return;
  }
  try {
    await client?.replaceTrack(track);
  } catch {
    track.stop();
    $("device-error").textContent = t("dev.switchFailed");
    return;
  }
  localStream = client?.localStream ?? localStream;
  $("device-status").textContent = t("dev.using", { label: track.label || select.selectedOptions[0]?.text || "" });
  await listDevices(); // labels appear once a first device was allowed
  renderVideos();
}

function stopLocal() {
  sessionUi?.stopLocalShare(); // not loaded: nothing shared
  for (const tr of localStream?.getTracks() ?? []) tr.stop();
  localStream = null;
}

// ---------------------------------------------------------------------------------------------
// In session

function renderLocal() {
  if (!client) return;
  $("mic").setAttribute("aria-pressed", String(client.micOn));
  $("camera").setAttribute("aria-pressed", String(client.cameraOn));
  renderVideos();
}

/** "Village, Kecamatan" (village names repeat across kecamatan). @param {Site|null|undefined} site */
function siteName(site) {
  return site ? (site.label ?? site.name) : "";
}

/** @param {Participant} p */
function linkText(p) {
  const link = p.link;
  if (!link) return "";
  const parts = [t(`link.${link.state}`) !== `link.${link.state}` ? t(`link.${link.state}`) : link.state];
  if (typeof link.rtt_ms === "number") parts.push(`${Math.round(link.rtt_ms)} ms`);
  if (typeof link.loss === "number" && link.loss > 0) parts.push(`${Math.round(link.loss * 100)} %`);
  return t("people.link", { health: parts.join(", ") });
}

/**
 * The server admits a participant whose site link is weak receiving audio only (rooms/weak_links.py)
 * and says so in `receive`; show the toggle on, unless the person already chose.
 * @param {RoomState} state
 */
function followServerReceive(state) {
  if (!client || audioOnlyTouched || state.receive?.video !== false || !client.receiveVideo) return;
  client.receiveVideo = false; // the server already stopped video: nothing to send
  $("audio-only").setAttribute("aria-pressed", "true");
}

/** @param {RoomState} state */
function renderState(state) {
  const ui = sessionUi;
  if (!client || !ui) return;
  const me = client.me();
  isHost = me?.role === "host";
  $("room-title").textContent = state.room?.title ?? "";
  $("session-heading").textContent = state.room?.title ?? "";
  $("host-panel").hidden = !isHost;
  ui.renderHands(client, state, isHost, act);
  // "Allow unmute" came: the hard-mute message no longer holds (nothing to click first).
  const error = $("session-error");
  if (me && !me.hard_muted && [t("session.hardMuted"), t("err.hard_muted")].includes(error.textContent ?? "")) {
    error.textContent = "";
    ui.handNote(t("session.mayUnmute"));
  }
  $("lock").setAttribute("aria-pressed", String(state.room?.state === "locked"));
  $("record").setAttribute("aria-pressed", String(Boolean(state.room?.recording)));
  $("recording-on").hidden = !state.room?.recording;
  followServerReceive(state);
  ui.renderPresenting(client, state, isHost);
  renderNotice();
  renderPeople(ui, state);
  if (isHost) renderLobby(ui, state.lobby ?? []);
  // Someone waiting shows in the tab title too, so the host notices from another tab.
  const waiting = isHost ? (state.lobby ?? []).length : 0;
  document.title = waiting ? `(${waiting}) ${state.room?.title ?? "Pendopo"}` : state.room?.title ?? "Pendopo";
  renderVideos();
}

/** @param {SessionUi} ui @param {RoomState} state */
function renderPeople(ui, state) {
  peopleList ??= new ui.GroupedList($("people-list"), t("list.searchPeople"), "people-group");
  peopleList.render(state.participants, (p) => ({ name: p.name, site: p.site }), (p) => personItem(ui, p));
}

/** One entry of the participants list. @param {SessionUi} ui @param {Participant} p */
function personItem(ui, p) {
  const nameId = `person-${p.id}`;
  const self = p.id === client?.participantId;
  const status = [];
  if (p.role === "host") status.push(t("people.host"));
  status.push(p.mic ? t("people.micOn") : p.hard_muted ? t("people.hardMuted") : t("people.muted"));
  if (!p.camera) status.push(t("people.cameraOff"));
  if (p.speaking) status.push(t("people.speaking"));
  if (p.connected === false) status.push(t("people.away"));
  const actions = [];
  if (isHost && !self) {
    actions.push(
      h("button", {
        type: "button",
        class: "secondary small",
        text: t("people.mute"),
        disabled: !p.mic,
        onclick: () => act(() => client?.mute(p.id, false)),
      }),
      p.hard_muted
        ? h("button", {
            type: "button",
            class: "secondary small",
            text: t("people.allowUnmute"),
            onclick: () => act(() => client?.allowUnmute(p.id)),
          })
        : h("button", {
            type: "button",
            class: "secondary small",
            text: t("people.hardMute"),
            onclick: () => act(() => client?.mute(p.id, true)),
          }),
      ui.presentAllowButton(p, client, act),
      h("button", {
        type: "button",
        class: "danger small",
        text: t("people.remove"),
        onclick: () =>
          act(async () => {
            const yes = await ui.confirmAction({
              title: t("confirm.remove.title", { name: p.name }),
              text: t("confirm.remove.text"),
              yes: t("people.remove"),
            });
            if (yes) await client?.remove(p.id);
          }),
      }),
    );
  }
  return (
    h(
      "li",
      { "aria-labelledby": nameId, class: p.speaking ? "speaking" : undefined },
      h(
        "div",
        { class: "who" },
        h("span", { id: nameId, class: "name", text: p.name }),
        self ? h("span", { class: "muted", text: ` (${t("people.you")})` }) : null,
      ),
      p.site ? h("div", { class: "site", text: siteName(p.site) }) : null,
      p.link ? h("div", { class: `link link-${p.link.state}`, text: linkText(p) }) : null,
      h("div", { class: `state ${p.mic ? "" : "is-muted"}`, text: status.join(" · ") }),
      actions.length ? h("div", { class: "actions" }, ...actions) : null,
    )
  );
}

/** @param {SessionUi} ui @param {LobbyEntry[]} lobby */
function renderLobby(ui, lobby) {
  lobbyList ??= new ui.GroupedList($("lobby-list"), t("list.searchLobby"), "lobby-group");
  $("lobby-empty").hidden = lobby.length > 0;
  $("admit-invited").hidden = lobby.length === 0;
  lobbyList.render(lobby, (e) => ({ name: e.name, site: e.site }), lobbyItem);
}

/** One entry of the lobby list. @param {LobbyEntry} entry */
function lobbyItem(entry) {
  const nameId = `lobby-${entry.id}`;
  return (
    h(
      "li",
      { "aria-labelledby": nameId, class: "waiting" },
      h("div", { class: "who" }, h("span", { id: nameId, class: "name", text: entry.name })),
      entry.site ? h("div", { class: "site", text: siteName(entry.site) }) : null,
      h(
        "div",
        { class: "actions" },
        h("button", {
          type: "button",
          class: "big",
          text: t("lobby.admit"),
          onclick: () => act(() => client?.admit(entry.id)),
        }),
        h("button", {
          type: "button",
          class: "danger big",
          text: t("lobby.deny"),
          onclick: () => act(() => client?.deny(entry.id)),
        }),
      ),
    )
  );
}

/** Run a request and show its error, if any. @param {() => Promise<unknown>|undefined} fn */
async function act(fn) {
  $("session-error").textContent = "";
  try {
    await fn();
  } catch (e) {
    $("session-error").textContent = errorText(e);
  }
}

/** One tile per participant (self first); video elements are reused across renders. */
function renderVideos() {
  const ui = sessionUi;
  if (!client || !ui) return;
  const grid = $("videos");
  const state = client.state;
  const streams = client.streams();
  /** @type {{id: string, name: string, stream: MediaStream|null, self: boolean, p: Participant|null, share?: boolean}[]} */
  const tiles = [];
  const shared = ui.shareTile(client); // a screen share first: shown large (presenting.js)
  if (shared) tiles.push({ ...shared, self: false, p: null });
  const me = client.me();
  // The host first (the Bupati is who everyone watches), then the others, the self-view last.
  const others = (state?.participants ?? []).filter((p) => p.id !== client?.participantId);
  others.sort((a, b) => Number(b.role === "host") - Number(a.role === "host"));
  for (const p of others) {
    tiles.push({ id: p.id, name: p.name, stream: streams.get(p.id) ?? null, self: false, p });
  }
  tiles.push({ id: "self", name: me?.name ?? myName, stream: localStream, self: true, p: me });
  const keep = new Set(tiles.map((x) => `tile-${x.id}`));
  for (const child of [...grid.children]) if (!keep.has(child.id)) child.remove();
  tiles.forEach((tile, index) => {
    let box = /** @type {HTMLElement|null} */ (document.getElementById(`tile-${tile.id}`));
    if (!box) {
      const video = h("video", { autoplay: true, playsinline: true });
      if (tile.self) video.muted = true;
      else useSpeaker(/** @type {HTMLVideoElement} */ (video)).catch(() => {});
      box = h("figure", { id: `tile-${tile.id}`, class: "tile" }, video, h("figcaption"));
    }
    if (grid.children[index] !== box) grid.insertBefore(box, grid.children[index] ?? null);
    const video = /** @type {HTMLVideoElement} */ (box.querySelector("video"));
    video.setAttribute("aria-label", tile.name);
    if (video.srcObject !== tile.stream) {
      video.srcObject = tile.stream;
      if (tile.stream) playVideo(video);
    }
    const p = tile.p;
    const cameraOff = tile.self ? !client?.cameraOn : p ? !p.camera : false;
    const micOff = tile.self ? !client?.micOn : p ? !p.mic : false;
    box.classList.toggle("share", Boolean(tile.share));
    box.classList.toggle("speaking", Boolean(p?.speaking));
    const layer = tile.self ? undefined : client?.layers.get(tile.id);
    // Audio only keeps the host's video as a still; other video is not received at all.
    const notReceived = !tile.self && !client?.receiveVideo && p?.role !== "host";
    box.classList.toggle("no-video", cameraOff || notReceived || layer?.layer === "off");
    const caption = /** @type {HTMLElement} */ (box.querySelector("figcaption"));
    const bits = [tile.self ? `${tile.name} (${t("people.you")})` : tile.name];
    if (p?.site) bits.push(siteName(p.site));
    // A narrow tile cuts it with "…" (CSS): the tooltip has it whole.
    const full = bits.join(" · ");
    caption.title = full;
    caption.replaceChildren(h("span", { class: "name", text: full }));
    const q = quality.get(tile.self ? (client?.participantId ?? "") : tile.id);
    if (q) caption.append(qualityBadge(q, tile.name));
    const badge = (/** @type {string} */ cls, /** @type {string} */ text) =>
      caption.append(h("span", { class: cls, text, title: text }));
    if (micOff) badge("badge", t("people.muted"));
    if (p?.speaking) badge("badge speak", t("people.speaking"));
    const layerKey = layer && !cameraOff ? layerBadgeKey(layer) : null;
    if (layerKey) badge("badge layer", t(layerKey));
    const hand = (state?.hands ?? []).indexOf(tile.self ? (client?.participantId ?? "") : tile.id) + 1;
    if (hand) badge("badge hand", t("hand.badge", { n: hand }));
  });
  speakerView ??= new ui.SpeakerView((shown) => client?.setShown(shown).catch(() => {}));
  speakerView.arrange(
    tiles.map((x) => ({ id: x.id, name: x.name, self: x.self, host: x.p?.role === "host", share: x.share })),
  );
}

/**
 * Why a video is reduced, for its caption (null: shown as sent).
 * @param {import("./protocol.js").MediaLayer} layer
 */
function layerBadgeKey(layer) {
  if (layer.layer === "still") return "layer.still";
  if (layer.layer === "off" && layer.reason === "bandwidth") return "layer.offWeak";
  if ((layer.layer === "low" || layer.layer === "low_base") && layer.reason !== "ok") return "layer.low";
  return null;
}

/**
 * A small signal-bars indicator of a participant's live link quality; its accessible name says
 * the level and the figures.
 * @param {LinkQuality} q @param {string} name
 */
function qualityBadge(q, name) {
  const figures = [];
  if (q.loss !== null) figures.push(t("quality.loss", { pct: (q.loss * 100).toFixed(1) }));
  if (q.rtt_ms !== null) figures.push(t("quality.rtt", { ms: Math.round(q.rtt_ms) }));
  if (q.jitter_ms !== null) figures.push(t("quality.jitter", { ms: Math.round(q.jitter_ms) }));
  const label = t("quality.label", { name, level: t(`quality.${q.level}`), figures: figures.join(", ") });
  const bars = q.level === "good" ? 3 : q.level === "fair" ? 2 : 1;
  const span = h("span", { class: `quality q-${q.level}`, role: "img", "aria-label": label, title: label });
  for (let i = 1; i <= 3; i += 1) span.append(h("i", { class: i <= bars ? "on" : undefined }));
  return span;
}

/** Read the link quality every few seconds while in the session. */
function watchQuality() {
  setInterval(async () => {
    if (!client || client.status !== "admitted" || $("session-view").hidden) return;
    try {
      quality = await client.linkQuality();
    } catch {
      return; // the connection is being replaced: next time
    }
    renderVideos();
  }, QUALITY_EVERY);
}

/** The weak-link reasons of the server (`auto` of room:state, `reason` of media:limits). */
const WEAK_REASONS = new Set([
  "vsat",
  "low_capacity",
  "slow_link",
  "lossy_link",
  "link_down",
  "link_degraded",
  "link_unreachable",
]);

/** @param {string} reason */
function whyText(reason) {
  const key = `why.${reason}`;
  return t(key) !== key ? t(key) : reason;
}

/**
 * Say why video is reduced or off, and what our own camera sends (the server's receive mode,
 * `media:layer` and `media:limits`).
 */
function renderNotice() {
  const box = $("media-notice");
  if (!client) {
    box.textContent = "";
    return;
  }
  const lines = [];
  const receive = client.state?.receive;
  const limits = client.limits;
  const layers = [...client.layers.values()];
  if (receive?.video === false || !client.receiveVideo) {
    lines.push(receive?.auto ? t("notice.weakAudioOnly", { why: whyText(receive.auto) }) : t("notice.audioOnly"));
  } else if (
    (limits && WEAK_REASONS.has(limits.reason)) ||
    layers.some((l) => l.reason === "ceiling" && l.layer !== "high")
  ) {
    lines.push(t("notice.fallback")); // video switched on over a weak link: low layer, audio first
  } else if (layers.some((l) => l.reason === "server_busy")) {
    lines.push(t("notice.serverBusy")); // the server sheds video for everyone (media/load_guard.py)
  } else if (layers.some((l) => l.reason === "bandwidth" && l.layer === "off")) {
    lines.push(t("notice.videoOff"));
  } else if (layers.some((l) => l.reason === "bandwidth")) {
    lines.push(t("notice.videoReduced"));
  }
  if (client.cameraOn && limits?.unseen) {
    lines.push(t("notice.cameraUnseen")); // nobody shows our tile: nothing of the camera is sent
  } else if (client.cameraOn && limits && limits.reason !== "ok") {
    lines.push(t(limits.reason === "audio_only" ? "notice.cameraStill" : limits.low_only ? "notice.cameraLow" : "notice.cameraReduced"));
  }
  box.textContent = lines.join(" ");
}

/**
 * Scale-out: the session is served by another node (docs/scaling.md); open this page there.
 * @param {unknown} node base URL of the node, or undefined
 */
function goToNode(node) {
  if (typeof node !== "string") return false;
  let target;
  try {
    target = new URL(node);
  } catch {
    return false;
  }
  if (target.origin === location.origin || !/^https?:$/.test(target.protocol)) return false;
  location.replace(target.origin + location.pathname + location.search);
  return true;
}

/** Play, falling back to muted playback when the browser refuses sound without a click. */
function playVideo(/** @type {HTMLVideoElement} */ video) {
  video.play().catch((e) => {
    if (e?.name !== "NotAllowedError") return;
    video.muted = true;
    soundBlocked = true;
    showSoundButton();
    video.play().catch(() => {});
  });
}

function showSoundButton() {
  if (!soundBlocked || document.getElementById("sound-on")) return;
  const button = h("button", {
    type: "button",
    id: "sound-on",
    class: "big",
    text: t("ctl.soundOn"),
    onclick: () => {
      soundBlocked = false;
      for (const v of $("videos").querySelectorAll("figure:not(#tile-self) video")) {
        /** @type {HTMLVideoElement} */ (v).muted = false;
      }
      button.remove();
    },
  });
  $("session-error").before(button);
}

async function setAudioOnly(/** @type {boolean} */ on) {
  if (!client) return;
  $("audio-only").setAttribute("aria-pressed", String(on));
  try {
    await client.setReceiveVideo(!on);
  } catch (e) {
    $("audio-only").setAttribute("aria-pressed", String(!on));
    throw e;
  }
  renderVideos();
}

/** @param {{from: string, name: string, text: string, ts: number}} m */
function addChat(m) {
  const time = new Date(m.ts * 1000).toLocaleTimeString(lang() === "en" ? "en-GB" : "id-ID", {
    hour: "2-digit",
    minute: "2-digit",
  });
  const log = $("chat-log");
  $("chat-messages").append(
    h(
      "li",
      {},
      h("span", { class: "time muted", text: time }),
      " ",
      h("strong", { text: m.name }),
      ": ",
      h("span", { text: m.text }),
    ),
  );
  log.scrollTop = log.scrollHeight;
}

function setupSessionControls() {
  $("mic").addEventListener("click", () =>
    act(async () => {
      if (!client) return;
      try {
        await client.setMic(!client.micOn);
      } catch (e) {
        const { ProtocolError } = await loadProtocol();
        if (e instanceof ProtocolError && e.code === "forbidden") throw new ProtocolError("hard_muted", "");
        throw e;
      }
    }),
  );
  $("camera").addEventListener("click", () => act(async () => client?.setCamera(!client.cameraOn)));
  $("audio-only").addEventListener("click", () => {
    audioOnlyTouched = true;
    act(() => setAudioOnly($("audio-only").getAttribute("aria-pressed") !== "true"));
  });
  $("devices-toggle").addEventListener("click", () => {
    const open = $("devices-toggle").getAttribute("aria-expanded") !== "true";
    $("devices-toggle").setAttribute("aria-expanded", String(open));
    $("devices-panel").hidden = !open;
    if (open) listDevices().catch(() => {});
  });
  $("leave").addEventListener("click", () => act(async () => client?.leave()));
  $("lobby-leave").addEventListener("click", () => act(async () => client?.leave()));
  $("mute-all").addEventListener("click", () => act(async () => client?.muteAll(false)));
  $("admit-invited").addEventListener("click", () =>
    act(async () => {
      try {
        await client?.admitInvited();
      } catch (e) {
        const { ProtocolError } = await loadProtocol();
        // not_found: the session invited no site (the generic text would say "session not found")
        if (e instanceof ProtocolError && e.code === "not_found") throw new ProtocolError("no_invited", "");
        throw e;
      }
    }),
  );
  $("record").addEventListener("click", () =>
    act(async () => client?.record($("record").getAttribute("aria-pressed") !== "true")),
  );
  $("recordings-link").setAttribute("href", withLang(`/rooms/${encodeURIComponent(ROOM)}/recordings`));
  $("lock").addEventListener("click", () =>
    act(async () => client?.lock($("lock").getAttribute("aria-pressed") !== "true")),
  );
  $("end").addEventListener("click", () =>
    act(async () => {
      const yes = await sessionUi?.confirmAction({
        title: t("confirm.end.title"),
        text: t("confirm.end.text"),
        yes: t("host.end"),
      });
      if (!yes || !client) return;
      endedHere = true;
      try {
        await client.end();
      } catch (e) {
        endedHere = false;
        throw e;
      }
    }),
  );
  const chatInput = /** @type {HTMLInputElement} */ ($("chat-text"));
  $("chat-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = chatInput.value.trim();
    if (!text) return;
    act(async () => {
      await client?.sendChat(text);
      chatInput.value = "";
    });
  });
  window.addEventListener("pagehide", () => client?.close());
}

// ---------------------------------------------------------------------------------------------
// Start

async function main() {
  /** @type {() => void} */
  let ready = () => {};
  pageReady = new Promise((resolve) => {
    ready = () => resolve(undefined);
  });
  try {
    await init();
  } finally {
    ready();
  }
}

async function init() {
  apply();
  $("lang-link").setAttribute("href", lang() === "en" ? location.pathname : "?lang=en");
  setupSessionControls();
  watchQuality();
  previewToggles();
  watchToggles();
  setupDevices(async (kind) => {
    if (client && document.body.dataset.view === "session") {
      await switchDevice(kind);
      return;
    }
    previewReady = startPreview();
    await previewReady;
  });
  show("join");
  // Listen at once: a click on Join before the page is ready must not submit the form natively.
  $("join-form").addEventListener("submit", onJoinSubmit);
  // The session's modules load once the person starts on the form (Join waits for them anyway).
  for (const type of ["focusin", "input"]) {
    $("join-form").addEventListener(type, () => loadSession().catch(() => {}), { once: true });
  }
  /** @type {HTMLButtonElement} */ ($("join-button")).disabled = false; // disabled until now
  loadProtocol().catch(() => {}); // in the background; Join awaits it

  // Both reads at once: each round trip is 600 ms over VSAT.
  const me = api("GET", "/api/me").catch(() => null);
  /** @type {{title: string, state: string}|null} */
  let info = null;
  /** @type {any} */
  let data;
  try {
    data = await api("GET", `/api/rooms/${encodeURIComponent(ROOM)}`);
    info = data.room ?? data;
  } catch (e) {
    $("join-error").textContent = t("join.noRoom");
    /** @type {HTMLButtonElement} */ ($("join-button")).disabled = true;
    return;
  }
  if (goToNode(data.node)) return;
  $("room-title").textContent = info?.title ?? "";
  $("join-room").textContent = info?.title ? t("join.room", { title: info.title }) : "";
  if (typeof data.room?.opens_at === "number" && data.room.opens_at * 1000 > Date.now()) {
    const clock = (/** @type {number} */ s) =>
      new Date(s * 1000).toLocaleString(lang() === "en" ? "en-GB" : "id-ID", {
        timeZone: "Asia/Jakarta",
        dateStyle: "medium",
        timeStyle: "short",
      });
    $("join-room").textContent += ` ${t("join.opensAt", { start: clock(data.room.starts_at), opens: clock(data.room.opens_at) })}`;
  }
  if (info?.state === "ended") {
    onStatus("ended");
    return;
  }

  // Reload within the grace period: straight back in, no form, no lobby.
  const resume = storedResume();
  if (resume?.token) {
    previewReady = startPreview();
    await enter({ name: resume.name, site: resume.site, resume: resume.token, mic: true, camera: true });
    return;
  }

  /** @type {{display_name?: string, username: string, role: string, site_code?: string|null}|null} */
  const user = (await me)?.user ?? null;
  isHost = Boolean(user && (user.role === "admin" || user.role === "host"));
  if (user) {
    $("nav-sessions").hidden = false; // back to the sessions list (a site seat: its start page)
    $("nav-sessions").setAttribute("href", withLang("/"));
  }
  const saved = rememberedName();
  if (user) nameInput.value = user.display_name || user.username;
  else if (saved?.name) {
    nameInput.value = saved.name;
    remember.checked = true;
  }
  remember.addEventListener("change", () => {
    if (!remember.checked) localStorage.removeItem(REMEMBER_KEY);
  });
  previewReady = startPreview();
  await Promise.all([
    previewReady,
    setupSitePicker({
      kecamatan: saved?.kecamatan ?? user?.site_code?.split(".").slice(0, 3).join(".") ?? undefined,
      village: saved?.village ?? (user?.site_code?.split(".").length === 4 ? user.site_code : undefined),
    }),
  ]);
  // Filled in already (an account, a remembered name): Join is next, so load the session's
  // modules now, after what the form needed.
  if (user || saved?.name) loadSession().catch(() => {});
}

main();
