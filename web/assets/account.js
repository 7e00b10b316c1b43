// حساب کاربری: the password (national ID) or making a national-ID cartable (SIM), and
// ending every session of the cartable.
import { call, currentSession } from "./api.js";
import { toAscii, toPersian } from "./digits.js";
import { $, notify, replaceWith } from "./dom.js";
import { checkRepeat, errorText, number, onSubmit, value } from "./forms.js";
import { signedOut } from "./router.js";
import { state } from "./state.js";

export function enterAccount(screen) {
  const session = currentSession();
  const nid = session?.kind === "national_id";
  $("#account-who", screen).textContent = nid
    ? `کارتابل کد ملی ${toPersian(session.national_id)}`
    : `کارتابل سیم کارت ${toPersian(session?.msisdn || "")}`;
  replaceWith($("#account-part", screen), nid ? "tpl-account-nid" : "tpl-account-sim");
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
      form.reset();
      state.sims = null;
      notify("کارتابل کد ملی تشکیل شد و دستگاههای این سیم کارت به آن منتقل شدند. از این پس با کد ملی و رمز عبور هم وارد می‌شوید.");
    });
  }
  $("#end-sessions", screen).addEventListener("click", async () => {
    $("#sessions-error", screen).textContent = "";
    try {
      await call("DELETE", "/me/sessions");
      signedOut("همه نشستهای این کارتابل بسته شدند.");
    } catch (error) {
      if (currentSession()) $("#sessions-error", screen).textContent = errorText(error);
    }
  });
}
