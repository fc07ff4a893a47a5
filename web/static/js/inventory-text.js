// Words of the inventory pages (dashboard and site page), Bahasa Indonesia first, and the small
// formatting helpers both pages share.

import { csrfToken } from "./http.js";
import { lang, register, t } from "./i18n.js";

register({
  id: {
    "inv.title": "Jaringan Kabupaten",
    "inv.site.title": "Situs",
    "inv.live.live": "Langsung",
    "inv.live.offline": "Terputus — menyambung ulang…",
    "inv.live.label": "Status pembaruan langsung",
    "inv.counts": "Jumlah situs menurut status",
    "inv.rollout": "{active} dari {total} desa aktif",
    "inv.rollout.label": "Kemajuan penyambungan desa",
    "inv.state.UP": "Normal",
    "inv.state.DEGRADED": "Menurun",
    "inv.state.DOWN": "Putus",
    "inv.state.UNREACHABLE": "Tak terjangkau",
    "inv.state.MAINTENANCE": "Pemeliharaan",
    "inv.state.PLANNED": "Direncanakan",
    "inv.state.UNKNOWN": "Belum diketahui",
    "inv.kind.kabupaten": "Kabupaten",
    "inv.kind.kecamatan": "Kecamatan",
    "inv.kind.desa": "Desa",
    "inv.kind.kelurahan": "Kelurahan",
    "inv.kind.village": "Desa/Kelurahan",
    "inv.kind.other": "Lainnya",
    "inv.kindshort.kabupaten": "Kab.",
    "inv.kindshort.kecamatan": "Kec.",
    "inv.kindshort.desa": "Desa",
    "inv.kindshort.kelurahan": "Kel.",
    "inv.kindshort.village": "Desa/Kel.",
    "inv.kindshort.other": "Lain",
    "inv.filter.legend": "Saring",
    "inv.filter.kind": "Jenis",
    "inv.filter.kecamatan": "Kecamatan",
    "inv.filter.state": "Status",
    "inv.filter.q": "Cari",
    "inv.filter.q.placeholder": "Nama atau kode",
    "inv.filter.all": "Semua",
    "inv.filter.reset": "Hapus saringan",
    "inv.table.caption": "Situs jaringan",
    "inv.table.shown": "{shown} dari {total} situs ditampilkan",
    "inv.col.name": "Nama",
    "inv.col.code": "Kode",
    "inv.col.kind": "Jenis",
    "inv.col.kecamatan": "Kecamatan",
    "inv.col.state": "Status",
    "inv.col.rtt": "RTT ms",
    "inv.col.loss": "Hilang %",
    "inv.col.changed": "Berubah",
    "inv.sort": "Urutkan menurut {col}",
    "inv.map.title": "Peta kabupaten",
    "inv.map.tree": "Bagan situs (koordinat belum diimpor)",
    "inv.map.label": "Peta situs menurut status",
    "inv.legend": "Keterangan",
    "inv.recent": "Perubahan terakhir",
    "inv.recent.none": "Belum ada perubahan sejak halaman dibuka.",
    "inv.change": "{name}: {from} → {to}",
    "inv.loading": "Memuat…",
    "inv.back": "← Kembali ke dasbor",
    "inv.site.parent": "Induk",
    "inv.site.code": "Kode",
    "inv.site.kind": "Jenis",
    "inv.site.state": "Status",
    "inv.site.rtt": "RTT terakhir",
    "inv.site.loss": "Hilang terakhir",
    "inv.site.method": "Metode uji",
    "inv.site.since": "Sejak",
    "inv.site.coords": "Koordinat",
    "inv.range.label": "Rentang waktu",
    "inv.range.24h": "24 jam",
    "inv.range.7d": "7 hari",
    "inv.range.30d": "30 hari",
    "inv.chart.latency": "Waktu pulang-pergi (ms): rentang min–maks dan median",
    "inv.chart.loss": "Paket hilang (%)",
    "inv.chart.empty": "Belum ada data untuk rentang ini",
    "inv.chart.summary":
      "Median {median} ms · min {min} ms · maks {max} ms · hilang rata-rata {loss} · ketersediaan {availability}",
    "inv.chart.band": "min–maks",
    "inv.chart.median": "median",
    "inv.chart.lossbar": "hilang",
    "inv.links": "Tautan (uplink)",
    "inv.links.none": "Belum ada tautan tercatat.",
    "inv.links.medium": "Media",
    "inv.links.provider": "Penyedia",
    "inv.links.capacity": "Kapasitas (kbps)",
    "inv.links.status": "Status",
    "inv.links.parent": "Ke",
    "inv.links.installed": "Dipasang",
    "inv.links.target": "Target",
    "inv.links.backup": "cadangan",
    "inv.link.planned": "direncanakan",
    "inv.link.installing": "dipasang",
    "inv.link.active": "aktif",
    "inv.link.faulty": "rusak",
    "inv.link.decommissioned": "dinonaktifkan",
    "inv.probes": "Target uji",
    "inv.probes.none": "Belum ada target uji.",
    "inv.probes.hidden": "Alamat target uji hanya terlihat oleh staf TI.",
    "inv.probes.kind": "Jenis",
    "inv.probes.target": "Alamat",
    "inv.probes.interval": "Interval (d)",
    "inv.probes.timeout": "Batas waktu (d)",
    "inv.probes.count": "Paket/putaran",
    "inv.probes.enabled": "Aktif",
    "inv.events": "Riwayat status",
    "inv.events.none": "Belum ada perubahan status.",
    "inv.yes": "ya",
    "inv.no": "tidak",
    "inv.never": "—",
    "inv.notfound": "Situs tidak ditemukan.",
  },
  en: {
    "inv.title": "Regency network",
    "inv.site.title": "Site",
    "inv.live.live": "Live",
    "inv.live.offline": "Disconnected — reconnecting…",
    "inv.live.label": "Live update status",
    "inv.counts": "Sites by state",
    "inv.rollout": "{active} of {total} villages active",
    "inv.rollout.label": "Village rollout progress",
    "inv.state.UP": "Up",
    "inv.state.DEGRADED": "Degraded",
    "inv.state.DOWN": "Down",
    "inv.state.UNREACHABLE": "Unreachable",
    "inv.state.MAINTENANCE": "Maintenance",
    "inv.state.PLANNED": "Planned",
    "inv.state.UNKNOWN": "Unknown",
    "inv.kind.kabupaten": "Regency",
    "inv.kind.kecamatan": "District",
    "inv.kind.desa": "Village (desa)",
    "inv.kind.kelurahan": "Village (kelurahan)",
    "inv.kind.village": "Village",
    "inv.kind.other": "Other",
    "inv.kindshort.kabupaten": "Regency",
    "inv.kindshort.kecamatan": "District",
    "inv.kindshort.desa": "Desa",
    "inv.kindshort.kelurahan": "Kelurahan",
    "inv.kindshort.village": "Village",
    "inv.kindshort.other": "Other",
    "inv.filter.legend": "Filter",
    "inv.filter.kind": "Kind",
    "inv.filter.kecamatan": "District (kecamatan)",
    "inv.filter.state": "State",
    "inv.filter.q": "Search",
    "inv.filter.q.placeholder": "Name or code",
    "inv.filter.all": "All",
    "inv.filter.reset": "Clear filters",
    "inv.table.caption": "Network sites",
    "inv.table.shown": "{shown} of {total} sites shown",
    "inv.col.name": "Name",
    "inv.col.code": "Code",
    "inv.col.kind": "Kind",
    "inv.col.kecamatan": "District",
    "inv.col.state": "State",
    "inv.col.rtt": "RTT ms",
    "inv.col.loss": "Loss %",
    "inv.col.changed": "Changed",
    "inv.sort": "Sort by {col}",
    "inv.map.title": "Regency map",
    "inv.map.tree": "Site tree (coordinates not imported yet)",
    "inv.map.label": "Map of sites by state",
    "inv.legend": "Legend",
    "inv.recent": "Recent changes",
    "inv.recent.none": "No changes since the page was opened.",
    "inv.change": "{name}: {from} → {to}",
    "inv.loading": "Loading…",
    "inv.back": "← Back to the dashboard",
    "inv.site.parent": "Parent",
    "inv.site.code": "Code",
    "inv.site.kind": "Kind",
    "inv.site.state": "State",
    "inv.site.rtt": "Last RTT",
    "inv.site.loss": "Last loss",
    "inv.site.method": "Probe method",
    "inv.site.since": "Since",
    "inv.site.coords": "Coordinates",
    "inv.range.label": "Time range",
    "inv.range.24h": "24 hours",
    "inv.range.7d": "7 days",
    "inv.range.30d": "30 days",
    "inv.chart.latency": "Round-trip time (ms): min–max band and median",
    "inv.chart.loss": "Packet loss (%)",
    "inv.chart.empty": "No data for this range yet",
    "inv.chart.summary":
      "Median {median} ms · min {min} ms · max {max} ms · mean loss {loss} · availability {availability}",
    "inv.chart.band": "min–max",
    "inv.chart.median": "median",
    "inv.chart.lossbar": "loss",
    "inv.links": "Links (uplinks)",
    "inv.links.none": "No links recorded.",
    "inv.links.medium": "Medium",
    "inv.links.provider": "Provider",
    "inv.links.capacity": "Capacity (kbps)",
    "inv.links.status": "Status",
    "inv.links.parent": "To",
    "inv.links.installed": "Installed",
    "inv.links.target": "Target date",
    "inv.links.backup": "backup",
    "inv.link.planned": "planned",
    "inv.link.installing": "installing",
    "inv.link.active": "active",
    "inv.link.faulty": "faulty",
    "inv.link.decommissioned": "decommissioned",
    "inv.probes": "Probe targets",
    "inv.probes.none": "No probe targets.",
    "inv.probes.hidden": "Probe target addresses are visible to IT staff only.",
    "inv.probes.kind": "Kind",
    "inv.probes.target": "Address",
    "inv.probes.interval": "Interval (s)",
    "inv.probes.timeout": "Timeout (s)",
    "inv.probes.count": "Packets/round",
    "inv.probes.enabled": "Enabled",
    "inv.events": "State history",
    "inv.events.none": "No state changes yet.",
    "inv.yes": "yes",
    "inv.no": "no",
    "inv.never": "—",
    "inv.notfound": "Site not found.",
  },
});

export const locale = () => (lang() === "en" ? "en-GB" : "id-ID");

/** @param {string} state */
export const stateText = (state) => t(`inv.state.${state}`);

/** @param {string} kind */
export const kindText = (kind) => t(`inv.kind.${kind}`);

/** The short form for table cells. @param {string} kind */
export const kindShort = (kind) => t(`inv.kindshort.${kind}`);

/** @param {number|null} ms */
export function fmtMs(ms) {
  if (ms == null) return t("inv.never");
  return ms < 10 ? ms.toFixed(1) : ms.toFixed(0);
}

/** Loss 0..1 as a percentage text. @param {number|null} loss */
export function fmtLoss(loss) {
  if (loss == null) return t("inv.never");
  const pct = loss * 100;
  return pct === 0 || pct >= 10 ? pct.toFixed(0) : pct.toFixed(1);
}

/** @param {number|null} v 0..1 */
export function fmtPct(v) {
  return v == null ? t("inv.never") : `${(v * 100).toFixed(v >= 0.999 || v === 0 ? 0 : 1)} %`;
}

/** A short local time ("14:05" today, else "3 Des 14:05"). @param {string|null} iso */
export function fmtWhen(iso) {
  if (!iso) return t("inv.never");
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return t("inv.never");
  const today = new Date().toDateString() === d.toDateString();
  return new Intl.DateTimeFormat(
    locale(),
    today
      ? { hour: "2-digit", minute: "2-digit", second: "2-digit" }
      : { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" },
  ).format(d);
}

/** Header: sign-out and the language switch (keeps the rest of the query). */
export function setupHeader() {
  const link = document.getElementById("lang-link");
  if (link) {
    const u = new URL(location.href);
    if (lang() === "en") u.searchParams.delete("lang");
    else u.searchParams.set("lang", "en");
    link.setAttribute("href", u.pathname + u.search);
  }
  document.getElementById("signout")?.addEventListener("click", async () => {
    await fetch("/api/session", {
      method: "DELETE",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken() },
    });
    location.assign(`/login${lang() === "en" ? "?lang=en" : ""}`);
  });
}
