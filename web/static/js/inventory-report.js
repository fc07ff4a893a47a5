// The monthly availability report (/inventory/report?month=YYYY-MM): per kecamatan, provider,
// medium and site, from GET /api/reports/availability; CSV download and an A4 print layout.

import { apply, register, t, withLang } from "./i18n.js";
import { ApiError, api } from "./http.js";
import { fmtLoss, fmtMs, locale } from "./inventory-text.js";
import { setupHeader } from "./header.js";

register({
  id: {
    "rep.title": "Laporan ketersediaan jaringan",
    "rep.month": "Bulan",
    "rep.show": "Tampilkan",
    "rep.csv": "Unduh CSV",
    "rep.print": "Cetak (A4)",
    "rep.kecamatan": "Per kecamatan (kecamatan dan desanya)",
    "rep.providers": "Per penyedia",
    "rep.media": "Per media",
    "rep.sites": "Per lokasi",
    "rep.notes": "Cara menghitung",
    "rep.note.availability": "Ketersediaan = 1 − waktu putus ÷ waktu layanan. Waktu layanan: status Normal, Menurun atau Putus.",
    "rep.note.excluded": "Tidak dihitung: pemeliharaan terjadwal, tak terjangkau karena induknya putus (dihitung pada induknya), direncanakan, dan belum diketahui.",
    "rep.note.outage": "Satu gangguan berakhir saat lokasi kembali Normal atau Menurun; pemeliharaan di tengahnya tidak ikut dihitung. Gangguan yang melewati pergantian bulan dihitung di kedua bulan, masing-masing bagiannya.",
    "rep.note.mttr": "Rata-rata waktu pemulihan (MTTR) = waktu putus ÷ jumlah gangguan. RTT: median dari median per jam; paket hilang: seluruh bulan.",
    "rep.note.time": "Waktu dalam WIB (Asia/Jakarta). Penyedia dan media: tautan utama lokasi saat ini.",
    "rep.heading": "Laporan Ketersediaan Jaringan — {month}",
    "rep.government": "Pemerintah {region}",
    "rep.summary": "{month}: {sites} lokasi, ketersediaan {availability}, {outages} gangguan, terlama {longest}, rata-rata pemulihan {mttr}.",
    "rep.partial": "Bulan berjalan: sampai {end}.",
    "rep.none": "Tidak ada lokasi yang beroperasi pada bulan ini.",
    "rep.col.kecamatan": "Kecamatan",
    "rep.col.provider": "Penyedia",
    "rep.col.medium": "Media",
    "rep.col.site": "Lokasi",
    "rep.col.code": "Kode",
    "rep.col.sites": "Lokasi",
    "rep.col.availability": "Ketersediaan",
    "rep.col.outages": "Gangguan",
    "rep.col.longest": "Terlama",
    "rep.col.mttr": "MTTR",
    "rep.col.maintenance": "Pemeliharaan",
    "rep.col.rtt": "RTT median (ms)",
    "rep.col.loss": "Paket hilang (%)",
    "rep.unknownProvider": "(tidak tercatat)",
    "rep.medium.fiber": "serat optik",
    "rep.medium.wireless": "radio",
    "rep.medium.vsat": "VSAT",
    "rep.medium.adsl": "ADSL",
    "rep.medium.cellular": "seluler",
    "rep.medium.other": "lainnya",
    "rep.h": "{h} jam {m} mnt",
    "rep.m": "{m} mnt",
    "rep.badMonth": "Bulan tidak valid atau belum dimulai.",
    "rep.printed": "Dicetak {when} WIB dari Pendopo. Data: riwayat status dan pengukuran jaringan kabupaten.",
  },
  en: {
    "rep.title": "Network availability report",
    "rep.month": "Month",
    "rep.show": "Show",
    "rep.csv": "Download CSV",
    "rep.print": "Print (A4)",
    "rep.kecamatan": "By district (the kecamatan and its villages)",
    "rep.providers": "By provider",
    "rep.media": "By medium",
    "rep.sites": "By site",
    "rep.notes": "How it is computed",
    "rep.note.availability": "Availability = 1 − down time ÷ service time. Service time: state Up, Degraded or Down.",
    "rep.note.excluded": "Left out: scheduled maintenance, unreachable because the parent was down (counted at the parent), planned, and unknown.",
    "rep.note.outage": "An outage ends when the site is Up or Degraded again; maintenance inside it is not counted. An outage across a month boundary counts in both months, each with its own part.",
    "rep.note.mttr": "Mean time to repair (MTTR) = down time ÷ outages. RTT: median of the hourly medians; loss: over the whole month.",
    "rep.note.time": "Times in WIB (Asia/Jakarta). Provider and medium: the site's current primary link.",
    "rep.heading": "Network Availability Report — {month}",
    "rep.government": "Government of {region}",
    "rep.summary": "{month}: {sites} sites, availability {availability}, {outages} outages, longest {longest}, mean time to repair {mttr}.",
    "rep.partial": "Month in progress: up to {end}.",
    "rep.none": "No site was in service this month.",
    "rep.col.kecamatan": "District",
    "rep.col.provider": "Provider",
    "rep.col.medium": "Medium",
    "rep.col.site": "Site",
    "rep.col.code": "Code",
    "rep.col.sites": "Sites",
    "rep.col.availability": "Availability",
    "rep.col.outages": "Outages",
    "rep.col.longest": "Longest",
    "rep.col.mttr": "MTTR",
    "rep.col.maintenance": "Maintenance",
    "rep.col.rtt": "Median RTT (ms)",
    "rep.col.loss": "Loss (%)",
    "rep.unknownProvider": "(not recorded)",
    "rep.medium.fiber": "fibre",
    "rep.medium.wireless": "radio",
    "rep.medium.vsat": "VSAT",
    "rep.medium.adsl": "ADSL",
    "rep.medium.cellular": "cellular",
    "rep.medium.other": "other",
    "rep.h": "{h} h {m} min",
    "rep.m": "{m} min",
    "rep.badMonth": "Invalid month, or it has not begun.",
    "rep.printed": "Printed {when} WIB from Pendopo. Data: the regency network's state history and measurements.",
  },
});
apply();
setupHeader();
for (const id of ["nav-inventory", "nav-report"]) {
  const a = document.getElementById(id);
  a?.setAttribute("href", withLang(a.getAttribute("href") ?? "/"));
}

const input = /** @type {HTMLInputElement} */ (document.getElementById("month"));
input.max = currentMonth();
input.value = new URLSearchParams(location.search).get("month") ?? currentMonth();
document.getElementById("month-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const u = new URL(location.href);
  u.searchParams.set("month", input.value);
  history.replaceState(null, "", u.pathname + u.search);
  load();
});
document.getElementById("print").addEventListener("click", () => window.print());
load();

/** This month in WIB (UTC+7), "YYYY-MM". */
function currentMonth() {
  return new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 7);
}

/** "November 2026" in the page's language. @param {string} month */
export function monthName(month) {
  const [y, m] = month.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), { month: "long", year: "numeric", timeZone: "UTC" }).format(
    new Date(Date.UTC(y, m - 1, 15)),
  );
}

/** @param {number|null} v 0..1 */
function fmtAvail(v) {
  if (v == null) return t("inv.never");
  const n = new Intl.NumberFormat(locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${n.format(Math.floor(v * 10000) / 100)} %`; // rounded down: 99.999 % is not 100 %
}

/** @param {number|null} s seconds */
function fmtDuration(s) {
  if (s == null) return t("inv.never");
  const total = Math.round(s / 60);
  const h = Math.floor(total / 60);
  const m = total % 60;
  return h ? t("rep.h", { h, m: String(m).padStart(2, "0") }) : t("rep.m", { m });
}

/** @param {string|null} medium */
const mediumText = (medium) => (medium ? t(`rep.medium.${medium}`) : t("rep.unknownProvider"));

async function load() {
  const month = input.value;
  const err = document.getElementById("report-error");
  err.textContent = "";
  document.getElementById("csv").setAttribute("href", `/api/reports/availability.csv?month=${encodeURIComponent(month)}`);
  let report;
  try {
    report = await api("GET", `/api/reports/availability?month=${encodeURIComponent(month)}`);
  } catch (e) {
    err.textContent = e instanceof ApiError && e.status === 400 ? t("rep.badMonth") : e instanceof Error ? e.message : String(e);
    for (const id of ["kecamatan", "providers", "media", "sites"]) document.getElementById(id).replaceChildren();
    document.getElementById("report-summary").textContent = "";
    return;
  }
  render(report);
}

/** @param {any} r */
function render(r) {
  const name = monthName(r.month);
  document.title = `${t("rep.heading", { month: name })} — Pendopo`;
  document.getElementById("report-title").textContent = t("rep.heading", { month: name });
  document.getElementById("print-region").textContent = t("rep.government", { region: r.region ?? r.regency ?? "" });
  document.getElementById("print-title").textContent = t("rep.heading", { month: name });
  const tot = r.total;
  let summary = tot.sites
    ? t("rep.summary", {
        month: name,
        sites: tot.sites,
        availability: fmtAvail(tot.availability),
        outages: tot.outages,
        longest: fmtDuration(tot.longest_outage_s),
        mttr: fmtDuration(tot.mttr_s),
      })
    : t("rep.none");
  if (!r.complete) {
    const end = new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Jakarta" });
    summary += ` ${t("rep.partial", { end: `${end.format(new Date(r.end))} WIB` })}`;
  }
  document.getElementById("report-summary").textContent = summary;
  const when = new Intl.DateTimeFormat(locale(), { dateStyle: "long", timeStyle: "short", timeZone: "Asia/Jakarta" });
  document.getElementById("printed").textContent = t("rep.printed", { when: when.format(new Date()) });
  const figureCols = ["rep.col.sites", "rep.col.availability", "rep.col.outages", "rep.col.longest", "rep.col.mttr", "rep.col.rtt", "rep.col.loss"];
  /** @param {any} row */
  const figures = (row) => [
    String(row.sites ?? 1),
    fmtAvail(row.availability),
    String(row.outages),
    fmtDuration(row.longest_outage_s),
    fmtDuration(row.mttr_s),
    fmtMs(row.rtt_median_ms),
    fmtLoss(row.loss),
  ];
  table("kecamatan", "rep.kecamatan", ["rep.col.kecamatan", ...figureCols], r.kecamatan.map((/** @type {any} */ k) => [k.name, ...figures(k)]));
  table("providers", "rep.providers", ["rep.col.provider", ...figureCols], r.providers.map((/** @type {any} */ p) => [p.provider ?? t("rep.unknownProvider"), ...figures(p)]));
  table("media", "rep.media", ["rep.col.medium", ...figureCols], r.media.map((/** @type {any} */ m) => [mediumText(m.medium), ...figures(m)]));
  table(
    "sites",
    "rep.sites",
    ["rep.col.site", "rep.col.code", "rep.col.kecamatan", "rep.col.provider", "rep.col.medium", ...figureCols.slice(1)],
    r.sites.map((/** @type {any} */ s) => {
      const a = document.createElement("a");
      a.href = withLang(`/inventory/sites/${s.site_id}`);
      a.textContent = s.name;
      return [a, s.code ?? t("inv.never"), s.kecamatan ?? t("inv.never"), s.provider ?? t("rep.unknownProvider"), mediumText(s.medium), ...figures(s).slice(1)];
    }),
    5,
  );
}

/**
 * A table with a caption; the columns from numFrom on are figures (right-aligned).
 * @param {string} boxId @param {string} captionKey @param {string[]} headKeys
 * @param {(Node|string)[][]} rows @param {number} [numFrom]
 */
function table(boxId, captionKey, headKeys, rows, numFrom = 1) {
  const box = document.getElementById(boxId);
  if (!rows.length) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = t("rep.none");
    box.replaceChildren(p);
    return;
  }
  const tbl = document.createElement("table");
  tbl.createCaption().textContent = t(captionKey);
  tbl.caption.className = "visually-hidden";
  const head = tbl.createTHead().insertRow();
  headKeys.forEach((k, i) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = t(k);
    if (i >= numFrom) th.className = "num";
    head.append(th);
  });
  const body = tbl.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    r.forEach((v, i) => {
      const td = tr.insertCell();
      if (i >= numFrom) td.className = "num";
      td.append(v);
    });
  }
  box.replaceChildren(tbl);
}
