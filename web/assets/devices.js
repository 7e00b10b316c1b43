// مدیریت دستگاهها: the cartable's device table, the chosen device's panel, a sale and its cancelling.
import { call, currentSession, imeiPath } from "./api.js";
import { me, passwordAsked, selectedDevice } from "./cartable.js";
import { confirmAct } from "./confirm.js";
import { openAdd, openBlock, openHistory, openUnblock } from "./device-dialogs.js";
import { maskMsisdn, toPersian } from "./digits.js";
import { $, $$, el, notify, num } from "./dom.js";
import { errorText } from "./forms.js";
import { jalaliDate, jalaliDateTime } from "./jalali.js";
import { BLOCK_FA, DEVICE_STATUS_FA } from "./labels.js";
import { leadToNationalIdCartable } from "./router.js";
import { state } from "./state.js";

function deviceRow(device, index) {
  const imei = device.imeis[0];
  const selected = state.selected === imei;
  const radio = el("input", { type: "radio", name: "device", value: imei, checked: selected,
    "aria-label": `انتخاب ردیف ${toPersian(index + 1)}` });
  radio.addEventListener("change", () => selectDevice(imei));
  const status = device.status === "active" ? null
    : el("div", {}, el("span", { class: `badge ${device.status}` },
      device.status === "blocked" && device.block_reason
        ? `مسدود (${BLOCK_FA[device.block_reason] || device.block_reason})` : DEVICE_STATUS_FA[device.status] || device.status));
  const row = el("tr", { role: "row", class: selected ? "selected" : null, "data-imei": imei },
    el("td", { role: "cell", "data-label": "ردیف" }, el("label", { class: "pick" }, radio, toPersian(index + 1))),
    el("td", { role: "cell", "data-label": "شناسه دستگاه (IMEI)" },
      device.imeis.map((one) => el("div", {}, num(one)))),
    el("td", { role: "cell", "data-label": "مدل تلفن همراه" },
      el("div", {}, `برند: ${device.brand || "—"}`), el("div", {}, `مدل: ${device.model || "—"}`), status),
    el("td", { role: "cell", "data-label": "کد فعالسازی" }, device.activation_code ? num(device.activation_code) : "—"),
    el("td", { role: "cell", "data-label": "شماره تلفن همراه" }, device.msisdn ? num(maskMsisdn(device.msisdn), device.msisdn) : "—"),
  );
  row.addEventListener("click", (event) => {
    if (event.target.closest("button, a, input, label")) return;
    selectDevice(imei);
  });
  return row;
}

function renderDevices() {
  const body = $("#device-table tbody");
  if (!body) return;
  body.textContent = "";
  body.append(...state.devices.map(deviceRow));
  $("#device-table").hidden = state.devices.length === 0;
  $("#devices-empty").hidden = state.devices.length !== 0;
  renderPanel();
}

/** Loads the cartable's devices; a toolbar button pressed meanwhile waits for it. */
function loadDevices() {
  state.loading = fetchDevices();
  return state.loading;
}

async function fetchDevices() {
  const error = $("#devices-error");
  try {
    state.devices = (await call("GET", "/devices")).devices || [];
  } catch (failure) {
    if (currentSession() && error) error.textContent = errorText(failure);
    return;
  }
  if (!state.devices.some((d) => d.imeis[0] === state.selected)) state.selected = null;
  if (state.devices.length === 1) state.selected = state.devices[0].imeis[0];
  if (state.sale && !state.devices.some((d) => d.imeis[0] === state.sale.imei && d.status === "transfer_pending")) {
    state.sale = null;
  }
  renderDevices();
}

/** After a dialog's act: the table again, with the dialog's message. */
async function reloaded(message) {
  await loadDevices();
  notify(message);
}

export function enterDevices(screen) {
  $("#do-add", screen).addEventListener("click", () => openAdd(async (data) => {
    state.selected = data.device.imeis[0];
    await reloaded("دستگاه با موفقیت به کارتابل شما اضافه شد.");
  }));
  $("#do-sale", screen).addEventListener("click", offerForSale);
  $("#do-code", screen).addEventListener("click", showSaleCode);
  renderDevices();
  loadDevices();
  whereThePhonesAre(screen);
}

/** A SIM session of a SIM that is in a national-ID cartable: its phones are kept there. */
async function whereThePhonesAre(screen) {
  if (currentSession()?.kind !== "sim") return;
  try {
    await me();
  } catch {
    return;
  }
  if (state.inNationalIdCartable) $("#devices-elsewhere", screen).hidden = false;
}

function selectDevice(imei) {
  state.selected = imei;
  $("#devices-error").textContent = "";
  for (const row of $$("#device-table tbody tr")) {
    const radio = $("input[type=radio]", row);
    radio.checked = radio.value === imei;
    row.classList.toggle("selected", radio.checked);
  }
  renderPanel();
}

function renderPanel() {
  const panel = $("#device-panel");
  if (!panel) return;
  const device = selectedDevice();
  panel.textContent = "";
  panel.hidden = !device;
  if (!device) return;
  const imei = device.imeis[0];
  panel.append(el("h2", {}, `${device.brand || ""} ${device.model || ""}`.trim() || "دستگاه انتخاب شده"),
    el("p", {}, "وضعیت: ", DEVICE_STATUS_FA[device.status] || device.status,
      device.registered_at ? ` — در این کارتابل از ${jalaliDate(device.registered_at)}` : ""));
  if (device.status === "transfer_pending") {
    const sale = state.sale?.imei === imei ? state.sale : null;
    const until = sale?.expires_at || device.transfer_expires_at;
    panel.append(el("p", { class: "code-box", id: "sale-code", tabindex: "-1" }, "کد فعال سازی برای خریدار: ",
      el("strong", {}, num(sale?.activation_code || device.activation_code)),
      until ? ` — معتبر تا ${jalaliDateTime(until)}` : ""),
    el("p", { class: "hint" }, "این کد را فقط به خریدار بدهید. با فعال سازی آن توسط خریدار، دستگاه از کارتابل شما خارج می‌شود."));
  }
  const actions = el("div", { class: "actions" });
  actions.append(el("button", { type: "button", onclick: () => openHistory(device) }, "سوابق دستگاه"));
  if (device.status === "transfer_pending") {
    actions.append(el("button", { type: "button", onclick: () => cancelSale(device) }, "لغو فروش"));
  }
  if (device.status === "blocked") {
    actions.append(el("button", { type: "button", onclick: () => openUnblock(device, reloaded) }, "رفع مسدودی"));
  } else {
    actions.append(el("button", { type: "button", class: "danger", onclick: () => openBlock(device, reloaded) }, "اعلام مفقودی یا سرقت"));
  }
  panel.append(actions);
}

function needSelection() {
  const device = selectedDevice();
  if (!device) {
    $("#devices-error").textContent = state.devices.length
      ? "ابتدا دستگاه را از جدول انتخاب کنید."
      : "دستگاهی در کارتابل نیست.";
  }
  return device;
}

const deviceName = (device) => `${device.brand || ""} ${device.model || ""}`.trim() || "دستگاه";

/** انتقال مالکیت/فروش: after a confirmation naming the device (and, from a SIM session,
 * the password of the national-ID cartable its SIM is in; a SIM in none is told to make
 * one, 409 password_required); a device already on sale shows its code. */
async function offerForSale() {
  $("#devices-error").textContent = "";
  await state.loading;
  const device = needSelection();
  if (!device) return;
  if (device.status === "transfer_pending") {
    showSaleCode();
    return;
  }
  const imei = device.imeis[0];
  const sim = await passwordAsked();
  confirmAct({
    title: "انتقال مالکیت/فروش",
    text: [`${deviceName(device)} با شناسه `, num(imei), " برای فروش عرضه شود؟ کد فعال سازی برای خریدار ساخته می‌شود؛ با فعال سازی آن توسط خریدار، دستگاه برای همیشه از کارتابل شما خارج می‌شود."],
    yes: "تأیید فروش",
    field: sim ? { label: "رمز عبور کارتابل کد ملی", name: "password", type: "password", autocomplete: "current-password" } : null,
    act: async (form) => {
      const body = sim ? { password: form.elements.password.value } : undefined;
      let offer;
      try {
        offer = await call("POST", `/devices/${imeiPath(imei)}/transfer`, body);
      } catch (error) {
        if (error.code !== "password_required") throw error;
        leadToNationalIdCartable(error.message);
        return;
      }
      state.sale = { imei, ...offer };
      await loadDevices();
      notify(`کد فعال سازی ${toPersian(offer.activation_code)} برای خریدار تولید شد.`);
    },
  });
}

/** تولید کد فعال سازی: the code of the sale under way, shown again (never a new one: that
 * would kill the code a buyer may already have); for a device not on sale, how a code is made. */
async function showSaleCode() {
  $("#devices-error").textContent = "";
  await state.loading;
  const device = needSelection();
  if (!device) return;
  if (device.status !== "transfer_pending") {
    notify(`${deviceName(device)} در حال فروش نیست. کد فعال سازی برای خریدار با «انتقال مالکیت/فروش» ساخته می‌شود.`);
    return;
  }
  const sale = state.sale?.imei === device.imeis[0] ? state.sale : null;
  const until = sale?.expires_at || device.transfer_expires_at;
  notify(`کد فعال سازی فروش ${deviceName(device)}: ${toPersian(sale?.activation_code || device.activation_code)}`
    + (until ? ` — معتبر تا ${jalaliDateTime(until)}` : ""));
  $("#sale-code")?.focus();
}

async function cancelSale(device) {
  try {
    await call("DELETE", `/devices/${imeiPath(device.imeis[0])}/transfer`);
    state.sale = null;
    await loadDevices();
    notify("فروش لغو شد و کد فعال سازی آن دیگر کار نمی‌کند.");
  } catch (error) {
    $("#devices-error").textContent = errorText(error);
  }
}
