// A yes/no question before an action that cannot be undone ("Akhiri sesi", "Keluarkan"): a modal
// <dialog> (focus kept inside, Escape answers no, focus returns to the button afterwards).

import { h } from "./dom.js";
import { register, t } from "./i18n.js";

register({
  id: { "confirm.cancel": "Batal" },
  en: { "confirm.cancel": "Cancel" },
});

/**
 * Ask; resolves true only when the person chose `yes`.
 * @param {{title: string, text: string, yes: string}} question
 * @returns {Promise<boolean>}
 */
export function confirmAction({ title, text, yes }) {
  const back = /** @type {HTMLElement|null} */ (document.activeElement);
  const titleId = "confirm-title";
  const textId = "confirm-text";
  return new Promise((resolve) => {
    /** @param {boolean} answer */
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      back?.focus();
      resolve(answer);
    };
    const cancel = h("button", {
      type: "button",
      class: "secondary big",
      text: t("confirm.cancel"),
      onclick: () => done(false),
    });
    const dialog = /** @type {HTMLDialogElement} */ (
      h(
        "dialog",
        { class: "confirm", "aria-labelledby": titleId, "aria-describedby": textId },
        h("h2", { id: titleId, text: title }),
        h("p", { id: textId, text }),
        h(
          "div",
          { class: "confirm-buttons" },
          cancel,
          h("button", { type: "button", class: "danger big", text: yes, onclick: () => done(true) }),
        ),
      )
    );
    dialog.addEventListener("cancel", (ev) => {
      ev.preventDefault();
      done(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus(); // the safe answer first
  });
}
