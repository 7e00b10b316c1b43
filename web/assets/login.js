// Signing in: a SIM and its temporary password, a national ID and password, forgot password,
// and the new password a temporary one must be traded for.
import { call, currentSession, saveSession } from "./api.js";
import { Captcha } from "./captcha.js";
import { formatClock, startCountdown } from "./countdown.js";
import { maskMsisdn, toAscii, toPersian } from "./digits.js";
import { $, $$, notify, num, replaceWith } from "./dom.js";
import { checkRepeat, clearError, number, onSubmit, showError, value } from "./forms.js";
import { go, signedIn } from "./router.js";
import { state } from "./state.js";

export function enterLogin(screen) {
  const tabs = $$("[role=tab]", screen);
  const select = (tab, focus = false) => {
    state.loginTab = tab.dataset.tab;
    for (const other of tabs) {
      const on = other === tab;
      other.setAttribute("aria-selected", String(on));
      other.tabIndex = on ? 0 : -1;
    }
    if (focus) tab.focus();
    const panel = $("#login-panel", screen);
    // No aria-labelledby on the panel: a label that holds «کد ملی» would make the panel
    // a second match for the field's own label.
    if (tab.dataset.tab === "nid") nidLoginStep(panel);
    else simLoginStep(panel);
  };
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {
      // Right to left: the left arrow goes to the next tab.
      const step = { ArrowLeft: 1, ArrowRight: -1 }[event.key];
      if (step) select(tabs[(index + step + tabs.length) % tabs.length], true);
    });
  });
  select(tabs.find((tab) => tab.dataset.tab === state.loginTab) || tabs[0]);
}

function simLoginStep(panel) {
  state.stopCountdown?.();
  replaceWith(panel, "tpl-login-sim");
  const form = $("#otp-request", panel);
  const captcha = new Captcha($("[data-captcha]", form));
  if (state.otpMsisdn) form.elements.msisdn.value = toPersian(state.otpMsisdn);
  onSubmit(form, async () => {
    let data;
    try {
      data = await call("POST", "/auth/otp", { msisdn: number(form, "msisdn"), ...(await captcha.answer()) });
    } catch (error) {
      captcha.refresh(); // a captcha is single use
      throw error;
    }
    simCodeStep(panel, data);
  });
}

function simCodeStep(panel, sent) {
  replaceWith(panel, "tpl-login-sim-code");
  const form = $("#otp-verify", panel);
  let captcha = null;
  state.otpMsisdn = sent.msisdn;
  const sentTo = (data) => {
    const line = $("#otp-sent-to", form);
    line.textContent = "";
    line.append("رمز عبور موقت ارسال شده به شماره ", num(maskMsisdn(data.msisdn), data.msisdn), " را وارد کنید.");
  };
  const countdown = (seconds) => {
    state.stopCountdown?.();
    const button = $("#otp-resend", form);
    const timer = $("#otp-timer", form);
    const say = $("#otp-timer-say", form);
    button.disabled = true;
    $("#otp-resend-captcha", form).textContent = "";
    captcha = null;
    say.textContent = `ارسال مجدد رمز عبور موقت تا ${formatClock(seconds)} دیگر ممکن می‌شود.`;
    state.stopCountdown = startCountdown(seconds, {
      onTick: (left) => { timer.textContent = formatClock(left); },
      onDone: () => {
        if (!form.isConnected) return;
        button.disabled = false;
        captcha = new Captcha($("#otp-resend-captcha", form));
        say.textContent = "اکنون می‌توانید رمز عبور موقت را دوباره دریافت کنید.";
      },
    });
  };
  sentTo(sent);
  countdown(sent.resend_in ?? 120);
  $("#otp-code", form).focus();

  onSubmit(form, async () => {
    const data = await call("POST", "/auth/otp/verify", { msisdn: state.otpMsisdn, code: number(form, "code") });
    state.stopCountdown?.();
    signedIn(data);
  });
  $("#otp-resend", form).addEventListener("click", async () => {
    clearError(form);
    try {
      const data = await call("POST", "/auth/otp", { msisdn: state.otpMsisdn, ...(captcha ? await captcha.answer() : {}) });
      sentTo(data);
      countdown(data.resend_in ?? 120);
      form.elements.code.value = "";
      notify("رمز عبور موقت جدید پیامک شد.");
      $("#otp-code", form).focus();
    } catch (error) {
      showError(form, error);
      if (error.code === "otp_resend_too_soon" && error.retryAfter) countdown(error.retryAfter);
      else captcha?.refresh(error.code === "captcha_invalid");
    }
  });
  $("#otp-change", form).addEventListener("click", () => simLoginStep(panel));
}

function nidLoginStep(panel) {
  state.stopCountdown?.();
  replaceWith(panel, "tpl-login-nid");
  const form = $("#nid-login", panel);
  const captcha = new Captcha($("[data-captcha]", form));
  onSubmit(form, () => passwordLogin(form, captcha, number(form, "national_id"), form.elements.password.value));
}

/** POST /auth/login; a temporary password is kept in memory for the one password change
 * it opens, so the next screen does not ask for it again. */
async function passwordLogin(form, captcha, nationalId, password) {
  let data;
  try {
    data = await call("POST", "/auth/login", { national_id: nationalId, password, ...(await captcha.answer()) });
  } catch (error) {
    captcha.refresh();
    throw error;
  }
  state.temporary = data.must_change_password ? password : null;
  signedIn(data);
}

export function enterForgot(screen) {
  const step = $("#forgot-step", screen);
  if (state.forgot) forgotSentStep(step);
  else forgotAskStep(step);
}

function forgotAskStep(step) {
  replaceWith(step, "tpl-forgot-ask");
  const form = $("#forgot", step);
  $("[data-go]", form).addEventListener("click", () => go("login"));
  if (state.forgot) {
    form.elements.national_id.value = toPersian(state.forgot.national_id);
    form.elements.msisdn.value = toPersian(state.forgot.msisdn);
  }
  onSubmit(form, async () => {
    const asked = { national_id: number(form, "national_id"), msisdn: number(form, "msisdn") };
    await call("POST", "/auth/password/forgot", {
      ...asked, birth_date: toAscii(value(form, "birth_date")).replace(/\s/g, ""), channel: "sms",
    });
    state.forgot = asked;
    forgotSentStep(step);
  });
}

/** The answer is the same whatever the details were (API.md): say what happens next, and
 * sign in with the temporary password right here. */
function forgotSentStep(step) {
  replaceWith(step, "tpl-forgot-sent");
  const form = $("#forgot-login", step);
  const { national_id: nationalId, msisdn } = state.forgot;
  $("#forgot-sent", form).append("اگر کد ملی، شماره همراه و تاریخ تولد با اطلاعات کارتابل یکی باشد، رمز عبور موقت تا چند لحظه دیگر به شماره ",
    num(maskMsisdn(msisdn), msisdn), " پیامک می‌شود و ۱۵ دقیقه معتبر است. اگر تا ۲ دقیقه پیامکی نرسید، اطلاعات را بررسی کنید و دوباره درخواست دهید.");
  const captcha = new Captcha($("[data-captcha]", form));
  $("#forgot-again", form).addEventListener("click", () => forgotAskStep(step));
  $("#forgot-temp", form).focus();
  onSubmit(form, async () => {
    await passwordLogin(form, captcha, nationalId, value(form, "password"));
    state.forgot = null;
  });
}

export function enterMustChange(screen) {
  const form = $("#mustchange", screen);
  // Typed once: the temporary password of this visit's sign-in is used as it is.
  if (state.temporary) $("#mc-old-box", form).remove();
  onSubmit(form, async () => {
    checkRepeat(form, "new_password", "again");
    const old = state.temporary ?? form.elements.old_password.value;
    await call("PUT", "/me/password", { old_password: old, new_password: form.elements.new_password.value });
    // This session carries on as a full one (every other session of the cartable ended).
    state.temporary = null;
    saveSession({ ...currentSession(), must_change_password: false });
    go("devices");
    notify("رمز عبور جدید ثبت شد. از این پس با کد ملی و رمز عبور جدید وارد می‌شوید.");
  });
}
