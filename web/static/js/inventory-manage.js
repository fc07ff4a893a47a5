// The dashboard's editing controls for IT staff: "Add site" (then its page, where its links,
// probe targets and maintenance windows are edited) and the alert webhooks. Viewers see none of
// it; the server refuses their changes anyway.

import { apply, t, withLang } from "./i18n.js";
import { api } from "./http.js";
import { SITE_FIELDS, WEBHOOK_FIELDS, button, canEdit, confirmDelete, openForm, saveRecord } from "./inventory-edit.js";
import { fmtWhen } from "./inventory-text.js";

manage().catch((e) => console.error(e));

async function manage() {
  if (!(await canEdit())) return;
  document.getElementById("inv-actions").append(
    button(t("edit.site.add"), () =>
      openForm(document.getElementById("new-site-editor"), {
        title: t("edit.site.add"),
        fields: SITE_FIELDS,
        values: { kind: "desa" },
        save: (body) => api("POST", "/api/sites", body),
        done: (made) => location.assign(withLang(`/inventory/sites/${made.id}`)),
      }),
    ),
  );
  const section = document.getElementById("hooks-section");
  apply(section);
  section.hidden = false;
  await loadHooks();
  document
    .getElementById("hook-actions")
    .append(button(t("edit.hook.add"), () => editHook(null)));
}

async function loadHooks() {
  const data = await api("GET", "/api/webhooks");
  const box = document.getElementById("hooks");
  if (!data.items.length) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = t("edit.hook.none");
    box.replaceChildren(p);
    return;
  }
  const tbl = document.createElement("table");
  const head = tbl.createTHead().insertRow();
  for (const key of ["f.hook_url", "f.description", "f.enabled", "edit.hook.last", "edit.edit"]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = t(key);
    head.append(th);
  }
  const body = tbl.createTBody();
  for (const h of data.items) {
    const tr = body.insertRow();
    const last = h.last_attempt_at ? `${fmtWhen(h.last_attempt_at)} ${h.last_status ?? h.last_error ?? ""}` : t("inv.never");
    for (const text of [h.url, h.description ?? "", t(h.enabled ? "inv.yes" : "inv.no"), last])
      tr.insertCell().append(text);
    const what = t("edit.hook.what", { name: h.url });
    const actions = tr.insertCell();
    actions.className = "actions";
    actions.append(
      button(t("edit.edit"), () => editHook(h), `${t("edit.edit")} ${what}`),
      " ",
      button(
        t("edit.delete"),
        async () => {
          if (!confirmDelete(what)) return;
          await api("DELETE", `/api/webhooks/${h.id}`);
          await loadHooks();
        },
        `${t("edit.delete")} ${what}`,
        "danger",
      ),
    );
  }
  box.replaceChildren(tbl);
}

/** @param {any} h a webhook, or null for a new one */
function editHook(h) {
  openForm(document.getElementById("hook-editor"), {
    title: h ? `${t("edit.edit")}: ${t("edit.hook.what", { name: h.url })}` : t("edit.hook.add"),
    fields: WEBHOOK_FIELDS,
    values: h ?? { enabled: true },
    save: (body) => saveRecord("/api/webhooks", h ? h.id : null, body),
    done: () => loadHooks(),
  });
}
