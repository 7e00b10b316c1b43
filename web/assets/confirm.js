// The confirmation an act that cannot be undone asks for first (a sale, removing a SIM,
// ending every session): a real <dialog> that names the device or number.
import { $, el } from "./dom.js";
import { openDialog } from "./dialogs.js";
import { onSubmit } from "./forms.js";

/** Opens the dialog; `act(form)` runs on «yes» (its refusal is shown in the dialog), and
 * the dialog closes when it succeeds. `field`: an extra input ({label, name, type}). */
export function confirmAct({ title, text, yes, field, act }) {
  openDialog("tpl-dialog-confirm", (dialog) => {
    $("h2", dialog).textContent = title;
    $("[data-text]", dialog).append(...[text].flat());
    $("[data-yes]", dialog).textContent = yes;
    // Nothing to type: the focus starts on «انصراف», so a stray Enter undoes nothing.
    if (!field) $("[data-close]", dialog).setAttribute("data-autofocus", "");
    if (field) {
      const id = `confirm-${field.name}`;
      $("[data-field]", dialog).append(el("label", { for: id }, field.label),
        el("input", { id, name: field.name, type: field.type || "text", dir: "ltr",
          autocomplete: field.autocomplete || "off" }));
    }
    onSubmit($("form", dialog), async (form) => {
      await act(form);
      dialog.close();
    });
  });
}
