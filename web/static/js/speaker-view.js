// Speaker view and grid view of the meeting's video tiles, pinning and full screen, and last-N:
// which tiles are on screen is told to the server (MeetingClient.setShown, docs/protocol.md
// `media:shown`), which forwards no other video.
//
// room.js creates one <figure class="tile" id="tile-<participant>"> per participant; this module
// only arranges them: in speaker view the active speaker (the last to start speaking, or a
// pinned tile) is large and the others are thumbnails below it, in a strip that scrolls; in grid
// view every tile is the same size (a pinned tile is large there too). Each tile has a "Pin"
// toggle and a "Full screen" button, reachable by keyboard (they show on hover and on focus).

import { $, h } from "./dom.js";
import { register, t } from "./i18n.js";

register({
  id: {
    "view.speaker": "Tampilan pembicara",
    "view.grid": "Tampilan grid",
    "tile.pin": "Sematkan",
    "tile.pinName": "Sematkan {name}",
    "tile.fullscreen": "Layar penuh",
    "tile.fullscreenName": "Layar penuh {name}",
  },
  en: {
    "view.speaker": "Speaker view",
    "view.grid": "Grid view",
    "tile.pin": "Pin",
    "tile.pinName": "Pin {name}",
    "tile.fullscreen": "Full screen",
    "tile.fullscreenName": "Full screen {name}",
  },
});

/** Sessions with more tiles than this open in speaker view (until the person chooses). */
export const SPEAKER_VIEW_FROM = 7;
/**
 * Tell the server what is shown at most this long after a change (ms): changes within it (a
 * scroll, tiles arranged again) go out together. Not restarted by later changes: the page
 * arranges its tiles on every room state, speaking and quality update, in a large session
 * more often than this, and a restarted delay then never ended (no report at all).
 */
const SHOWN_DELAY = 250;
/** Observer thresholds: 0 (touching the edge) and a sliver, so that "intersects by more than
 * its edge" is reported when it changes; a tile counts as shown when any area of it is. */
const THRESHOLDS = [0, 0.01];

/** @typedef {{id: string, name: string, self: boolean, host: boolean, share?: boolean}} TileInfo */

export class SpeakerView {
  /** @param {(shown: string[]) => void} onShown  the participants whose tiles are on screen */
  constructor(onShown) {
    this.onShown = onShown;
    /** @type {"speaker"|"grid"|null} null: not chosen yet (by the number of tiles) */
    this.chosen = null;
    /** @type {string|null} */
    this.pinned = null;
    /** @type {string|null} the last participant who started speaking */
    this.lastSpeaker = null;
    /** @type {Set<string>} participant ids whose tile intersects the screen */
    this.visible = new Set();
    /** @type {Set<string>} participant ids whose tile the observer reported at least once */
    this.known = new Set();
    /** @type {number|undefined} */
    this._timer = undefined;
    // The root is the viewport, clipped by every scrolling box on the way (the video box): a
    // thumbnail scrolled out of that box, or below the window, is not intersecting.
    this.observer = new IntersectionObserver((entries) => this._seen(entries), { threshold: THRESHOLDS });
    /** @type {TileInfo[]} */
    this.tiles = [];
    this._buttons = {
      speaker: this._switch("speaker", "view.speaker"),
      grid: this._switch("grid", "view.grid"),
    };
    $("view-switch").append(this._buttons.speaker, this._buttons.grid);
  }

  /** @returns {"speaker"|"grid"} */
  get mode() {
    // a screen share opens speaker view: the share large, cameras as thumbnails
    const share = this.tiles.some((x) => x.share);
    return this.chosen ?? (share || this.tiles.length >= SPEAKER_VIEW_FROM ? "speaker" : "grid");
  }

  /** @param {"speaker"|"grid"} mode @param {string} key */
  _switch(mode, key) {
    return h("button", {
      type: "button",
      class: "secondary small",
      "data-mode": mode,
      text: t(key),
      onclick: () => {
        this.chosen = mode;
        this.arrange(this.tiles);
      },
    });
  }

  /** A participant started speaking. @param {string} id */
  spoke(id) {
    if (this.lastSpeaker === id) return;
    this.lastSpeaker = id;
    if (this.mode === "speaker" && !this.pinned) this.arrange(this.tiles);
  }

  /** Which tile is large: pinned, else a screen share, else (speaker view) the active speaker, else the host. */
  main() {
    const others = this.tiles.filter((x) => !x.self);
    const present = (/** @type {string|null} */ id) => others.find((x) => x.id === id)?.id ?? null;
    const pinned = present(this.pinned) ?? (this.pinned === "self" ? "self" : null);
    if (pinned) return pinned;
    const share = this.tiles.find((x) => x.share)?.id;
    if (share) return share; // presenting: the share is large in either view
    const host = others.find((x) => x.host)?.id ?? null;
    if (this.mode === "grid") return this.tiles.length > 2 ? host : null;
    return present(this.lastSpeaker) ?? host ?? others[0]?.id ?? null;
  }

  /**
   * Arrange the tiles after room.js rendered them (in room.js's order).
   * @param {TileInfo[]} tiles
   */
  arrange(tiles) {
    this.tiles = tiles;
    const grid = $("videos");
    const mode = this.mode;
    grid.classList.toggle("speaker", mode === "speaker");
    grid.classList.toggle("grid", mode === "grid");
    for (const [m, button] of Object.entries(this._buttons)) {
      button.setAttribute("aria-pressed", String(m === mode));
    }
    const main = this.main();
    const ids = new Set(tiles.map((x) => x.id));
    for (const id of [...this.visible]) if (!ids.has(id)) this.visible.delete(id);
    for (const tile of tiles) {
      const box = document.getElementById(`tile-${tile.id}`);
      if (!box) continue;
      box.classList.toggle("main", tile.id === main);
      box.classList.toggle("thumb", mode === "speaker" && tile.id !== main);
      this._tools(box, tile);
      if (!tile.self && !box.dataset.observed) {
        box.dataset.observed = "1";
        this.observer.observe(box);
      }
    }
    this._later();
  }

  /** The Pin and Full screen buttons of a tile (made once, names kept current). */
  _tools(/** @type {HTMLElement} */ box, /** @type {TileInfo} */ tile) {
    let tools = /** @type {HTMLElement|null} */ (box.querySelector(".tile-tools"));
    if (!tools) {
      tools = h(
        "div",
        { class: "tile-tools" },
        h("button", {
          type: "button",
          class: "small pin",
          "aria-pressed": "false",
          text: t("tile.pin"),
          onclick: () => {
            this.pinned = this.pinned === tile.id ? null : tile.id;
            this.arrange(this.tiles);
          },
        }),
        h("button", {
          type: "button",
          class: "small full",
          text: t("tile.fullscreen"),
          onclick: () => {
            if (document.fullscreenElement === box) document.exitFullscreen().catch(() => {});
            else box.requestFullscreen?.().catch(() => {});
          },
        }),
      );
      box.append(tools);
    }
    const pin = /** @type {HTMLElement} */ (tools.querySelector(".pin"));
    pin.setAttribute("aria-label", t("tile.pinName", { name: tile.name }));
    pin.setAttribute("aria-pressed", String(this.pinned === tile.id));
    const full = /** @type {HTMLElement} */ (tools.querySelector(".full"));
    full.setAttribute("aria-label", t("tile.fullscreenName", { name: tile.name }));
  }

  /** @param {IntersectionObserverEntry[]} entries */
  _seen(entries) {
    for (const e of entries) {
      const target = /** @type {HTMLElement} */ (e.target);
      if (document.getElementById(target.id) !== target) {
        // a removed tile (its "not intersecting" may come after its successor's entry: a
        // share stopped and started again has the same id)
        this.observer.unobserve(target);
        continue;
      }
      const id = target.id.replace(/^tile-/, "");
      this.known.add(id);
      if (e.isIntersecting && e.intersectionRatio > 0) this.visible.add(id);
      else this.visible.delete(id);
    }
    this._later();
  }

  _later() {
    if (this._timer !== undefined) return; // one report is due: it reads the state then
    this._timer = window.setTimeout(() => {
      this._timer = undefined;
      // Nothing to say while the tiles are not on screen at all (the page still shows the
      // lobby or the join form): every tile would read "hidden", and the server would stop
      // the video a just-admitted participant is about to see. The observer reports again
      // when the session view appears.
      if (!$("videos").checkVisibility()) return;
      // not before every tile was measured: an unmeasured tile is not "hidden"
      if (this.tiles.some((x) => !x.self && !this.known.has(x.id))) return;
      this.onShown([...this.visible]);
    }, SHOWN_DELAY);
  }
}
