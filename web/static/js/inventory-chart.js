// SVG charts of one site's history, drawn here (no chart library): round-trip time as
// Smokeping-style "smoke" — per bucket, the typical probe round's spread (its echoes' min..max)
// as a shaded column over the faint min..max envelope — with the median as a line, and packet
// loss as bars. Both share the time axis.

import { svgEl } from "./svg.js";

const M = { left: 52, right: 14, top: 20, bottom: 24 };

/**
 * @typedef {object} Point
 * @property {number} t  milliseconds
 * @property {number|null} min
 * @property {number|null} median
 * @property {number|null} max
 * @property {number|null} [lo]          the typical round's minimum (median of the rounds' min)
 * @property {number|null} [hi]          the typical round's maximum (median of the rounds' max)
 * @property {number|null} loss          0..1
 * @property {number|null} availability  0..1
 */

/**
 * @typedef {object} ChartText
 * @property {string} title   accessible name
 * @property {string} yLabel  e.g. "ms"
 * @property {string} empty   shown when there is no data
 * @property {string} locale  for dates, e.g. "id-ID"
 * @property {number} width   drawing size in CSS pixels (the charts are drawn 1:1, not scaled)
 * @property {number} height
 * @property {number|null} [baseline] the site's threshold in the chart's unit (its link's
 *   baseline: DEGRADED at or above it), drawn as a dashed line when it fits the data's scale
 * @property {string} [baselineLabel] the line's label
 */

/**
 * Ticks of a y axis from 0 to at least `max`: a "nice" step (1, 2, 2.5 or 5 × 10^n) giving at
 * most `most` divisions, and how many decimals the labels need so that every gridline is
 * labelled with its exact value (2.5 → one decimal, 0.25 → two).
 * @param {number} max @param {number} most
 */
export function yTicks(max, most) {
  const v = max > 0 ? max : 1;
  const raw = v / Math.max(1, most);
  const e = Math.floor(Math.log10(raw));
  let step = 10 ** (e + 1);
  let mantissa = 1;
  for (const m of [1, 2, 2.5, 5]) {
    if (m * 10 ** e >= raw * (1 - 1e-9)) {
      step = m * 10 ** e;
      mantissa = m;
      break;
    }
  }
  const exp = Math.floor(Math.log10(step) + 1e-9);
  const decimals = Math.max(0, -exp + (mantissa === 2.5 ? 1 : 0));
  const n = Math.max(1, Math.ceil(v / step - 1e-9));
  const ticks = Array.from({ length: n + 1 }, (_, i) => Number((i * step).toFixed(decimals)));
  return { top: ticks[n], step: Number(step.toFixed(decimals)), ticks, decimals };
}

/** Tick positions between start and end (ms), aligned to whole hours or days in local time. @param {number} start @param {number} end */
export function timeTicks(start, end) {
  const span = end - start;
  const hour = 3600e3;
  const day = 24 * hour;
  const step = span <= 2 * day ? 3 * hour : span <= 10 * day ? day : 5 * day;
  const first = new Date(start);
  if (step < day) first.setMinutes(0, 0, 0);
  else first.setHours(0, 0, 0, 0);
  const ticks = [];
  for (let t = first.getTime(); t <= end; ) {
    if (t >= start) ticks.push(t);
    const d = new Date(t);
    if (step < day) d.setHours(d.getHours() + step / hour);
    else d.setDate(d.getDate() + step / day);
    t = d.getTime();
  }
  return { ticks, daily: step >= day };
}

/** @param {number} start @param {number} end @param {ChartText} text */
function frame(start, end, text) {
  const W = text.width;
  const H = text.height;
  const svg = svgEl("svg", {
    viewBox: `0 0 ${W} ${H}`,
    width: W,
    height: H,
    class: "chart",
    role: "img",
    "aria-label": text.title,
  });
  const x = (/** @type {number} */ t) => M.left + ((t - start) / (end - start || 1)) * (W - M.left - M.right);
  const axis = svgEl("g", { class: "axis" });
  const { ticks, daily } = timeTicks(start, end);
  const fmt = new Intl.DateTimeFormat(
    text.locale,
    daily ? { day: "numeric", month: "short" } : { hour: "2-digit", minute: "2-digit" },
  );
  for (const t of ticks) {
    const xx = x(t).toFixed(1);
    axis.append(svgEl("line", { x1: xx, x2: xx, y1: M.top, y2: H - M.bottom, class: "grid" }));
    const label = svgEl("text", { x: xx, y: H - M.bottom + 16, "text-anchor": "middle" });
    label.textContent = fmt.format(new Date(t));
    axis.append(label);
  }
  axis.append(
    svgEl("line", { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: "base" }),
  );
  svg.append(axis);
  return { svg, x, axis, W, H };
}

/**
 * The y axis: nice ticks up to at least `max` (four divisions when there is room, two on a short
 * chart), each gridline labelled with its exact value. Returns the scale and the top value.
 * @param {{W: number, H: number, axis: SVGGElement}} f @param {number} max @param {string} unit
 * @param {string} locale
 */
function yAxis(f, max, unit, locale) {
  const { W, H, axis } = f;
  const { top, ticks, decimals } = yTicks(max, H - M.top - M.bottom >= 120 ? 4 : 2);
  const y = (/** @type {number} */ v) => H - M.bottom - (v / top) * (H - M.top - M.bottom);
  const fmt = new Intl.NumberFormat(locale, {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
    useGrouping: false,
  });
  ticks.forEach((v, i) => {
    const yy = y(v).toFixed(1);
    if (i > 0) axis.append(svgEl("line", { x1: M.left, x2: W - M.right, y1: yy, y2: yy, class: "grid" }));
    const label = svgEl("text", { x: M.left - 6, y: Number(yy) + 4, "text-anchor": "end" });
    label.textContent = fmt.format(v);
    axis.append(label);
  });
  const u = svgEl("text", { x: M.left - 6, y: M.top - 8, "text-anchor": "end", class: "unit" });
  u.textContent = unit;
  axis.append(u);
  return { y, top };
}

/** @param {{W: number, H: number, svg: SVGElement}} f @param {string} text */
function emptyNote(f, text) {
  const { W, H, svg } = f;
  const t = svgEl("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" });
  t.textContent = text;
  svg.append(t);
}

/**
 * Contiguous runs of points where pick() has a value (gaps in the history break the lines).
 * @param {Point[]} points @param {(p: Point) => boolean} has @param {number} step
 */
function runs(points, has, step) {
  /** @type {Point[][]} */
  const out = [];
  /** @type {Point[]} */
  let cur = [];
  let last = -Infinity;
  for (const p of points) {
    const gap = step > 0 && p.t - last > 2.5 * step;
    if (!has(p) || gap) {
      if (cur.length) out.push(cur);
      cur = [];
    }
    if (has(p)) cur.push(p);
    last = p.t;
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * Round-trip time: the faint min..max envelope, per bucket the typical round's spread as a
 * shaded column (the smoke), and the median line.
 * @param {{start: number, end: number, step: number, points: Point[]}} h @param {ChartText} text
 */
export function latencyChart(h, text) {
  const f = frame(h.start, h.end, text);
  const { svg, x } = f;
  const withRtt = h.points.filter((p) => p.median != null);
  if (!withRtt.length) {
    yAxis(f, 10, text.yLabel, text.locale);
    emptyNote(f, text.empty);
    return svg;
  }
  const high = Math.max(...withRtt.map((p) => p.max ?? p.median ?? 0));
  // The baseline joins the scale when it is near the data (a 1,500 ms VSAT threshold would
  // flatten a 5 ms fibre link's line; the summary names it then).
  const base = text.baseline != null && text.baseline <= high * 2 ? text.baseline : null;
  const { y } = yAxis(f, Math.max(high, base ?? 0) * 1.05, text.yLabel, text.locale);
  const step = h.step || 0;
  const span = h.end - h.start || 1;
  const cw = step ? Math.max(1, ((f.W - M.left - M.right) * step) / span) : 3;
  const smoke = svgEl("g", { class: "smoke" });
  for (const run of runs(h.points, (p) => p.median != null, step)) {
    const upper = run.map((p) => `${x(p.t).toFixed(1)},${y(p.max ?? p.median ?? 0).toFixed(1)}`);
    const lower = run
      .slice()
      .reverse()
      .map((p) => `${x(p.t).toFixed(1)},${y(p.min ?? p.median ?? 0).toFixed(1)}`);
    const band = run.length === 1
      ? svgEl("rect", {
          x: x(run[0].t) - 1.5,
          y: y(run[0].max ?? 0),
          width: 3,
          height: Math.max(1, y(run[0].min ?? 0) - y(run[0].max ?? 0)),
          class: "band",
        })
      : svgEl("polygon", { points: [...upper, ...lower].join(" "), class: "band" });
    svg.append(band);
    for (const p of run) {
      if (p.lo == null || p.hi == null) continue;
      const top = y(p.hi);
      smoke.append(
        svgEl("rect", {
          x: (x(p.t) - cw / 2).toFixed(1),
          y: top.toFixed(1),
          width: cw.toFixed(1),
          height: Math.max(1, y(p.lo) - top).toFixed(1),
        }),
      );
    }
    svg.append(smoke);
    const d = run.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.median ?? 0).toFixed(1)}`).join("");
    if (run.length === 1) {
      const p = run[0];
      svg.append(
        svgEl("circle", { cx: x(p.t).toFixed(1), cy: y(p.median ?? 0).toFixed(1), r: 2.5, class: "median-dot" }),
      );
    } else svg.append(svgEl("path", { d, class: "median" }));
  }
  if (base != null) baselineLine(f, y(base), text.baselineLabel ?? "");
  return svg;
}

/**
 * The dashed threshold line and its label at the right end.
 * @param {{W: number, svg: SVGElement}} f @param {number} yy @param {string} label
 */
function baselineLine(f, yy, label) {
  const { W, svg } = f;
  svg.append(svgEl("line", { x1: M.left, x2: W - M.right, y1: yy.toFixed(1), y2: yy.toFixed(1), class: "baseline" }));
  const t = svgEl("text", { x: W - M.right - 4, y: (yy - 4).toFixed(1), "text-anchor": "end", class: "baseline-label" });
  t.textContent = label;
  svg.append(t);
}

/**
 * Packet loss per bucket as bars (percent).
 * @param {{start: number, end: number, step: number, points: Point[]}} h @param {ChartText} text
 */
export function lossChart(h, text) {
  const f = frame(h.start, h.end, text);
  const { svg, x, W, H } = f;
  const withLoss = h.points.filter((p) => p.loss != null);
  const base = text.baseline ?? null;
  const highest = Math.max(5, base ?? 0, ...withLoss.map((p) => (p.loss ?? 0) * 100));
  const { y, top } = yAxis(f, highest, text.yLabel, text.locale);
  if (base != null) baselineLine(f, y(base), text.baselineLabel ?? "");
  if (!withLoss.length) {
    emptyNote(f, text.empty);
    return svg;
  }
  const span = h.end - h.start || 1;
  const step = h.step || span / Math.max(withLoss.length, 1);
  const bw = Math.max(1, ((W - M.left - M.right) * step) / span - 0.5);
  for (const p of withLoss) {
    const v = (p.loss ?? 0) * 100;
    if (v <= 0) continue;
    const yy = y(Math.min(v, top));
    svg.append(
      svgEl("rect", {
        x: (x(p.t) - bw / 2).toFixed(1),
        y: yy.toFixed(1),
        width: bw.toFixed(1),
        height: Math.max(1, H - M.bottom - yy).toFixed(1),
        class: v >= 100 ? "loss total" : "loss",
      }),
    );
  }
  return svg;
}

/**
 * Figures for the text summary next to the charts.
 * @param {Point[]} points
 */
export function summarise(points) {
  const med = points.map((p) => p.median).filter((v) => v != null).sort((a, b) => a - b);
  const mins = points.map((p) => p.min).filter((v) => v != null);
  const maxs = points.map((p) => p.max).filter((v) => v != null);
  const loss = points.map((p) => p.loss).filter((v) => v != null);
  const avail = points.map((p) => p.availability).filter((v) => v != null);
  const spread = points
    .map((p) => (p.lo != null && p.hi != null ? p.hi - p.lo : null))
    .filter((v) => v != null)
    .sort((a, b) => a - b);
  const mean = (/** @type {number[]} */ a) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : null);
  return {
    min: mins.length ? Math.min(.../** @type {number[]} */ (mins)) : null,
    median: med.length ? /** @type {number} */ (med[Math.floor(med.length / 2)]) : null,
    max: maxs.length ? Math.max(.../** @type {number[]} */ (maxs)) : null,
    loss: mean(/** @type {number[]} */ (loss)),
    availability: mean(/** @type {number[]} */ (avail)),
    /** The typical round's spread (max − min of its echoes), median over the range. */
    spread: spread.length ? /** @type {number} */ (spread[Math.floor(spread.length / 2)]) : null,
  };
}
