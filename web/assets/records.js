// سوابق انتقال مالکیت and اطلاعات ثبت مسافری: two read-only tables of the cartable.
import { call, currentSession } from "./api.js";
import { $, cell, el, num } from "./dom.js";
import { errorText } from "./forms.js";
import { jalaliDate, jalaliDateTime } from "./jalali.js";

async function loadTable(screen, path, key, row) {
  const table = $("table", screen);
  const empty = $(".empty", screen);
  try {
    const items = (await call("GET", path))[key] || [];
    const body = $("tbody", table);
    body.textContent = "";
    body.append(...items.map(row));
    table.hidden = !items.length;
    empty.hidden = !!items.length;
  } catch (error) {
    if (currentSession()) $(".error", screen).textContent = errorText(error);
  }
}

export function enterTransfers(screen) {
  loadTable(screen, "/transfers", "transfers", (t) => el("tr", { role: "row" },
    cell("نوع", t.direction === "out" ? "فروش" : "خرید"),
    cell("شناسه دستگاه (IMEI)", (t.imeis || []).map((imei) => el("div", {}, num(imei)))),
    cell("مدل تلفن همراه", [t.brand, t.model].filter(Boolean).join(" ") || "—"),
    cell("طرف مقابل", t.counterparty ? num(t.counterparty) : "—"),
    cell("تاریخ", t.at_jalali ? num(t.at_jalali) : jalaliDateTime(t.at))));
}

export function enterTravellers(screen) {
  loadTable(screen, "/travellers", "registrations", (r) => el("tr", { role: "row" },
    cell("شماره ثبت", num(r.registration_id)),
    cell("شناسه دستگاه (IMEI)", (r.imeis || []).map((imei) => el("div", {}, num(imei)))),
    cell("مدل تلفن همراه", [r.brand, r.model].filter(Boolean).join(" ") || "—"),
    cell("تاریخ ورود", jalaliDate(`${r.entry_date}T12:00:00Z`)),
    cell("وضعیت", r.status === "activated" ? "فعال شده" : el("div", {}, "در انتظار فعال سازی",
      r.activation_code ? el("div", {}, "کد فعالسازی: ", num(r.activation_code)) : null))));
}
