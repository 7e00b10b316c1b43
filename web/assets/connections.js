// سیم کارتهای به نام شما: every active SIM the operators name for this national ID, in the
// cartable or not, and «متعلق به من نیست» to dispute one (confirmed first: it cannot be undone).
import { call, currentSession } from "./api.js";
import { toPersian } from "./digits.js";
import { confirmAct } from "./confirm.js";
import { $, cell, el, notify, num } from "./dom.js";
import { errorText } from "./forms.js";

async function load(screen) {
  const error = $("#connections-error", screen);
  let data;
  try {
    data = await call("GET", "/me/connections");
  } catch (failure) {
    if (currentSession()) error.textContent = errorText(failure);
    return;
  }
  const sims = data.sims || [];
  $("#connections-limit", screen).textContent = `${toPersian(sims.length)} سیم کارت فعال به نام شما است؛`
    + ` سقف سیم کارتهای یک کد ملی ${toPersian(data.limit)} سیم کارت است.`;
  const body = $("#connection-table tbody", screen);
  body.textContent = "";
  for (const sim of sims) {
    body.append(el("tr", { role: "row", "data-msisdn": sim.msisdn },
      cell("شماره تلفن همراه", num(sim.msisdn)),
      cell("در کارتابل شما", sim.in_cartable ? "بله" : "خیر"),
      cell("اعتراض", sim.disputed ? "اعتراض ثبت شده است" : el("button", { type: "button", class: "small",
        "aria-label": `سیم کارت ${toPersian(sim.msisdn)} متعلق به من نیست`,
        onclick: () => dispute(screen, sim.msisdn) }, "متعلق به من نیست"))));
  }
  $("#connection-table", screen).hidden = !sims.length;
  $("#connections-empty", screen).hidden = !!sims.length;
}

/** A dispute goes to the SIM's operator, and the SIM then joins no cartable until its
 * record changes: confirmed first, in a dialog that names the number. */
function dispute(screen, msisdn) {
  $("#connections-error", screen).textContent = "";
  confirmAct({
    title: "اعتراض به سیم کارت",
    text: ["سیم کارت ", num(msisdn), " متعلق به شما نیست؟ اعتراض شما برای اپراتور آن فرستاده می‌شود و تا اپراتور"
      + " سابقه آن را اصلاح نکند، این سیم کارت به هیچ کارتابلی افزوده نمی‌شود. این اعتراض پس گرفته نمی‌شود."],
    yes: "ثبت اعتراض",
    act: async () => {
      await call("POST", `/me/connections/${encodeURIComponent(msisdn)}/dispute`);
      await load(screen);
      notify(`اعتراض شما به سیم کارت ${toPersian(msisdn)} ثبت شد و به اپراتور آن اعلام می‌شود.`);
    },
  });
}

export function enterConnections(screen) {
  load(screen);
}
