// Signing in: a SIM and its temporary password, a national ID and password, forgot password,
// and the new password a temporary one must be traded for.
import { call } from "./api.js";
import { Captcha } from "./captcha.js";
import { formatClock, startCountdown } from "./countdown.js";
import { maskMsisdn, toAscii, toPersian } from "./digits.js";
import { $, $$, notify, num, replaceWith } from "./dom.js";
import { checkRepeat, clearError, number, onSubmit, showError, value } from "./forms.js";
import { go, signedIn, signedOut } from "./router.js";
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
  onSubmit(form, async () => {
    let data;
    try {
      data = await call("POST", "/auth/login", {
        national_id: number(form, "national_id"), password: form.elements.password.value, ...(await captcha.answer()),
      });
    } catch (error) {
      captcha.refresh();
      throw error;
    }
    signedIn(data);
  });
}

export function enterForgot(screen) {
  const form = $("#forgot", screen);
  onSubmit(form, async () => {
    const data = await call("POST", "/auth/password/forgot", {
      national_id: number(form, "national_id"), msisdn: number(form, "msisdn"),
      birth_date: toAscii(value(form, "birth_date")).replace(/\s/g, ""), channel: "sms",
    });
    state.loginTab = "nid";
    go("login");
    notify(data?.message || "اگر اطلاعات وارد شده درست باشد، رمز عبور موقت پیامک می‌شود.");
  });
}

export function enterMustChange(screen) {
  onSubmit($("#mustchange", screen), async (form) => {
    checkRepeat(form, "new_password", "again");
    await call("PUT", "/me/password", { old_password: form.elements.old_password.value, new_password: form.elements.new_password.value });
    try {
      await call("POST", "/auth/logout");
    } catch {
      // the temporary session may already be closed by the change
    }
    signedOut("رمز عبور جدید ثبت شد. با کد ملی و رمز عبور جدید وارد شوید.", "nid");
  });
}
