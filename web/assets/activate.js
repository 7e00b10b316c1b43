// فعال سازی تلفن همراه and ثبت گوشی تعمیراتی: a device comes in by its code, or under a new IMEI.
import { call, imeiPath } from "./api.js";
import { passwordAsked, simChoice } from "./cartable.js";
import { toPersian } from "./digits.js";
import { $, el, notify } from "./dom.js";
import { number, onSubmit, showError } from "./forms.js";
import { go, leadToNationalIdCartable } from "./router.js";
import { state } from "./state.js";

export function enterActivate(screen) {
  const form = $("#activate", screen);
  simChoice($("[data-sim-choice]", form));
  onSubmit(form, async () => {
    const body = { imei: number(form, "imei"), activation_code: number(form, "activation_code") };
    if (form.elements.msisdn) body.msisdn = form.elements.msisdn.value;
    const { device } = await call("POST", "/devices/activate", body);
    state.selected = device.imeis[0];
    go("devices");
    notify(`دستگاه ${device.brand || ""} ${device.model || ""} فعال شد و در کارتابل شما است.`);
  });
}

/** ثبت گوشی تعمیراتی: the new IMEI is a repair part an authorised service centre registered
 * (the form says so; the API's refusal stands by that field), and from a SIM session the
 * national-ID cartable's password, as a sale asks it. */
export async function enterRepair(screen) {
  const form = $("#repair", screen);
  const select = $("#rep-device", form);
  const password = $("#rep-password-box", form);
  password.remove();
  // The second IMEI's field is in the page only for a dual-IMEI phone.
  const second = $("#rep-imei2-box", form);
  const anchor = document.createComment("imei2");
  second.replaceWith(anchor);
  second.hidden = false;
  const dual = () => {
    const device = state.devices.find((d) => d.imeis[0] === select.value);
    if (device?.imeis.length > 1) anchor.after(second);
    else second.remove();
  };
  select.addEventListener("change", dual);
  onSubmit(form, async () => {
    const imei = select.value;
    if (!imei) throw "دستگاهی برای ثبت تعمیر انتخاب نشده است.";
    const body = { new_imei: number(form, "new_imei") };
    if (second.isConnected) body.new_imei2 = number(form, "new_imei2");
    if (password.isConnected) body.password = form.elements.password.value;
    let device;
    try {
      ({ device } = await call("POST", `/devices/${imeiPath(imei)}/repair`, body));
    } catch (error) {
      if (error.code !== "password_required") throw error;
      leadToNationalIdCartable(error.message);
      return;
    }
    state.selected = device.imeis[0];
    go("devices");
    notify(`شناسه جدید ${toPersian(device.imeis.join(" / "))} برای گوشی ثبت شد.`);
  });
  try {
    state.devices = (await call("GET", "/devices")).devices || [];
  } catch (error) {
    showError(form, error);
    return;
  }
  select.textContent = "";
  for (const device of state.devices) {
    select.append(el("option", { value: device.imeis[0], selected: device.imeis[0] === state.selected },
      `${toPersian(device.imeis.join(" / "))} — ${device.brand || ""} ${device.model || ""}`));
  }
  if (!state.devices.length) select.append(el("option", { value: "" }, "دستگاهی در کارتابل نیست"));
  dual();
  if (await passwordAsked() && screen.isConnected) $(".error", form).before(password);
}
