import { api } from "./http.js";
import { apply, lang, register, t } from "./i18n.js";

register({
  id: {
    "login.title": "Masuk ke Pendopo",
    "login.username": "Nama pengguna",
    "login.password": "Kata sandi",
    "login.submit": "Masuk",
  },
  en: {
    "login.title": "Sign in to Pendopo",
    "login.username": "Username",
    "login.password": "Password",
    "login.submit": "Sign in",
  },
});
apply();
document.getElementById("lang-link").setAttribute("href", lang() === "en" ? "?" : "?lang=en");

const form = /** @type {HTMLFormElement} */ (document.getElementById("login-form"));
form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const err = document.getElementById("login-error");
  err.textContent = "";
  const data = new FormData(form);
  try {
    await api("POST", "/api/session", {
      username: String(data.get("username")),
      password: String(data.get("password")),
    });
    const next = new URLSearchParams(location.search).get("next");
    // Only same-site paths: never redirect to another host.
    const target = next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
    const url = new URL(target, location.origin);
    if (lang() === "en") url.searchParams.set("lang", "en");
    location.assign(url.pathname + url.search);
  } catch (e) {
    err.textContent = e instanceof Error ? e.message : t("error.generic");
  }
});
