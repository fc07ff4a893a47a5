// The page header of the signed-in pages: the language switch and "Keluar" (sign out).

import { api } from "./http.js";
import { lang } from "./i18n.js";

/** Point the language link at this page in the other language (keeps the rest of the query),
 * and sign out through the REST API (with the CSRF token, like every state-changing call). */
export function setupHeader() {
  const link = document.getElementById("lang-link");
  if (link) {
    const u = new URL(location.href);
    if (lang() === "en") u.searchParams.delete("lang");
    else u.searchParams.set("lang", "en");
    link.setAttribute("href", u.pathname + u.search);
  }
  document.getElementById("signout")?.addEventListener("click", async () => {
    await api("DELETE", "/api/session").catch(() => {});
    location.assign(`/login${lang() === "en" ? "?lang=en" : ""}`);
  });
}
