// Building SVG elements in the DOM (the map and the charts).

const SVG = "http://www.w3.org/2000/svg";

/** @param {string} name @param {Record<string, string|number>} [attrs] */
export function svgEl(name, attrs = {}) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}
