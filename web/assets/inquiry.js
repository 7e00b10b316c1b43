// استعلام اصالت دستگاه and وضعیت شناسه دستگاه: the public IMEI inquiry, no sign-in needed.
import { call, imeiPath } from "./api.js";
import { $, el, num } from "./dom.js";
import { number, onSubmit } from "./forms.js";
import { SOURCE_FA } from "./labels.js";

function inquiryText(data, kind) {
  const model = [data.brand, data.model].filter(Boolean).join(" ");
  const lines = [];
  const say = {
    registered: kind === "inquiry" ? "این دستگاه در سامانه همتا ثبت شده و اصالت آن تأیید است." : "ثبت شده در سامانه همتا",
    not_registered: kind === "inquiry" ? "این دستگاه در سامانه همتا ثبت نشده است؛ پیش از خرید با فروشنده بررسی کنید." : "ثبت نشده",
    blocked: kind === "inquiry" ? "این دستگاه مسدود است (مفقودی یا سرقت). از خرید آن خودداری کنید." : "مسدود",
    replaced: kind === "inquiry" ? "شناسه این دستگاه در تعمیر عوض شده و دیگر معتبر نیست." : "جایگزین شده (گوشی تعمیراتی)",
  }[data.status] || data.status;
  lines.push(el("p", { class: `verdict ${data.status}` }, kind === "status" ? "وضعیت: " : "", say));
  lines.push(el("p", {}, "شناسه دستگاه: ", num(data.imei)));
  if (model) lines.push(el("p", {}, `مدل: ${model}`));
  if (data.source) lines.push(el("p", {}, `نوع ثبت: ${SOURCE_FA[data.source] || data.source}`));
  if ((data.flags || []).includes("duplicate")) {
    lines.push(el("p", { class: "verdict blocked" }, "این شناسه همزمان روی چند سیم کارت دیده شده است (شناسه تکراری)."));
  }
  return lines;
}

export function inquiryScreen(kind) {
  return (screen) => {
    const form = $("form", screen);
    const result = $(".result", screen);
    onSubmit(form, async () => {
      result.textContent = "";
      const data = await call("GET", `/imei/${imeiPath(number(form, "imei"))}`);
      result.append(...inquiryText(data, kind));
    });
  };
}
