// The public KPT service board (/layanan, no sign-in): which delegated service is available at
// which kecamatan now, since when one is interrupted, and last month's availability.
// ?mode=board: full-screen TV at the KPT entrance (large type, no controls). The page re-reads
// the public JSON route /api/public/services every ?refresh= seconds (default 30; 2..600).

import { apply, lang, register, t } from "./i18n.js";
import "./layanan-strings.js";

register({
  id: {
    "kpt.pageTitle": "Layanan KPT — Pendopo",
    "kpt.header": "Kantor Pelayanan Terpadu",
    "kpt.title": "Layanan di kecamatan saat ini",
    "kpt.intro":
      "Layanan yang dilimpahkan ke kecamatan hanya dapat diberikan selama jaringan kantor kecamatan tersambung ke sistem kabupaten.",
    "kpt.loading": "Memuat…",
    "kpt.updated": "Diperbarui {time}",
    "kpt.stale": "Tidak dapat memuat data terbaru (terakhir {time}). Mencoba lagi…",
    "kpt.failed": "Tidak dapat memuat data. Mencoba lagi…",
    "kpt.offices": "Kecamatan",
    "kpt.noOffices": "Belum ada layanan yang dilimpahkan ke kecamatan.",
    "kpt.catalogue": "Daftar layanan",
    "kpt.where.kpt": "Di KPT",
    "kpt.where.offices": "Tersedia di {n} dari {m} kecamatan",
    "kpt.status.available": "Tersedia",
    "kpt.status.interrupted": "Terputus",
    "kpt.status.interruptedSince": "Terputus sejak {time}",
    "kpt.status.maintenance": "Terputus (pemeliharaan)",
    "kpt.status.maintenanceSince": "Terputus (pemeliharaan) sejak {time}",
    "kpt.status.unknown": "Belum diketahui",
    "kpt.month": "Ketersediaan bulan lalu ({month}): {pct}",
    "kpt.month.none": "Ketersediaan bulan lalu ({month}): belum ada data",
    "kpt.services": "Layanan: {names}",
    "kpt.structure":
      "KPT memberikan {perizinan} layanan perizinan ({delegated} di antaranya dilimpahkan ke kecamatan) dan {non_perizinan} layanan non-perizinan.",
    "kpt.board.open": "Mode papan",
  },
  en: {
    "kpt.pageTitle": "KPT services — Pendopo",
    "kpt.header": "One-stop service office (KPT)",
    "kpt.title": "Services at the kecamatan offices now",
    "kpt.intro":
      "Services delegated to the kecamatan can only be given while the kecamatan office's network is connected to the regency system.",
    "kpt.loading": "Loading…",
    "kpt.updated": "Updated {time}",
    "kpt.stale": "Could not load the latest data (last {time}). Retrying…",
    "kpt.failed": "Could not load the data. Retrying…",
    "kpt.offices": "Kecamatan",
    "kpt.noOffices": "No service is delegated to the kecamatan yet.",
    "kpt.catalogue": "Services",
    "kpt.where.kpt": "At the KPT",
    "kpt.where.offices": "Available at {n} of {m} kecamatan",
    "kpt.status.available": "Available",
    "kpt.status.interrupted": "Interrupted",
    "kpt.status.interruptedSince": "Interrupted since {time}",
    "kpt.status.maintenance": "Interrupted (maintenance)",
    "kpt.status.maintenanceSince": "Interrupted (maintenance) since {time}",
    "kpt.status.unknown": "Not known yet",
    "kpt.month": "Availability last month ({month}): {pct}",
    "kpt.month.none": "Availability last month ({month}): no data yet",
    "kpt.services": "Services: {names}",
    "kpt.structure":
      "The KPT gives {perizinan} permit services ({delegated} of them delegated to the kecamatan) and {non_perizinan} non-permit services.",
    "kpt.board.open": "Board mode",
  },
});

const params = new URLSearchParams(location.search);
const BOARD = params.get("mode") === "board";
const REFRESH_S = Math.min(600, Math.max(2, Number(params.get("refresh")) || 30));
const LOCALE = lang() === "en" ? "en-GB" : "id-ID";
const TIME = new Intl.DateTimeFormat(LOCALE, {
  timeZone: "Asia/Jakarta",
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
});
const CLOCK = new Intl.DateTimeFormat(LOCALE, {
  timeZone: "Asia/Jakarta",
  weekday: "long",
  day: "numeric",
  month: "long",
  hour: "2-digit",
  minute: "2-digit",
});
const PCT = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 2, style: "percent" });

/** "2026-11" as "November 2026". @param {string} label */
function monthName(label) {
  const [y, m] = label.split("-").map(Number);
  if (!y || !m) return label;
  const fmt = new Intl.DateTimeFormat(LOCALE, { timeZone: "UTC", month: "long", year: "numeric" });
  return fmt.format(new Date(Date.UTC(y, m - 1, 15)));
}

/** @param {string|null} iso */
function when(iso) {
  return iso ? TIME.format(new Date(iso)) : "";
}

/**
 * @typedef {object} OfficeNow
 * @property {string} name
 * @property {"available"|"interrupted"|"maintenance"|"unknown"} status
 * @property {string|null} since
 * @property {number|null} availability_last_month  percent
 * @property {string[]} [services]
 */

/** @param {OfficeNow} o */
function statusText(o) {
  if ((o.status === "interrupted" || o.status === "maintenance") && o.since)
    return t(`kpt.status.${o.status}Since`, { time: when(o.since) });
  return t(`kpt.status.${o.status}`);
}

/** @param {string} tag @param {string} text @param {string} [cls] */
function el(tag, text, cls) {
  const e = document.createElement(tag);
  e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

/** @param {OfficeNow} o @param {string} month */
function officeItem(o, month) {
  const li = document.createElement("li");
  li.className = `office is-${o.status}`;
  li.dataset.office = o.name;
  li.dataset.status = o.status;
  li.append(el("h3", o.name), el("p", statusText(o), "status"));
  const pct = o.availability_last_month;
  li.append(
    el(
      "p",
      pct === null
        ? t("kpt.month.none", { month })
        : t("kpt.month", { month, pct: PCT.format(pct / 100) }),
      "month",
    ),
  );
  if (o.services?.length) li.append(el("p", t("kpt.services", { names: o.services.join(", ") }), "services"));
  return li;
}

/** @param {any} data */
function draw(data) {
  const offices = document.getElementById("offices");
  const month = monthName(data.last_month);
  offices?.replaceChildren(...data.kecamatan.map((/** @type {OfficeNow} */ o) => officeItem(o, month)));
  const none = document.getElementById("no-offices");
  if (none) none.hidden = data.kecamatan.length > 0;
  const rows = document.getElementById("catalogue-rows");
  rows?.replaceChildren(
    ...data.services.map((/** @type {any} */ s) => {
      const tr = document.createElement("tr");
      tr.dataset.service = s.name;
      const where = s.delegated
        ? t("kpt.where.offices", { n: s.available_at, m: s.offices.length })
        : t("kpt.where.kpt");
      tr.append(el("td", s.name), el("td", t(`kpt.kind.${s.kind}`)), el("td", s.duration ?? ""), el("td", where));
      return tr;
    }),
  );
  const structure = document.getElementById("structure");
  if (structure) structure.textContent = t("kpt.structure", data.structure);
}

let lastOk = "";

async function refresh() {
  const status = document.getElementById("updated");
  try {
    const res = await fetch("/api/public/services", { headers: { Accept: "application/json" } });
    if (!res.ok) throw new Error(String(res.status));
    const data = await res.json();
    draw(data);
    lastOk = when(data.generated_at);
    if (status) status.textContent = t("kpt.updated", { time: lastOk });
  } catch {
    if (status) status.textContent = lastOk ? t("kpt.stale", { time: lastOk }) : t("kpt.failed");
  }
}

function tick() {
  const clock = document.getElementById("clock");
  if (clock) clock.textContent = CLOCK.format(new Date());
}

function links() {
  const langLink = document.getElementById("lang-link");
  const u = new URL(location.href);
  if (lang() === "en") u.searchParams.delete("lang");
  else u.searchParams.set("lang", "en");
  langLink?.setAttribute("href", u.pathname + u.search);
  const board = new URL(location.href);
  board.searchParams.set("mode", "board");
  document.getElementById("board-link")?.setAttribute("href", board.pathname + board.search);
}

document.body.classList.toggle("board", BOARD);
apply();
links();
tick();
setInterval(tick, 15000);
refresh();
setInterval(refresh, REFRESH_S * 1000);
// A TV runs for weeks: reload the page itself twice a day to pick up a new version of it.
if (BOARD) setTimeout(() => location.reload(), 12 * 3600 * 1000);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) refresh();
});
