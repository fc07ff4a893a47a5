// A session's recordings (/rooms/{id}/recordings): the list, and a player that shows the active
// speaker's video with everyone's audio, from one WebM file per participant, and a screen share
// large while it ran, the speaker small beside it (docs/recording.md).

import { apply, dateTime, register, t } from "./i18n.js";
import { ApiError, api } from "./http.js";
import { setupHeader } from "./header.js";

register({
  id: {
    "rec.title": "Rekaman sesi",
    "rec.none": "Sesi ini belum pernah direkam.",
    "rec.play": "Putar",
    "rec.pause": "Jeda",
    "rec.position": "Posisi",
    "rec.files": "Berkas per peserta (WebM)",
    "rec.item": "{when} · {duration} · {count} peserta",
    "rec.running": "sedang merekam",
    "rec.download": "Unduh {name}",
    "rec.download-screen": "Unduh layar {name}",
    "rec.screen": "Layar {name}",
    "rec.speaker": "Berbicara: {name}",
    "rec.heading": "Rekaman {title}, {when}",
    "rec.error": "Rekaman tidak dapat dimuat: {message}",
  },
  en: {
    "rec.title": "Session recordings",
    "rec.none": "This session has not been recorded.",
    "rec.play": "Play",
    "rec.pause": "Pause",
    "rec.position": "Position",
    "rec.files": "Files per participant (WebM)",
    "rec.item": "{when} · {duration} · {count} participants",
    "rec.running": "recording now",
    "rec.download": "Download {name}",
    "rec.download-screen": "Download screen of {name}",
    "rec.screen": "Screen of {name}",
    "rec.speaker": "Speaking: {name}",
    "rec.heading": "Recording of {title}, {when}",
    "rec.error": "The recordings cannot be loaded: {message}",
  },
});

const roomId = decodeURIComponent(location.pathname.split("/")[2] || "");
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @param {number} epoch */
function when(epoch) {
  return `${dateTime(epoch)} WIB`;
}

/** @param {number} s */
function clock(s) {
  const whole = Math.max(0, Math.floor(s));
  const h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), sec = whole % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${h ? h + ":" : ""}${mm}:${String(sec).padStart(2, "0")}`;
}

/** @param {string} rec @param {string} file @param {boolean} [download] */
function fileUrl(rec, file, download) {
  const base = `/api/rooms/${encodeURIComponent(roomId)}/recordings/${encodeURIComponent(rec)}/${encodeURIComponent(file)}`;
  return download ? base + "?download=1" : base;
}

/** Who speaks at second ``at``: the latest to start speaking who has not stopped, else the
 * last one who spoke, else the first participant.
 * @param {any} recording @param {number} at */
export function speakerAt(recording, at) {
  const speaking = new Set();
  let latest = null, last = null;
  for (const [time, who, on] of recording.timeline) {
    if (time > at) break;
    if (on) { speaking.add(who); latest = who; last = who; }
    else { speaking.delete(who); if (latest === who) latest = [...speaking].pop() ?? null; }
  }
  return latest ?? last ?? recording.participants[0]?.id ?? null;
}

/** @type {{stop: () => void} | null} */
let current = null;

/** A video is ready to show its picture at its own pace: not seeking, data ahead of the
 * current position, not stalled ("waiting").
 * @param {HTMLVideoElement} v @param {Set<HTMLVideoElement>} stalled */
function ready(v, stalled) {
  return !v.seeking && v.readyState >= HTMLMediaElement.HAVE_FUTURE_DATA && !stalled.has(v);
}

/** @param {any} recording */
function play(recording) {
  current?.stop();
  const player = $("player");
  player.hidden = false;
  $("player-title").textContent = t("rec.heading", { title: recording.title, when: when(recording.started_at) });
  const main = $("rec-main");
  main.replaceChildren();
  const duration = recording.duration_s ?? 0;
  /** @type {Set<HTMLVideoElement>} */
  const stalled = new Set();
  const people = recording.participants.filter((/** @type {any} */ p) => !p.screen_of);
  const videos = recording.participants.map((/** @type {any} */ p) => {
    const v = document.createElement("video");
    v.src = fileUrl(recording.id, p.file);
    v.preload = "auto";
    v.playsInline = true;
    v.hidden = true;
    if (p.screen_of) v.className = "rec-share";
    v.setAttribute("aria-label", p.screen_of ? t("rec.screen", { name: p.name }) : p.name);
    v.addEventListener("waiting", () => stalled.add(v));
    for (const ok of ["playing", "canplay", "seeked"]) v.addEventListener(ok, () => stalled.delete(v));
    main.append(v);
    return { p, v };
  });
  const files = $("rec-files");
  files.replaceChildren(...recording.participants.map((/** @type {any} */ p) => {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = fileUrl(recording.id, p.file, true);
    a.textContent = t(p.screen_of ? "rec.download-screen" : "rec.download", { name: p.name });
    li.append(a);
    return li;
  }));
  const seek = /** @type {HTMLInputElement} */ ($("rec-seek"));
  seek.max = String(duration);
  seek.value = "0";
  // The player's clock runs while the large video is ready and waits while it is not (seeking,
  // no data ahead, stalled): a slow machine plays slowly instead of seeking forever.
  let position = 0, playing = false, tick = performance.now();
  /** @type {{p: any, v: HTMLVideoElement} | null} */
  let large = null;
  const button = $("rec-play");
  const advance = () => {
    const now = performance.now();
    const elapsed = (now - tick) / 1000;
    tick = now;
    if (!playing) return;
    if (large === null || large.v.ended) position += elapsed;  // nothing to wait for
    else if (ready(large.v, stalled) && !large.v.paused) position += elapsed;
  };
  const sync = () => {
    advance();
    const at = Math.min(position, duration);
    if (playing && at >= duration) { pause(); }
    const speaker = speakerAt({ ...recording, participants: people }, at);
    // a camera file starts a moment after the recording (its first keyframe): shown from then
    /** @param {any} p */
    const inside = (p) => at >= p.start_s - (p.screen_of ? 0 : 0.5) && at <= (p.end_s ?? duration);
    const share = videos.find(({ p }) => p.screen_of && inside(p)) ?? null;
    const face = videos.find(({ p }) => !p.screen_of && p.id === speaker && inside(p)) ?? null;
    large = share ?? face;
    for (const entry of videos) {
      const { p, v } = entry;
      // each file is stamped on the recording's clock (its first packet at its arrival
      // time, docs/recording.md), and Chromium keeps those times: a file starting at 2.6 s
      // has its first frame at currentTime 2.6, not 0
      const local = at;
      v.hidden = !(entry === large || entry === face);
      v.classList.toggle("rec-thumb", entry === face && share !== null);
      if (!inside(p)) { if (!v.paused) v.pause(); continue; }
      // the shown videos keep to the clock closely; the others are only heard
      const slack = v.hidden ? 1.0 : 0.4;
      if (!v.seeking && Math.abs(v.currentTime - local) > slack) v.currentTime = local;
      if (playing && v.paused && !v.ended) v.play().catch(() => {});
      if (!playing && !v.paused) v.pause();
    }
    const who = people.find((/** @type {any} */ p) => p.id === speaker);
    $("rec-speaker").textContent = [
      share ? t("rec.screen", { name: share.p.name }) : "",
      who ? t("rec.speaker", { name: who.name }) : "",
    ].filter(Boolean).join(" · ");
    seek.value = String(at);
    $("rec-time").textContent = `${clock(at)} / ${clock(duration)}`;
  };
  const pause = () => { playing = false; button.textContent = t("rec.play"); };
  button.textContent = t("rec.play");
  button.onclick = () => {
    advance();
    if (playing) pause();
    else { if (position >= duration) position = 0; playing = true; button.textContent = t("rec.pause"); }
    sync();
  };
  seek.oninput = () => {
    advance();
    position = Number(seek.value);
    sync();
  };
  const timer = setInterval(sync, 200);
  sync();
  current = { stop: () => { clearInterval(timer); for (const { v } of videos) v.pause(); } };
  $("player-title").focus();
}

async function load() {
  apply();
  setupHeader();
  try {
    const { items } = await api("GET", `/api/rooms/${encodeURIComponent(roomId)}/recordings`);
    $("rec-empty").hidden = items.length > 0;
    $("rec-list").replaceChildren(...items.map((/** @type {any} */ r) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      const running = r.stopped_at == null;
      button.textContent = t("rec.item", {
        when: when(r.started_at),
        duration: running ? t("rec.running") : clock(r.duration_s),
        count: r.participants.filter((/** @type {any} */ p) => !p.screen_of).length,
      });
      button.disabled = running;
      button.addEventListener("click", () => play(r));
      li.append(button);
      return li;
    }));
  } catch (err) {
    const message = err instanceof ApiError ? err.message : String(err);
    $("rec-error").textContent = t("rec.error", { message });
  }
}

load();
