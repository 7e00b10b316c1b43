// Forms: submitting with a busy button, and errors shown in Persian by the field they name.
import { ApiError, currentSession } from "./api.js";
import { $, $$, clearNotice, el } from "./dom.js";
import { normaliseNumber, toPersian } from "./digits.js";
import { jalaliDateTime } from "./jalali.js";
import { REPAIR_FA } from "./labels.js";

export function errorText(error) {
  if (!(error instanceof ApiError)) return "خطایی رخ داد. دوباره تلاش کنید.";
  if (REPAIR_FA[error.code]) return REPAIR_FA[error.code];
  // The hold's end as a date, not a count of seconds (three days by default).
  if (error.code === "reset_hold" && error.retryAfter) {
    return `پس از بازیابی رمز عبور، فروش و ثبت تعمیر دستگاههای این کارتابل تا ${jalaliDateTime(new Date(Date.now() + error.retryAfter * 1000))} ممکن نیست.`;
  }
  let text = toPersian(error.message);
  if (error.retryAfter && !/[0-9۰-۹]/.test(error.message)) {
    text += ` (${waitText(error.retryAfter)})`;
  }
  return text;
}

export function waitText(seconds) {
  if (seconds < 90) return `${toPersian(Math.ceil(seconds))} ثانیه دیگر دوباره تلاش کنید`;
  return `${toPersian(Math.ceil(seconds / 60))} دقیقه دیگر دوباره تلاش کنید`;
}

/** Shows an error where the person is looking: right under the field it names, or in the
 * form's alert when it names none. A green banner of the step before is cleared. */
export function showError(form, error) {
  const text = typeof error === "string" ? error : errorText(error);
  const field = error instanceof ApiError && error.field ? $(`[name="${error.field}"]`, form) : null;
  const byCode = error instanceof ApiError ? fieldForCode(form, error.code) : null;
  // A check of the page's own (checkRepeat) marks its field before it throws.
  const target = field || byCode || (typeof error === "string" ? $("[aria-invalid=true]", form) : null);
  clearNotice();
  clearError(form);
  if (!target) {
    const box = $(".error[role=alert]", form) || $("[role=alert]", form);
    if (box) box.textContent = text;
    return;
  }
  const box = el("p", { class: "error field-error", role: "alert", id: `err-${Math.random().toString(36).slice(2)}` }, text);
  target.after(box);
  target.setAttribute("aria-invalid", "true");
  target.setAttribute("aria-errormessage", box.id);
  target.setAttribute("aria-describedby", [target.getAttribute("aria-describedby"), box.id].filter(Boolean).join(" "));
  target.focus();
}

function fieldForCode(form, code) {
  const names = {
    invalid_msisdn: "msisdn", invalid_national_id: "national_id", invalid_imei: "imei",
    invalid_birth_date: "birth_date", captcha_invalid: "captcha_answer", otp_invalid: "code",
    weak_password: "new_password", invalid_credentials: "password",
    not_a_repair_part: "new_imei", model_mismatch: "new_imei", password_required: "password",
  }[code];
  if (!names) return null;
  return $(`[name="${names}"]`, form) || (code === "weak_password" ? $('[name="password"]', form) : null)
    || (code === "invalid_credentials" ? $('[name="old_password"]', form) : null)
    || (code === "invalid_msisdn" ? $('[name="previous_msisdn"]', form) : null)
    || (code === "invalid_imei" ? $('[name="new_imei"]', form) : null);
}

export function clearError(form) {
  $$(".field-error", form).forEach((box) => {
    const input = $(`[aria-errormessage="${box.id}"]`, form);
    if (input) {
      const rest = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== box.id);
      if (rest.length) input.setAttribute("aria-describedby", rest.join(" "));
      else input.removeAttribute("aria-describedby");
      input.removeAttribute("aria-errormessage");
    }
    box.remove();
  });
  $$(".error[role=alert]", form).forEach((box) => { box.textContent = ""; });
  $$("[aria-invalid]", form).forEach((input) => input.removeAttribute("aria-invalid"));
}

/** Runs a form's submit handler with its button busy, errors shown in the form. */
export function onSubmit(form, handler) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("button[type=submit]", form);
    if (button?.getAttribute("aria-disabled") === "true") return;
    clearError(form);
    clearNotice();
    button?.setAttribute("aria-disabled", "true");
    form.setAttribute("aria-busy", "true");
    try {
      await handler(form);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== "unauthorized" || currentSession()) {
        showError(form, error);
      }
    } finally {
      button?.removeAttribute("aria-disabled");
      form.removeAttribute("aria-busy");
    }
  });
}

export const value = (form, name) => (form.elements[name]?.value ?? "").trim();
export const number = (form, name) => normaliseNumber(value(form, name));

export function checkRepeat(form, first, second) {
  if (form.elements[first].value !== form.elements[second].value) {
    form.elements[second].setAttribute("aria-invalid", "true");
    throw "تکرار رمز عبور با رمز عبور یکسان نیست.";
  }
}
