// The join page's device check: which camera, microphone and speaker to use, a speaker test
// tone, and a plain Indonesian explanation when the browser refuses the camera or microphone.
// The chosen speaker also plays the session (HTMLMediaElement.setSinkId where the browser has it).

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

/** Open camera and microphone as chosen (the defaults before anything was listed). */
export function openDevices() {
  const { camera, mic } = chosen();
  return navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true, ...(mic ? { deviceId: { exact: mic } } : {}) },
    video: {
      width: { ideal: 640 },
      height: { ideal: 360 },
      frameRate: { ideal: 20 },
      ...(camera ? { deviceId: { exact: camera } } : {}),
    },
  });
}

/** What to tell the person when getUserMedia failed. @param {unknown} e */
export function deviceError(e) {
  const name = /** @type {any} */ (e)?.name;
  if (name === "NotAllowedError" || name === "SecurityError") return t("dev.denied");
  if (name === "NotFoundError" || name === "OverconstrainedError") return t("dev.notFound");
  if (name === "NotReadableError" || name === "AbortError") return t("dev.busy");
  return t("join.noDevices");
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

/** Play through the chosen speaker (no-op where the browser cannot choose). @param {HTMLMediaElement} el */
export function useSpeaker(el) {
  const { speaker } = chosen();
  const media = /** @type {any} */ (el);
  if (!CAN_CHOOSE_SPEAKER || media.sinkId === speaker) return;
  media.setSinkId(speaker).catch(() => {});
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
  useSpeaker(audio);
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
 * Wire the pickers: a changed camera or microphone opens the devices again (`reopen`).
 * @param {() => Promise<void>} reopen
 */
export function setupDevices(reopen) {
  for (const id of ["cam-select", "mic-select"]) $(id).addEventListener("change", () => reopen());
  $("speaker-test").addEventListener("click", () => testSpeaker());
  $("speaker-select").addEventListener("change", () => {
    for (const v of document.querySelectorAll("video, audio")) useSpeaker(/** @type {HTMLMediaElement} */ (v));
  });
}
