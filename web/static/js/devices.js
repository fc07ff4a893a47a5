// The join page's device check: which camera, microphone and speaker to use, a speaker test
// tone, and a plain Indonesian explanation when the browser refuses the camera or microphone.
// The chosen speaker also plays the session (HTMLMediaElement.setSinkId where the browser has it).
// The same pickers serve in the session ("Devices" / "Perangkat"): room.js moves them into the
// session's device panel, and a new camera or microphone replaces the one being sent
// (MeetingClient.replaceTrack) without leaving; a refused device keeps the previous one.

import { $, h } from "./dom.js";
import { register, t } from "./i18n.js";

register({
  id: {
    "dev.camera": "Pilih kamera",
    "dev.mic": "Pilih mikrofon",
    "dev.speaker": "Pilih speaker",
    "dev.default": "Bawaan sistem",
    "dev.unnamed": "Perangkat {n}",
    "dev.test": "Tes speaker",
    "dev.testing": "Terdengar nada? Jika tidak, pilih speaker lain atau periksa volume.",
    "dev.noSink": "Browser ini memakai speaker bawaan sistem (pilihan speaker tidak didukung).",
    "dev.denied":
      "Browser menolak akses kamera dan mikrofon. Klik ikon kamera di bilah alamat, pilih \u201cIzinkan\u201d, lalu muat ulang halaman. Anda tetap bisa bergabung tanpa kamera.",
    "dev.notFound": "Kamera atau mikrofon tidak ditemukan. Periksa kabelnya. Anda tetap bisa bergabung.",
    "dev.busy":
      "Kamera atau mikrofon sedang dipakai aplikasi lain. Tutup aplikasi itu, lalu muat ulang halaman.",
    "dev.panel": "Perangkat",
    "dev.panelHeading": "Kamera, mikrofon, dan speaker",
    "dev.using": "Sekarang memakai: {label}",
    "dev.switchDenied":
      "Browser menolak perangkat itu. Klik ikon kamera di bilah alamat dan pilih \u201cIzinkan\u201d. Perangkat sebelumnya tetap dipakai.",
    "dev.switchNotFound": "Perangkat itu tidak ditemukan (kabel dicabut?). Perangkat sebelumnya tetap dipakai.",
    "dev.switchBusy": "Perangkat itu sedang dipakai aplikasi lain. Perangkat sebelumnya tetap dipakai.",
    "dev.switchFailed": "Perangkat itu tidak bisa dipakai. Perangkat sebelumnya tetap dipakai.",
    "dev.sinkFailed": "Browser menolak speaker itu. Suara tetap keluar dari speaker sebelumnya.",
  },
  en: {
    "dev.camera": "Choose camera",
    "dev.mic": "Choose microphone",
    "dev.speaker": "Choose speaker",
    "dev.default": "System default",
    "dev.unnamed": "Device {n}",
    "dev.test": "Test speaker",
    "dev.testing": "Do you hear a tone? If not, choose another speaker or check the volume.",
    "dev.noSink": "This browser plays through the system's default speaker (no speaker choice).",
    "dev.denied":
      "The browser refused the camera and microphone. Click the camera icon in the address bar, choose \u201cAllow\u201d, then reload the page. You can still join without a camera.",
    "dev.notFound": "No camera or microphone was found. Check the cable. You can still join.",
    "dev.busy": "The camera or microphone is used by another program. Close it, then reload the page.",
    "dev.panel": "Devices",
    "dev.panelHeading": "Camera, microphone and speaker",
    "dev.using": "Now using: {label}",
    "dev.switchDenied":
      "The browser refused that device. Click the camera icon in the address bar and choose \u201cAllow\u201d. The previous device stays in use.",
    "dev.switchNotFound": "That device was not found (unplugged?). The previous device stays in use.",
    "dev.switchBusy": "That device is used by another program. The previous device stays in use.",
    "dev.switchFailed": "That device cannot be used. The previous device stays in use.",
    "dev.sinkFailed": "The browser refused that speaker. Sound still plays through the previous one.",
  },
});

/** Whether this browser can choose where audio plays. */
export const CAN_CHOOSE_SPEAKER =
  typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;

/** @returns {{camera: string, mic: string, speaker: string}} the chosen device ids ("" = default) */
function chosen() {
  const value = (/** @type {string} */ id) => /** @type {HTMLSelectElement} */ ($(id)).value;
  return { camera: value("cam-select"), mic: value("mic-select"), speaker: value("speaker-select") };
}

/** The getUserMedia constraints of the chosen microphone and camera. */
function constraints() {
  const { camera, mic } = chosen();
  return {
    audio: { echoCancellation: true, noiseSuppression: true, ...(mic ? { deviceId: { exact: mic } } : {}) },
    video: {
      width: { ideal: 640 },
      height: { ideal: 360 },
      frameRate: { ideal: 20 },
      ...(camera ? { deviceId: { exact: camera } } : {}),
    },
  };
}

/** Open camera and microphone as chosen (the defaults before anything was listed). */
export function openDevices() {
  return navigator.mediaDevices.getUserMedia(constraints());
}

/**
 * Open only the chosen device of one kind (in the session: the other keeps running).
 * @param {"audio"|"video"} kind @returns {Promise<MediaStreamTrack>}
 */
export async function openDevice(kind) {
  const all = constraints();
  const stream = await navigator.mediaDevices.getUserMedia({ [kind]: all[kind] });
  return stream.getTracks()[0];
}

/**
 * Why getUserMedia failed, as the last part of a string key: "Denied", "NotFound", "Busy"
 * (null: another reason). @param {unknown} e
 */
function failure(e) {
  const name = /** @type {any} */ (e)?.name;
  if (name === "NotAllowedError" || name === "SecurityError") return "Denied";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "NotFound";
  if (name === "NotReadableError" || name === "AbortError") return "Busy";
  return null;
}

/** What to tell the person when getUserMedia failed before joining. @param {unknown} e */
export function deviceError(e) {
  const why = failure(e);
  return why ? t(`dev.${why[0].toLowerCase()}${why.slice(1)}`) : t("join.noDevices");
}

/** What to tell the person when another device could not be opened in the session. @param {unknown} e */
export function switchError(e) {
  return t(`dev.switch${failure(e) ?? "Failed"}`);
}

/** Fill the three pickers from enumerateDevices (labels are there once access was given). */
export async function listDevices() {
  let devices = /** @type {MediaDeviceInfo[]} */ ([]);
  try {
    devices = await navigator.mediaDevices.enumerateDevices();
  } catch {
    return;
  }
  for (const [id, kind] of [
    ["cam-select", "videoinput"],
    ["mic-select", "audioinput"],
    ["speaker-select", "audiooutput"],
  ]) {
    const select = /** @type {HTMLSelectElement} */ ($(id));
    const before = select.value;
    select.replaceChildren(h("option", { value: "", text: t("dev.default") }));
    devices
      .filter((d) => d.kind === kind && d.deviceId && d.deviceId !== "default")
      .forEach((d, i) => select.append(h("option", { value: d.deviceId, text: d.label || t("dev.unnamed", { n: i + 1 }) })));
    select.value = [...select.options].some((o) => o.value === before) ? before : "";
  }
  if (!CAN_CHOOSE_SPEAKER) {
    /** @type {HTMLSelectElement} */ ($("speaker-select")).disabled = true;
    $("speaker-hint").textContent = t("dev.noSink");
  }
}

/**
 * Play through the chosen speaker (no-op where the browser cannot choose).
 * @param {HTMLMediaElement} el @returns {Promise<void>} rejects when the browser refuses it
 */
export function useSpeaker(el) {
  const { speaker } = chosen();
  const media = /** @type {any} */ (el);
  if (!CAN_CHOOSE_SPEAKER || media.sinkId === speaker) return Promise.resolve();
  return media.setSinkId(speaker);
}

/** A one-second 440 Hz tone through the chosen speaker. */
async function testSpeaker() {
  const ctx = new AudioContext();
  const destination = ctx.createMediaStreamDestination();
  const tone = ctx.createOscillator();
  const gain = ctx.createGain();
  gain.gain.value = 0.2;
  tone.frequency.value = 440;
  tone.connect(gain).connect(destination);
  const audio = new Audio();
  audio.srcObject = destination.stream;
  useSpeaker(audio).catch(() => {});
  $("speaker-hint").textContent = t("dev.testing");
  tone.start();
  await audio.play().catch(() => {});
  setTimeout(() => {
    tone.stop();
    audio.pause();
    ctx.close().catch(() => {});
  }, 1000);
}

/**
 * Wire the pickers: a changed camera or microphone calls `reopen` with its kind (before joining
 * the preview opens the devices again; in the session that device replaces the one sent); a
 * changed speaker plays every video and audio element through it, and says so when refused.
 * @param {(kind: "audio"|"video") => Promise<void>} reopen
 */
export function setupDevices(reopen) {
  $("cam-select").addEventListener("change", () => reopen("video"));
  $("mic-select").addEventListener("change", () => reopen("audio"));
  $("speaker-test").addEventListener("click", () => testSpeaker());
  $("speaker-select").addEventListener("change", async () => {
    const media = [...document.querySelectorAll("video, audio")];
    const results = await Promise.allSettled(media.map((v) => useSpeaker(/** @type {HTMLMediaElement} */ (v))));
    $("speaker-hint").textContent = results.some((r) => r.status === "rejected") ? t("dev.sinkFailed") : "";
  });
}
