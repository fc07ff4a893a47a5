// The KPT catalogue editor (/layanan/kelola, signed in; changes need admin or it): list, add,
// change and delete services, pick the kecamatan offering a delegated one, CSV export/import.
// Talks to /api/services*, /api/import/services and /api/export/services.csv through http.js.

import { ApiError, csrfToken } from "./http.js";
import { setupHeader } from "./header.js";
import { apply, register, t } from "./i18n.js";
import "./layanan-strings.js";

register({
  id: {
    "kptAdmin.pageTitle": "Kelola layanan KPT — Pendopo",
    "kptAdmin.public": "Papan layanan",
    "kptAdmin.title": "Kelola layanan KPT",
    "kptAdmin.list": "Daftar layanan",
    "kptAdmin.col.offices": "Kecamatan",
    "kptAdmin.col.actions": "Tindakan",
    "kptAdmin.new": "Layanan baru",
    "kptAdmin.editing": "Ubah layanan: {name}",
    "kptAdmin.duration": "Waktu layanan (seperti di papan, mis. 5 menit)",
    "kptAdmin.delegated": "Dilimpahkan ke kecamatan",
    "kptAdmin.offices": "Kecamatan yang memberikan layanan ini",
    "kptAdmin.all": "Pilih semua",
    "kptAdmin.none": "Kosongkan",
    "kptAdmin.notes": "Catatan",
    "kptAdmin.save": "Simpan",
    "kptAdmin.cancel": "Batal",
    "kptAdmin.edit": "Ubah",
    "kptAdmin.editLabel": "Ubah {name}",
    "kptAdmin.delete": "Hapus",
    "kptAdmin.deleteLabel": "Hapus {name}",
    "kptAdmin.confirmDelete": "Hapus layanan {name}?",
    "kptAdmin.saved": "Layanan {name} disimpan.",
    "kptAdmin.deleted": "Layanan {name} dihapus.",
    "kptAdmin.notDelegated": "Tidak dilimpahkan (di KPT)",
    "kptAdmin.count": "{n} kecamatan",
    "kptAdmin.progress":
      "Tercatat {perizinan} dari {perizinanTotal} layanan perizinan ({delegated} dari {delegatedTotal} dilimpahkan) dan {non} dari {nonTotal} layanan non-perizinan.",
    "kptAdmin.csv": "CSV",
    "kptAdmin.export": "Unduh daftar (CSV)",
    "kptAdmin.file": "Berkas CSV (id, name, kind, duration, delegated, kecamatan, notes)",
    "kptAdmin.dry": "Hanya periksa (tidak menyimpan)",
    "kptAdmin.import": "Unggah",
    "kptAdmin.imported":
      "{rows} baris: {created} baru, {updated} diubah, {unchanged} tetap{dry}.",
    "kptAdmin.dryNote": " (hanya diperiksa, belum disimpan)",
    "kptAdmin.forbidden": "Hanya staf TI dan administrator yang dapat mengubah daftar layanan.",
  },
  en: {
    "kptAdmin.pageTitle": "Manage KPT services — Pendopo",
    "kptAdmin.public": "Service board",
    "kptAdmin.title": "Manage KPT services",
    "kptAdmin.list": "Services",
    "kptAdmin.col.offices": "Kecamatan",
    "kptAdmin.col.actions": "Actions",
    "kptAdmin.new": "New service",
    "kptAdmin.editing": "Change service: {name}",
    "kptAdmin.duration": "Service time (as on the board, e.g. 5 menit)",
    "kptAdmin.delegated": "Delegated to the kecamatan",
    "kptAdmin.offices": "Kecamatan offering this service",
    "kptAdmin.all": "Select all",
    "kptAdmin.none": "Clear",
    "kptAdmin.notes": "Notes",
    "kptAdmin.save": "Save",
    "kptAdmin.cancel": "Cancel",
    "kptAdmin.edit": "Change",
    "kptAdmin.editLabel": "Change {name}",
    "kptAdmin.delete": "Delete",
    "kptAdmin.deleteLabel": "Delete {name}",
    "kptAdmin.confirmDelete": "Delete the service {name}?",
    "kptAdmin.saved": "Service {name} saved.",
    "kptAdmin.deleted": "Service {name} deleted.",
    "kptAdmin.notDelegated": "Not delegated (at the KPT)",
    "kptAdmin.count": "{n} kecamatan",
    "kptAdmin.progress":
      "Entered: {perizinan} of {perizinanTotal} permit services ({delegated} of {delegatedTotal} delegated) and {non} of {nonTotal} non-permit services.",
    "kptAdmin.csv": "CSV",
    "kptAdmin.export": "Download the list (CSV)",
    "kptAdmin.file": "CSV file (id, name, kind, duration, delegated, kecamatan, notes)",
    "kptAdmin.dry": "Only check (save nothing)",
    "kptAdmin.import": "Upload",
    "kptAdmin.imported": "{rows} rows: {created} new, {updated} changed, {unchanged} unchanged{dry}.",
    "kptAdmin.dryNote": " (only checked, not saved)",
    "kptAdmin.forbidden": "Only IT staff and administrators may change the service list.",
  },
});

/** @type {any[]} */
let services = [];
/** The regency's totals, from GET /api/services. */
let structure = { perizinan: 0, non_perizinan: 0, delegated: 0 };

/** @param {string} id */
const $ = (id) => /** @type {any} */ (document.getElementById(id));

/** @param {HTMLElement} list @param {unknown} err */
function showError(list, err) {
  const items = [];
  if (err instanceof ApiError) {
    items.push(err.status === 403 ? t("kptAdmin.forbidden") : err.message);
    for (const d of /** @type {any} */ (err).details ?? [])
      items.push([d.row, d.field, d.message].filter(Boolean).join(": "));
  } else items.push(t("error.generic"));
  list.replaceChildren(
    ...items.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }),
  );
}

/**
 * A JSON request to the REST API (with the CSRF token); errors keep the server's details.
 * @param {string} method @param {string} path @param {unknown} [body] @param {string} [type]
 */
async function call(method, path, body, type = "application/json") {
  /** @type {Record<string,string>} */
  const headers = { Accept: "application/json", "X-CSRF-Token": csrfToken() };
  if (body !== undefined) headers["Content-Type"] = type;
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined || typeof body === "string" ? body : JSON.stringify(body),
  });
  const data = res.status === 204 ? {} : await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new ApiError(res.status, data.error ?? "error", data.message ?? res.statusText);
    /** @type {any} */ (err).details = data.details;
    throw err;
  }
  return data;
}

/** @param {string} text @param {string} label @param {() => void} onClick */
function button(text, label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.className = "secondary";
  b.addEventListener("click", onClick);
  return b;
}

function drawProgress() {
  const permits = services.filter((s) => s.kind === "perizinan");
  $("structure").textContent = t("kptAdmin.progress", {
    perizinan: permits.length,
    perizinanTotal: structure.perizinan,
    delegated: permits.filter((s) => s.delegated).length,
    delegatedTotal: structure.delegated,
    non: services.length - permits.length,
    nonTotal: structure.non_perizinan,
  });
}

function drawList() {
  $("service-rows").replaceChildren(
    ...services.map((s) => {
      const tr = document.createElement("tr");
      tr.dataset.service = s.name;
      const cells = [
        s.name,
        t(`kpt.kind.${s.kind}`),
        s.duration ?? "",
        s.delegated ? t("kptAdmin.count", { n: s.kecamatan.length }) : t("kptAdmin.notDelegated"),
      ];
      for (const text of cells) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      const actions = document.createElement("td");
      actions.className = "row-actions";
      actions.append(
        button(t("kptAdmin.edit"), t("kptAdmin.editLabel", { name: s.name }), () => edit(s)),
        button(t("kptAdmin.delete"), t("kptAdmin.deleteLabel", { name: s.name }), () => remove(s)),
      );
      tr.append(actions);
      return tr;
    }),
  );
  drawProgress();
}

async function load() {
  const data = await call("GET", "/api/services");
  services = data.items;
  structure = data.structure;
  drawList();
}

async function loadOffices() {
  const data = await call("GET", "/api/sites?kind=kecamatan&limit=1000");
  $("office-boxes").replaceChildren(
    ...data.items
      .sort((/** @type {any} */ a, /** @type {any} */ b) => a.name.localeCompare(b.name))
      .map((/** @type {any} */ site) => {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = "kecamatan";
      box.value = site.code ?? String(site.id);
      label.append(box, ` ${site.name}`);
      return label;
    }),
  );
}

/** @returns {HTMLInputElement[]} */
function officeBoxes() {
  return Array.from(document.querySelectorAll('#office-boxes input[name="kecamatan"]'));
}

function syncDelegated() {
  $("s-offices").disabled = !$("s-delegated").checked;
}

/** @param {any} [s] */
function edit(s) {
  $("s-id").value = s ? String(s.id) : "";
  $("s-name").value = s?.name ?? "";
  $("s-kind").value = s?.kind ?? "perizinan";
  $("s-duration").value = s?.duration ?? "";
  $("s-delegated").checked = Boolean(s?.delegated);
  $("s-notes").value = s?.notes ?? "";
  const codes = new Set((s?.kecamatan ?? []).map((/** @type {any} */ k) => k.code));
  for (const box of officeBoxes()) box.checked = codes.has(box.value);
  $("form-title").textContent = s ? t("kptAdmin.editing", { name: s.name }) : t("kptAdmin.new");
  $("form-errors").replaceChildren();
  syncDelegated();
  $("s-name").focus();
}

/** @param {any} s */
async function remove(s) {
  if (!confirm(t("kptAdmin.confirmDelete", { name: s.name }))) return;
  try {
    await call("DELETE", `/api/services/${s.id}`);
    $("status").textContent = t("kptAdmin.deleted", { name: s.name });
    await load();
  } catch (err) {
    showError($("form-errors"), err);
  }
}

/** @param {SubmitEvent} ev */
async function save(ev) {
  ev.preventDefault();
  const delegated = $("s-delegated").checked;
  const body = {
    name: $("s-name").value,
    kind: $("s-kind").value,
    duration: $("s-duration").value || null,
    delegated,
    kecamatan: delegated ? officeBoxes().filter((b) => b.checked).map((b) => b.value) : [],
    notes: $("s-notes").value || null,
  };
  const id = $("s-id").value;
  try {
    const saved = await call(id ? "PATCH" : "POST", id ? `/api/services/${id}` : "/api/services", body);
    $("status").textContent = t("kptAdmin.saved", { name: saved.name });
    edit();
    await load();
  } catch (err) {
    showError($("form-errors"), err);
  }
}

/** @param {SubmitEvent} ev */
async function upload(ev) {
  ev.preventDefault();
  const file = $("csv-file").files?.[0];
  if (!file) return;
  const dry = $("csv-dry").checked;
  $("import-errors").replaceChildren();
  $("import-result").textContent = "";
  let data;
  try {
    data = await call("POST", `/api/import/services${dry ? "?dry_run=1" : ""}`, await file.text(), "text/csv");
  } catch (err) {
    showError($("import-errors"), err);
    return;
  }
  $("import-result").textContent = t("kptAdmin.imported", { ...data, dry: dry ? t("kptAdmin.dryNote") : "" });
  if (!dry) await load();
}

setupHeader();
apply();
$("service-form").addEventListener("submit", save);
$("cancel").addEventListener("click", () => edit());
$("new-service").addEventListener("click", () => edit());
$("s-delegated").addEventListener("change", syncDelegated);
$("all-offices").addEventListener("click", () => officeBoxes().forEach((b) => (b.checked = true)));
$("no-offices").addEventListener("click", () => officeBoxes().forEach((b) => (b.checked = false)));
$("import-form").addEventListener("submit", upload);
Promise.all([loadOffices(), load()])
  .then(() => edit())
  .catch((err) => showError($("form-errors"), err));
