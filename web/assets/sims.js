// مدیریت سیم کارتها: the cartable's SIMs; a national-ID cartable adds (by SMS code) and removes them.
import { call, currentSession } from "./api.js";
import { toPersian } from "./digits.js";
import { me } from "./cartable.js";
import { confirmAct } from "./confirm.js";
import { $, el, fromTemplate, notify, num } from "./dom.js";
import { errorText, number, onSubmit } from "./forms.js";
import { STATUS_FA } from "./labels.js";
import { show } from "./router.js";
import { state } from "./state.js";

async function loadSims(screen) {
  const nid = currentSession()?.kind === "national_id";
  const error = $("#sims-error", screen);
  const body = $("#sim-table tbody", screen);
  try {
    const sims = nid ? (await call("GET", "/sims")).sims : (await call("GET", "/me")).sims;
    state.sims = sims;
    body.textContent = "";
    for (const sim of sims) {
      body.append(el("tr", { role: "row" },
        el("td", { role: "cell" }, num(sim.msisdn)),
        el("td", { role: "cell" }, STATUS_FA[sim.status] || sim.status),
        el("td", { role: "cell" }, nid ? el("button", { type: "button", class: "small",
          "aria-label": `حذف سیم کارت ${toPersian(sim.msisdn)}`, onclick: () => removeSim(screen, sim.msisdn) }, "حذف") : "")));
    }
  } catch (failure) {
    if (currentSession()) error.textContent = errorText(failure);
  }
}

/** Removing a SIM ends its sessions and cannot be undone without a new SMS code: confirmed
 * first, in a dialog that names the number. */
function removeSim(screen, msisdn) {
  $("#sims-error", screen).textContent = "";
  confirmAct({
    title: "حذف سیم کارت",
    text: ["سیم کارت ", num(msisdn), " از کارتابل حذف شود؟ نشستهای آن بسته می‌شود و دستگاههایش در کارتابل می‌مانند. برای افزودن دوباره، کد تأیید پیامکی لازم است."],
    yes: "حذف سیم کارت",
    act: async () => {
      await call("DELETE", `/sims/${encodeURIComponent(msisdn)}`);
      state.sims = null;
      await loadSims(screen);
      notify(`سیم کارت ${toPersian(msisdn)} از کارتابل حذف شد.`);
    },
  });
}

export function enterSims(screen) {
  const nid = currentSession()?.kind === "national_id";
  // SIMs are added and removed only in a national-ID cartable; a SIM cartable is its one SIM.
  $(nid ? "#sims-simonly" : "#sims-nid", screen).remove();
  if (nid) {
    $("#sims-in-nid", screen).remove();
    addSimStep(screen);
  } else {
    simOnlyNote(screen);
  }
  loadSims(screen);
}

/** A SIM cartable says what it is, or that its SIM is in a national-ID cartable. */
async function simOnlyNote(screen) {
  try {
    await me();
  } catch {
    return;
  }
  const [shown, other] = state.inNationalIdCartable ? ["#sims-in-nid", "#sims-simonly"] : ["#sims-simonly", "#sims-in-nid"];
  $(other, screen)?.remove();
  $(shown, screen).hidden = false;
}

function addSimStep(screen) {
  const form = $("#sim-add", screen);
  onSubmit(form, async () => {
    const adding = number(form, "msisdn");
    await call("POST", "/sims", { msisdn: adding });
    form.replaceWith(fromTemplate("tpl-sim-code"));
    const verify = $("#sim-verify", screen);
    $("#sim-verify-to", verify).append("اگر این سیم کارت به نام کد ملی شما و فعال باشد، کد تأیید به شماره ",
      num(adding), " پیامک شد. آن را وارد کنید.");
    $("#sim-code", verify).focus();
    const back = () => show("sims");
    $("#sim-verify-cancel", verify).addEventListener("click", back);
    onSubmit(verify, async () => {
      const data = await call("POST", "/sims/verify", { msisdn: adding, code: number(verify, "code") });
      state.sims = null;
      show("sims");
      notify(`سیم کارت ${toPersian(data.msisdn)} به کارتابل اضافه شد.`);
    });
  });
}
