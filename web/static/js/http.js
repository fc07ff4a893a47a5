// Small fetch wrapper for the REST API: JSON in and out, errors as thrown ApiError.

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
    /** @type {number|undefined} seconds, from a 429's Retry-After */
    this.retryAfter = undefined;
    /** @type {{field?: string, row?: string, message: string}[]} per-field messages of a 400 */
    this.details = [];
  }
}

/**
 * The CSRF token of this sign-in: the readable `pendopo_csrf` cookie set at sign-in
 * (web/security.py). Every state-changing request of a signed-in user must carry it.
 * @returns {string}
 */
export function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)pendopo_csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : "";
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 */
export async function api(method, path, body) {
  /** @type {Record<string,string>} */
  const headers = { Accept: "application/json" };
  const csrf = csrfToken();
  if (csrf) headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new ApiError(res.status, data.error ?? "error", data.message ?? res.statusText);
    const retry = Number(res.headers.get("Retry-After"));
    if (retry > 0) err.retryAfter = retry;
    if (Array.isArray(data.details)) err.details = data.details;
    throw err;
  }
  return data;
}
