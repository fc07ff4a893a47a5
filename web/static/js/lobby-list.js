// Long lists of people on the meeting page (a town hall: 228 sites in the lobby and in the
// session). A list with fewer than GROUP_FROM entries is drawn as before, flat. From GROUP_FROM
// on it gets a search box (name, site or kecamatan; case and spaces ignored) and its entries are
// grouped by kecamatan (the first three parts of the site code, 33.14.xx), kecamatan in name
// order, people without a site last. Each render rebuilds the list in one DocumentFragment and
// the groups skip layout off screen (CSS content-visibility), so 228 entries do not stall the
// page on every room:state.

import { h } from "./dom.js";
import { register, t } from "./i18n.js";

register({
  id: {
    "list.count": "{shown} dari {total} ditampilkan",
    "list.none": "Tidak ada yang cocok dengan pencarian.",
    "list.noSite": "Tanpa lokasi",
    "list.group": "Kecamatan {name} ({n})",
    "list.searchLobby": "Cari di ruang tunggu",
    "list.searchPeople": "Cari peserta",
    "err.no_invited": "Sesi ini tidak mengundang lokasi mana pun.",
  },
  en: {
    "list.count": "{shown} of {total} shown",
    "list.none": "Nobody matches the search.",
    "list.noSite": "No site",
    "list.group": "Kecamatan {name} ({n})",
    "list.searchLobby": "Search the lobby",
    "list.searchPeople": "Search participants",
    "err.no_invited": "This session invited no sites.",
  },
});

/** Lists with at least this many entries get a search box and kecamatan groups. */
export const GROUP_FROM = 9;

/** @typedef {{code: string, name: string, label?: string}} SiteRef */
/** @typedef {{name: string, site: SiteRef|null|undefined}} Described */

/** The kecamatan code of a site code (33.14.06.2002 -> 33.14.06); null for none or the regency. */
export function kecamatanOf(/** @type {string|undefined} */ code) {
  const parts = (code ?? "").split(".");
  return parts.length >= 3 ? parts.slice(0, 3).join(".") : null;
}

/** The kecamatan's name as the site tells it: a village's label is "Village, Kecamatan". */
function kecamatanName(/** @type {SiteRef} */ site) {
  if (site.code.split(".").length <= 3) return site.name;
  const label = site.label ?? "";
  const comma = label.lastIndexOf(", ");
  return comma >= 0 ? label.slice(comma + 2) : (kecamatanOf(site.code) ?? site.name);
}

const fold = (/** @type {string} */ s) => s.toLocaleLowerCase("id").replace(/\s+/g, "");

/** @template T */
export class GroupedList {
  /**
   * @param {HTMLElement} list the <ul> the entries go into (its accessible name stays)
   * @param {string} label the search box's accessible name
   * @param {string} prefix for the group headings' ids
   */
  constructor(list, label, prefix) {
    this.list = list;
    this.prefix = prefix;
    this.search = /** @type {HTMLInputElement} */ (
      h("input", { type: "search", class: "list-search", "aria-label": label, placeholder: label })
    );
    this.search.hidden = true;
    this.count = h("p", { class: "muted list-count", role: "status" });
    this.count.hidden = true;
    this.search.addEventListener("input", () => this._again?.());
    list.before(this.search, this.count);
    /** @type {(() => void)|undefined} */
    this._again = undefined;
  }

  /**
   * Draw the entries.
   * @param {T[]} entries
   * @param {(entry: T) => Described} describe
   * @param {(entry: T) => HTMLElement} item one <li> per entry
   */
  render(entries, describe, item) {
    this._again = () => this.render(entries, describe, item);
    const big = entries.length >= GROUP_FROM;
    this.search.hidden = !big;
    if (!big) {
      this.count.hidden = true;
      this.list.replaceChildren(...entries.map(item));
      return;
    }
    const query = fold(this.search.value);
    /** @type {Map<string, {name: string, items: T[]}>} */
    const groups = new Map();
    let shown = 0;
    for (const entry of entries) {
      const d = describe(entry);
      const site = d.site ?? null;
      const kecamatan = site ? kecamatanName(site) : "";
      if (query && !fold(`${d.name} ${site?.label ?? site?.name ?? ""} ${kecamatan}`).includes(query)) continue;
      const key = (site && kecamatanOf(site.code)) ?? "";
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { name: key ? kecamatan : t("list.noSite"), items: [] }));
      group.items.push(entry);
      shown += 1;
    }
    const order = [...groups.entries()].sort(([a, x], [b, y]) =>
      a === "" ? 1 : b === "" ? -1 : x.name.localeCompare(y.name, "id"),
    );
    const fragment = document.createDocumentFragment();
    for (const [key, group] of order) {
      const id = `${this.prefix}-${key.replaceAll(".", "-") || "none"}`;
      const heading = key ? t("list.group", { name: group.name, n: group.items.length }) : `${group.name} (${group.items.length})`;
      fragment.append(
        h(
          "li",
          { class: "list-group", "aria-labelledby": id },
          h("h4", { id, text: heading }),
          h("ul", { class: "people", "aria-labelledby": id }, ...group.items.map(item)),
        ),
      );
    }
    this.list.replaceChildren(fragment);
    this.count.hidden = false;
    this.count.textContent = shown ? t("list.count", { shown, total: entries.length }) : t("list.none");
  }
}
