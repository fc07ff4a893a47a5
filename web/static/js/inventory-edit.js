// Editing the inventory in the browser: forms for sites, links, probe targets, recurring
// maintenance windows and alert webhooks, sent to the same REST API curl uses (docs/api.md) —
// so the same validation, change log and roles. The server's per-field messages (a 400's
// `details`) are shown next to their fields; deletes are confirmed first. Only IT staff and
// admins get these controls (the server refuses everyone else anyway).

import { register, t } from "./i18n.js";
import { ApiError, api } from "./http.js";

register({
  id: {
    "edit.save": "Simpan",
    "edit.cancel": "Batal",
    "edit.edit": "Ubah",
    "edit.delete": "Hapus",
    "edit.saved": "Tersimpan.",
    "edit.failed": "Belum tersimpan: periksa isian yang ditandai.",
    "edit.forbidden": "Peran Anda tidak boleh mengubah inventaris.",
    "edit.confirm": "Hapus {what}? Ini tidak bisa dibatalkan.",
    "edit.required": "(wajib)",
    "edit.site.add": "Tambah situs",
    "edit.site.edit": "Ubah situs",
    "edit.site.delete": "Hapus situs",
    "edit.site.what": "situs {name}",
    "edit.link.add": "Tambah tautan",
    "edit.link.what": "tautan ke {name}",
    "edit.link.next": "Tandai {status}",
    "edit.probe.add": "Tambah target uji",
    "edit.probe.what": "target uji {name}",
    "edit.window.title": "Jadwal pemeliharaan rutin",
    "edit.window.add": "Tambah jadwal pemeliharaan",
    "edit.window.what": "jadwal pemeliharaan {name}",
    "edit.window.none": "Belum ada jadwal pemeliharaan rutin.",
    "edit.window.days": "Hari",
    "edit.window.time": "Jam (WIB)",
    "edit.window.active": "sedang berlangsung",
    "edit.hook.title": "Webhook peringatan",
    "edit.hook.add": "Tambah webhook",
    "edit.hook.what": "webhook {name}",
    "edit.hook.none": "Belum ada webhook.",
    "edit.hook.last": "Terakhir",
    "f.name": "Nama",
    "f.code": "Kode Kemendagri",
    "f.kind": "Jenis",
    "f.parent": "Induk (id atau kode situs)",
    "f.lat": "Lintang",
    "f.lon": "Bujur",
    "f.address": "Alamat",
    "f.contact": "Kontak",
    "f.notes": "Catatan",
    "f.maintenance_from": "Pemeliharaan sekali: mulai",
    "f.maintenance_until": "Pemeliharaan sekali: selesai",
    "f.link_parent": "Ke situs induk (id atau kode)",
    "f.medium": "Media",
    "f.status": "Status",
    "f.provider": "Penyedia",
    "f.capacity_kbps": "Kapasitas (kbps)",
    "f.target_date": "Tanggal target",
    "f.installed_date": "Tanggal dipasang",
    "f.priority": "Prioritas (0 utama, 1.. cadangan)",
    "f.probe_kind": "Jenis uji",
    "f.host": "Alamat host",
    "f.port": "Port",
    "f.url": "URL",
    "f.interval_s": "Interval (detik)",
    "f.timeout_s": "Batas waktu (detik)",
    "f.count": "Paket per putaran",
    "f.enabled": "Aktif",
    "f.weekdays": "Hari",
    "f.start": "Mulai (JJ:MM, WIB)",
    "f.end": "Selesai (JJ:MM, WIB; 24:00 = tengah malam)",
    "f.hook_url": "URL penerima",
    "f.description": "Keterangan",
    "day.1": "Senin",
    "day.2": "Selasa",
    "day.3": "Rabu",
    "day.4": "Kamis",
    "day.5": "Jumat",
    "day.6": "Sabtu",
    "day.7": "Minggu",
    "medium.fiber": "Serat optik",
    "medium.wireless": "Radio",
    "medium.vsat": "VSAT",
    "medium.adsl": "ADSL",
    "medium.cellular": "Seluler",
    "medium.other": "Lainnya",
  },
  en: {
    "edit.save": "Save",
    "edit.cancel": "Cancel",
    "edit.edit": "Edit",
    "edit.delete": "Delete",
    "edit.saved": "Saved.",
    "edit.failed": "Not saved: check the marked fields.",
    "edit.forbidden": "Your role may not change the inventory.",
    "edit.confirm": "Delete {what}? This cannot be undone.",
    "edit.required": "(required)",
    "edit.site.add": "Add site",
    "edit.site.edit": "Edit site",
    "edit.site.delete": "Delete site",
    "edit.site.what": "site {name}",
    "edit.link.add": "Add link",
    "edit.link.what": "the link to {name}",
    "edit.link.next": "Mark {status}",
    "edit.probe.add": "Add probe target",
    "edit.probe.what": "probe target {name}",
    "edit.window.title": "Recurring maintenance",
    "edit.window.add": "Add maintenance window",
    "edit.window.what": "maintenance window {name}",
    "edit.window.none": "No recurring maintenance windows.",
    "edit.window.days": "Days",
    "edit.window.time": "Time (WIB)",
    "edit.window.active": "in progress",
    "edit.hook.title": "Alert webhooks",
    "edit.hook.add": "Add webhook",
    "edit.hook.what": "webhook {name}",
    "edit.hook.none": "No webhooks yet.",
    "edit.hook.last": "Last",
    "f.name": "Name",
    "f.code": "Kemendagri code",
    "f.kind": "Kind",
    "f.parent": "Parent (site id or code)",
    "f.lat": "Latitude",
    "f.lon": "Longitude",
    "f.address": "Address",
    "f.contact": "Contact",
    "f.notes": "Notes",
    "f.maintenance_from": "One-off maintenance: from",
    "f.maintenance_until": "One-off maintenance: until",
    "f.link_parent": "To parent site (id or code)",
    "f.medium": "Medium",
    "f.status": "Status",
    "f.provider": "Provider",
    "f.capacity_kbps": "Capacity (kbps)",
    "f.target_date": "Target date",
    "f.installed_date": "Installed date",
    "f.priority": "Priority (0 primary, 1.. backup)",
    "f.probe_kind": "Probe kind",
    "f.host": "Host address",
    "f.port": "Port",
    "f.url": "URL",
    "f.interval_s": "Interval (seconds)",
    "f.timeout_s": "Timeout (seconds)",
    "f.count": "Packets per round",
    "f.enabled": "Enabled",
    "f.weekdays": "Days",
    "f.start": "Start (HH:MM, WIB)",
    "f.end": "End (HH:MM, WIB; 24:00 = midnight)",
    "f.hook_url": "Receiver URL",
    "f.description": "Description",
    "day.1": "Monday",
    "day.2": "Tuesday",
    "day.3": "Wednesday",
    "day.4": "Thursday",
    "day.5": "Friday",
    "day.6": "Saturday",
    "day.7": "Sunday",
    "medium.fiber": "Fibre",
    "medium.wireless": "Radio",
    "medium.vsat": "VSAT",
    "medium.adsl": "ADSL",
    "medium.cellular": "Cellular",
    "medium.other": "Other",
  },
});

/**
 * @typedef {{name: string, label: string, type?: string, required?: boolean,
 *   options?: [string, string][], step?: string, param?: string}} Field
 * `name` is the API field; `type` text (default), number, select, date, datetime, checkbox,
 * weekdays, textarea; `options` are [value, label key] pairs of a select.
 */

const KINDS = ["kecamatan", "desa", "kelurahan", "village", "other", "kabupaten"];
const MEDIA = ["fiber", "wireless", "vsat", "adsl", "cellular", "other"];
export const LINK_STEPS = ["planned", "installing", "active", "faulty", "decommissioned"];

/** @type {Field[]} */
export const SITE_FIELDS = [
  { name: "name", label: "f.name", required: true },
  { name: "kind", label: "f.kind", type: "select", options: KINDS.map((k) => [k, `inv.kind.${k}`]) },
  { name: "parent", label: "f.parent" },
  { name: "code", label: "f.code" },
  { name: "lat", label: "f.lat", type: "number", step: "any" },
  { name: "lon", label: "f.lon", type: "number", step: "any" },
  { name: "address", label: "f.address" },
  { name: "contact", label: "f.contact" },
  { name: "maintenance_from", label: "f.maintenance_from", type: "datetime" },
  { name: "maintenance_until", label: "f.maintenance_until", type: "datetime" },
  { name: "notes", label: "f.notes", type: "textarea" },
];

/** @type {Field[]} */
export const LINK_FIELDS = [
  { name: "parent", label: "f.link_parent", required: true },
  { name: "medium", label: "f.medium", type: "select", options: MEDIA.map((m) => [m, `medium.${m}`]) },
  { name: "status", label: "f.status", type: "select", options: LINK_STEPS.map((s) => [s, `inv.link.${s}`]) },
  { name: "provider", label: "f.provider" },
  { name: "capacity_kbps", label: "f.capacity_kbps", type: "number", step: "1" },
  { name: "target_date", label: "f.target_date", type: "date" },
  { name: "installed_date", label: "f.installed_date", type: "date" },
  { name: "priority", label: "f.priority", type: "number", step: "1" },
  { name: "notes", label: "f.notes", type: "textarea" },
];

/** @type {Field[]} */
export const PROBE_FIELDS = [
  { name: "kind", label: "f.probe_kind", type: "select", options: [["icmp", "ICMP"], ["tcp", "TCP"], ["http", "HTTP"]] },
  { name: "host", label: "f.host" },
  { name: "port", label: "f.port", type: "number", step: "1" },
  { name: "url", label: "f.url" },
  { name: "interval_s", label: "f.interval_s", type: "number", step: "any" },
  { name: "timeout_s", label: "f.timeout_s", type: "number", step: "any" },
  { name: "count", label: "f.count", type: "number", step: "1" },
  { name: "enabled", label: "f.enabled", type: "checkbox" },
];

/** @type {Field[]} */
export const WINDOW_FIELDS = [
  { name: "weekdays", label: "f.weekdays", type: "weekdays", required: true },
  { name: "start", label: "f.start", required: true },
  { name: "end", label: "f.end", required: true },
  { name: "notes", label: "f.notes" },
];

/** @type {Field[]} */
export const WEBHOOK_FIELDS = [
  { name: "url", label: "f.hook_url", required: true },
  { name: "description", label: "f.description" },
  { name: "enabled", label: "f.enabled", type: "checkbox" },
];

/** Whether the signed-in user may change the inventory (admin or IT staff). */
export async function canEdit() {
  const me = await api("GET", "/api/me").catch(() => ({ user: null }));
  return Boolean(me.user && ["admin", "it"].includes(me.user.role));
}

/** Ask before deleting. @param {string} what */
export function confirmDelete(what) {
  return window.confirm(t("edit.confirm", { what }));
}

/** A button with visible text and, when the text alone is ambiguous, a fuller accessible name.
 * @param {string} text @param {() => void} onClick @param {string} [label] @param {string} [cls] */
export function button(text, onClick, label, cls = "secondary") {
  const b = document.createElement("button");
  b.type = "button";
  b.className = cls;
  b.textContent = text;
  if (label) b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

let formCount = 0;

/** The value an input shows for a stored value. @param {Field} f @param {any} v */
function shown(f, v) {
  if (v == null) return "";
  if (f.type === "datetime") {
    const d = new Date(v);
    const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  return String(v);
}

/**
 * Open a form in `box` (replacing what is there). `save(body)` sends it; on success `done(result)`
 * runs and the form closes; a 400's per-field messages appear next to their fields.
 * @param {HTMLElement} box
 * @param {{title: string, fields: Field[], values?: Record<string, any>, partial?: boolean,
 *   save: (body: Record<string, any>) => Promise<any>, done: (result: any) => void}} spec
 */
export function openForm(box, spec) {
  const id = `form${++formCount}`;
  const form = document.createElement("form");
  form.className = "edit-form";
  form.noValidate = true;
  const h = document.createElement("h3");
  h.id = `${id}-title`;
  h.textContent = spec.title;
  form.setAttribute("aria-labelledby", h.id);
  form.append(h);
  const values = spec.values ?? {};
  for (const f of spec.fields) form.append(fieldRow(id, f, values[f.name]));
  const alert = document.createElement("p");
  alert.className = "error";
  alert.setAttribute("role", "alert");
  const actions = document.createElement("div");
  actions.className = "edit-actions";
  const submit = document.createElement("button");
  submit.type = "submit";
  submit.textContent = t("edit.save");
  actions.append(submit, button(t("edit.cancel"), () => box.replaceChildren()));
  form.append(alert, actions);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form, alert);
    submit.disabled = true;
    try {
      const result = await spec.save(readForm(form, spec.fields, Boolean(spec.partial)));
      box.replaceChildren();
      spec.done(result);
    } catch (e) {
      showErrors(form, alert, e);
    } finally {
      submit.disabled = false;
    }
  });
  box.replaceChildren(form);
  /** @type {HTMLElement|null} */ (form.querySelector("input, select, textarea"))?.focus();
  return form;
}

/** @param {string} formId @param {Field} f @param {any} value */
function fieldRow(formId, f, value) {
  const row = document.createElement("div");
  row.className = `field field-${f.type ?? "text"}`;
  row.dataset.name = f.name;
  const inputId = `${formId}-${f.name}`;
  const err = document.createElement("span");
  err.className = "field-error";
  err.id = `${inputId}-error`;
  const labelText = t(f.label) + (f.required ? ` ${t("edit.required")}` : "");
  if (f.type === "weekdays") {
    const set = document.createElement("fieldset");
    set.setAttribute("aria-describedby", err.id);
    const legend = document.createElement("legend");
    legend.textContent = labelText;
    set.append(legend);
    const chosen = new Set(Array.isArray(value) ? value : []);
    for (let d = 1; d <= 7; d++) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = f.name;
      box.value = String(d);
      box.checked = chosen.has(d);
      label.append(box, ` ${t(`day.${d}`)}`);
      set.append(label);
    }
    row.append(set, err);
    return row;
  }
  const label = document.createElement("label");
  label.htmlFor = inputId;
  label.textContent = labelText;
  /** @type {HTMLInputElement|HTMLSelectElement|HTMLTextAreaElement} */
  let input;
  if (f.type === "select") {
    const select = document.createElement("select");
    for (const [v, key] of f.options ?? []) select.append(new Option(t(key), v));
    if (value != null) select.value = String(value);
    input = select;
  } else if (f.type === "textarea") {
    input = document.createElement("textarea");
    input.rows = 2;
    input.value = shown(f, value);
  } else {
    const el = document.createElement("input");
    el.type = { number: "number", date: "date", datetime: "datetime-local", checkbox: "checkbox" }[f.type ?? ""] ?? "text";
    if (f.step) el.step = f.step;
    if (f.type === "checkbox") el.checked = value == null ? true : Boolean(value);
    else el.value = shown(f, value);
    input = el;
  }
  input.id = inputId;
  input.name = f.name;
  input.setAttribute("aria-describedby", err.id);
  if (f.type === "checkbox") row.append(input, label, err);
  else row.append(label, input, err);
  return row;
}

/** The API body of a form: empty optional fields are left out of a new record and cleared
 * (null) in a change. @param {HTMLFormElement} form @param {Field[]} fields @param {boolean} partial */
function readForm(form, fields, partial) {
  /** @type {Record<string, any>} */
  const body = {};
  for (const f of fields) {
    const el = /** @type {HTMLInputElement} */ (form.elements.namedItem(f.name));
    if (f.type === "weekdays") {
      const boxes = /** @type {NodeListOf<HTMLInputElement>} */ (form.querySelectorAll(`input[name="${f.name}"]`));
      body[f.name] = [...boxes].filter((b) => b.checked).map((b) => Number(b.value));
      continue;
    }
    if (f.type === "checkbox") {
      body[f.name] = el.checked;
      continue;
    }
    const raw = el.value.trim();
    let value = /** @type {any} */ (raw === "" ? null : raw);
    if (value !== null && f.type === "number" && Number.isFinite(Number(raw))) value = Number(raw);
    if (value !== null && f.type === "datetime") value = new Date(raw).toISOString();
    if (value === null && !partial) continue;
    body[f.name] = value;
  }
  return body;
}

/** @param {HTMLFormElement} form @param {HTMLElement} alert */
function clearErrors(form, alert) {
  alert.textContent = "";
  for (const e of form.querySelectorAll(".field-error")) e.textContent = "";
  for (const e of form.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
}

/** The server's messages next to their fields; the rest in the form's alert.
 * @param {HTMLFormElement} form @param {HTMLElement} alert @param {unknown} e */
function showErrors(form, alert, e) {
  if (!(e instanceof ApiError)) {
    alert.textContent = e instanceof Error ? e.message : String(e);
    return;
  }
  if (e.status === 403) {
    alert.textContent = t("edit.forbidden");
    return;
  }
  const details = e.details.length ? e.details : [{ field: e.message.split(" ")[0], message: e.message }];
  let placed = 0;
  for (const d of details) {
    const row = d.field ? form.querySelector(`.field[data-name="${CSS.escape(d.field)}"]`) : null;
    if (!row) continue;
    const err = /** @type {HTMLElement} */ (row.querySelector(".field-error"));
    err.textContent = err.textContent ? `${err.textContent}; ${d.message}` : d.message;
    row.querySelector("input, select, textarea, fieldset")?.setAttribute("aria-invalid", "true");
    placed += 1;
  }
  alert.textContent = placed ? t("edit.failed") : e.message;
  const first = /** @type {HTMLElement|null} */ (form.querySelector("[aria-invalid] , [aria-invalid] input"));
  first?.focus();
}

/** `POST` a new record, or `PATCH` an existing one. @param {string} base @param {number|null} id
 * @param {Record<string, any>} body */
export function saveRecord(base, id, body) {
  return id == null ? api("POST", base, body) : api("PATCH", `${base}/${id}`, body);
}
