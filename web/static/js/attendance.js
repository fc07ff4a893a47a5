// The attendance list (daftar hadir) of a session at /sesi/{room}/hadir: who came from which
// site, when, for how long; invited sites nobody came from; by kecamatan, with a blank signature
// column, printable on A4 under the regency's header. Data: GET /api/rooms/{id}/attendance
// (host and admin only: anyone else reads the server's refusal here).

import { ApiError, api } from "./http.js";
import { apply, lang, register, t, withLang } from "./i18n.js";

register({
  id: {
    "att.title": "Daftar hadir",
    "att.csv": "Unduh CSV",
    "att.print": "Cetak (A4)",
    "att.region": "Pemerintah {region}",
    "att.session": "Sesi",
    "att.date": "Waktu",
    "att.agenda": "Agenda",
    "att.summary": "{people} orang hadir; {absent} lokasi yang diundang tidak hadir.",
    "att.col.no": "No.",
    "att.col.name": "Nama",
    "att.col.site": "Lokasi",
    "att.col.joined": "Bergabung",
    "att.col.left": "Keluar",
    "att.col.present": "Lama hadir",
    "att.col.reconnects": "Sambung ulang",
    "att.col.signature": "Tanda tangan",
    "att.regency": "Kantor Bupati / tanpa lokasi",
    "att.kecamatan": "Kecamatan {name}",
    "att.absent": "tidak hadir",
    "att.minutes": "{n} menit",
    "att.forbidden": "Hanya kantor tuan rumah yang dapat melihat daftar hadir.",
    "att.notFound": "Sesi ini tidak ditemukan.",
  },
  en: {
    "att.title": "Attendance list",
    "att.csv": "Download CSV",
    "att.print": "Print (A4)",
    "att.region": "Government of {region}",
    "att.session": "Session",
    "att.date": "Time",
    "att.agenda": "Agenda",
    "att.summary": "{people} people attended; {absent} invited sites were absent.",
    "att.col.no": "No.",
    "att.col.name": "Name",
    "att.col.site": "Site",
    "att.col.joined": "Joined",
    "att.col.left": "Left",
    "att.col.present": "Time present",
    "att.col.reconnects": "Reconnects",
    "att.col.signature": "Signature",
    "att.regency": "Regent's office / no site",
    "att.kecamatan": "Kecamatan {name}",
    "att.absent": "absent",
    "att.minutes": "{n} min",
    "att.forbidden": "Only the host's office may see the attendance list.",
    "att.notFound": "This session was not found.",
  },
});

const ROOM = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] ?? "");

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @param {number|null} s epoch seconds @param {Intl.DateTimeFormatOptions} style */
function wib(s, style) {
  if (typeof s !== "number") return "";
  return new Date(s * 1000).toLocaleString(lang() === "en" ? "en-GB" : "id-ID", {
    timeZone: "Asia/Jakarta",
    ...style,
  });
}
const clock = (/** @type {number|null} */ s) => wib(s, { hour: "2-digit", minute: "2-digit" });

/** @param {string} tag @param {string} text @param {string} [cls] */
function cell(tag, text, cls) {
  const el = document.createElement(tag);
  el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

/** @param {string} term @param {string} value */
function fact(term, value) {
  return [cell("dt", term), cell("dd", value)];
}

/**
 * @typedef {{kecamatan: string, site: string, name: string, joined_at: number|null,
 *   left_at: number|null, present_s: number, reconnects: number, absent: boolean}} Line
 */

/** @param {any} data */
function render(data) {
  const room = data.room;
  $("print-region").textContent = t("att.region", { region: data.region });
  const start = room.starts_at ?? room.created_at;
  // A scheduled session is filed under its scheduled time; an unscheduled one from creation to end.
  const end = room.starts_at ? room.starts_at + room.duration_min * 60 : room.ended_at;
  const when = `${wib(start, { dateStyle: "full", timeStyle: "short" })}${end ? ` – ${clock(end)}` : ""} WIB`;
  const facts = [...fact(t("att.session"), room.title), ...fact(t("att.date"), when)];
  if (room.agenda) facts.push(...fact(t("att.agenda"), room.agenda));
  $("att-session").replaceChildren(...facts);
  document.title = `${t("att.title")} — ${room.title}`;

  /** @type {Line[]} */
  const lines = data.lines ?? [];
  const body = /** @type {HTMLTableSectionElement} */ ($("att-table").querySelector("tbody"));
  body.replaceChildren();
  let group = null;
  let number = 0;
  for (const line of lines) {
    if (line.kecamatan !== group) {
      group = line.kecamatan;
      const row = document.createElement("tr");
      const head = cell("th", group ? t("att.kecamatan", { name: group }) : t("att.regency"), "group");
      head.colSpan = 8;
      head.scope = "colgroup";
      row.append(head);
      body.append(row);
    }
    const row = document.createElement("tr");
    if (line.absent) {
      row.append(cell("td", ""), cell("td", t("att.absent"), "absent"), cell("td", line.site));
      for (let i = 0; i < 4; i += 1) row.append(cell("td", ""));
    } else {
      number += 1;
      row.append(
        cell("td", String(number), "num"),
        cell("td", line.name),
        cell("td", line.site),
        cell("td", clock(line.joined_at)),
        cell("td", clock(line.left_at)),
        cell("td", t("att.minutes", { n: Math.round(line.present_s / 60) }), "num"),
        cell("td", String(line.reconnects), "num"),
      );
    }
    row.append(cell("td", "", "signature"));
    body.append(row);
  }
  $("att-summary").textContent = t("att.summary", {
    people: number,
    absent: (data.absent_sites ?? []).length,
  });
  $("att-table").hidden = false;
}

async function main() {
  apply();
  $("lang-link").setAttribute("href", lang() === "en" ? location.pathname : "?lang=en");
  $("nav-sessions").setAttribute("href", withLang("/"));
  const base = `/api/rooms/${encodeURIComponent(ROOM)}/attendance`;
  $("csv").setAttribute("href", `${base}.csv`);
  $("print").addEventListener("click", () => window.print());
  try {
    render(await api("GET", base));
  } catch (e) {
    const status = e instanceof ApiError ? e.status : 0;
    $("att-error").textContent =
      status === 403 ? t("att.forbidden") : status === 404 ? t("att.notFound") : t("error.generic");
  }
}

main();
