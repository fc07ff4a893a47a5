// Type-ahead search over every kecamatan and village (GET /api/sites/all, ~230 entries, loaded
// once): an <input list> with a <datalist> of labels ("Jati, Masaran", "Kecamatan Gondang").
// The browser's own suggestion list does the type-ahead (keyboard and screen readers included),
// so this stays a few lines; the join page loads it only when the search field is used.

import { api } from "./http.js";
import { t } from "./i18n.js";

/** @typedef {{code: string, name: string, kind: string, kecamatan: string|null, label: string}} SiteChoice */

/** @type {Promise<SiteChoice[]>|null} */
let loading = null;

/** Every kecamatan and village, fetched once per page. @returns {Promise<SiteChoice[]>} */
export function siteChoices() {
  loading ??= api("GET", "/api/sites/all").then((data) => data.items ?? []);
  return loading;
}

/** What the search offers and shows for a site. @param {SiteChoice} s */
export function choiceText(s) {
  return s.kind === "kecamatan" ? t("site.kecamatan", { name: s.name }) : s.label;
}

/**
 * Fill `list` with every site and call `onPick` when the input's text is one of them.
 * @param {HTMLInputElement} input @param {HTMLDataListElement} list
 * @param {(site: SiteChoice) => void} onPick
 */
export async function attachSiteSearch(input, list, onPick) {
  const sites = await siteChoices();
  const byText = new Map(sites.map((s) => [choiceText(s).toLowerCase(), s]));
  list.replaceChildren(...sites.map((s) => new Option(choiceText(s))));
  const pick = () => {
    const site = byText.get(input.value.trim().toLowerCase());
    if (site) onPick(site);
  };
  input.addEventListener("input", pick);
  input.addEventListener("change", pick);
  pick();
}
