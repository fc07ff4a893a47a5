// The regency drawn offline: an SVG map from imported coordinates and kecamatan boundaries
// (equirectangular projection fitted to the bounding box), or, before any coordinates are
// imported, a schematic tree (kabupaten -> kecamatan -> villages). Each site is a marker whose
// colour AND shape say its state (the shapes are the <symbol>s of markerDefs()).

import { VILLAGE_KINDS } from "./inventory-live.js";
import { svgEl } from "./svg.js";

/**
 * One shape per state, drawn in currentColor, centred on 0,0 within radius 1.
 * Put once in the page; markers <use> them.
 */
export function markerDefs() {
  const svg = svgEl("svg", { width: 0, height: 0, "aria-hidden": "true", class: "defs" });
  const defs = svgEl("defs");
  /** @type {Record<string, string>} */
  const shapes = {
    UP: '<circle r="1" fill="currentColor"/>',
    DEGRADED: '<path d="M0,-1.15 L1.05,0.8 L-1.05,0.8 Z" fill="currentColor"/>',
    DOWN: '<path d="M-0.9,-0.9 H0.9 V0.9 H-0.9 Z" fill="currentColor"/>',
    UNREACHABLE:
      '<circle r="0.8" fill="#fff" stroke="currentColor" stroke-width="0.45"/>' +
      '<path d="M-0.55,-0.55 L0.55,0.55" stroke="currentColor" stroke-width="0.35"/>',
    MAINTENANCE: '<path d="M0,-1.2 L1.2,0 L0,1.2 L-1.2,0 Z" fill="currentColor"/>',
    PLANNED:
      '<path d="M-0.8,-0.8 H0.8 V0.8 H-0.8 Z" fill="#fff" stroke="currentColor"' +
      ' stroke-width="0.35" stroke-dasharray="0.5 0.3"/>',
    UNKNOWN:
      '<circle r="0.75" fill="#fff" stroke="currentColor" stroke-width="0.35"' +
      ' stroke-dasharray="0.4 0.3"/>',
  };
  for (const [state, body] of Object.entries(shapes)) {
    const sym = svgEl("symbol", { id: `mk-${state}`, viewBox: "-1.5 -1.5 3 3", overflow: "visible" });
    sym.innerHTML = body;
    defs.append(sym);
  }
  svg.append(defs);
  return svg;
}

/**
 * A small inline marker (for the legend, the table, the tree).
 * @param {string} state @param {number} [size]
 */
export function marker(state, size = 14) {
  const svg = svgEl("svg", {
    class: `mk st-${state}`,
    width: size,
    height: size,
    viewBox: "-1.5 -1.5 3 3",
    "aria-hidden": "true",
    focusable: "false",
  });
  svg.append(svgEl("use", { href: `#mk-${state}`, x: -1.5, y: -1.5, width: 3, height: 3 }));
  return svg;
}

/** @param {SVGElement} svg @param {string} state */
export function setMarker(svg, state) {
  svg.setAttribute("class", svg.getAttribute("class")?.replace(/st-\w+/, `st-${state}`) ?? "");
  svg.querySelector("use")?.setAttribute("href", `#mk-${state}`);
}

/**
 * Equirectangular projection fitted to a bounding box: x grows east, y grows south, with
 * longitude scaled by cos(mid-latitude) so shapes keep their proportions at this size.
 * @param {[number, number, number, number]} bbox minLon, minLat, maxLon, maxLat
 * @param {number} width  drawing width (viewBox units), height follows the aspect ratio
 * @param {number} pad
 */
export function projection(bbox, width, pad) {
  const [minLon, minLat, maxLon, maxLat] = bbox;
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const w = Math.max((maxLon - minLon) * k, 1e-9);
  const h = Math.max(maxLat - minLat, 1e-9);
  const scale = (width - 2 * pad) / w;
  const height = h * scale + 2 * pad;
  return {
    width,
    height,
    /** @param {number} lon @param {number} lat @returns {[number, number]} */
    project: (lon, lat) => [pad + (lon - minLon) * k * scale, pad + (maxLat - lat) * scale],
  };
}

/** Every [lon, lat] of a GeoJSON geometry. @param {any} geometry @returns {number[][]} */
function positions(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return geometry.coordinates.flat();
  if (geometry.type === "MultiPolygon") return geometry.coordinates.flat(2);
  if (geometry.type === "Point") return [geometry.coordinates];
  return [];
}

/** An SVG path for a (Multi)Polygon. @param {any} geometry @param {(lon: number, lat: number) => [number, number]} project */
function pathFor(geometry, project) {
  const polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  let d = "";
  for (const rings of polys)
    for (const ring of rings) {
      ring.forEach((/** @type {number[]} */ p, /** @type {number} */ i) => {
        const [x, y] = project(p[0], p[1]);
        d += `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
      });
      d += "Z";
    }
  return d;
}

/**
 * @typedef {object} MapOptions
 * @property {(site: import("./inventory-live.js").Site) => string} href   link to the site page
 * @property {(site: import("./inventory-live.js").Site) => string} label  accessible text
 * @property {string} title  accessible name of the whole map
 */

/**
 * Draw the map into container. Returns update(site) that re-colours one site.
 * @param {HTMLElement} container
 * @param {import("./inventory-live.js").SiteStore} store
 * @param {any[]} features boundary features with properties.code (kecamatan polygons used)
 * @param {MapOptions} opts
 */
export function drawMap(container, store, features, opts) {
  const sites = store.all();
  const byCode = new Map(sites.filter((s) => s.code).map((s) => [s.code, s]));
  const areas = features.filter((f) => {
    const site = byCode.get(f.properties?.code);
    return site && site.kind === "kecamatan" && f.geometry;
  });
  /** @type {number[][]} */
  const pts = areas.flatMap((f) => positions(f.geometry));
  for (const s of sites) if (s.lat != null && s.lon != null) pts.push([s.lon, s.lat]);
  const bbox = /** @type {[number, number, number, number]} */ ([
    Math.min(...pts.map((p) => p[0])),
    Math.min(...pts.map((p) => p[1])),
    Math.max(...pts.map((p) => p[0])),
    Math.max(...pts.map((p) => p[1])),
  ]);
  const { width, height, project } = projection(bbox, 520, 12);
  const svg = svgEl("svg", {
    viewBox: `0 0 ${width} ${height.toFixed(0)}`,
    class: "regency-map",
    role: "group",
    "aria-label": opts.title,
  });

  /** @type {Map<number, Element[]>} */
  const bySite = new Map();
  /** @param {number} id @param {Element} el */
  const remember = (id, el) => bySite.set(id, [...(bySite.get(id) ?? []), el]);

  const areaLayer = svgEl("g", { class: "areas" });
  for (const f of areas) {
    const site = /** @type {import("./inventory-live.js").Site} */ (byCode.get(f.properties.code));
    const path = svgEl("path", {
      d: pathFor(f.geometry, project),
      class: `area st-${site.state}`,
      "data-code": site.code ?? "",
    });
    remember(site.id, path);
    areaLayer.append(path);
  }
  svg.append(areaLayer);

  const labelLayer = svgEl("g", { class: "area-labels", "aria-hidden": "true" });
  const markerLayer = svgEl("g", { class: "markers" });
  // Villages first, offices on top.
  /** @type {Record<string, number>} */
  const order = { kecamatan: 1, kabupaten: 2 };
  const placed = sites
    .filter((s) => s.lat != null && s.lon != null)
    .sort((a, b) => (order[a.kind] ?? 0) - (order[b.kind] ?? 0));
  for (const site of placed) {
    const [x, y] = project(/** @type {number} */ (site.lon), /** @type {number} */ (site.lat));
    const size = site.kind === "kabupaten" ? 7 : site.kind === "kecamatan" ? 5.5 : 3.6;
    const link = svgEl("a", {
      href: opts.href(site),
      class: `site-marker st-${site.state} kind-${site.kind}`,
      "data-site-id": site.id,
      "aria-label": opts.label(site),
      tabindex: -1, // the table holds the same links; 229 tab stops on a map help nobody
    });
    const title = svgEl("title");
    title.textContent = opts.label(site);
    const use = svgEl("use", {
      href: `#mk-${site.state}`,
      x: (x - size * 1.5).toFixed(1),
      y: (y - size * 1.5).toFixed(1),
      width: size * 3,
      height: size * 3,
    });
    link.append(title, use);
    markerLayer.append(link);
    remember(site.id, link);
    if (site.kind === "kecamatan") {
      const text = svgEl("text", { x: x.toFixed(1), y: (y - size - 3).toFixed(1) });
      text.textContent = site.name;
      labelLayer.append(text);
    }
  }
  svg.append(markerLayer, labelLayer);
  container.replaceChildren(svg);

  return {
    /** @param {import("./inventory-live.js").Site} site */
    update(site) {
      for (const el of bySite.get(site.id) ?? []) {
        el.setAttribute("class", (el.getAttribute("class") ?? "").replace(/st-\w+/, `st-${site.state}`));
        el.querySelector("use")?.setAttribute("href", `#mk-${site.state}`);
        if (el.tagName.toLowerCase() === "a") {
          el.setAttribute("aria-label", opts.label(site));
          const t = el.querySelector("title");
          if (t) t.textContent = opts.label(site);
        }
      }
    },
  };
}

/**
 * The schematic tree shown before coordinates are imported: the regency office, then one block
 * per kecamatan with its villages as markers. Returns update(site).
 * @param {HTMLElement} container
 * @param {import("./inventory-live.js").SiteStore} store
 * @param {MapOptions} opts
 */
export function drawTree(container, store, opts) {
  /** @type {Map<number, HTMLAnchorElement>} */
  const links = new Map();
  /** @param {import("./inventory-live.js").Site} site @param {boolean} withName */
  const node = (site, withName) => {
    const a = document.createElement("a");
    a.href = opts.href(site);
    a.className = `tree-node kind-${site.kind}`;
    a.dataset.siteId = String(site.id);
    a.setAttribute("aria-label", opts.label(site));
    a.title = opts.label(site);
    a.append(marker(site.state, withName ? 14 : 12));
    if (withName) a.append(" ", site.name);
    else a.tabIndex = -1;
    links.set(site.id, a);
    return a;
  };
  const root = document.createElement("div");
  root.className = "tree";
  root.setAttribute("role", "group");
  root.setAttribute("aria-label", opts.title);
  const top = store.all().filter((s) => s.kind === "kabupaten");
  const head = document.createElement("div");
  head.className = "tree-root";
  for (const s of top) head.append(node(s, true));
  root.append(head);
  const grid = document.createElement("div");
  grid.className = "tree-grid";
  const villages = store.all().filter((s) => VILLAGE_KINDS.includes(s.kind));
  for (const kec of store.kecamatans()) {
    const block = document.createElement("div");
    block.className = "tree-kec";
    block.append(node(kec, true));
    const row = document.createElement("div");
    row.className = "tree-villages";
    villages
      .filter((v) => v.parent_id === kec.id)
      .sort((a, b) => (a.code ?? a.name).localeCompare(b.code ?? b.name))
      .forEach((v) => row.append(node(v, false)));
    block.append(row);
    grid.append(block);
  }
  root.append(grid);
  container.replaceChildren(root);
  return {
    /** @param {import("./inventory-live.js").Site} site */
    update(site) {
      const a = links.get(site.id);
      if (!a) return;
      const svg = a.querySelector("svg");
      if (svg) setMarker(svg, site.state);
      a.setAttribute("aria-label", opts.label(site));
      a.title = opts.label(site);
    },
  };
}
