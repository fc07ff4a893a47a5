// The alerts people were told about, with their acknowledgement: on the dashboard (open outages,
// #open-alerts) and on the alert-channel page (recent alerts, #recent-alerts). IT staff
// acknowledge one with a note (POST /api/alerts/{id}/ack); an acknowledged outage is not sent
// again. Mounts itself on whichever of the two sections the page has; the dashboard refreshes it
// when a site changes state (the "inventory:site-state" event inventory.js dispatches).

import { api } from "./http.js";
import { apply, dateTime, register, t, withLang } from "./i18n.js";

register({
  id: {
    "al.open": "Gangguan terbuka",
    "al.recent": "Peringatan terakhir",
    "al.none.open": "Tidak ada gangguan terbuka.",
    "al.none.recent": "Belum ada peringatan.",
    "al.kind.down": "Putus",
    "al.kind.degraded": "Menurun",
    "al.kind.up": "Normal kembali",
    "al.grouped": "{n} lokasi di {place}",
    "al.behind": "{n} lokasi di belakangnya",
    "al.since": "sejak {when}",
    "al.ack": "Tandai ditangani",
    "al.ack.label": "Tandai ditangani: {place}",
    "al.note": "Catatan",
    "al.note.label": "Catatan penanganan: {place}",
    "al.note.placeholder": "mis. teknisi menuju lokasi",
    "al.acked": "Ditangani oleh {by}, {when}",
    "al.unacked": "Belum ditangani: dikirim ulang sesuai saluran",
    "al.closed": "selesai",
    "al.error": "Gagal: {message}",
  },
  en: {
    "al.open": "Open outages",
    "al.recent": "Recent alerts",
    "al.none.open": "No open outages.",
    "al.none.recent": "No alerts yet.",
    "al.kind.down": "Down",
    "al.kind.degraded": "Degraded",
    "al.kind.up": "Back up",
    "al.grouped": "{n} sites under {place}",
    "al.behind": "{n} sites behind it",
    "al.since": "since {when}",
    "al.ack": "Mark as handled",
    "al.ack.label": "Mark as handled: {place}",
    "al.note": "Note",
    "al.note.label": "Handling note: {place}",
    "al.note.placeholder": "e.g. technician on the way",
    "al.acked": "Handled by {by}, {when}",
    "al.unacked": "Not handled yet: re-sent as each channel says",
    "al.closed": "over",
    "al.error": "Failed: {message}",
  },
});

/** @param {string} iso */
function when(iso) {
  return dateTime(iso);
}

/** @param {any} alert */
function place(alert) {
  const kind = alert.site.kind === "kecamatan" ? "Kecamatan " : "";
  return `${kind}${alert.site.name}`;
}

/** @param {any} alert @param {() => void} reload */
function item(alert, reload) {
  const li = document.createElement("li");
  li.className = `alert-item kind-${alert.kind}`;
  li.dataset.alertId = String(alert.id);
  const head = document.createElement("p");
  const what = alert.grouped
    ? t("al.grouped", { n: alert.affected_count, place: place(alert) })
    : place(alert) + (alert.affected_count ? ` (${t("al.behind", { n: alert.affected_count })})` : "");
  const strong = document.createElement("strong");
  strong.textContent = `${t(`al.kind.${alert.kind}`)}: `;
  head.append(strong, `${what} — ${t("al.since", { when: when(alert.at) })}`);
  if (!alert.open && alert.kind !== "up") head.append(` (${t("al.closed")})`);
  li.append(head);
  const ack = alert.acknowledged;
  if (ack) {
    const p = document.createElement("p");
    p.className = "alert-ack";
    p.textContent = t("al.acked", { by: ack.by, when: when(ack.at) }) + (ack.note ? `: “${ack.note}”` : "");
    li.append(p);
  } else if (alert.open) {
    const form = document.createElement("form");
    form.className = "alert-ack-form";
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.name = "note";
    input.maxLength = 1000;
    input.id = `ack-note-${alert.id}`;
    input.placeholder = t("al.note.placeholder");
    input.setAttribute("aria-label", t("al.note.label", { place: place(alert) }));
    label.htmlFor = input.id;
    label.textContent = t("al.note");
    const button = document.createElement("button");
    button.type = "submit";
    button.textContent = t("al.ack");
    button.setAttribute("aria-label", t("al.ack.label", { place: place(alert) }));
    const status = document.createElement("span");
    status.className = "muted";
    status.setAttribute("role", "status");
    status.textContent = t("al.unacked");
    form.append(label, input, button, status);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      button.disabled = true;
      try {
        await api("POST", `/api/alerts/${alert.id}/ack`, { note: input.value });
        reload();
      } catch (err) {
        status.textContent = t("al.error", { message: /** @type {Error} */ (err).message });
        button.disabled = false;
      }
    });
    li.append(form);
  }
  return li;
}

/** @param {HTMLElement} section @param {boolean} openOnly */
export function mountAlerts(section, openOnly) {
  const list = /** @type {HTMLElement} */ (section.querySelector("ol, ul"));
  const reload = async () => {
    const query = openOnly ? "?open=1&limit=50" : "?limit=50";
    let items = [];
    try {
      items = (await api("GET", `/api/alerts${query}`)).items;
    } catch {
      return; // not signed in as staff: the section stays empty
    }
    list.replaceChildren(...items.map((/** @type {any} */ a) => item(a, reload)));
    if (!items.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = t(openOnly ? "al.none.open" : "al.none.recent");
      list.append(li);
    }
  };
  reload();
  return reload;
}

document.getElementById("nav-alerts")?.setAttribute("href", withLang("/inventory/alerts"));
const open = document.getElementById("open-alerts");
if (open) {
  apply(open);
  let timer = 0;
  const reload = mountAlerts(open, true);
  // A state change may open or close an outage; the alert is stored in the same sweep.
  document.addEventListener("inventory:site-state", () => {
    clearTimeout(timer);
    timer = window.setTimeout(reload, 500);
  });
}
const recent = document.getElementById("recent-alerts");
if (recent) mountAlerts(recent, false);
