// The home at /. For the host's office: "New session" (title, date and time in WIB, length,
// agenda, invited sites found by a type-ahead search -> Create -> join link to copy), then the
// upcoming and past sessions (readiness, join link, calendar file, attendance list). For a site
// seat on a kecamatan PC: its own upcoming sessions ("Sesi berikutnya: ..., 09.00").
// Not signed in: off to /login?next=/ first.

import { api } from "./http.js";
import { apply, dateTime, lang, register, t, withLang } from "./i18n.js";
import { inviteButton, openInvites } from "./invites.js";
import { attachSiteSearch, choiceText, siteChoices } from "./site-search.js";

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
    "home.sendLink": "Kirim tautan ini ke kantor kecamatan. Anda juga bergabung lewat tautan yang sama.",
    "home.enter": "Gabung ke sesi",
    "home.upcoming": "Sesi mendatang",
    "home.past": "Sesi lalu",
    "home.none": "Belum ada sesi mendatang.",
    "home.pastNone": "Belum ada sesi lalu.",
    "home.date": "Tanggal",
    "home.time": "Jam (WIB)",
    "home.duration": "Lama (menit)",
    "home.whenHint": "Kosongkan tanggal dan jam untuk sesi yang langsung dibuka.",
    "home.needBoth": "Isi tanggal dan jam, atau kosongkan keduanya.",
    "home.agenda": "Agenda",
    "home.inviteSearch": "Undang lokasi: cari desa/kelurahan atau kecamatan",
    "home.inviteAll": "Semua kecamatan",
    "home.inviteNone": "Kosongkan",
    "home.invitedCount": "{n} lokasi diundang",
    "home.uninvite": "Hapus {site}",
    "home.col.when": "Waktu (WIB)",
    "home.col.attendance": "Daftar hadir",
    "home.unscheduled": "tanpa jadwal",
    "home.ics": "Kalender (.ics)",
    "home.icsFor": "Kalender (.ics) {title}",
    "home.attendance": "Daftar hadir",
    "home.attendanceFor": "Daftar hadir {title}",
    "home.mine": "Sesi untuk lokasi Anda",
    "home.mineNone": "Belum ada sesi terjadwal untuk lokasi Anda.",
    "home.next": "Sesi berikutnya: {title}, {time}",
    "home.join": "Bergabung",
    "home.col.title": "Judul",
    "home.col.state": "Status",
    "home.col.link": "Tautan",
    "home.open": "Buka {title}",
    "home.notHost": "Hanya kantor tuan rumah yang dapat membuat sesi.",
    "home.signedIn": "Masuk sebagai {name}",
    "state.open": "terbuka",
    "state.locked": "dikunci",
    "state.ended": "berakhir",
    "home.invited": "Lokasi yang diundang",
    "home.col.readiness": "Kesiapan",
    "ready.summary": "{ready} siap, {weak} lemah, {down} putus",
    "ready.unknownCount": "{n} belum diketahui",
    "ready.none": "Tidak ada lokasi diundang",
    "ready.details": "Rincian lokasi",
    "ready.failed": "Kesiapan tidak dapat dimuat",
    "ready.ready": "siap",
    "ready.weak": "lemah (hanya suara)",
    "ready.down": "putus",
    "ready.unknown": "belum diketahui",
    "ready.lastCall": "panggilan terakhir {rtt} ms, hilang {loss} %",
    "presence.present": "hadir",
    "presence.lobby": "di ruang tunggu",
    "presence.absent": "belum bergabung",
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
    "home.upcoming": "Upcoming sessions",
    "home.past": "Past sessions",
    "home.none": "No upcoming sessions.",
    "home.pastNone": "No past sessions yet.",
    "home.date": "Date",
    "home.time": "Time (WIB)",
    "home.duration": "Length (minutes)",
    "home.whenHint": "Leave date and time empty for a session that opens at once.",
    "home.needBoth": "Fill in both date and time, or leave both empty.",
    "home.agenda": "Agenda",
    "home.inviteSearch": "Invite a site: search a village or kecamatan",
    "home.inviteAll": "All kecamatan",
    "home.inviteNone": "Clear",
    "home.invitedCount": "{n} sites invited",
    "home.uninvite": "Remove {site}",
    "home.col.when": "Time (WIB)",
    "home.col.attendance": "Attendance",
    "home.unscheduled": "unscheduled",
    "home.ics": "Calendar (.ics)",
    "home.icsFor": "Calendar (.ics) {title}",
    "home.attendance": "Attendance list",
    "home.attendanceFor": "Attendance list {title}",
    "home.mine": "Sessions for your site",
    "home.mineNone": "No scheduled sessions for your site yet.",
    "home.next": "Next session: {title}, {time}",
    "home.join": "Join",
    "home.col.title": "Title",
    "home.col.state": "State",
    "home.col.link": "Link",
    "home.open": "Open {title}",
    "home.notHost": "Only the host's office can create sessions.",
    "home.signedIn": "Signed in as {name}",
    "state.open": "open",
    "state.locked": "locked",
    "state.ended": "ended",
    "home.invited": "Invited sites",
    "home.col.readiness": "Readiness",
    "ready.summary": "{ready} ready, {weak} weak, {down} down",
    "ready.unknownCount": "{n} unknown",
    "ready.none": "No invited sites",
    "ready.details": "Sites",
    "ready.failed": "Readiness could not be loaded",
    "ready.ready": "ready",
    "ready.weak": "weak (audio only)",
    "ready.down": "down",
    "ready.unknown": "unknown",
    "ready.lastCall": "last call {rtt} ms, {loss} % lost",
    "presence.present": "present",
    "presence.lobby": "waiting in the lobby",
    "presence.absent": "not joined",
  },
});

/**
 * @typedef {{starts_at: number, duration_min: number, ends_at: number, opens_at: number, agenda: string}} Schedule
 * @typedef {{id: string, title: string, state: string, join_url: string, created_at?: number|string,
 *   invited_sites?: string[], schedule?: Schedule|null}} RoomRecord
 */
/**
 * One invited site in `GET /api/rooms/{id}/readiness` (docs/api.md).
 * @typedef {{code: string, name: string, label?: string, readiness: "ready"|"weak"|"down"|"unknown",
 *   link: {state: string, rtt_ms?: number|null, loss?: number|null}|null,
 *   last_call: {rtt_median?: number|null, loss?: number|null}|null,
 *   presence: "present"|"lobby"|"absent"}} ReadinessSite
 */

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
  return dateTime(when);
}

/** "09.00" (WIB). @param {number} when epoch seconds */
function clock(when) {
  return new Date(when * 1000).toLocaleTimeString(lang() === "en" ? "en-GB" : "id-ID", {
    timeZone: "Asia/Jakarta",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** When a session takes place, or when it was created (unscheduled). @param {RoomRecord} room */
function whenText(room) {
  if (!room.schedule) return `${formatTime(room.created_at)} (${t("home.unscheduled")})`;
  return `${formatTime(room.schedule.starts_at)} – ${clock(room.schedule.ends_at)}`;
}

/** @param {RoomRecord} room */
function isPast(room) {
  return room.state === "ended" || (room.schedule ? room.schedule.ends_at * 1000 < Date.now() : false);
}

/** @param {string} href @param {string} text @param {string} label */
function link(href, text, label) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  a.setAttribute("aria-label", label);
  return a;
}

/** @param {RoomRecord} room */
function icsLink(room) {
  const a = link(`/api/rooms/${encodeURIComponent(room.id)}/calendar.ics`, t("home.ics"), t("home.icsFor", { title: room.title }));
  a.setAttribute("download", "");
  return a;
}

/** @param {RoomRecord} room */
function attendanceLink(room) {
  return link(withLang(`/sesi/${encodeURIComponent(room.id)}/hadir`), t("home.attendance"), t("home.attendanceFor", { title: room.title }));
}

/** @param {number|null|undefined} v @param {number} digits */
const num = (v, digits = 0) => (typeof v === "number" ? v.toFixed(digits) : "–");

/** @param {ReadinessSite} s */
function siteLine(s) {
  const parts = [t(`ready.${s.readiness}`)];
  if (typeof s.link?.rtt_ms === "number") parts.push(`${Math.round(s.link.rtt_ms)} ms`);
  if (s.last_call) {
    parts.push(t("ready.lastCall", { rtt: num(s.last_call.rtt_median), loss: num((s.last_call.loss ?? 0) * 100, 1) }));
  }
  parts.push(t(`presence.${s.presence}`));
  const li = document.createElement("li");
  li.className = `r-${s.readiness}`;
  li.textContent = `${s.label ?? s.name}: ${parts.join(", ")}`;
  return li;
}

/**
 * "18 ready, 1 weak, 1 down" and, in a disclosure, one line per invited site.
 * @param {HTMLElement} cell @param {RoomRecord} room
 */
async function showReadiness(cell, room) {
  cell.className = "readiness";
  if (!room.invited_sites?.length) {
    cell.textContent = t("ready.none");
    return;
  }
  try {
    const data = await api("GET", `/api/rooms/${encodeURIComponent(room.id)}/readiness`);
    const c = data.counts ?? {};
    let summary = t("ready.summary", { ready: c.ready ?? 0, weak: c.weak ?? 0, down: c.down ?? 0 });
    if (c.unknown) summary += `, ${t("ready.unknownCount", { n: c.unknown })}`;
    const details = document.createElement("details");
    const head = document.createElement("summary");
    head.textContent = summary;
    head.setAttribute("aria-label", `${t("ready.details")}: ${summary}`);
    const list = document.createElement("ul");
    list.setAttribute("aria-label", `${t("ready.details")} — ${room.title}`);
    for (const s of /** @type {ReadinessSite[]} */ (data.sites ?? [])) list.append(siteLine(s));
    details.append(head, list);
    cell.replaceChildren(details);
  } catch {
    cell.textContent = t("ready.failed");
  }
}

// ---------------------------------------------------------------------------------------------
// Invited sites of the create form: chosen with the type-ahead search (every village and
// kecamatan, "Jati, Masaran"); every kecamatan is invited until the host changes it.

/** @type {Map<string, string>} code -> what the list shows */
const invited = new Map();

function renderInvited() {
  const list = $("invited-list");
  list.replaceChildren();
  for (const [code, text] of invited) {
    const li = document.createElement("li");
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary small";
    remove.textContent = "×";
    remove.setAttribute("aria-label", t("home.uninvite", { site: text }));
    remove.addEventListener("click", () => {
      invited.delete(code);
      renderInvited();
    });
    li.append(text, " ", remove);
    list.append(li);
  }
  $("invited-count").textContent = t("home.invitedCount", { n: invited.size });
}

async function inviteAllKecamatan() {
  for (const s of await siteChoices()) if (s.kind === "kecamatan") invited.set(s.code, choiceText(s));
  renderInvited();
}

async function setupInvitePicker() {
  const search = /** @type {HTMLInputElement} */ ($("invite-search"));
  await attachSiteSearch(search, /** @type {HTMLDataListElement} */ ($("invite-options")), (site) => {
    invited.set(site.code, choiceText(site));
    search.value = "";
    renderInvited();
  });
  $("invite-all").addEventListener("click", () => inviteAllKecamatan());
  $("invite-none").addEventListener("click", () => {
    invited.clear();
    renderInvited();
  });
  await inviteAllKecamatan();
}

/** The schedule fields of the form: {} (unscheduled) or starts_at from date + time in WIB. */
function scheduleFields() {
  const date = /** @type {HTMLInputElement} */ ($("date")).value;
  const time = /** @type {HTMLInputElement} */ ($("time")).value;
  const agenda = /** @type {HTMLTextAreaElement} */ ($("agenda")).value.trim();
  if (!date && !time) return {};
  if (!date || !time) throw new Error(t("home.needBoth"));
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const startsAt = Date.UTC(y, m - 1, d, hh - 7, mm) / 1000; // WIB is UTC+7, no summer time
  const duration = Number(/** @type {HTMLInputElement} */ ($("duration")).value) || 60;
  return { starts_at: startsAt, duration_min: duration, agenda };
}

// ---------------------------------------------------------------------------------------------
// Session lists

/** @param {RoomRecord} room */
function upcomingRow(room) {
  const row = document.createElement("tr");
  const cells = [0, 1, 2, 3, 4].map(() => document.createElement("td"));
  cells[0].textContent = room.title;
  cells[1].textContent = whenText(room);
  cells[2].textContent = t(`state.${room.state}`);
  showReadiness(cells[3], room);
  const url = absolute(room.join_url);  // the name holds the visible address (WCAG 2.5.3)
  const a = link(withLang(room.join_url), url, `${t("home.open", { title: room.title })}: ${url}`);
  cells[4].append(a, " ", inviteButton(room));
  if (room.schedule) cells[4].append(" ", icsLink(room));
  cells[4].append(" ", attendanceLink(room));
  row.append(...cells);
  return row;
}

/** @param {RoomRecord} room */
function pastRow(room) {
  const row = document.createElement("tr");
  const cells = [0, 1, 2, 3].map(() => document.createElement("td"));
  cells[0].textContent = room.title;
  cells[1].textContent = whenText(room);
  cells[2].textContent = t(`state.${room.state}`);
  cells[3].append(attendanceLink(room));
  row.append(...cells);
  return row;
}

async function loadSessions() {
  const data = await api("GET", "/api/rooms");
  /** @type {RoomRecord[]} */
  const rooms = data.items ?? [];
  const upcoming = rooms.filter((r) => !isPast(r));
  const past = rooms.filter(isPast);
  // Soonest first; unscheduled ones (open now) after the scheduled, newest first.
  const key = (/** @type {RoomRecord} */ r) => r.schedule?.starts_at ?? Number.MAX_SAFE_INTEGER;
  upcoming.sort((a, b) => key(a) - key(b));
  $("sessions").querySelector("tbody")?.replaceChildren(...upcoming.map(upcomingRow));
  $("past-sessions").querySelector("tbody")?.replaceChildren(...past.map(pastRow));
  $("sessions-empty").hidden = upcoming.length > 0;
  $("past-empty").hidden = past.length > 0;
}

/** A site seat's start page: its own upcoming sessions, the next one first. */
async function loadMine() {
  const data = await api("GET", "/api/rooms/upcoming");
  /** @type {RoomRecord[]} */
  const rooms = data.items ?? [];
  $("next").hidden = false;
  $("mine-empty").hidden = rooms.length > 0;
  const next = rooms[0];
  $("next-line").textContent = next
    ? t("home.next", { title: next.title, time: next.schedule ? formatTime(next.schedule.starts_at) : t("home.unscheduled") })
    : "";
  $("mine-list").replaceChildren(
    ...rooms.map((room) => {
      const li = document.createElement("li");
      li.append(`${room.title} — ${whenText(room)} `);
      li.append(link(withLang(room.join_url), t("home.join"), `${t("home.join")}: ${room.title}`));
      if (room.schedule) li.append(" ", icsLink(room));
      return li;
    }),
  );
}

/** @param {RoomRecord} room */
function showCreated(room) {
  $("created").hidden = false;
  $("created-heading").textContent = t("home.created", { title: room.title });
  linkInput.value = absolute(room.join_url);
  $("enter").setAttribute("href", withLang(room.join_url));
  $("copy-status").textContent = "";
  openInvites(room).catch(() => {});
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
  if (me.user.role === "admin") {
    $("nav-admin").hidden = false;
    $("nav-admin").setAttribute("href", withLang("/admin"));
  }
  if (!canHost) {
    $("new-form").hidden = true;
    $("upcoming").hidden = true;
    $("past").hidden = true;
    if (me.user.site_code) {
      await loadMine().catch(() => {});
      setInterval(() => loadMine().catch(() => {}), 60000);
    } else {
      $("new-error").textContent = t("home.notHost");
    }
    return;
  }
  $("copy").addEventListener("click", copyLink);
  const form = /** @type {HTMLFormElement} */ ($("new-form"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("new-error").textContent = "";
    const title = /** @type {HTMLInputElement} */ ($("title")).value.trim();
    try {
      const body = { title, invited_sites: [...invited.keys()], ...scheduleFields() };
      const data = await api("POST", "/api/rooms", body);
      showCreated(data.room);
      /** @type {HTMLInputElement} */ ($("title")).value = "";
      await loadSessions();
    } catch (e) {
      $("new-error").textContent = e instanceof Error ? e.message : t("error.generic");
    }
  });
  await setupInvitePicker().catch(() => {});
  await loadSessions().catch(() => {});
  // Link states change while the host waits: re-read the list (and its readiness) now and then.
  setInterval(() => loadSessions().catch(() => {}), 30000);
}

main();
