// The host's home at /: "New session" (title -> Create -> join link to copy) and the sessions list.
// Not signed in: off to /login?next=/ first.

import { api } from "./http.js";
import { apply, lang, register, t, withLang } from "./i18n.js";

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
    "home.sendLink": "Kirim tautan ini ke kantor kecamatan. Anda juga masuk lewat tautan yang sama.",
    "home.enter": "Masuk ke sesi",
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
  },
});

/** @typedef {{id: string, title: string, state: string, join_url: string, created_at?: number|string}} RoomRecord */

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
  const date = typeof when === "number" ? new Date(when * 1000) : new Date(when);
  if (Number.isNaN(date.getTime())) return String(when);
  return date.toLocaleString(lang() === "en" ? "en-GB" : "id-ID", {
    dateStyle: "medium",
    timeStyle: "short",
  });
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
    const link = document.createElement("td");
    if (room.state !== "ended") {
      const a = document.createElement("a");
      a.href = withLang(room.join_url);
      a.textContent = absolute(room.join_url);
      a.setAttribute("aria-label", t("home.open", { title: room.title }));
      link.append(a);
    }
    row.append(title, state, created, link);
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
    try {
      const data = await api("POST", "/api/rooms", { title });
      showCreated(data.room);
      form.reset();
      await loadSessions();
    } catch (e) {
      $("new-error").textContent = e instanceof Error ? e.message : t("error.generic");
    }
  });
  await loadSessions().catch(() => {});
}

main();
