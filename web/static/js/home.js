// The host's home at /: "New session" (title -> Create -> join link to copy) and the sessions list.
// Not signed in: off to /login?next=/ first.

import { api } from "./http.js";
import { apply, dateTime, lang, register, t, withLang } from "./i18n.js";
import { inviteButton, openInvites } from "./invites.js";

register({
  id: {
    "home.new": "Sesi baru",
    "home.title": "Judul",
    "home.create": "Buat",
    "home.joinLink": "Tautan bergabung",
    "home.copy": "Salin",
    "home.copied": "Tautan sudah disalin.",
    "home.copyFailed": "Tidak bisa menyalin otomatis: pilih tautan lalu tekan Ctrl+C.",
    "home.created": "Sesi dibuat: {title}",
    "home.sendLink": "Kirim tautan ini ke kantor kecamatan. Anda juga bergabung lewat tautan yang sama.",
    "home.enter": "Gabung ke sesi",
    "home.sessions": "Sesi",
    "home.none": "Belum ada sesi.",
    "home.col.title": "Judul",
    "home.col.state": "Status",
    "home.col.created": "Dibuat",
    "home.col.link": "Tautan",
    "home.open": "Buka {title}",
    "home.notHost": "Hanya kantor tuan rumah yang dapat membuat sesi.",
    "home.signedIn": "Masuk sebagai {name}",
    "state.open": "terbuka",
    "state.locked": "dikunci",
    "state.ended": "berakhir",
    "home.invited": "Lokasi yang diundang",
    "home.invitedHint": "Semua kecamatan terpilih. Tahan Ctrl (atau Cmd) lalu klik untuk mengubah.",
    "home.col.readiness": "Kesiapan",
    "ready.summary": "{ready} siap, {weak} lemah, {down} putus",
    "ready.unknownCount": "{n} belum diketahui",
    "ready.none": "Tidak ada lokasi diundang",
    "ready.details": "Rincian lokasi",
    "ready.failed": "Kesiapan tidak dapat dimuat",
    "ready.ready": "siap",
    "ready.weak": "lemah (hanya suara)",
    "ready.down": "putus",
    "ready.unknown": "belum diketahui",
    "ready.lastCall": "panggilan terakhir {rtt} ms, hilang {loss} %",
    "presence.present": "hadir",
    "presence.lobby": "di ruang tunggu",
    "presence.absent": "belum bergabung",
  },
  en: {
    "home.new": "New session",
    "home.title": "Title",
    "home.create": "Create",
    "home.joinLink": "Join link",
    "home.copy": "Copy",
    "home.copied": "The link was copied.",
    "home.copyFailed": "Could not copy automatically: select the link and press Ctrl+C.",
    "home.created": "Session created: {title}",
    "home.sendLink": "Send this link to the kecamatan offices. You enter through the same link.",
    "home.enter": "Enter the session",
    "home.sessions": "Sessions",
    "home.none": "No sessions yet.",
    "home.col.title": "Title",
    "home.col.state": "State",
    "home.col.created": "Created",
    "home.col.link": "Link",
    "home.open": "Open {title}",
    "home.notHost": "Only the host's office can create sessions.",
    "home.signedIn": "Signed in as {name}",
    "state.open": "open",
    "state.locked": "locked",
    "state.ended": "ended",
    "home.invited": "Invited sites",
    "home.invitedHint": "All kecamatan are selected. Hold Ctrl (or Cmd) and click to change.",
    "home.col.readiness": "Readiness",
    "ready.summary": "{ready} ready, {weak} weak, {down} down",
    "ready.unknownCount": "{n} unknown",
    "ready.none": "No invited sites",
    "ready.details": "Sites",
    "ready.failed": "Readiness could not be loaded",
    "ready.ready": "ready",
    "ready.weak": "weak (audio only)",
    "ready.down": "down",
    "ready.unknown": "unknown",
    "ready.lastCall": "last call {rtt} ms, {loss} % lost",
    "presence.present": "present",
    "presence.lobby": "waiting in the lobby",
    "presence.absent": "not joined",
  },
});

/** @typedef {{id: string, title: string, state: string, join_url: string, created_at?: number|string, invited_sites?: string[]}} RoomRecord */
/**
 * One invited site in `GET /api/rooms/{id}/readiness` (docs/api.md).
 * @typedef {{code: string, name: string, readiness: "ready"|"weak"|"down"|"unknown",
 *   link: {state: string, rtt_ms?: number|null, loss?: number|null}|null,
 *   last_call: {rtt_median?: number|null, loss?: number|null}|null,
 *   presence: "present"|"lobby"|"absent"}} ReadinessSite
 */

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const linkInput = /** @type {HTMLInputElement} */ ($("join-link"));

/** @param {string} path */
function absolute(path) {
  return new URL(path, location.origin).href;
}

/** @param {number|string|undefined} when */
function formatTime(when) {
  if (when === undefined || when === null) return "";
  return dateTime(when);
}

/** @param {number|null|undefined} v @param {number} digits */
const num = (v, digits = 0) => (typeof v === "number" ? v.toFixed(digits) : "–");

/** @param {ReadinessSite} s */
function siteLine(s) {
  const parts = [t(`ready.${s.readiness}`)];
  if (typeof s.link?.rtt_ms === "number") parts.push(`${Math.round(s.link.rtt_ms)} ms`);
  if (s.last_call) {
    parts.push(t("ready.lastCall", { rtt: num(s.last_call.rtt_median), loss: num((s.last_call.loss ?? 0) * 100, 1) }));
  }
  parts.push(t(`presence.${s.presence}`));
  const li = document.createElement("li");
  li.className = `r-${s.readiness}`;
  li.textContent = `${s.name}: ${parts.join(", ")}`;
  return li;
}

/**
 * "18 ready, 1 weak, 1 down" and, in a disclosure, one line per invited site.
 * @param {HTMLElement} cell @param {RoomRecord} room
 */
async function showReadiness(cell, room) {
  cell.className = "readiness";
  if (!room.invited_sites?.length) {
    cell.textContent = t("ready.none");
    return;
  }
  try {
    const data = await api("GET", `/api/rooms/${encodeURIComponent(room.id)}/readiness`);
    const c = data.counts ?? {};
    let summary = t("ready.summary", { ready: c.ready ?? 0, weak: c.weak ?? 0, down: c.down ?? 0 });
    if (c.unknown) summary += `, ${t("ready.unknownCount", { n: c.unknown })}`;
    const details = document.createElement("details");
    const head = document.createElement("summary");
    head.textContent = summary;
    head.setAttribute("aria-label", `${t("ready.details")}: ${summary}`);
    const list = document.createElement("ul");
    list.setAttribute("aria-label", `${t("ready.details")} — ${room.title}`);
    for (const s of /** @type {ReadinessSite[]} */ (data.sites ?? [])) list.append(siteLine(s));
    details.append(head, list);
    cell.replaceChildren(details);
  } catch {
    cell.textContent = t("ready.failed");
  }
}

/** The create form's "Invited sites": every kecamatan, all selected. */
async function loadInvitable() {
  const select = /** @type {HTMLSelectElement} */ ($("invited"));
  const data = await api("GET", "/api/sites/picker");
  select.replaceChildren();
  for (const s of data.items ?? []) {
    const option = new Option(s.name, s.code, true, true);
    select.append(option);
  }
}

async function loadSessions() {
  const body = /** @type {HTMLTableSectionElement} */ ($("sessions").querySelector("tbody"));
  const data = await api("GET", "/api/rooms");
  /** @type {RoomRecord[]} */
  const rooms = data.items ?? [];
  body.replaceChildren();
  for (const room of rooms) {
    const row = document.createElement("tr");
    const title = document.createElement("td");
    title.textContent = room.title;
    const state = document.createElement("td");
    state.textContent = t(`state.${room.state}`);
    const created = document.createElement("td");
    created.textContent = formatTime(room.created_at);
    const readiness = document.createElement("td");
    if (room.state !== "ended") showReadiness(readiness, room);
    const link = document.createElement("td");
    if (room.state !== "ended") {
      const a = document.createElement("a");
      a.href = withLang(room.join_url);
      // the name is the visible address, preceded (for screen readers) by which session
      const which = document.createElement("span");
      which.className = "visually-hidden";
      which.textContent = `${t("home.open", { title: room.title })}: `;
      a.append(which, absolute(room.join_url));
      link.append(a, " ", inviteButton(room));
    }
    row.append(title, state, created, readiness, link);
    body.append(row);
  }
  $("sessions-empty").hidden = rooms.length > 0;
}

/** @param {RoomRecord} room */
function showCreated(room) {
  $("created").hidden = false;
  $("created-heading").textContent = t("home.created", { title: room.title });
  linkInput.value = absolute(room.join_url);
  $("enter").setAttribute("href", withLang(room.join_url));
  $("copy-status").textContent = "";
  openInvites(room).catch(() => {});
}

async function copyLink() {
  const status = $("copy-status");
  try {
    await navigator.clipboard.writeText(linkInput.value);
    status.textContent = t("home.copied");
  } catch {
    // Plain http on a LAN address is not a secure context: fall back to selecting the text.
    linkInput.focus();
    linkInput.select();
    status.textContent = document.execCommand?.("copy") ? t("home.copied") : t("home.copyFailed");
  }
}

async function main() {
  apply();
  $("lang-link").setAttribute("href", lang() === "en" ? location.pathname : "?lang=en");
  $("nav-inventory").setAttribute("href", withLang("/inventory"));
  const me = await api("GET", "/api/me").catch(() => ({ user: null }));
  if (!me.user) {
    const next = encodeURIComponent(location.pathname);
    location.replace(withLang(`/login?next=${next}`));
    return;
  }
  $("who").textContent = t("home.signedIn", { name: me.user.display_name || me.user.username });
  $("home").hidden = false;
  $("signout").addEventListener("click", async (ev) => {
    ev.preventDefault();
    await api("DELETE", "/api/session").catch(() => {});
    location.assign(withLang("/login"));
  });
  const canHost = me.user.role === "admin" || me.user.role === "host";
  if (!canHost) {
    $("new-form").hidden = true;
    $("new-error").textContent = t("home.notHost");
  }
  $("copy").addEventListener("click", copyLink);
  const form = /** @type {HTMLFormElement} */ ($("new-form"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("new-error").textContent = "";
    const title = /** @type {HTMLInputElement} */ ($("title")).value.trim();
    const invited = [.../** @type {HTMLSelectElement} */ ($("invited")).selectedOptions].map((o) => o.value);
    try {
      const data = await api("POST", "/api/rooms", { title, invited_sites: invited });
      showCreated(data.room);
      /** @type {HTMLInputElement} */ ($("title")).value = "";
      await loadSessions();
    } catch (e) {
      $("new-error").textContent = e instanceof Error ? e.message : t("error.generic");
    }
  });
  if (canHost) await loadInvitable().catch(() => {});
  await loadSessions().catch(() => {});
  // Link states change while the host waits: re-read the list (and its readiness) now and then.
  setInterval(() => loadSessions().catch(() => {}), 30000);
}

main();
