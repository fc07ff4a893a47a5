// The alert-channel page (/inventory/alerts): IT staff add, change, switch off and delete the
// e-mail and Telegram channels (REST /api/alert-channels), see each one's last delivery and
// acknowledge recent alerts (alert-list.js). A bot token is only ever sent, never shown.

import { ApiError, api } from "./http.js";
import { apply, dateTime, register, t, withLang } from "./i18n.js";
import { setupHeader } from "./header.js";
import "./inventory-text.js";
import "./alert-list.js";

register({
  id: {
    "ch.title": "Saluran peringatan",
    "ch.intro": "Ke mana Pendopo mengirim kabar gangguan jaringan: surel atau grup Telegram, untuk kecamatan dan jenis peringatan yang dipilih.",
    "ch.list": "Saluran",
    "ch.new": "Saluran baru",
    "ch.edit": "Ubah saluran: {name}",
    "ch.col.name": "Nama",
    "ch.col.kind": "Jenis",
    "ch.col.to": "Tujuan",
    "ch.col.kecamatan": "Kecamatan",
    "ch.col.severities": "Peringatan",
    "ch.col.escalate": "Kirim ulang",
    "ch.col.result": "Pengiriman terakhir",
    "ch.col.actions": "Tindakan",
    "ch.kind.email": "Surel (e-mail)",
    "ch.kind.telegram": "Telegram",
    "ch.recipients": "Alamat surel (satu per baris)",
    "ch.chat": "ID obrolan Telegram",
    "ch.token": "Token bot",
    "ch.token.kept": "tersimpan — isi hanya untuk mengganti",
    "ch.escalate": "Kirim ulang bila belum ditangani setelah (menit; kosong: tidak)",
    "ch.kecamatan": "Kecamatan (tidak ada yang dipilih: semua)",
    "ch.enabled": "Aktif",
    "ch.off": "nonaktif",
    "ch.all": "semua",
    "ch.never": "tidak",
    "ch.minutes": "{n} menit",
    "ch.save": "Simpan",
    "ch.cancel": "Batal",
    "ch.change": "Ubah",
    "ch.change.label": "Ubah saluran {name}",
    "ch.delete": "Hapus",
    "ch.delete.label": "Hapus saluran {name}",
    "ch.confirm": "Hapus saluran {name}?",
    "ch.saved": "Tersimpan.",
    "ch.none": "Belum ada saluran.",
    "ch.ok": "berhasil {when} ({n} terkirim)",
    "ch.failed": "GAGAL {when}: {error}",
    "ch.notyet": "belum pernah",
    "ch.denied": "Halaman ini untuk staf TI.",
  },
  en: {
    "ch.title": "Alert channels",
    "ch.intro": "Where Pendopo sends news of network outages: e-mail or a Telegram group, for the chosen kecamatan and kinds of alert.",
    "ch.list": "Channels",
    "ch.new": "New channel",
    "ch.edit": "Change channel: {name}",
    "ch.col.name": "Name",
    "ch.col.kind": "Kind",
    "ch.col.to": "To",
    "ch.col.kecamatan": "Kecamatan",
    "ch.col.severities": "Alerts",
    "ch.col.escalate": "Re-send",
    "ch.col.result": "Last delivery",
    "ch.col.actions": "Actions",
    "ch.kind.email": "E-mail",
    "ch.kind.telegram": "Telegram",
    "ch.recipients": "E-mail addresses (one per line)",
    "ch.chat": "Telegram chat id",
    "ch.token": "Bot token",
    "ch.token.kept": "stored — fill in only to replace it",
    "ch.escalate": "Re-send when not handled after (minutes; empty: never)",
    "ch.kecamatan": "Kecamatan (none chosen: all)",
    "ch.enabled": "Enabled",
    "ch.off": "off",
    "ch.all": "all",
    "ch.never": "no",
    "ch.minutes": "{n} min",
    "ch.save": "Save",
    "ch.cancel": "Cancel",
    "ch.change": "Change",
    "ch.change.label": "Change channel {name}",
    "ch.delete": "Delete",
    "ch.delete.label": "Delete channel {name}",
    "ch.confirm": "Delete channel {name}?",
    "ch.saved": "Saved.",
    "ch.none": "No channels yet.",
    "ch.ok": "delivered {when} ({n} sent)",
    "ch.failed": "FAILED {when}: {error}",
    "ch.notyet": "never",
    "ch.denied": "This page is for IT staff.",
  },
});

const form = /** @type {HTMLFormElement} */ (document.getElementById("channel-form"));
const rows = /** @type {HTMLElement} */ (document.getElementById("channel-rows"));
const status = /** @type {HTMLElement} */ (document.getElementById("form-status"));
const pageError = /** @type {HTMLElement} */ (document.getElementById("page-error"));
/** @type {any|null} the channel being changed, or null for a new one */
let editing = null;
/** @type {Map<string, string>} kecamatan code -> name */
const kecamatan = new Map();

/** @param {string} id */
const field = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

/** @param {string|null} iso */
function when(iso) {
  if (!iso) return t("ch.notyet");
  return dateTime(iso);
}

function showKind() {
  const kind = field("c-kind").value;
  for (const el of form.querySelectorAll(".only-email")) /** @type {HTMLElement} */ (el).hidden = kind !== "email";
  for (const el of form.querySelectorAll(".only-telegram")) /** @type {HTMLElement} */ (el).hidden = kind !== "telegram";
}

/** @param {string} text @param {string} [label] @param {() => void} [onClick] */
function button(text, label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "secondary";
  b.textContent = text;
  if (label) b.setAttribute("aria-label", label);
  if (onClick) b.addEventListener("click", onClick);
  return b;
}

/** @param {any} c */
function row(c) {
  const tr = document.createElement("tr");
  tr.dataset.channelId = String(c.id);
  const cells = [
    c.name + (c.enabled ? "" : ` (${t("ch.off")})`),
    t(`ch.kind.${c.kind}`),
    c.kind === "email" ? c.recipients.join(", ") : c.chat_id,
    c.kecamatan.length ? c.kecamatan.map((/** @type {string} */ k) => kecamatan.get(k) ?? k).join(", ") : t("ch.all"),
    c.severities.map((/** @type {string} */ s) => t(`al.kind.${s}`)).join(", "),
    c.escalate_after_s ? t("ch.minutes", { n: Math.round(c.escalate_after_s / 60) || 1 }) : t("ch.never"),
    c.last_error
      ? t("ch.failed", { when: when(c.last_attempt_at), error: c.last_error })
      : t("ch.ok", { when: when(c.last_ok_at), n: c.delivered }),
  ];
  for (const text of cells) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.append(td);
  }
  if (c.last_error) tr.children[6].classList.add("error");
  const actions = document.createElement("td");
  actions.append(
    button(t("ch.change"), t("ch.change.label", { name: c.name }), () => edit(c)),
    button(t("ch.delete"), t("ch.delete.label", { name: c.name }), async () => {
      if (!confirm(t("ch.confirm", { name: c.name }))) return;
      await run(() => api("DELETE", `/api/alert-channels/${c.id}`));
    }),
  );
  tr.append(actions);
  return tr;
}

async function load() {
  const data = await api("GET", "/api/alert-channels");
  rows.replaceChildren(...data.items.map(row));
  if (!data.items.length) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 8;
    td.className = "muted";
    td.textContent = t("ch.none");
    tr.append(td);
    rows.append(tr);
  }
}

/** @param {() => Promise<unknown>} action */
async function run(action) {
  pageError.textContent = "";
  try {
    await action();
    await load();
  } catch (err) {
    pageError.textContent = /** @type {Error} */ (err).message;
  }
}

async function loadKecamatan() {
  const data = await api("GET", "/api/sites?kind=kecamatan&limit=1000");
  const box = /** @type {HTMLElement} */ (document.getElementById("c-kecamatan"));
  for (const site of data.items) {
    kecamatan.set(site.code, site.name);
    const label = document.createElement("label");
    const box1 = document.createElement("input");
    box1.type = "checkbox";
    box1.name = "kecamatan";
    box1.value = site.code;
    label.append(box1, ` ${site.name}`);
    box.append(label);
  }
}

/** @param {any|null} c */
function edit(c) {
  editing = c;
  form.reset();
  field("c-kind").disabled = !!c;
  document.getElementById("c-cancel").hidden = !c;
  document.getElementById("form-title").textContent = c ? t("ch.edit", { name: c.name }) : t("ch.new");
  field("c-token").placeholder = c?.token_set ? t("ch.token.kept") : "";
  if (c) {
    field("c-kind").value = c.kind;
    field("c-name").value = c.name;
    field("c-recipients").value = (c.recipients ?? []).join("\n");
    field("c-chat").value = c.chat_id ?? "";
    field("c-escalate").value = c.escalate_after_s ? String(Math.round(c.escalate_after_s / 60) || 1) : "";
    field("c-enabled").checked = c.enabled;
    for (const el of form.querySelectorAll('input[name="severities"]'))
      /** @type {HTMLInputElement} */ (el).checked = c.severities.includes(/** @type {HTMLInputElement} */ (el).value);
    for (const el of form.querySelectorAll('input[name="kecamatan"]'))
      /** @type {HTMLInputElement} */ (el).checked = c.kecamatan.includes(/** @type {HTMLInputElement} */ (el).value);
    field("c-name").focus();
  }
  showKind();
}

function body() {
  const kind = field("c-kind").value;
  const checked = (/** @type {string} */ name) =>
    [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((el) => /** @type {HTMLInputElement} */ (el).value);
  const minutes = field("c-escalate").value.trim();
  /** @type {Record<string, unknown>} */
  const b = {
    name: field("c-name").value,
    severities: checked("severities"),
    kecamatan: checked("kecamatan"),
    escalate_after_s: minutes ? Math.round(Number(minutes) * 60) : null,
    enabled: field("c-enabled").checked,
  };
  if (!editing) b.kind = kind;
  if (kind === "email") b.recipients = field("c-recipients").value.split(/[\s,;]+/).filter(Boolean);
  if (kind === "telegram") {
    b.chat_id = field("c-chat").value;
    const token = field("c-token").value.trim();
    if (token || !editing) b.token = token;
  }
  return b;
}

async function main() {
  setupHeader();
  apply();
  document.getElementById("nav-inventory")?.setAttribute("href", withLang("/inventory"));
  document.getElementById("nav-report")?.setAttribute("href", withLang("/inventory/report"));
  field("c-kind").addEventListener("change", showKind);
  document.getElementById("c-cancel")?.addEventListener("click", () => edit(null));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    status.textContent = "";
    try {
      if (editing) await api("PATCH", `/api/alert-channels/${editing.id}`, body());
      else await api("POST", "/api/alert-channels", body());
      status.textContent = t("ch.saved");
      edit(null);
      await load();
    } catch (err) {
      status.textContent = /** @type {Error} */ (err).message;
    }
  });
  try {
    await loadKecamatan();
    await load();
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) pageError.textContent = t("ch.denied");
    else pageError.textContent = /** @type {Error} */ (err).message;
  }
}

main();
