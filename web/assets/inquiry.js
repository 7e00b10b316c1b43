// استعلام اصالت دستگاه and وضعیت شناسه دستگاه: the public IMEI inquiry, no sign-in needed.
import { call, imeiPath } from "./api.js";
import { $, el, num } from "./dom.js";
import { number, onSubmit } from "./forms.js";
import { SOURCE_FA } from "./labels.js";

/** استعلام اصالت: is the phone legal to buy and use (its registration, model and source). */
function authenticity(data) {
  const model = [data.brand, data.model].filter(Boolean).join(" ");
  const say = {
    registered: "این دستگاه در سامانه همتا ثبت شده و اصالت آن تأیید است.",
    not_registered: "این دستگاه در سامانه همتا ثبت نشده است؛ پیش از خرید با فروشنده بررسی کنید.",
    blocked: "این دستگاه مسدود است (مفقودی یا سرقت). از خرید آن خودداری کنید.",
    replaced: "شناسه این دستگاه در تعمیر عوض شده و دیگر معتبر نیست.",
  }[data.status] || data.status;
  const lines = [el("p", { class: `verdict ${data.status}` }, say), el("p", {}, "شناسه دستگاه: ", num(data.imei))];
  if (model) lines.push(el("p", {}, `مدل: ${model}`));
  if (data.source) lines.push(el("p", {}, `نوع ثبت: ${SOURCE_FA[data.source] || data.source}`));
  if ((data.flags || []).includes("duplicate")) {
    lines.push(el("p", { class: "verdict blocked" }, "این شناسه همزمان روی چند سیم کارت دیده شده است (شناسه تکراری)."));
  }
  return lines;
}

/** وضعیت شناسه دستگاه: one sentence for where the IMEI stands today: registered (and
 * whether it is activated in a cartable), blocked or replaced. */
export function statusSentence(data) {
  if (data.status === "registered") {
    if (data.activated === true) return "ثبت شده و فعال: این شناسه در سامانه همتا ثبت شده و دستگاه در کارتابل یک کاربر فعال است.";
    if (data.activated === false) return "ثبت شده، فعال نشده: این شناسه در سامانه همتا ثبت شده ولی دستگاه هنوز در هیچ کارتابلی فعال نشده است؛ با کد فعالسازی آن را فعال کنید.";
    // An answer without `activated` (an older API) says only what it knows.
    return "ثبت شده: این شناسه در سامانه همتا ثبت شده است.";
  }
  return {
    not_registered: "ثبت نشده: این شناسه در سامانه همتا ثبت نشده است و دستگاه پیش از ثبت در شبکه کار نمی‌کند.",
    blocked: "مسدود: این دستگاه به دلیل مفقودی یا سرقت مسدود است و در شبکه کار نمی‌کند.",
    replaced: "جایگزین شده: شناسه این دستگاه در تعمیر (گوشی تعمیراتی) عوض شده و دیگر معتبر نیست.",
  }[data.status] || data.status;
}

function status(data) {
  return [el("p", { class: `verdict ${data.status}` }, "وضعیت: ", statusSentence(data)),
    el("p", {}, "شناسه دستگاه: ", num(data.imei))];
}

export function inquiryScreen(kind) {
  return (screen) => {
    const form = $("form", screen);
    const result = $(".result", screen);
    onSubmit(form, async () => {
      result.textContent = "";
      const data = await call("GET", `/imei/${imeiPath(number(form, "imei"))}`);
      result.append(...(kind === "status" ? status(data) : authenticity(data)));
    });
  };
}
