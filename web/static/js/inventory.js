// The IT staff's live dashboard: counts by state, village rollout, a filterable and sortable
// table of every site, and the regency map (or the schematic tree before coordinates exist).
// Pushes on socket.io's "/inventory" namespace update only the rows they concern.

import { apply, t, withLang } from "./i18n.js";
import {
  KINDS,
  LiveConnection,
  SiteStore,
  STATES,
  VILLAGE_KINDS,
  comparator,
  fetchAllSites,
  fetchBoundaries,
  fetchSummary,
  matches,
} from "./inventory-live.js";
import { drawMap, drawTree, marker, markerDefs, setMarker } from "./inventory-map.js";
import {
  chipText,
  fmtLoss,
  fmtMs,
  fmtWhen,
  kindShort,
  kindText,
  stateText,
} from "./inventory-text.js";
import { setupHeader } from "./header.js";

/** @typedef {import("./inventory-live.js").Site} Site */

const store = new SiteStore();
/** @type {Map<number, HTMLTableRowElement>} */
const rows = new Map();
/** Ids in the table's current order. @type {number[]} */
let order = [];
let sortKey = "state";
/** @type {1|-1} */
let sortDir = 1;
/** @type {{update: (site: Site) => void} | null} */
let map = null;
let serverRollout = false;
/** `summary` pushes heard so far (a re-read must not overwrite a newer one). */
let summaryPushes = 0;

const tbody = /** @type {HTMLTableSectionElement} */ (document.getElementById("site-rows"));
const form = /** @type {HTMLFormElement} */ (document.getElementById("filters"));

apply();
setupHeader();
document.getElementById("nav-report")?.setAttribute("href", withLang("/inventory/report"));
document.body.prepend(markerDefs());
buildCounts();
buildLegend();
fillSelect("f-kind", KINDS.map((k) => [k, kindText(k)]));
fillSelect("f-state", STATES.map((s) => [s, stateText(s)]));
main().catch((e) => {
  console.error(e);
  document.getElementById("shown").textContent = t("error.generic");
});

async function main() {
  const [sites, boundaries] = await Promise.all([fetchAllSites(), fetchBoundaries()]);
  store.replace(sites);
  fillSelect(
    "f-kecamatan",
    store.kecamatans().map((k) => [String(k.id), k.name]),
  );
  readFilterFromUrl();
  buildRows();
  drawRegion(boundaries);
  renderCounts(store.counts());
  renderRollout(localRollout());
  await refreshSummary();
  new LiveConnection({
    onStatus: renderLive,
    onState: onSiteState,
    onSummary: (s) => {
      summaryPushes += 1;
      serverRollout = true;
      renderCounts(s.counts);
      renderRollout(s.rollout);
    },
    onResync: resync,
  });
}

// ---- counts and rollout ------------------------------------------------------------------

function buildCounts() {
  const ul = document.getElementById("counts");
  for (const st of STATES) {
    const li = document.createElement("li");
    li.className = `count st-${st}`;
    li.dataset.state = st;
    const btn = document.createElement("button");
    btn.type = "button";
    btn.className = "count-button";
    btn.append(marker(st, 16));
    const n = document.createElement("span");
    n.className = "n";
    n.textContent = "0";
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = stateText(st);
    btn.append(n, " ", label); // reads "3 Up", as its name says
    // A click filters the table by that state (and a second click clears it).
    btn.addEventListener("click", () => {
      const sel = /** @type {HTMLSelectElement} */ (document.getElementById("f-state"));
      sel.value = sel.value === st ? "" : st;
      applyFilter();
    });
    li.append(btn);
    ul.append(li);
  }
}

/** @param {Record<string, number>} counts */
function renderCounts(counts) {
  for (const li of document.querySelectorAll("#counts li")) {
    const st = /** @type {HTMLElement} */ (li).dataset.state ?? "";
    const n = li.querySelector(".n");
    const text = String(counts[st] ?? 0);
    if (n && n.textContent !== text) n.textContent = text;
    // UNKNOWN (active uplink, no answered round yet) only shows while some site is in it.
    if (st === "UNKNOWN") /** @type {HTMLElement} */ (li).hidden = text === "0";
    // the name reads as the button shows: the count, then the state
    li.querySelector("button")?.setAttribute("aria-label", `${text} ${stateText(st)}`);
  }
}

/** @param {{active: number, total: number}} r */
function renderRollout(r) {
  const bar = /** @type {HTMLProgressElement} */ (document.getElementById("rollout-bar"));
  bar.max = Math.max(r.total, 1);
  bar.value = r.active;
  document.getElementById("rollout-text").textContent = t("inv.rollout", r);
}

/** Villages whose primary uplink is active, from the site list (until /api/state answers). */
function localRollout() {
  const villages = store.all().filter((s) => VILLAGE_KINDS.includes(s.kind));
  return {
    active: villages.filter((s) => s.uplink_status === "active").length,
    total: villages.length,
  };
}

/** @param {number} [mark] a value of `summaryPushes`: skip the answer if a push came since */
async function refreshSummary(mark) {
  try {
    const s = await fetchSummary();
    if (mark !== undefined && summaryPushes !== mark) return;
    renderCounts(s.counts);
    if (s.rollout.total > 0) {
      serverRollout = true;
      renderRollout(s.rollout);
    }
  } catch (e) {
    console.warn("GET /api/state failed; counts come from the site list", e);
  }
}

// ---- the table ---------------------------------------------------------------------------

/** @param {string} id @param {[string, string][]} options */
function fillSelect(id, options) {
  const sel = /** @type {HTMLSelectElement} */ (document.getElementById(id));
  sel.replaceChildren(new Option(t("inv.filter.all"), ""));
  for (const [value, text] of options) sel.append(new Option(text, value));
}

/** @param {Site} site */
function siteHref(site) {
  return withLang(`/inventory/sites/${site.id}`);
}

/** @param {Site} site */
function siteLabel(site) {
  return `${site.name} (${kindText(site.kind)}): ${stateText(site.state)}`;
}

/** @param {Site} site */
function makeRow(site) {
  const tr = document.createElement("tr");
  tr.dataset.siteId = String(site.id);
  const name = document.createElement("td");
  const a = document.createElement("a");
  a.href = siteHref(site);
  a.textContent = site.name;
  name.append(a);
  const kec = store.kecamatanOf(site);
  const cells = [
    name,
    cell(site.code ?? "", "code"),
    cell(kindShort(site.kind), "kind"),
    cell(kec && kec !== site ? kec.name : ""),
    stateCell(site.state, site.flapping),
    cell(fmtMs(site.rtt_ms), "num rtt"),
    cell(fmtLoss(site.loss), "num loss"),
    cell(fmtWhen(site.changed_at), "changed"),
  ];
  tr.append(...cells);
  tr.dataset.state = site.state;
  return tr;
}

/** @param {string} text @param {string} [cls] */
function cell(text, cls) {
  const td = document.createElement("td");
  if (cls) td.className = cls;
  td.textContent = text;
  return td;
}

/** @param {string} state @param {boolean} [flapping] */
function stateCell(state, flapping) {
  const td = document.createElement("td");
  td.className = "state";
  const chip = document.createElement("span");
  chip.className = `chip st-${state}`;
  chip.append(marker(state, 12), document.createTextNode(chipText(state, flapping)));
  td.append(chip);
  return td;
}

/** Refresh the cells of one row in place (a push touches nothing else). @param {Site} site */
function updateRow(site) {
  const tr = rows.get(site.id);
  if (!tr) return;
  tr.dataset.state = site.state;
  const chip = /** @type {HTMLElement} */ (tr.querySelector(".chip"));
  chip.className = `chip st-${site.state}`;
  setMarker(/** @type {SVGElement} */ (chip.querySelector("svg")), site.state);
  /** @type {Text} */ (chip.lastChild).textContent = chipText(site.state, site.flapping);
  setText(tr.querySelector(".rtt"), fmtMs(site.rtt_ms));
  setText(tr.querySelector(".loss"), fmtLoss(site.loss));
  setText(tr.querySelector(".changed"), fmtWhen(site.changed_at));
}

/** @param {Element|null} el @param {string} text */
function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

function buildRows() {
  rows.clear();
  for (const site of store.all()) rows.set(site.id, makeRow(site));
  sortRows();
  applyFilter();
}

function sortRows() {
  const cmp = comparator(store, sortKey, sortDir);
  order = store.all().sort(cmp).map((s) => s.id);
  const frag = document.createDocumentFragment();
  for (const id of order) frag.append(/** @type {HTMLTableRowElement} */ (rows.get(id)));
  tbody.replaceChildren(frag);
  for (const th of document.querySelectorAll("#sites th[data-sort]")) {
    const key = /** @type {HTMLElement} */ (th).dataset.sort;
    th.setAttribute(
      "aria-sort",
      key === sortKey ? (sortDir === 1 ? "ascending" : "descending") : "none",
    );
  }
}

/** Move one row to where the current sort wants it (one DOM move at most). @param {Site} site */
function reposition(site) {
  const cmp = comparator(store, sortKey, sortDir);
  const from = order.indexOf(site.id);
  if (from < 0) return;
  order.splice(from, 1);
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cmp(/** @type {Site} */ (store.get(order[mid])), site) <= 0) lo = mid + 1;
    else hi = mid;
  }
  order.splice(lo, 0, site.id);
  if (lo === from) return;
  const tr = /** @type {HTMLTableRowElement} */ (rows.get(site.id));
  const next = lo + 1 < order.length ? rows.get(order[lo + 1]) : null;
  tbody.insertBefore(tr, next ?? null);
}

function currentFilter() {
  const data = new FormData(form);
  return {
    q: String(data.get("q") ?? "").trim(),
    kind: String(data.get("kind") ?? ""),
    kecamatan: String(data.get("kecamatan") ?? ""),
    state: String(data.get("state") ?? ""),
  };
}

function applyFilter() {
  const f = currentFilter();
  let shown = 0;
  for (const site of store.all()) {
    const tr = rows.get(site.id);
    const ok = matches(store, site, f);
    if (tr && tr.hidden === ok) tr.hidden = !ok;
    if (ok) shown++;
  }
  renderShown(shown);
  for (const li of document.querySelectorAll("#counts li")) {
    const st = /** @type {HTMLElement} */ (li).dataset.state;
    li.querySelector("button")?.setAttribute("aria-pressed", String(f.state === st));
  }
  writeFilterToUrl(f);
}

/** @param {number} shown */
function renderShown(shown) {
  setText(
    document.getElementById("shown"),
    t("inv.table.shown", { shown, total: store.sites.size }),
  );
}

/** Filters live in the query (?state=DOWN&kind=desa ...) so a link or a reload keeps them. */
function readFilterFromUrl() {
  const q = new URLSearchParams(location.search);
  for (const name of ["q", "kind", "kecamatan", "state"]) {
    const el = /** @type {HTMLInputElement|HTMLSelectElement} */ (form.elements.namedItem(name));
    const v = q.get(name);
    if (el && v) el.value = v;
  }
  const sort = q.get("sort");
  if (sort) {
    sortDir = sort.startsWith("-") ? -1 : 1;
    sortKey = sort.replace(/^-/, "");
  }
}

/** @param {Record<string, string>} f */
function writeFilterToUrl(f) {
  const u = new URL(location.href);
  for (const [k, v] of Object.entries(f)) {
    if (v) u.searchParams.set(k, v);
    else u.searchParams.delete(k);
  }
  const sort = `${sortDir === -1 ? "-" : ""}${sortKey}`;
  if (sort !== "state") u.searchParams.set("sort", sort);
  else u.searchParams.delete("sort");
  history.replaceState(null, "", u.pathname + u.search);
}

form.addEventListener("input", applyFilter);
form.addEventListener("change", applyFilter);
form.addEventListener("submit", (ev) => ev.preventDefault());
form.addEventListener("reset", () => setTimeout(applyFilter, 0));

for (const th of document.querySelectorAll("#sites th[data-sort]")) {
  const key = /** @type {string} */ (/** @type {HTMLElement} */ (th).dataset.sort);
  const btn = /** @type {HTMLButtonElement} */ (th.querySelector("button"));
  btn.setAttribute("aria-label", t("inv.sort", { col: btn.textContent ?? key }));
  btn.addEventListener("click", () => {
    if (sortKey === key) sortDir = sortDir === 1 ? -1 : 1;
    else {
      sortKey = key;
      sortDir = 1;
    }
    sortRows();
    writeFilterToUrl(currentFilter());
  });
}

// ---- map ---------------------------------------------------------------------------------

/** @param {any[]} boundaries */
function drawRegion(boundaries) {
  const box = /** @type {HTMLElement} */ (document.getElementById("map"));
  const opts = { href: siteHref, label: siteLabel, title: t("inv.map.label") };
  const title = document.getElementById("map-title");
  if (store.hasCoordinates()) {
    title.textContent = t("inv.map.title");
    box.dataset.view = "map";
    map = drawMap(box, store, boundaries, opts);
  } else {
    title.textContent = t("inv.map.tree");
    box.dataset.view = "tree";
    map = drawTree(box, store, opts);
  }
}

function buildLegend() {
  const ul = document.getElementById("legend");
  for (const st of STATES) {
    const li = document.createElement("li");
    li.append(marker(st, 14), document.createTextNode(stateText(st)));
    ul.append(li);
  }
}

// ---- live --------------------------------------------------------------------------------

/** @param {"live"|"offline"} status */
function renderLive(status) {
  const el = document.getElementById("live");
  el.className = `live is-${status}`;
  setText(document.getElementById("live-text"), t(`inv.live.${status}`));
}

/** @param {import("./inventory-live.js").SiteStateEvent} ev */
async function onSiteState(ev) {
  document.dispatchEvent(new CustomEvent("inventory:site-state", { detail: ev })); // alert-list.js
  const before = store.get(Number(ev.site_id))?.state;
  const site = store.apply(ev);
  if (!site) {
    // A site this page has not seen (added after load): re-read the list once.
    await resync();
    return;
  }
  changed(site, before ?? ev.previous ?? null);
}

/**
 * Everything that follows one site's change: its row, its place, its visibility, its marker,
 * the counts, the recent list.
 * @param {Site} site @param {string|null} before
 */
function changed(site, before) {
  updateRow(site);
  reposition(site);
  const tr = rows.get(site.id);
  if (tr) {
    const ok = matches(store, site, currentFilter());
    if (tr.hidden === ok) {
      tr.hidden = !ok;
      renderShown(order.filter((id) => !rows.get(id)?.hidden).length);
    }
    if (before && before !== site.state) flash(tr);
  }
  map?.update(site);
  if (!serverRollout) renderRollout(localRollout());
  renderCounts(store.counts());
  if (before && before !== site.state) addRecent(site, before);
}

/** @param {HTMLElement} el */
function flash(el) {
  el.classList.remove("flash");
  void el.offsetWidth; // restart the animation
  el.classList.add("flash");
}

/** @param {Site} site @param {string} before */
function addRecent(site, before) {
  const ol = document.getElementById("recent");
  ol.querySelector(".muted")?.remove();
  const li = document.createElement("li");
  const time = document.createElement("time");
  time.dateTime = site.changed_at ?? new Date().toISOString();
  time.textContent = fmtWhen(site.changed_at ?? new Date().toISOString());
  const a = document.createElement("a");
  a.href = siteHref(site);
  a.textContent = t("inv.change", {
    name: site.name,
    from: stateText(before),
    to: stateText(site.state),
  });
  li.append(time, " ", marker(site.state, 12), " ", a);
  ol.prepend(li);
  while (ol.children.length > 8) ol.lastElementChild?.remove();
}

/** After each connect: re-read states and touch only the rows that differ. */
async function resync() {
  const mark = store.pushes;
  const summaries = summaryPushes;
  const sites = store.keepPushed(await fetchAllSites(), mark);
  const known = sites.every((s) => store.get(s.id)) && sites.length === store.sites.size;
  if (!known) {
    store.replace(sites);
    buildRows();
    drawRegion(await fetchBoundaries());
  } else {
    for (const fresh of sites) {
      const cur = /** @type {Site} */ (store.get(fresh.id));
      if (
        cur.state !== fresh.state ||
        cur.rtt_ms !== fresh.rtt_ms ||
        cur.loss !== fresh.loss ||
        cur.uplink_status !== fresh.uplink_status
      ) {
        const before = cur.state;
        Object.assign(cur, fresh);
        changed(cur, before);
      }
    }
  }
  await refreshSummary(summaries);
}
