// Modal dialogs (a real <dialog>): the page behind is inert until it closes, and the focus
// returns to the control that opened it.
import { $, el, fromTemplate } from "./dom.js";

/** A modal dialog from a template; the page behind it is out of reach until it closes. */
export function openDialog(id, setup) {
  const dialog = el("dialog", { "aria-labelledby": `${id}-title` });
  dialog.append(fromTemplate(id));
  const heading = $("h2", dialog);
  heading.id = `${id}-title`;
  document.body.append(dialog);
  const app = $("#app");
  app.setAttribute("aria-hidden", "true");
  app.inert = true;
  const opener = document.activeElement;
  dialog.addEventListener("click", (event) => {
    if (event.target.closest("[data-close]")) dialog.close();
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    app.removeAttribute("aria-hidden");
    app.inert = false;
    if (opener?.isConnected) opener.focus();
    else $("#screen h1")?.focus(); // the act changed the screen: start from its heading
  });
  dialog.showModal();
  setup?.(dialog);
  ($("[data-autofocus]", dialog) || $("input:not([type=radio]), select, button:not([data-close])", dialog))?.focus();
  return dialog;
}
