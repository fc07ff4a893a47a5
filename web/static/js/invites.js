// Invite links of a session on the host's home (section #invites of home.html): make one
// (optionally for one site, optionally without the lobby), copy it, withdraw it, and require
// invites for the session. REST: /api/rooms/{id}/invites and /invite-policy (docs/protocol.md).
// The token is only in the link's fragment and is shown once, right after it is made.

import { api } from "./http.js";
import { dateTime, register, t } from "./i18n.js";

register({
  id: {
    "inv.heading": "Tautan undangan: {title}",
    "inv.open": "Undangan",
    "inv.required": "Hanya yang punya tautan undangan boleh bergabung",
    "inv.site": "Untuk lokasi",
    "inv.anySite": "Semua lokasi",
    "inv.direct": "Langsung bergabung tanpa ruang tunggu",
    "inv.hours": "Berlaku (jam)",
    "inv.create": "Buat tautan undangan",
    "inv.link": "Tautan undangan (hanya ditampilkan sekali)",
    "inv.copy": "Salin",
    "inv.copied": "Tautan sudah disalin.",
    "inv.copyFailed": "Tidak bisa menyalin otomatis: pilih tautan lalu tekan Ctrl+C.",
    "inv.list": "Tautan yang sudah dibuat",
    "inv.none": "Belum ada tautan undangan.",
    "inv.revoke": "Cabut",
    "inv.revokeOne": "Cabut tautan {id}",
    "inv.revoked": "dicabut",
    "inv.until": "berlaku sampai {when}",
    "inv.lobby": "lewat ruang tunggu",
    "inv.noLobby": "tanpa ruang tunggu",
    "inv.failed": "Gagal: {message}",
  },
  en: {
    "inv.heading": "Invite links: {title}",
    "inv.open": "Invites",
    "inv.required": "Only people with an invite link may enter",
    "inv.site": "For site",
    "inv.anySite": "Any site",
    "inv.direct": "Enter directly, without the lobby",
    "inv.hours": "Valid (hours)",
    "inv.create": "Create invite link",
    "inv.link": "Invite link (shown only once)",
    "inv.copy": "Copy",
    "inv.copied": "The link was copied.",
    "inv.copyFailed": "Could not copy automatically: select the link and press Ctrl+C.",
    "inv.list": "Links made so far",
    "inv.none": "No invite links yet.",
    "inv.revoke": "Withdraw",
    "inv.revokeOne": "Withdraw link {id}",
    "inv.revoked": "withdrawn",
    "inv.until": "valid until {when}",
    "inv.lobby": "through the lobby",
    "inv.noLobby": "without the lobby",
    "inv.failed": "Failed: {message}",
  },
});

/** @typedef {{id: string, title: string, state: string}} RoomRef */
/** @typedef {{id: string, site_code: string|null, require_lobby: boolean, expires_at: number, revoked: boolean}} Invite */

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @type {RoomRef|null} */
let current = null;
let wired = false;

/** @param {unknown} e */
function failed(e) {
  return t("inv.failed", { message: e instanceof Error ? e.message : String(e) });
}

/** @param {number} when Unix seconds */
function formatTime(when) {
  return dateTime(when);
}

async function loadSites() {
  const select = /** @type {HTMLSelectElement} */ ($("inv-site"));
  if (select.options.length > 1) return;
  const data = await api("GET", "/api/sites/picker");
  for (const s of data.items ?? []) select.append(new Option(`${s.name} (${s.code})`, s.code));
}

async function loadList() {
  if (!current) return;
  const room = current;
  const data = await api("GET", `/api/rooms/${encodeURIComponent(room.id)}/invites`);
  /** @type {HTMLInputElement} */ ($("inv-required")).checked = Boolean(data.invite_required);
  const list = $("inv-items");
  list.replaceChildren();
  /** @type {Invite[]} */
  const items = data.items ?? [];
  for (const inv of items) {
    const li = document.createElement("li");
    const bits = [
      inv.site_code ?? t("inv.anySite"),
      inv.require_lobby ? t("inv.lobby") : t("inv.noLobby"),
      inv.revoked ? t("inv.revoked") : t("inv.until", { when: formatTime(inv.expires_at) }),
    ];
    li.textContent = `${bits.join(" · ")} `;
    if (!inv.revoked) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = t("inv.revoke");
      button.setAttribute("aria-label", t("inv.revokeOne", { id: inv.id }));
      button.addEventListener("click", async () => {
        try {
          await api("DELETE", `/api/rooms/${encodeURIComponent(room.id)}/invites/${encodeURIComponent(inv.id)}`);
          await loadList();
        } catch (e) {
          $("inv-status").textContent = failed(e);
        }
      });
      li.append(button);
    }
    list.append(li);
  }
  $("inv-none").hidden = items.length > 0;
}

async function create() {
  if (!current) return;
  const site = /** @type {HTMLSelectElement} */ ($("inv-site")).value || null;
  const direct = /** @type {HTMLInputElement} */ ($("inv-direct")).checked;
  const hours = Number(/** @type {HTMLInputElement} */ ($("inv-hours")).value) || 24;
  $("inv-status").textContent = "";
  try {
    const data = await api("POST", `/api/rooms/${encodeURIComponent(current.id)}/invites`, {
      site_code: site,
      require_lobby: !direct,
      ttl_hours: hours,
    });
    const input = /** @type {HTMLInputElement} */ ($("inv-link"));
    input.value = new URL(data.url, location.origin).href;
    $("inv-result").hidden = false;
    await loadList();
  } catch (e) {
    $("inv-status").textContent = failed(e);
  }
}

async function copy() {
  const input = /** @type {HTMLInputElement} */ ($("inv-link"));
  const status = $("inv-status");
  try {
    await navigator.clipboard.writeText(input.value);
    status.textContent = t("inv.copied");
  } catch {
    input.focus();
    input.select();
    status.textContent = document.execCommand?.("copy") ? t("inv.copied") : t("inv.copyFailed");
  }
}

async function setRequired() {
  if (!current) return;
  const box = /** @type {HTMLInputElement} */ ($("inv-required"));
  try {
    await api("PUT", `/api/rooms/${encodeURIComponent(current.id)}/invite-policy`, {
      required: box.checked,
    });
  } catch (e) {
    box.checked = !box.checked;
    $("inv-status").textContent = failed(e);
  }
}

function wire() {
  if (wired) return;
  wired = true;
  $("inv-create").addEventListener("click", () => create());
  $("inv-copy").addEventListener("click", () => copy());
  $("inv-required").addEventListener("change", () => setRequired());
}

/** Show the invite links of a session (after creating it, or from the sessions list). @param {RoomRef} room */
export async function openInvites(room) {
  wire();
  current = room;
  $("invites").hidden = false;
  $("inv-heading").textContent = t("inv.heading", { title: room.title });
  $("inv-result").hidden = true;
  /** @type {HTMLInputElement} */ ($("inv-link")).value = "";
  $("inv-status").textContent = "";
  try {
    await Promise.all([loadSites(), loadList()]);
  } catch (e) {
    $("inv-status").textContent = failed(e);
  }
}

/** A button for a row of the sessions list. @param {RoomRef} room */
export function inviteButton(room) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = t("inv.open");
  // the name starts with the visible word, then which session (axe: label-content-name-mismatch)
  button.setAttribute("aria-label", `${t("inv.open")}: ${room.title}`);
  button.addEventListener("click", () => {
    openInvites(room).then(() => $("invites").scrollIntoView({ block: "nearest" }));
  });
  return button;
}
