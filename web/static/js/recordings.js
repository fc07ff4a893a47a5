// A session's recordings (/rooms/{id}/recordings): the list, and a player that shows the active
// speaker's video with everyone's audio, from one WebM file per participant (docs/recording.md).

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

/** @param {any} recording */
function play(recording) {
  current?.stop();
  const player = $("player");
  player.hidden = false;
  $("player-title").textContent = t("rec.heading", { title: recording.title, when: when(recording.started_at) });
  const main = $("rec-main");
  main.replaceChildren();
  const duration = recording.duration_s ?? 0;
  const videos = recording.participants.map((/** @type {any} */ p) => {
    const v = document.createElement("video");
    v.src = fileUrl(recording.id, p.file);
    v.preload = "auto";
    v.playsInline = true;
    v.hidden = true;
    v.setAttribute("aria-label", p.name);
    main.append(v);
    return { p, v };
  });
  const files = $("rec-files");
  files.replaceChildren(...recording.participants.map((/** @type {any} */ p) => {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = fileUrl(recording.id, p.file, true);
    a.textContent = t("rec.download", { name: p.name });
    li.append(a);
    return li;
  }));
  const seek = /** @type {HTMLInputElement} */ ($("rec-seek"));
  seek.max = String(duration);
  seek.value = "0";
  let position = 0, playing = false, started = 0;
  const now = () => (playing ? (performance.now() - started) / 1000 : position);
  const button = $("rec-play");
  const sync = () => {
    const at = Math.min(now(), duration);
    if (playing && at >= duration) { pause(); }
    const speaker = speakerAt(recording, at);
    for (const { p, v } of videos) {
      const local = at - p.start_s;
      const end = (p.end_s ?? duration) - p.start_s;
      const inside = local >= 0 && local <= end;
      v.hidden = !(inside && p.id === speaker);
      if (!inside) { if (!v.paused) v.pause(); continue; }
      if (Math.abs(v.currentTime - local) > 0.4) v.currentTime = local;
      if (playing && v.paused) v.play().catch(() => {});
      if (!playing && !v.paused) v.pause();
    }
    const who = recording.participants.find((/** @type {any} */ p) => p.id === speaker);
    $("rec-speaker").textContent = who ? t("rec.speaker", { name: who.name }) : "";
    seek.value = String(at);
    $("rec-time").textContent = `${clock(at)} / ${clock(duration)}`;
  };
  const pause = () => { position = now(); playing = false; button.textContent = t("rec.play"); };
  button.textContent = t("rec.play");
  button.onclick = () => {
    if (playing) pause();
    else { if (position >= duration) position = 0; started = performance.now() - position * 1000; playing = true; button.textContent = t("rec.pause"); }
    sync();
  };
  seek.oninput = () => {
    position = Number(seek.value);
    if (playing) started = performance.now() - position * 1000;
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
        count: r.participants.length,
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
