// حساب کاربری: the password (national ID) or making a national-ID cartable (SIM), and
// ending every session of the cartable.
import { call, currentSession } from "./api.js";
import { toAscii, toPersian } from "./digits.js";
import { me } from "./cartable.js";
import { confirmAct } from "./confirm.js";
import { $, notify, replaceWith } from "./dom.js";
import { checkRepeat, number, onSubmit, value } from "./forms.js";
import { signedOut } from "./router.js";
import { state } from "./state.js";

export async function enterAccount(screen) {
  const session = currentSession();
  const nid = session?.kind === "national_id";
  $("#account-who", screen).textContent = nid
    ? `کارتابل کد ملی ${toPersian(session.national_id)}`
    : `کارتابل سیم کارت ${toPersian(session?.msisdn || "")}`;
  $("#end-sessions", screen).addEventListener("click", () => endSessions(screen));
  if (!nid) {
    // A SIM already in a national-ID cartable is offered no second one.
    try {
      await me();
    } catch {
      return;
    }
    if (!screen.isConnected) return;
  }
  const inNid = !nid && state.inNationalIdCartable;
  replaceWith($("#account-part", screen), nid ? "tpl-account-nid" : inNid ? "tpl-account-sim-in-nid" : "tpl-account-sim");
  // Sent here by a sale or a repair that needs the password (409 password_required): why.
  if (state.lead) notify(state.lead);
  state.lead = null;
  if (inNid) return;
  if (nid) {
    onSubmit($("#password", screen), async (form) => {
      checkRepeat(form, "new_password", "again");
      await call("PUT", "/me/password", { old_password: form.elements.old_password.value, new_password: form.elements.new_password.value });
      form.reset();
      notify("رمز عبور تغییر کرد. نشستهای دیگر این کارتابل بسته شدند.");
    });
  } else {
    onSubmit($("#register", screen), async (form) => {
      checkRepeat(form, "password", "again");
      await call("POST", "/auth/register", {
        national_id: number(form, "national_id"),
        birth_date: toAscii(value(form, "birth_date")).replace(/\s/g, ""),
        password: form.elements.password.value,
      });
      state.sims = null;
      state.inNationalIdCartable = true;
      replaceWith($("#account-part", screen), "tpl-account-sim-in-nid");
      notify("کارتابل کد ملی تشکیل شد و دستگاههای این سیم کارت به آن منتقل شدند. از این پس با کد ملی و رمز عبور هم وارد می‌شوید.");
    });
  }
}

/** پایان همه نشستها: this one included, so it is confirmed first. */
function endSessions(screen) {
  $("#sessions-error", screen).textContent = "";
  confirmAct({
    title: "پایان همه نشستها",
    text: "همه نشستهای این کارتابل، در همه دستگاهها و همین مرورگر، بسته شود؟ پس از آن باید دوباره وارد شوید.",
    yes: "پایان همه نشستها",
    act: async () => {
      await call("DELETE", "/me/sessions");
      signedOut("همه نشستهای این کارتابل بسته شدند.");
    },
  });
}
