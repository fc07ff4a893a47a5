// Raised hands on the meeting page: the "Raise hand" toggle of a participant, and the host's
// queue in the order hands went up, with "Give the floor" and "Lower hand" per entry
// (docs/protocol.md `hand:raise`, `host:floor`, `host:hand-lower`; `hands` of room:state).

import { $, h } from "./dom.js";
import { register, t } from "./i18n.js";

register({
  id: {
    "hand.floor": "Beri giliran bicara",
    "hand.lower": "Turunkan tangan",
    "hand.badge": "angkat tangan ({n})",
    "hand.given": "Tuan rumah memberi Anda giliran bicara: mikrofon Anda menyala.",
    "hand.raised": "Tangan Anda terangkat: urutan ke-{n}.",
  },
  en: {
    "hand.floor": "Give the floor",
    "hand.lower": "Lower hand",
    "hand.badge": "hand raised ({n})",
    "hand.given": "The host gave you the floor: your microphone is on.",
    "hand.raised": "Your hand is raised: number {n} in the queue.",
  },
});

/** @typedef {import("./protocol.js").MeetingClient} MeetingClient */
/** @typedef {import("./protocol.js").RoomState} RoomState */

/** A message about speaking (the floor given, unmuting allowed) shown while no hand is raised. */
let note = "";

/** Say something about speaking under the controls (until a hand goes up). @param {string} text */
export function handNote(text) {
  note = text;
  $("hand-status").textContent = text;
}

/**
 * The place of a participant in the queue (1 = first), or 0.
 * @param {RoomState|null|undefined} state @param {string} id
 */
export function handPosition(state, id) {
  return (state?.hands ?? []).indexOf(id) + 1;
}

/**
 * Wire the "Raise hand" toggle.
 * @param {() => MeetingClient|null} client
 * @param {(fn: () => Promise<unknown>|undefined) => Promise<void>} act  runs a request, shows its error
 */
export function setupHands(client, act) {
  const button = $("hand");
  button.addEventListener("click", () =>
    act(async () => {
      const c = client();
      if (!c) return;
      await c.raiseHand(button.getAttribute("aria-pressed") !== "true");
    }),
  );
}

/**
 * Render the toggle (participants) or the queue (hosts) from a room:state.
 * @param {MeetingClient} client @param {RoomState} state @param {boolean} isHost
 * @param {(fn: () => Promise<unknown>|undefined) => Promise<void>} act
 */
export function renderHands(client, state, isHost, act) {
  const me = client.participantId ?? "";
  const position = handPosition(state, me);
  const button = $("hand");
  button.hidden = isHost;
  button.setAttribute("aria-pressed", String(position > 0));
  if (position) note = "";
  $("hand-status").textContent = position ? t("hand.raised", { n: position }) : note;
  if (!isHost) return;
  const list = $("hands-list");
  list.replaceChildren();
  const people = new Map(state.participants.map((p) => [p.id, p]));
  for (const id of state.hands ?? []) {
    const p = people.get(id);
    if (!p) continue;
    const nameId = `hand-${id}`;
    const site = p.site ? ` · ${p.site.name}` : "";
    list.append(
      h(
        "li",
        { "aria-labelledby": nameId },
        h("span", { id: nameId, class: "name", text: p.name }),
        h("span", { class: "site", text: site }),
        h(
          "div",
          { class: "actions" },
          h("button", {
            type: "button",
            class: "small",
            text: t("hand.floor"),
            onclick: () => act(() => client.giveFloor(id)),
          }),
          h("button", {
            type: "button",
            class: "secondary small",
            text: t("hand.lower"),
            onclick: () => act(() => client.lowerHand(id)),
          }),
        ),
      ),
    );
  }
  $("hands-empty").hidden = (state.hands ?? []).length > 0;
}
