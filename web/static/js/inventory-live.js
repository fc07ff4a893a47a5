// Inventory data and live updates, without any DOM: the REST calls the dashboard needs, the
// socket.io namespace "/inventory", and a small in-memory site store with filtering and sorting.
// The page modules (inventory.js, inventory-site.js) draw; this module only knows data.
//
// Pushes can be lost (a reconnect, a Redis hiccup between processes), so every push is also
// re-readable: after each (re)connect the client re-reads /api/state and the sites' states.

import { api } from "./http.js";
import { io } from "../vendor/socket.io/socket.io.esm.min.js";

/** The states a site can be in, in the order the dashboard shows them. */
export const STATES = /** @type {const} */ ([
  "UP",
  "DEGRADED",
  "DOWN",
  "UNREACHABLE",
  "MAINTENANCE",
  "PLANNED",
  "UNKNOWN",
]);

/** Site kinds from the top of the hierarchy down. */
export const KINDS = /** @type {const} */ ([
  "kabupaten",
  "kecamatan",
  "desa",
  "kelurahan",
  "village",
  "other",
]);

/** Kinds of a village site ("village" until an import tells desa from kelurahan). */
export const VILLAGE_KINDS = ["desa", "kelurahan", "village"];

export const RANGES = /** @type {const} */ (["24h", "7d", "30d"]);

/**
 * @typedef {object} Site
 * @property {number} id
 * @property {string|null} code      Kemendagri code, e.g. "33.14.01.2001"
 * @property {string} name
 * @property {string} kind           kabupaten | kecamatan | desa | kelurahan
 * @property {number|null} parent_id
 * @property {number|null} lat
 * @property {number|null} lon
 * @property {string} state          one of STATES
 * @property {number|null} rtt_ms
 * @property {number|null} loss      0..1
 * @property {string|null} changed_at ISO time of the last state change
 * @property {string|null} method    probe method in use (icmp, tcp, http)
 * @property {boolean} [flapping]    its state keeps changing: its alerts are held (docs/probing.md)
 * @property {{loss_degraded: number, rtt_degraded_ms: number, medium: string|null, source: string}|null} [baseline]
 *   the thresholds the site is judged by (GET /api/state)
 */

/**
 * The payload of a `site:state` push (docs/probing.md).
 * @typedef {object} SiteStateEvent
 * @property {number} site_id
 * @property {string} code
 * @property {string} name
 * @property {string} state
 * @property {string|null} previous
 * @property {boolean} [flapping]
 * @property {number|null} rtt_ms
 * @property {number|null} loss
 * @property {string|null} method
 * @property {string|null} changed_at
 */

/**
 * Counts by state and the village rollout, as /api/state and the `summary` push carry them.
 * @typedef {object} Summary
 * @property {Record<string, number>} counts
 * @property {{active: number, total: number}} rollout
 */

const PAGE = 1000;

/**
 * Every item of a paginated list ({items, total, limit, offset}), read to its end.
 * @param {string} path  without limit/offset
 * @returns {Promise<any[]>}
 */
export async function fetchPaged(path) {
  const all = [];
  const sep = path.includes("?") ? "&" : "?";
  for (let offset = 0; ; offset += PAGE) {
    const page = await api("GET", `${path}${sep}limit=${PAGE}&offset=${offset}`);
    all.push(...page.items);
    if (page.items.length === 0 || all.length >= page.total) break;
  }
  return all;
}

/**
 * Every site with its live state: the inventory's records (/api/sites: codes, coordinates,
 * uplink status) joined by id with the prober's states (/api/state). Either alone still gives a
 * usable table. @returns {Promise<Site[]>}
 */
export async function fetchAllSites() {
  const [records, states] = await Promise.all([
    fetchPaged("/api/sites").catch((e) => (console.warn("GET /api/sites", e), null)),
    fetchPaged("/api/state").catch((e) => (console.warn("GET /api/state", e), null)),
  ]);
  if (!records && !states) throw new Error("GET /api/sites and /api/state both failed");
  /** @type {Map<number, any>} */
  const byId = new Map();
  for (const r of records ?? states ?? []) byId.set(Number(r.id ?? r.site_id), { ...r });
  if (records && states)
    for (const st of states) {
      const r = byId.get(Number(st.site_id ?? st.id));
      if (r) Object.assign(r, liveFields(st));
    }
  return [...byId.values()].map(normaliseSite);
}

/** The live part of an /api/state item. @param {any} st */
function liveFields(st) {
  return {
    state: st.state,
    rtt_ms: st.rtt_ms,
    loss: st.loss,
    method: st.method,
    changed_at: st.since ?? st.changed_at ?? null,
    flapping: Boolean(st.flapping),
    measured_at: st.measured_at ?? null,
    baseline: st.baseline ?? null,
  };
}

/** One site's record joined with its live state. @param {number} id */
export async function fetchSite(id) {
  const record = await api("GET", `/api/sites/${id}`);
  const st = await api("GET", `/api/state?limit=1000`)
    .then((/** @type {any} */ d) => d.items.find((/** @type {any} */ i) => Number(i.site_id ?? i.id) === id))
    .catch(() => null);
  return normaliseSite(st ? { ...record, ...liveFields(st) } : record);
}

/** @param {number} siteId @returns {Promise<any[]>} */
export async function fetchLinks(siteId) {
  return fetchList(`/api/links?site=${siteId}`);
}

/** @param {number} siteId @returns {Promise<any[]>} */
export async function fetchProbes(siteId) {
  return fetchList(`/api/probes?site=${siteId}`);
}

/** @param {number} siteId @returns {Promise<any[]>} */
export async function fetchEvents(siteId) {
  return fetchList(`/api/events?site=${siteId}&limit=20`);
}

/** @param {string} path */
async function fetchList(path) {
  const data = await api("GET", path);
  return Array.isArray(data) ? data : (data.items ?? []);
}

/** @returns {Promise<Summary>} */
export async function fetchSummary() {
  return normaliseSummary(await api("GET", "/api/state"));
}

/**
 * The kecamatan boundaries as GeoJSON features ({properties: {code}, geometry}); empty before an
 * import. Village dots need no boundary, so only the 20 kecamatan polygons travel.
 * @returns {Promise<any[]>}
 */
export async function fetchBoundaries() {
  try {
    const items = await fetchPaged("/api/sites?kind=kecamatan&boundary=true");
    return items
      .filter((/** @type {any} */ s) => s.boundary)
      .map((/** @type {any} */ s) => ({
        type: "Feature",
        properties: { code: s.code, id: s.id },
        geometry: s.boundary,
      }));
  } catch (e) {
    console.warn("no boundaries", e);
    return [];
  }
}

/**
 * History of one site over a range, as points {t (ms), min, median, max, loss (0..1), availability (0..1)}.
 * @param {number} id
 * @param {string} range 24h | 7d | 30d
 */
export async function fetchHistory(id, range) {
  const data = await api("GET", `/api/sites/${id}/history?range=${encodeURIComponent(range)}`);
  return normaliseHistory(data);
}

/**
 * Accept the history in the shape the API serves it and return plain points.
 * @param {any} data
 */
export function normaliseHistory(data) {
  const raw = data.points ?? data.series ?? data.items ?? [];
  const points = raw.map((/** @type {any} */ p) => ({
    t: toMillis(p.t ?? p.time ?? p.ts ?? p.start),
    min: num(p.rtt_min ?? p.min_ms ?? p.min),
    median: num(p.rtt_median ?? p.median_ms ?? p.median),
    max: num(p.rtt_max ?? p.max_ms ?? p.max),
    lo: num(p.round_min),
    hi: num(p.round_max),
    loss: num(p.loss),
    availability: num(p.availability),
  }));
  points.sort((a, b) => a.t - b.t);
  return {
    range: String(data.range ?? ""),
    start: toMillis(data.start ?? data.from ?? points[0]?.t ?? Date.now()),
    end: toMillis(data.end ?? data.to ?? Date.now()),
    step: Number(data.step ?? data.step_seconds ?? 0) * 1000,
    points,
  };
}

/** @param {unknown} v */
function num(v) {
  return v === null || v === undefined || Number.isNaN(Number(v)) ? null : Number(v);
}

/** Seconds (number), milliseconds (large number) or ISO text -> milliseconds. @param {unknown} v */
export function toMillis(v) {
  if (typeof v === "number") return v < 1e11 ? v * 1000 : v;
  if (typeof v === "string") return Date.parse(v);
  return NaN;
}

/** @param {any} s @returns {Site} */
export function normaliseSite(s) {
  const live = s.live ?? s.status_live ?? {};
  return {
    ...s,
    id: Number(s.id),
    code: s.code ?? null,
    name: String(s.name ?? ""),
    kind: String(s.kind ?? ""),
    parent_id: s.parent_id ?? s.parent ?? null,
    lat: num(s.lat),
    lon: num(s.lon),
    state: String(s.state ?? live.state ?? "UNKNOWN").toUpperCase(),
    rtt_ms: num(s.rtt_ms ?? live.rtt_ms),
    loss: num(s.loss ?? live.loss),
    changed_at: s.changed_at ?? s.since ?? live.changed_at ?? null,
    method: s.method ?? live.method ?? null,
    flapping: Boolean(s.flapping ?? live.flapping),
  };
}

/** @param {any} data @returns {Summary} */
export function normaliseSummary(data) {
  /** @type {Record<string, number>} */
  const counts = {};
  const src = data.counts ?? data.states ?? data.summary ?? {};
  for (const st of STATES) counts[st] = Number(src[st] ?? src[st.toLowerCase()] ?? 0);
  const r = data.rollout ?? {};
  return {
    counts,
    rollout: {
      active: Number(r.active ?? r.villages_active ?? 0),
      total: Number(r.total ?? r.villages_total ?? 0),
    },
  };
}

/**
 * Sites in memory, keyed by id; applies pushes and answers filter/sort questions.
 */
export class SiteStore {
  /** @param {Site[]} sites */
  constructor(sites = []) {
    /** @type {Map<number, Site>} */
    this.sites = new Map();
    /** Pushes applied so far: a mark to tell what a re-read crossed. */
    this.pushes = 0;
    /** Site id -> the value of `pushes` at its last push. @type {Map<number, number>} */
    this.pushedAt = new Map();
    this.replace(sites);
  }

  /** @param {Site[]} sites */
  replace(sites) {
    this.sites.clear();
    for (const s of sites) this.sites.set(s.id, s);
  }

  /** @param {number} id */
  get(id) {
    return this.sites.get(id);
  }

  all() {
    return [...this.sites.values()];
  }

  /** @param {number|null} id */
  parentName(id) {
    return id == null ? "" : (this.sites.get(id)?.name ?? "");
  }

  /** The kecamatan a site belongs to (itself for a kecamatan). @param {Site} site */
  kecamatanOf(site) {
    if (site.kind === "kecamatan") return site;
    if (VILLAGE_KINDS.includes(site.kind)) {
      const p = site.parent_id == null ? undefined : this.sites.get(site.parent_id);
      return p?.kind === "kecamatan" ? p : undefined;
    }
    return undefined;
  }

  kecamatans() {
    return this.all()
      .filter((s) => s.kind === "kecamatan")
      .sort((a, b) => a.name.localeCompare(b.name, "id"));
  }

  /**
   * Apply one `site:state` push. Returns the updated site, or null when the site is unknown
   * (then the caller should re-read the list).
   * @param {SiteStateEvent} ev
   */
  apply(ev) {
    const site = this.sites.get(Number(ev.site_id));
    if (!site) return null;
    site.state = String(ev.state).toUpperCase();
    site.rtt_ms = num(ev.rtt_ms);
    site.loss = num(ev.loss);
    if (ev.method !== undefined) site.method = ev.method;
    if (ev.changed_at !== undefined) site.changed_at = ev.changed_at;
    if (ev.flapping !== undefined) site.flapping = ev.flapping;
    this.pushedAt.set(site.id, ++this.pushes);
    return site;
  }

  /**
   * Sites just re-read, with the live fields of every site pushed after `mark` (a value of
   * `pushes` taken before the re-read) kept as pushed: such a push may have been sent after the
   * server answered the re-read, never before a change the re-read shows (pushes arrive in order).
   * @param {Site[]} fresh @param {number} mark @returns {Site[]}
   */
  keepPushed(fresh, mark) {
    return fresh.map((s) => {
      const cur = this.sites.get(s.id);
      if (!cur || (this.pushedAt.get(s.id) ?? 0) <= mark) return s;
      const { state, rtt_ms, loss, method, changed_at, flapping } = cur;
      return { ...s, state, rtt_ms, loss, method, changed_at, flapping };
    });
  }

  /** Counts by state computed from the store (used until the server's summary arrives). */
  counts() {
    /** @type {Record<string, number>} */
    const counts = Object.fromEntries(STATES.map((s) => [s, 0]));
    for (const s of this.sites.values()) counts[s.state] = (counts[s.state] ?? 0) + 1;
    return counts;
  }

  /** True when at least one site has coordinates (an import has happened). */
  hasCoordinates() {
    for (const s of this.sites.values()) if (s.lat != null && s.lon != null) return true;
    return false;
  }
}

/**
 * @typedef {object} Filter
 * @property {string} kind      "" for all
 * @property {string} kecamatan "" for all, else the kecamatan's id as text
 * @property {string} state     "" for all
 * @property {string} q         free text: name or code
 */

/**
 * Whether a site passes the filter.
 * @param {SiteStore} store @param {Site} site @param {Filter} f
 */
export function matches(store, site, f) {
  if (f.kind && site.kind !== f.kind) return false;
  if (f.state && site.state !== f.state) return false;
  if (f.kecamatan) {
    const kec = store.kecamatanOf(site);
    if (!kec || String(kec.id) !== f.kecamatan) return false;
  }
  if (f.q) {
    const q = fold(f.q);
    const kec = store.kecamatanOf(site);
    const hay = fold(`${site.name} ${site.code ?? ""} ${kec && kec !== site ? kec.name : ""}`);
    if (!hay.includes(q)) return false;
  }
  return true;
}

/** Lower-case, no accents, no spaces: "Sambung Macan" finds "Sambungmacan". @param {string} s */
export function fold(s) {
  return s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/\s+/g, "");
}

const STATE_RANK = Object.fromEntries(
  ["DOWN", "DEGRADED", "UNREACHABLE", "UNKNOWN", "MAINTENANCE", "UP", "PLANNED"].map((s, i) => [s, i]),
);
const KIND_RANK = Object.fromEntries(KINDS.map((k, i) => [k, i]));

/**
 * A comparator for a sort key; the worst states come first when sorting by state.
 * @param {SiteStore} store @param {string} key @param {1|-1} dir
 * @returns {(a: Site, b: Site) => number}
 */
export function comparator(store, key, dir) {
  /** @type {(s: Site) => string|number} */
  const value = {
    name: (/** @type {Site} */ s) => s.name.toLowerCase(),
    code: (/** @type {Site} */ s) => s.code ?? "~",
    kind: (/** @type {Site} */ s) => KIND_RANK[s.kind] ?? 9,
    kecamatan: (/** @type {Site} */ s) => (store.kecamatanOf(s)?.name ?? "").toLowerCase(),
    state: (/** @type {Site} */ s) => STATE_RANK[s.state] ?? 9,
    rtt: (/** @type {Site} */ s) => s.rtt_ms ?? Infinity,
    loss: (/** @type {Site} */ s) => s.loss ?? Infinity,
    changed: (/** @type {Site} */ s) => -(s.changed_at ? Date.parse(s.changed_at) : -Infinity),
  }[key] ?? ((/** @type {Site} */ s) => s.name.toLowerCase());
  return (a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va < vb) return -dir;
    if (va > vb) return dir;
    // Stable, meaningful tie-break: by code (hierarchy order), then id.
    const ca = a.code ?? "~";
    const cb = b.code ?? "~";
    return ca < cb ? -1 : ca > cb ? 1 : a.id - b.id;
  };
}

/**
 * The live connection: socket.io namespace "/inventory".
 * Callbacks: onState(SiteStateEvent), onSummary(Summary), onStatus("live"|"offline"),
 * onResync() after each connect (the first one too), so the page can re-read what pushes it may
 * have missed; onStatus("live") follows once that re-read is done.
 */
export class LiveConnection {
  /**
   * @param {{
   *   onState?: (ev: SiteStateEvent) => void,
   *   onSummary?: (s: Summary) => void,
   *   onStatus?: (status: "live"|"offline") => void,
   *   onResync?: () => void | Promise<void>,
   * }} handlers
   */
  constructor(handlers) {
    this.handlers = handlers;
    this.socket = io("/inventory", {
      transports: ["websocket"], // the server serves websocket only
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10000,
      withCredentials: true,
    });
    // Every connect, the first one too, is followed by a re-read: a push sent after the page
    // read its snapshot but before this socket joined the namespace reached nobody. The page is
    // called live only once that re-read is in, so a push heard from then on is the newest word.
    this.socket.on("connect", async () => {
      try {
        await handlers.onResync?.();
      } catch (e) {
        console.warn("re-reading after connect", e);
      }
      if (this.socket.connected) handlers.onStatus?.("live");
    });
    this.socket.on("disconnect", () => handlers.onStatus?.("offline"));
    this.socket.on("connect_error", () => handlers.onStatus?.("offline"));
    this.socket.on("site:state", (/** @type {SiteStateEvent} */ ev) => handlers.onState?.(ev));
    this.socket.on("summary", (/** @type {any} */ s) =>
      handlers.onSummary?.(normaliseSummary(s)),
    );
  }

  close() {
    this.socket.close();
  }
}
