// One site: its facts and live state, latency and loss charts over 24 h / 7 d / 30 d, its
// uplinks, its probe targets and its recent state changes.

import { apply, register, t, withLang } from "./i18n.js";
import { ApiError, api } from "./http.js";
import {
  LiveConnection,
  RANGES,
  fetchEvents,
  fetchHistory,
  fetchLinks,
  fetchProbes,
  fetchSite,
  normaliseHistory,
} from "./inventory-live.js";
import { latencyChart, lossChart, summarise } from "./inventory-chart.js";
import { marker, markerDefs, setMarker } from "./inventory-map.js";
import {
  fmtLoss,
  fmtMs,
  fmtPct,
  fmtWhen,
  kindText,
  locale,
  stateText,
} from "./inventory-text.js";
import { setupHeader } from "./header.js";
import {
  LINK_FIELDS,
  LINK_STEPS,
  PROBE_FIELDS,
  SITE_FIELDS,
  WINDOW_FIELDS,
  button,
  canEdit,
  confirmDelete,
  openForm,
  saveRecord,
} from "./inventory-edit.js";

/** @typedef {import("./inventory-live.js").Site} Site */

const siteId = Number(location.pathname.split("/").filter(Boolean).pop());
const params = new URLSearchParams(location.search);
let range = RANGES.includes(/** @type {any} */ (params.get("range"))) ? String(params.get("range")) : "24h";
/** @type {Site|null} */
let site = null;
let historyRequest = 0;
/** `site:state` pushes about this site heard so far. */
let pushes = 0;
/** Whether this user may change the inventory (IT staff, admin): edit controls are shown. */
let editable = false;

register({
  id: {
    "inv.cq.title": "Kualitas panggilan",
    "inv.cq.chart": "Waktu pulang-pergi dalam sesi",
    "inv.cq.none": "Belum ada sesi dari lokasi ini dalam rentang ini.",
    "inv.cq.summary": "{sessions} sesi, {samples} sampel: median {rtt} ms, hilang masuk {in}, keluar {out}",
    "inv.cq.session": "Sesi",
    "inv.cq.started": "Mulai",
    "inv.cq.samples": "Sampel",
    "inv.cq.rtt": "RTT median (ms)",
    "inv.cq.lossIn": "Hilang masuk",
    "inv.cq.lossOut": "Hilang keluar",
    "inv.cq.jitter": "Jitter (ms)",
    "inv.cq.kbps": "kbps masuk / keluar",
  },
  en: {
    "inv.cq.title": "Call quality",
    "inv.cq.chart": "Round trip in sessions",
    "inv.cq.none": "No sessions from this site in this range yet.",
    "inv.cq.summary": "{sessions} sessions, {samples} samples: median {rtt} ms, loss in {in}, out {out}",
    "inv.cq.session": "Session",
    "inv.cq.started": "Started",
    "inv.cq.samples": "Samples",
    "inv.cq.rtt": "Median RTT (ms)",
    "inv.cq.lossIn": "Loss in",
    "inv.cq.lossOut": "Loss out",
    "inv.cq.jitter": "Jitter (ms)",
    "inv.cq.kbps": "kbps in / out",
  },
});
apply();
setupHeader();
document.body.prepend(markerDefs());
for (const id of ["back", "nav-inventory"]) {
  document.getElementById(id)?.setAttribute("href", withLang("/inventory"));
}
document.getElementById("nav-report")?.setAttribute("href", withLang("/inventory/report"));
main().catch(showError);

async function main() {
  editable = await canEdit();
  site = await fetchSite(siteId);
  document.title = `${site.name} — Pendopo`;
  document.getElementById("site-name").textContent = `${site.name}`;
  let parent = null;
  if (site.parent_id != null) parent = await fetchSite(site.parent_id).catch(() => null);
  renderFacts(site, parent);
  renderSiteActions();
  setupRanges();
  await Promise.all([
    loadHistory(),
    loadCallQuality(),
    loadLinks(),
    loadProbes(),
    loadWindows(),
    loadEvents(),
  ]);
  new LiveConnection({
    onStatus: (status) => {
      document.getElementById("live").className = `live is-${status}`;
      document.getElementById("live-text").textContent = t(`inv.live.${status}`);
    },
    onState: (ev) => {
      if (!site || Number(ev.site_id) !== site.id) return;
      pushes += 1;
      Object.assign(site, {
        state: String(ev.state).toUpperCase(),
        rtt_ms: ev.rtt_ms,
        loss: ev.loss,
        method: ev.method ?? site.method,
        changed_at: ev.changed_at ?? site.changed_at,
      });
      renderLiveFacts(site);
      // A change of state is worth a fresh chart and history (one site, one request each).
      if (ev.previous && ev.previous !== ev.state) {
        loadEvents();
        loadHistory();
      }
    },
    onResync: async () => {
      const mark = pushes;
      const fresh = await fetchSite(siteId);
      // A push heard during the re-read is at least as new as what the re-read brings.
      if (pushes === mark) site = fresh;
      renderLiveFacts(/** @type {Site} */ (site));
      loadEvents();
    },
  });
}

/** @param {unknown} e */
function showError(e) {
  console.error(e);
  const msg =
    e instanceof ApiError && e.status === 404 ? t("inv.notfound") : e instanceof Error ? e.message : t("error.generic");
  document.getElementById("site-error").textContent = msg;
  document.getElementById("site-name").textContent = t("inv.site.title");
}

// ---- facts -------------------------------------------------------------------------------

/** @param {Site} s @param {Site|null} parent */
function renderFacts(s, parent) {
  const dl = document.getElementById("facts");
  dl.replaceChildren();
  /** @param {string} key @param {Node|string} value @param {string} [id] */
  const fact = (key, value, id) => {
    const div = document.createElement("div");
    const dt = document.createElement("dt");
    dt.textContent = t(key);
    const dd = document.createElement("dd");
    if (id) dd.id = id;
    dd.append(value);
    div.append(dt, dd);
    dl.append(div);
  };
  const chip = document.createElement("span");
  chip.id = "state-chip";
  chip.className = `chip big st-${s.state}`;
  chip.append(marker(s.state, 16), document.createTextNode(stateText(s.state)));
  fact("inv.site.state", chip);
  fact("inv.site.rtt", `${fmtMs(s.rtt_ms)} ms`, "fact-rtt");
  fact("inv.site.loss", `${fmtLoss(s.loss)} %`, "fact-loss");
  fact("inv.site.since", fmtWhen(s.changed_at), "fact-since");
  fact("inv.site.method", s.method ?? t("inv.never"), "fact-method");
  fact("inv.site.kind", kindText(s.kind));
  fact("inv.site.code", s.code ?? t("inv.never"));
  if (parent) {
    const a = document.createElement("a");
    a.href = withLang(`/inventory/sites/${parent.id}`);
    a.textContent = `${parent.name} (${kindText(parent.kind)})`;
    fact("inv.site.parent", a);
  }
  if (s.lat != null && s.lon != null)
    fact("inv.site.coords", `${s.lat.toFixed(5)}, ${s.lon.toFixed(5)}`);
}

/** @param {Site} s */
function renderLiveFacts(s) {
  const chip = document.getElementById("state-chip");
  if (chip) {
    chip.className = `chip big st-${s.state}`;
    setMarker(/** @type {SVGElement} */ (chip.querySelector("svg")), s.state);
    /** @type {Text} */ (chip.lastChild).textContent = stateText(s.state);
  }
  document.getElementById("fact-rtt").textContent = `${fmtMs(s.rtt_ms)} ms`;
  document.getElementById("fact-loss").textContent = `${fmtLoss(s.loss)} %`;
  document.getElementById("fact-since").textContent = fmtWhen(s.changed_at);
  document.getElementById("fact-method").textContent = s.method ?? t("inv.never");
}

// ---- charts ------------------------------------------------------------------------------

function setupRanges() {
  for (const btn of document.querySelectorAll("#ranges button")) {
    const r = /** @type {HTMLElement} */ (btn).dataset.range ?? "24h";
    btn.setAttribute("aria-pressed", String(r === range));
    btn.addEventListener("click", () => {
      range = r;
      for (const b of document.querySelectorAll("#ranges button"))
        b.setAttribute("aria-pressed", String(/** @type {HTMLElement} */ (b).dataset.range === range));
      const u = new URL(location.href);
      u.searchParams.set("range", range);
      history.replaceState(null, "", u.pathname + u.search);
      loadHistory();
      loadCallQuality();
    });
  }
}

/** @type {Awaited<ReturnType<typeof fetchHistory>> | null} */
let shown = null;

async function loadHistory() {
  const mine = ++historyRequest;
  const h = await fetchHistory(siteId, range);
  if (mine !== historyRequest) return; // a newer range was chosen meanwhile
  shown = h;
  drawCharts(h);
}

// Charts are drawn at the box's pixel width (text stays its real size): redraw on resize.
let resizeTimer = 0;
addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => shown && drawCharts(shown), 150);
});

/** @param {Awaited<ReturnType<typeof fetchHistory>>} h */
function drawCharts(h) {
  const rangeName = t(`inv.range.${range}`);
  /** @type {{rtt_degraded_ms: number, loss_degraded: number, source: string} | null} */
  const base = site?.baseline ?? null;
  const label = (/** @type {string} */ value) => t("inv.chart.threshold", { value });
  const width = Math.max(320, document.getElementById("latency-chart").clientWidth);
  const lat = latencyChart(h, {
    title: `${t("inv.chart.latency")} — ${rangeName}`,
    yLabel: "ms",
    empty: t("inv.chart.empty"),
    locale: locale(),
    width,
    height: 210,
    baseline: base ? base.rtt_degraded_ms : null,
    baselineLabel: base ? label(`${fmtMs(base.rtt_degraded_ms)} ms`) : "",
  });
  const loss = lossChart(h, {
    title: `${t("inv.chart.loss")} — ${rangeName}`,
    yLabel: "%",
    empty: t("inv.chart.empty"),
    locale: locale(),
    width,
    height: 120,
    baseline: base ? base.loss_degraded * 100 : null,
    baselineLabel: base ? label(fmtPct(base.loss_degraded)) : "",
  });
  document.getElementById("latency-chart").replaceChildren(lat);
  document.getElementById("loss-chart").replaceChildren(loss);
  const s = summarise(h.points);
  const spread = s.spread == null ? "" : ` · ${t("inv.chart.spread", { spread: fmtMs(s.spread) })}`;
  const baseline = base
    ? ` · ${t("inv.chart.baseline", {
        rtt: fmtMs(base.rtt_degraded_ms),
        loss: fmtPct(base.loss_degraded),
        source: t(`inv.baseline.${base.source}`),
      })}`
    : "";
  document.getElementById("chart-summary").textContent = h.points.length
    ? `${rangeName}: ${t("inv.chart.summary", {
        median: fmtMs(s.median),
        min: fmtMs(s.min),
        max: fmtMs(s.max),
        loss: fmtPct(s.loss),
        availability: fmtPct(s.availability),
      })}${spread}${baseline}`
    : `${rangeName}: ${t("inv.chart.empty")}`;
}

// ---- call quality in sessions (GET /api/sites/{id}/call-quality, docs/api.md) -------------

let cqRequest = 0;

async function loadCallQuality() {
  const mine = ++cqRequest;
  const data = await api("GET", `/api/sites/${siteId}/call-quality?range=${encodeURIComponent(range)}`);
  if (mine !== cqRequest) return;
  const sessions = /** @type {any[]} */ (data.sessions ?? []);
  const rangeName = t(`inv.range.${range}`);
  const samples = sessions.reduce((n, s) => n + (s.samples ?? 0), 0);
  const median = (/** @type {number[]} */ a) => (a.length ? a.sort((x, y) => x - y)[Math.floor(a.length / 2)] : null);
  const mean = (/** @type {number[]} */ a) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : null);
  const pick = (/** @type {string} */ k) => sessions.map((s) => s[k]).filter((v) => typeof v === "number");
  document.getElementById("cq-summary").textContent = sessions.length
    ? `${rangeName}: ${t("inv.cq.summary", {
        sessions: sessions.length,
        samples,
        rtt: fmtMs(median(pick("rtt_median"))),
        in: fmtPct(mean(pick("loss_in"))),
        out: fmtPct(mean(pick("loss_out"))),
      })}`
    : `${rangeName}: ${t("inv.cq.none")}`;
  const box = document.getElementById("cq-chart");
  box.hidden = !sessions.length;
  if (sessions.length) {
    box.replaceChildren(
      latencyChart(normaliseHistory(data), {
        title: `${t("inv.cq.chart")} — ${rangeName}`,
        yLabel: "ms",
        empty: t("inv.cq.none"),
        locale: locale(),
        width: Math.max(320, box.clientWidth || document.getElementById("latency-chart").clientWidth),
        height: 160,
      }),
    );
  }
  if (!sessions.length) {
    document.getElementById("cq-sessions").replaceChildren();
    return;
  }
  table(
    "cq-sessions",
    ["inv.cq.session", "inv.cq.started", "inv.cq.samples", "inv.cq.rtt", "inv.cq.lossIn", "inv.cq.lossOut", "inv.cq.jitter", "inv.cq.kbps"],
    sessions.map((s) => [
      s.title ?? s.room_id,
      fmtWhen(new Date(s.started * 1000).toISOString()),
      String(s.samples),
      fmtMs(s.rtt_median),
      fmtPct(s.loss_in),
      fmtPct(s.loss_out),
      fmtMs(s.jitter_ms),
      `${Math.round(s.kbps_in ?? 0)} / ${Math.round(s.kbps_out ?? 0)}`,
    ]),
    "inv.cq.none",
  );
}

// ---- links, probes, events ---------------------------------------------------------------

/**
 * A small table, or a "none" note.
 * @param {string} boxId @param {string[]} headKeys @param {(Node|string)[][]} body @param {string} noneKey
 */
function table(boxId, headKeys, body, noneKey) {
  const box = document.getElementById(boxId);
  if (!body.length) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = t(noneKey);
    box.replaceChildren(p);
    return;
  }
  const tbl = document.createElement("table");
  const thead = tbl.createTHead().insertRow();
  for (const k of headKeys) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = t(k);
    thead.append(th);
  }
  const tb = tbl.createTBody();
  for (const r of body) {
    const tr = tb.insertRow();
    for (const v of r) tr.insertCell().append(v);
  }
  if (editable && body.length && body[0].length > headKeys.length) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = t("edit.edit");
    thead.append(th);
    for (const tr of tb.rows) tr.cells[tr.cells.length - 1].className = "actions";
  }
  box.replaceChildren(tbl);
}

/** Edit and delete buttons of one record's row. @param {string} what the record, for names
 * and the delete question @param {() => void} edit @param {() => Promise<void>} remove
 * @param {Node[]} [more] other buttons first */
function rowActions(what, edit, remove, more = []) {
  const span = document.createElement("span");
  span.append(
    ...more,
    button(t("edit.edit"), edit, `${t("edit.edit")} ${what}`),
    " ",
    button(
      t("edit.delete"),
      async () => {
        if (!confirmDelete(what)) return;
        await remove().catch(showError);
      },
      `${t("edit.delete")} ${what}`,
      "danger",
    ),
  );
  return span;
}

/** One "add" button above an editor box (IT staff only). @param {string} actionsId
 * @param {string} key @param {() => void} open */
function addButton(actionsId, key, open) {
  const box = document.getElementById(actionsId);
  box.replaceChildren();
  if (editable) box.append(button(t(key), open));
}

// ---- editing the site --------------------------------------------------------------------

function renderSiteActions() {
  const box = document.getElementById("site-actions");
  box.replaceChildren();
  if (!editable || !site) return;
  const s = /** @type {Site} */ (site);
  const what = t("edit.site.what", { name: s.name });
  box.append(
    button(t("edit.site.edit"), () =>
      openForm(document.getElementById("site-editor"), {
        title: t("edit.site.edit"),
        fields: SITE_FIELDS,
        values: { ...s, parent: s.parent_code ?? s.parent_id },
        partial: true,
        save: (body) => api("PATCH", `/api/sites/${s.id}`, body),
        done: () => location.reload(),
      }),
    ),
    button(
      t("edit.site.delete"),
      async () => {
        if (!confirmDelete(what)) return;
        try {
          await api("DELETE", `/api/sites/${s.id}`);
          location.assign(withLang("/inventory"));
        } catch (e) {
          showError(e);
        }
      },
      undefined,
      "danger",
    ),
  );
}

async function loadLinks() {
  const links = await fetchLinks(siteId);
  const names = new Map();
  for (const l of links) {
    const other = l.parent_site_id;
    if (other != null && !names.has(other))
      names.set(other, await fetchSite(other).then((s) => s.name).catch(() => String(other)));
  }
  table(
    "links",
    ["inv.links.parent", "inv.links.medium", "inv.links.provider", "inv.links.capacity", "inv.links.status", "inv.links.installed"],
    links.map((/** @type {any} */ l) => {
      const to = document.createElement("a");
      to.href = withLang(`/inventory/sites/${l.parent_site_id}`);
      to.textContent = names.get(l.parent_site_id) ?? String(l.parent_site_id);
      const status = `${t(`inv.link.${l.status}`)}${l.is_backup || l.priority > 0 ? ` (${t("inv.links.backup")})` : ""}`;
      const date = l.installed_date ?? (l.target_date ? `${t("inv.links.target")}: ${l.target_date}` : t("inv.never"));
      const cells = [to, l.medium ?? "", l.provider ?? t("inv.never"), l.capacity_kbps == null ? t("inv.never") : String(l.capacity_kbps), status, date];
      if (!editable) return cells;
      const what = t("edit.link.what", { name: to.textContent ?? "" });
      const step = LINK_STEPS.indexOf(l.status);
      const next = step >= 0 && step < 2 ? LINK_STEPS[step + 1] : null;
      const more = next
        ? [button(t("edit.link.next", { status: t(`inv.link.${next}`) }), () => setLinkStatus(l.id, next), `${t("edit.link.next", { status: t(`inv.link.${next}`) })}: ${what}`), " "]
        : [];
      return [...cells, rowActions(what, () => editLink(l), () => deleteRecord("/api/links", l.id, loadLinks), more)];
    }),
    "inv.links.none",
  );
  addButton("link-actions", "edit.link.add", () => editLink(null));
}

/** @param {any} l a link, or null for a new one */
function editLink(l) {
  openForm(document.getElementById("link-editor"), {
    title: l ? `${t("edit.edit")}: ${t("edit.link.what", { name: l.parent_code ?? l.parent_site_id })}` : t("edit.link.add"),
    fields: LINK_FIELDS,
    values: l ? { ...l, parent: l.parent_code ?? l.parent_site_id } : { status: "planned", medium: "fiber", parent: site?.parent_code ?? site?.parent_id },
    partial: Boolean(l),
    save: (body) => saveRecord("/api/links", l ? l.id : null, l ? body : { ...body, site: siteId }),
    done: () => loadLinks(),
  });
}

/** The next rollout step (planned → installing → active), with today as the installed date
 * when the link becomes active. @param {number} id @param {string} status */
async function setLinkStatus(id, status) {
  /** @type {Record<string, string>} */
  const body = { status };
  if (status === "active") body.installed_date = new Date().toISOString().slice(0, 10);
  await api("PATCH", `/api/links/${id}`, body).catch(showError);
  await loadLinks();
}

/** @param {string} base @param {number} id @param {() => Promise<void>} reload */
async function deleteRecord(base, id, reload) {
  await api("DELETE", `${base}/${id}`);
  await reload();
}

async function loadProbes() {
  let probes;
  try {
    probes = await fetchProbes(siteId);
  } catch (e) {
    // Probe targets are network addresses: only IT staff and admins may read them.
    if (!(e instanceof ApiError && e.status === 403)) throw e;
    table("probes", [], [], "inv.probes.hidden");
    return;
  }
  table(
    "probes",
    ["inv.probes.kind", "inv.probes.target", "inv.probes.interval", "inv.probes.timeout", "inv.probes.count", "inv.probes.enabled"],
    probes.map((/** @type {any} */ p) => [
      String(p.kind ?? "").toUpperCase(),
      p.url ?? (p.port ? `${p.host}:${p.port}` : p.host),
      p.interval_s == null ? t("inv.never") : String(p.interval_s),
      p.timeout_s == null ? t("inv.never") : String(p.timeout_s),
      p.count == null ? t("inv.never") : String(p.count),
      t(p.enabled ? "inv.yes" : "inv.no"),
      ...(editable
        ? [rowActions(t("edit.probe.what", { name: p.url ?? p.host }), () => editProbe(p), () => deleteRecord("/api/probes", p.id, loadProbes))]
        : []),
    ]),
    "inv.probes.none",
  );
  addButton("probe-actions", "edit.probe.add", () => editProbe(null));
}

/** @param {any} p a probe target, or null for a new one */
function editProbe(p) {
  openForm(document.getElementById("probe-editor"), {
    title: p ? `${t("edit.edit")}: ${t("edit.probe.what", { name: p.url ?? p.host })}` : t("edit.probe.add"),
    fields: PROBE_FIELDS,
    values: p ?? { kind: "icmp", enabled: true },
    partial: Boolean(p),
    save: (body) => saveRecord("/api/probes", p ? p.id : null, p ? body : { ...body, site: siteId }),
    done: () => loadProbes(),
  });
}

// ---- recurring maintenance windows (/api/maintenance-windows) ----------------------------

async function loadWindows() {
  const data = await api("GET", `/api/maintenance-windows?site=${siteId}`);
  const days = (/** @type {number[]} */ ds) => ds.map((d) => t(`day.${d}`)).join(", ");
  table(
    "windows",
    ["edit.window.days", "edit.window.time", "f.notes"],
    data.items.map((/** @type {any} */ w) => {
      const time = `${w.start}–${w.end} WIB${w.active_now ? ` (${t("edit.window.active")})` : ""}`;
      const cells = [days(w.weekdays), time, w.notes ?? ""];
      if (!editable) return cells;
      const what = t("edit.window.what", { name: `${days(w.weekdays)} ${w.start}–${w.end}` });
      return [...cells, rowActions(what, () => editWindow(w), () => deleteRecord("/api/maintenance-windows", w.id, loadWindows))];
    }),
    "edit.window.none",
  );
  addButton("window-actions", "edit.window.add", () => editWindow(null));
}

/** @param {any} w a window, or null for a new one */
function editWindow(w) {
  openForm(document.getElementById("window-editor"), {
    title: w ? `${t("edit.edit")}: ${t("edit.window.title")}` : t("edit.window.add"),
    fields: WINDOW_FIELDS,
    values: w ?? { weekdays: [7], start: "22:00", end: "24:00" },
    partial: Boolean(w),
    save: (body) => saveRecord("/api/maintenance-windows", w ? w.id : null, w ? body : { ...body, site: siteId }),
    done: () => loadWindows(),
  });
}

async function loadEvents() {
  let events = [];
  try {
    events = await fetchEvents(siteId);
  } catch {
    events = [];
  }
  const ol = document.createElement("ol");
  ol.className = "recent";
  for (const ev of events) {
    const li = document.createElement("li");
    const state = String(ev.state ?? ev.to ?? "").toUpperCase();
    const prev = String(ev.previous ?? ev.from ?? "").toUpperCase();
    const time = document.createElement("time");
    time.dateTime = ev.at ?? ev.changed_at ?? "";
    time.textContent = fmtWhen(ev.at ?? ev.changed_at ?? null);
    li.append(time, " ", marker(state, 12), ` ${prev ? `${stateText(prev)} → ` : ""}${stateText(state)}`);
    ol.append(li);
  }
  if (!events.length) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = t("inv.events.none");
    document.getElementById("events").replaceChildren(p);
  } else document.getElementById("events").replaceChildren(ol);
}
