// Admin page: users (create, reset password, disable/enable, sign out everywhere) and the
// audit log (filter, page, CSV export). Talks only to /api/admin/* through http.js.
import { actionLabel } from "./audit-labels.js";
import { api } from "./http.js";
import { apply, dateTime, lang, register, t, withLang } from "./i18n.js";

register({
  id: {
    "admin.title": "Administrasi",
    "admin.newUser": "Pengguna baru",
    "admin.username": "Nama pengguna",
    "admin.displayName": "Nama tampilan",
    "admin.role": "Peran",
    "admin.siteCode": "Kode wilayah (untuk akun kantor)",
    "admin.password": "Kata sandi (kosongkan untuk dibuatkan)",
    "admin.create": "Buat pengguna",
    "admin.users": "Pengguna",
    "admin.state": "Status",
    "admin.actions": "Tindakan",
    "admin.active": "aktif",
    "admin.disabled": "nonaktif",
    "admin.reset": "Atur ulang kata sandi",
    "admin.disable": "Nonaktifkan",
    "admin.enable": "Aktifkan",
    "admin.signOutAll": "Logout di semua perangkat",
    "admin.newPassword": "Kata sandi baru untuk {user}: {password} (hanya ditampilkan sekali)",
    "admin.created": "Pengguna {user} dibuat.",
    "admin.done": "Selesai.",
    "admin.ended": "{n} sesi diakhiri.",
    "admin.audit": "Log audit",
    "admin.filterAction": "Tindakan (awalan, mis. host.)",
    "admin.filterActor": "Pelaku",
    "admin.filter": "Saring",
    "admin.exportCsv": "Unduh CSV",
    "admin.when": "Waktu",
    "admin.actor": "Pelaku",
    "admin.address": "Alamat",
    "admin.action": "Tindakan",
    "admin.target": "Sasaran",
    "admin.total": "{shown} dari {total} entri",
    "admin.more": "Lebih banyak",
    "admin.denied": "Halaman ini hanya untuk administrator.",
    "role.admin": "Administrator",
    "role.host": "Tuan rumah (Kantor Bupati)",
    "role.it": "Staf TI",
    "role.viewer": "Pemantau",
    "role.site": "Akun kantor (kecamatan)",
  },
  en: {
    "admin.title": "Administration",
    "admin.newUser": "New user",
    "admin.username": "Username",
    "admin.displayName": "Display name",
    "admin.role": "Role",
    "admin.siteCode": "Site code (for site accounts)",
    "admin.password": "Password (leave empty to generate one)",
    "admin.create": "Create user",
    "admin.users": "Users",
    "admin.state": "State",
    "admin.actions": "Actions",
    "admin.active": "active",
    "admin.disabled": "disabled",
    "admin.reset": "Reset password",
    "admin.disable": "Disable",
    "admin.enable": "Enable",
    "admin.signOutAll": "Sign out everywhere",
    "admin.newPassword": "New password for {user}: {password} (shown once)",
    "admin.created": "User {user} created.",
    "admin.done": "Done.",
    "admin.ended": "{n} sessions ended.",
    "admin.audit": "Audit log",
    "admin.filterAction": "Action (prefix, e.g. host.)",
    "admin.filterActor": "Actor",
    "admin.filter": "Filter",
    "admin.exportCsv": "Download CSV",
    "admin.when": "When",
    "admin.actor": "Actor",
    "admin.address": "Address",
    "admin.action": "Action",
    "admin.target": "Target",
    "admin.total": "{shown} of {total} entries",
    "admin.more": "More",
    "admin.denied": "This page is for administrators only.",
    "role.admin": "Administrator",
    "role.host": "Host (Bupati's office)",
    "role.it": "IT staff",
    "role.viewer": "Viewer",
    "role.site": "Site account (kecamatan)",
  },
});

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const status = $("admin-status");
const secretOut = $("secret-out");

/** @param {string} tag @param {string} [text] */
function el(tag, text) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** @param {unknown} e */
function errorText(e) {
  return e instanceof Error ? e.message : t("error.generic");
}

/** @param {string} user @param {string} password */
function showSecret(user, password) {
  secretOut.hidden = false;
  secretOut.textContent = t("admin.newPassword", { user, password });
}

/**
 * One action button for a user row.
 * @param {string} label @param {string} username @param {() => Promise<void>} run
 */
function actionButton(label, username, run) {
  const b = /** @type {HTMLButtonElement} */ (el("button", label));
  b.type = "button";
  b.className = "secondary";
  b.setAttribute("aria-label", `${label}: ${username}`);
  b.addEventListener("click", async () => {
    b.disabled = true;
    try {
      await run();
    } catch (e) {
      status.textContent = errorText(e);
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

async function loadUsers() {
  const data = await api("GET", "/api/admin/users");
  const body = /** @type {HTMLTableSectionElement} */ ($("users").querySelector("tbody"));
  body.replaceChildren();
  for (const u of data.items) {
    const tr = el("tr");
    tr.append(el("td", u.username), el("td", t(`role.${u.role}`)), el("td", u.site_code ?? ""));
    tr.append(el("td", u.disabled ? t("admin.disabled") : t("admin.active")));
    const actions = el("td");
    const base = `/api/admin/users/${u.id}`;
    actions.append(
      actionButton(t("admin.reset"), u.username, async () => {
        const r = await api("POST", `${base}/password`, {});
        showSecret(u.username, r.generated_password);
      }),
      actionButton(u.disabled ? t("admin.enable") : t("admin.disable"), u.username, async () => {
        await api("POST", `${base}/${u.disabled ? "enable" : "disable"}`, {});
        status.textContent = t("admin.done");
        await loadUsers();
      }),
      actionButton(t("admin.signOutAll"), u.username, async () => {
        const r = await api("POST", `${base}/sign-out`, {});
        status.textContent = t("admin.ended", { n: r.ended });
      }),
    );
    tr.append(actions);
    body.append(tr);
  }
}

let auditOffset = 0;

function auditQuery() {
  const form = /** @type {HTMLFormElement} */ ($("audit-filter"));
  const q = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (String(v)) q.set(k, String(v));
  return q;
}

/** @param {boolean} reset */
async function loadAudit(reset) {
  if (reset) auditOffset = 0;
  const q = auditQuery();
  $("audit-csv").setAttribute("href", `/api/admin/audit.csv?${q}`);
  q.set("limit", "100");
  q.set("offset", String(auditOffset));
  const data = await api("GET", `/api/admin/audit?${q}`);
  const body = /** @type {HTMLTableSectionElement} */ ($("audit").querySelector("tbody"));
  if (reset) body.replaceChildren();
  for (const e of data.items) {
    const tr = el("tr");
    tr.append(el("td", dateTime(e.at)), el("td", e.actor ?? ""), el("td", e.address ?? ""));
    tr.append(el("td", actionLabel(e.action)), el("td", e.target ?? ""));
    body.append(tr);
  }
  auditOffset += data.items.length;
  $("audit-total").textContent = t("admin.total", { shown: auditOffset, total: data.total });
  $("audit-more").hidden = auditOffset >= data.total;
}

async function main() {
  apply();
  $("lang-link").setAttribute("href", lang() === "en" ? "?" : "?lang=en");
  for (const id of ["nav-home", "nav-inventory", "to-login"])
    $(id).setAttribute("href", withLang($(id).getAttribute("href") ?? "/"));
  const me = await api("GET", "/api/me");
  if (!me.user || me.user.role !== "admin") {
    $("denied").hidden = false;
    return;
  }
  $("who").textContent = me.user.display_name;
  $("admin").hidden = false;

  const form = /** @type {HTMLFormElement} */ ($("new-user"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("new-user-error").textContent = "";
    const data = new FormData(form);
    /** @type {Record<string,string>} */
    const body = {};
    for (const [k, v] of data) if (String(v).trim()) body[k] = String(v);
    try {
      const r = await api("POST", "/api/admin/users", body);
      status.textContent = t("admin.created", { user: r.user.username });
      if (r.generated_password) showSecret(r.user.username, r.generated_password);
      form.reset();
      await loadUsers();
    } catch (e) {
      $("new-user-error").textContent = errorText(e);
    }
  });
  $("audit-filter").addEventListener("submit", (ev) => {
    ev.preventDefault();
    loadAudit(true).catch((e) => (status.textContent = errorText(e)));
  });
  $("audit-more").addEventListener("click", () => {
    loadAudit(false).catch((e) => (status.textContent = errorText(e)));
  });
  await Promise.all([loadUsers(), loadAudit(true)]);
}

main().catch((e) => (status.textContent = errorText(e)));
