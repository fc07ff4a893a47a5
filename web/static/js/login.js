import { ApiError, api } from "./http.js";
import { apply, lang, register, t } from "./i18n.js";

register({
  id: {
    "login.title": "Masuk ke Pendopo",
    "login.username": "Nama pengguna",
    "login.password": "Kata sandi",
    "login.submit": "Masuk",
    "login.error.unauthorised": "Nama pengguna atau kata sandi salah.",
    "login.error.too_many_attempts":
      "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {minutes} menit.",
  },
  en: {
    "login.title": "Sign in to Pendopo",
    "login.username": "Username",
    "login.password": "Password",
    "login.submit": "Sign in",
    "login.error.unauthorised": "Wrong username or password.",
    "login.error.too_many_attempts": "Too many failed sign-ins. Try again in {minutes} minutes.",
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
    err.textContent = signInError(e);
  }
});

/** A sign-in failure in the page's language (the server's lockout carries Retry-After). */
function signInError(/** @type {unknown} */ e) {
  if (!(e instanceof ApiError)) return t("error.generic");
  if (e.code === "too_many_attempts") {
    const minutes = Math.max(1, Math.ceil((e.retryAfter ?? 60) / 60));
    return t("login.error.too_many_attempts", { minutes });
  }
  if (e.code === "unauthorised") return t("login.error.unauthorised");
  return e.message;
}
