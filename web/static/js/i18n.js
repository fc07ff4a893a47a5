// Translation of pages: Bahasa Indonesia by default, English with ?lang=en.
// Elements carry data-i18n="key" (text), data-i18n-label="key" (aria-label),
// data-i18n-placeholder="key", data-i18n-title="key". Each page registers its strings with
// register({id: {...}, en: {...}}) before calling apply().

const strings = { id: {}, en: {} };

/** @returns {"id"|"en"} */
export function lang() {
  const q = new URLSearchParams(location.search).get("lang");
  return q === "en" ? "en" : "id";
}

/** @param {{id: Record<string,string>, en: Record<string,string>}} table */
export function register(table) {
  Object.assign(strings.id, table.id);
  Object.assign(strings.en, table.en);
}

/**
 * Translate a key, replacing {name} placeholders.
 * @param {string} key
 * @param {Record<string, string|number>} [vars]
 */
export function t(key, vars) {
  const l = lang();
  let s = strings[l][key] ?? strings.id[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

/** Apply translations to every marked element below root. @param {ParentNode} [root] */
export function apply(root = document) {
  document.documentElement.lang = lang();
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]"))
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll("[data-i18n-placeholder]"))
    el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder));
  for (const el of root.querySelectorAll("[data-i18n-title]"))
    el.setAttribute("title", t(el.dataset.i18nTitle));
}

/** Keep ?lang=en on links inside the app. @param {string} href */
export function withLang(href) {
  if (lang() !== "en") return href;
  const u = new URL(href, location.href);
  u.searchParams.set("lang", "en");
  return u.pathname + u.search + u.hash;
}

/** Common strings used by several pages. */
register({
  id: {
    "app.name": "Pendopo",
    "nav.sessions": "Sesi",
    "nav.inventory": "Jaringan",
    "nav.signout": "Logout",
    "nav.signin": "Masuk",
    "nav.language": "English",
    "error.generic": "Terjadi kesalahan. Coba lagi.",
    "nav.admin": "Administrasi",
    "site.search": "Cari desa/kelurahan atau kecamatan",
    "site.kecamatan": "Kecamatan {name}",
  },
  en: {
    "app.name": "Pendopo",
    "nav.sessions": "Sessions",
    "nav.inventory": "Network",
    "nav.signout": "Sign out",
    "nav.signin": "Sign in",
    "nav.language": "Bahasa Indonesia",
    "error.generic": "Something went wrong. Try again.",
    "nav.admin": "Administration",
    "site.search": "Search a village or kecamatan",
    "site.kecamatan": "Kecamatan {name}",
  },
});

/**
 * One date-and-time style for every page, in WIB whatever the PC's clock zone: "3 Des 2026 14.05"
 * (Bahasa Indonesia), "3 Dec 2026, 14:05" (English).
 * @param {number|string|Date} when Unix seconds, an ISO string or a Date
 */
export function dateTime(when) {
  const date = when instanceof Date ? when : typeof when === "number" ? new Date(when * 1000) : new Date(when);
  if (Number.isNaN(date.getTime())) return String(when);
  return date.toLocaleString(lang() === "en" ? "en-GB" : "id-ID", {
    dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Jakarta",
  });
}
