// Small DOM helpers every screen uses: query, build, Persian numbers, the page's notice.
import { toAscii, toPersian } from "./digits.js";

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

/** A number shown left to right inside the Persian text, in Persian digits. */
export function num(text, ascii) {
  return el("bdi", { dir: "ltr", class: "num", "data-value": ascii ?? toAscii(text) }, toPersian(text));
}

/** The green banner belongs to one step: it is cleared when the step changes or an
 * error is shown. */
export function clearNotice() {
  const notice = $("#notice");
  if (notice) notice.textContent = "";
}

export function notify(text) {
  const notice = $("#notice");
  notice.textContent = "";
  // A new node each time, so a screen reader announces the same text twice in a row too.
  notice.append(el("span", { text }));
}

/** A copy of one of the page's <template>s: screens, steps and dialogs exist in the
 * document only while they are shown, so no hidden twin shares a control's name. */
export function fromTemplate(id) {
  return document.getElementById(id).content.cloneNode(true);
}

/** A step of a screen (its template) in `box`; the last step's banner goes with it. */
export function replaceWith(box, id) {
  clearNotice();
  box.textContent = "";
  box.append(fromTemplate(id));
  return box;
}

export const cell = (label, ...content) => el("td", { role: "cell", "data-label": label }, ...content);
