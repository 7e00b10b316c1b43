// The Hamta web page: every flow of API.md a person uses, over the same-origin API.
import { ApiError, call, currentSession, imeiPath, loadSession, saveSession, whenSessionLost } from "./api.js";
import { formatClock, startCountdown } from "./countdown.js";
import { maskMsisdn, normaliseNumber, toAscii, toPersian } from "./digits.js";
import { jalaliDate, jalaliDateTime } from "./jalali.js";

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

const PUBLIC = new Set(["login", "forgot", "inquiry", "status"]);
const STATUS_FA = { active: "فعال", expired: "منقضی", transferred: "واگذار شده" };
const DEVICE_STATUS_FA = { active: "فعال", transfer_pending: "در انتظار انتقال به خریدار", blocked: "مسدود" };
const BLOCK_FA = { lost: "مفقود شده", stolen: "سرقت شده" };
const EVENT_FA = {
  registered: "ثبت در سامانه", activated: "فعال سازی", transfer_offered: "تولید کد انتقال مالکیت",
  transfer_cancelled: "لغو فروش", transferred: "انتقال مالکیت", detached: "جدا شدن از سیم کارت منقضی یا واگذار شده",
  recovered: "بازیابی در کارتابل", repaired: "ثبت گوشی تعمیراتی", blocked: "اعلام مفقودی یا سرقت",
  unblocked: "رفع مسدودی",
};
const SOURCE_FA = { import: "واردات", manufacture: "تولید داخل", passenger: "مسافری" };

const state = { devices: [], selected: null, sims: null, sale: null, stopCountdown: null, otpMsisdn: null };

// ---- small helpers -------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

/** A number shown left to right inside the Persian text, in Persian digits. */
function num(text, ascii) {
  return el("bdi", { dir: "ltr", class: "num", "data-value": ascii ?? toAscii(text) }, toPersian(text));
}

function notify(text) {
  const notice = $("#notice");
  notice.textContent = "";
  // A new node each time, so a screen reader announces the same text twice in a row too.
  notice.append(el("span", { text }));
}

function errorText(error) {
  if (!(error instanceof ApiError)) return "خطایی رخ داد. دوباره تلاش کنید.";
  let text = toPersian(error.message);
  if (error.retryAfter && !/[0-9۰-۹]/.test(error.message)) {
    text += ` (${waitText(error.retryAfter)})`;
  }
  return text;
}

function waitText(seconds) {
  if (seconds < 90) return `${toPersian(Math.ceil(seconds))} ثانیه دیگر دوباره تلاش کنید`;
  return `${toPersian(Math.ceil(seconds / 60))} دقیقه دیگر دوباره تلاش کنید`;
}

/** Shows an error where the person is looking: the form's alert, and the field it names. */
function showError(form, error) {
  const box = $(".error[role=alert]", form) || $("[role=alert]", form);
  clearError(form);
  if (box) box.textContent = typeof error === "string" ? error : errorText(error);
  const field = error instanceof ApiError && error.field ? $(`[name="${error.field}"]`, form) : null;
  const byCode = error instanceof ApiError ? fieldForCode(form, error.code) : null;
  const target = field || byCode;
  if (target) {
    target.setAttribute("aria-invalid", "true");
    if (box) {
      box.id = box.id || `err-${Math.random().toString(36).slice(2)}`;
      target.setAttribute("aria-errormessage", box.id);
    }
    target.focus();
  }
}

function fieldForCode(form, code) {
  const names = {
    invalid_msisdn: "msisdn", invalid_national_id: "national_id", invalid_imei: "imei",
    invalid_birth_date: "birth_date", captcha_invalid: "captcha_answer", otp_invalid: "code",
    weak_password: "new_password", invalid_credentials: "password",
  }[code];
  if (!names) return null;
  return $(`[name="${names}"]`, form) || (code === "weak_password" ? $('[name="password"]', form) : null)
    || (code === "invalid_credentials" ? $('[name="old_password"]', form) : null)
    || (code === "invalid_msisdn" ? $('[name="previous_msisdn"]', form) : null)
    || (code === "invalid_imei" ? $('[name="new_imei"]', form) : null);
}

function clearError(form) {
  $$(".error[role=alert]", form).forEach((box) => { box.textContent = ""; });
  $$("[aria-invalid]", form).forEach((input) => input.removeAttribute("aria-invalid"));
}

/** Runs a form's submit handler with its button busy, errors shown in the form. */
function onSubmit(form, handler) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("button[type=submit]", form);
    if (button?.getAttribute("aria-disabled") === "true") return;
    clearError(form);
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

const value = (form, name) => (form.elements[name]?.value ?? "").trim();
const number = (form, name) => normaliseNumber(value(form, name));

function checkRepeat(form, first, second) {
  if (form.elements[first].value !== form.elements[second].value) {
    form.elements[second].setAttribute("aria-invalid", "true");
    throw "تکرار رمز عبور با رمز عبور یکسان نیست.";
  }
}

// ---- captcha -------------------------------------------------------------------------

/** A captcha picture from POST /captcha, with its answer field and a button for a new one. */
class Captcha {
  constructor(box) {
    this.box = box;
    this.id = null;
    this.timer = null;
    const uid = Math.random().toString(36).slice(2, 8);
    this.image = el("img", { alt: "کد امنیتی", width: "160", height: "60", class: "captcha-img" });
    this.input = el("input", { id: `captcha-${uid}`, name: "captcha_answer", type: "text",
      inputmode: "numeric", autocomplete: "off", dir: "ltr" });
    box.append(
      el("label", { for: `captcha-${uid}` }, "کد امنیتی"),
      el("div", { class: "captcha-row" }, this.image,
        el("button", { type: "button", class: "small", onclick: () => this.refresh(true) }, "کد امنیتی جدید")),
      el("p", { class: "hint" }, "کد امنیتی را به عدد وارد نمایید."),
      this.input,
    );
  }

  async refresh(focus = false) {
    clearTimeout(this.timer);
    this.input.value = "";
    try {
      const data = await call("POST", "/captcha");
      this.id = data.captcha_id;
      this.image.src = data.image;
      // Expired captchas answer captcha_invalid: take a new one a little before.
      this.timer = setTimeout(() => this.refresh(), Math.max(10, data.expires_in - 5) * 1000);
    } catch (error) {
      this.id = null;
      this.image.removeAttribute("src");
      this.image.alt = errorText(error);
    }
    if (focus) this.input.focus();
  }

  answer() {
    return { captcha_id: this.id || "", captcha_answer: normaliseNumber(this.input.value) };
  }

  stop() {
    clearTimeout(this.timer);
  }
}

const captchas = {};

// ---- screens -------------------------------------------------------------------------

function screenFromHash() {
  const name = location.hash.replace(/^#\/?/, "");
  return $(`[data-screen="${name}"]`) ? name : "";
}

function go(name) {
  if (location.hash === `#/${name}`) show(name);
  else location.hash = `#/${name}`;
}

function show(requested) {
  const session = currentSession();
  let name = requested || (session ? "devices" : "login");
  if (session?.must_change_password) name = "mustchange";
  else if (!session && !PUBLIC.has(name)) name = "login";
  else if (session && (name === "login" || name === "forgot" || name === "mustchange")) name = "devices";
  for (const section of $$("[data-screen]")) section.hidden = section.dataset.screen !== name;
  $("#nav").hidden = !session || !!session.must_change_password;
  $("#public-nav").hidden = !!session;
  for (const button of $$(".menu [data-go]")) {
    if (button.dataset.go === name) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  const who = $("#who");
  who.hidden = !session;
  if (session) {
    who.textContent = session.kind === "sim"
      ? `کارتابل سیم کارت ${maskMsisdn(session.msisdn)}`
      : `کارتابل کد ملی ${toPersian(session.national_id)}`;
  }
  document.title = `${$(`[data-screen="${name}"] h1`).textContent} — سامانه همتا`;
  ENTER[name]?.();
  if (requested) $(`[data-screen="${name}"] h1`).focus();
}

const ENTER = {
  login: enterLogin,
  devices: loadDevices,
  sims: loadSims,
  activate: () => simChoice($("#activate [data-sim-choice]")),
  transfers: loadTransfers,
  travellers: loadTravellers,
  repair: loadRepair,
  account: enterAccount,
};

function signedIn(data) {
  saveSession({
    token: data.token,
    kind: data.cartable.kind,
    msisdn: data.cartable.msisdn || null,
    national_id: data.cartable.national_id || null,
    must_change_password: !!data.must_change_password,
  });
  state.sims = null;
  state.selected = null;
  go(data.must_change_password ? "mustchange" : "devices");
}

function signedOut(message) {
  saveSession(null);
  state.devices = [];
  state.selected = null;
  state.sims = null;
  go("login");
  if (message) notify(message);
}

// ---- login: SIM and temporary password -----------------------------------------------

function enterLogin() {
  const tab = $('[role=tab][aria-selected="true"]');
  const form = tab.id === "tab-sim" ? ($("#otp-verify").hidden ? $("#otp-request") : null) : $("#nid-login");
  if (form) captchas[form.id].refresh();
}

function selectTab(tab) {
  for (const other of $$("[role=tab]")) {
    const on = other === tab;
    other.setAttribute("aria-selected", String(on));
    other.tabIndex = on ? 0 : -1;
    $(`#${other.getAttribute("aria-controls")}`).hidden = !on;
  }
  enterLogin();
}

function setupTabs() {
  const tabs = $$("[role=tab]");
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      // RTL: the arrow that points to the next tab is the left one.
      const step = { ArrowLeft: 1, ArrowRight: -1 }[event.key];
      if (!step) return;
      const next = tabs[(index + step + tabs.length) % tabs.length];
      next.focus();
      selectTab(next);
    });
  });
}

function startResendCountdown(seconds) {
  state.stopCountdown?.();
  const button = $("#otp-resend");
  const timer = $("#otp-timer");
  const say = $("#otp-timer-say");
  button.disabled = true;
  $("#otp-resend-captcha").hidden = true;
  say.textContent = `ارسال مجدد رمز عبور موقت تا ${formatClock(seconds)} دیگر ممکن می‌شود.`;
  state.stopCountdown = startCountdown(seconds, {
    onTick: (left) => { timer.textContent = formatClock(left); },
    onDone: () => {
      button.disabled = false;
      timer.textContent = formatClock(0);
      $("#otp-resend-captcha").hidden = false;
      captchas.resend.refresh();
      say.textContent = "اکنون می‌توانید رمز عبور موقت را دوباره دریافت کنید.";
    },
  });
}

function otpSent(data) {
  state.otpMsisdn = data.msisdn;
  $("#otp-request").hidden = true;
  const verify = $("#otp-verify");
  verify.hidden = false;
  $("#otp-sent-to").textContent = "";
  $("#otp-sent-to").append("رمز عبور موقت ارسال شده به شماره ", num(maskMsisdn(data.msisdn), data.msisdn), " را وارد کنید.");
  startResendCountdown(data.resend_in ?? 120);
  $("#otp-code").value = "";
  $("#otp-code").focus();
}

function setupSimLogin() {
  onSubmit($("#otp-request"), async (form) => {
    const captcha = captchas["otp-request"];
    try {
      otpSent(await call("POST", "/auth/otp", { msisdn: number(form, "msisdn"), ...captcha.answer() }));
    } finally {
      if ($("#otp-verify").hidden) captcha.refresh(); // a captcha is single use
    }
  });
  onSubmit($("#otp-verify"), async (form) => {
    signedIn(await call("POST", "/auth/otp/verify", { msisdn: state.otpMsisdn, code: number(form, "code") }));
    state.stopCountdown?.();
    form.hidden = true;
    $("#otp-request").hidden = false;
  });
  $("#otp-resend").addEventListener("click", async () => {
    const form = $("#otp-verify");
    clearError(form);
    const captcha = captchas.resend;
    try {
      otpSent(await call("POST", "/auth/otp", { msisdn: state.otpMsisdn, ...captcha.answer() }));
      notify("رمز عبور موقت جدید پیامک شد.");
    } catch (error) {
      showError(form, error);
      if (error.code === "otp_resend_too_soon" && error.retryAfter) startResendCountdown(error.retryAfter);
      else captcha.refresh();
    }
  });
  $("#otp-change").addEventListener("click", () => {
    state.stopCountdown?.();
    $("#otp-verify").hidden = true;
    $("#otp-request").hidden = false;
    captchas["otp-request"].refresh();
    $("#otp-msisdn").focus();
  });
}

function setupNidLogin() {
  onSubmit($("#nid-login"), async (form) => {
    const captcha = captchas["nid-login"];
    try {
      signedIn(await call("POST", "/auth/login", {
        national_id: number(form, "national_id"), password: form.elements.password.value, ...captcha.answer(),
      }));
      form.reset();
    } catch (error) {
      captcha.refresh();
      throw error;
    }
  });
  $("#go-forgot").addEventListener("click", () => go("forgot"));
  onSubmit($("#forgot"), async (form) => {
    const data = await call("POST", "/auth/password/forgot", {
      national_id: number(form, "national_id"), msisdn: number(form, "msisdn"),
      birth_date: toAscii(value(form, "birth_date")).replace(/\s/g, ""), channel: "sms",
    });
    form.reset();
    selectTab($("#tab-nid"));
    go("login");
    notify(data?.message || "اگر اطلاعات وارد شده درست باشد، رمز عبور موقت پیامک می‌شود.");
  });
}

// ---- devices (مدیریت دستگاهها) ------------------------------------------------------

async function me() {
  if (!state.sims) state.sims = (await call("GET", "/me")).sims || [];
  return state.sims;
}

/** For a national-ID cartable with more than one active SIM: which SIM the device goes on. */
async function simChoice(box) {
  box.textContent = "";
  if (currentSession()?.kind !== "national_id") return;
  let sims;
  try {
    sims = (await me()).filter((sim) => sim.status === "active");
  } catch {
    return;
  }
  if (sims.length < 2) return;
  const id = `sim-${Math.random().toString(36).slice(2, 8)}`;
  box.append(el("label", { for: id }, "سیم کارت"),
    el("select", { id, name: "msisdn" }, sims.map((sim) => el("option", { value: sim.msisdn }, toPersian(sim.msisdn)))));
}

function deviceRow(device, index) {
  const imei = device.imeis[0];
  const selected = state.selected === imei;
  const radio = el("input", { type: "radio", name: "device", value: imei, checked: selected,
    "aria-label": `انتخاب ردیف ${toPersian(index + 1)}، ${device.brand || ""} ${device.model || ""}` });
  radio.addEventListener("change", () => selectDevice(imei));
  const status = device.status === "active" ? null
    : el("span", { class: `badge ${device.status}` },
      device.status === "blocked" && device.block_reason
        ? `مسدود (${BLOCK_FA[device.block_reason] || device.block_reason})` : DEVICE_STATUS_FA[device.status] || device.status);
  const row = el("tr", { role: "row", class: selected ? "selected" : null },
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
  body.textContent = "";
  body.append(...state.devices.map(deviceRow));
  $("#device-table").hidden = state.devices.length === 0;
  $("#devices-empty").hidden = state.devices.length !== 0;
  renderPanel();
}

async function loadDevices() {
  $("#devices-error").textContent = "";
  try {
    state.devices = (await call("GET", "/devices")).devices || [];
    if (!state.devices.some((d) => d.imeis[0] === state.selected)) state.selected = null;
    if (state.devices.length === 1) state.selected = state.devices[0].imeis[0];
    renderDevices();
  } catch (error) {
    if (currentSession()) $("#devices-error").textContent = errorText(error);
  }
}

function selectDevice(imei) {
  state.selected = imei;
  if (state.sale?.imei !== imei) state.sale = null;
  for (const row of $$("#device-table tbody tr")) {
    const radio = $("input[type=radio]", row);
    radio.checked = radio.value === imei;
    row.classList.toggle("selected", radio.checked);
  }
  renderPanel();
}

function selectedDevice() {
  return state.devices.find((d) => d.imeis[0] === state.selected) || null;
}

function renderPanel() {
  const panel = $("#device-panel");
  const device = selectedDevice();
  panel.textContent = "";
  panel.hidden = !device;
  if (!device) return;
  const imei = device.imeis[0];
  panel.append(el("h2", {}, `${device.brand || ""} ${device.model || ""}`.trim() || "دستگاه انتخاب شده"),
    el("p", {}, "شناسه: ", num(device.imeis.join(" / ")), " — وضعیت: ", DEVICE_STATUS_FA[device.status] || device.status,
      device.registered_at ? ` — در این کارتابل از ${jalaliDate(device.registered_at)}` : ""));
  if (state.sale && state.sale.imei === imei) {
    panel.append(el("p", { class: "code-box" }, "کد فعال سازی برای خریدار: ", el("strong", {}, num(state.sale.activation_code)),
      state.sale.expires_at ? ` — معتبر تا ${jalaliDateTime(state.sale.expires_at)}` : ""),
    el("p", { class: "hint" }, "این کد را فقط به خریدار بدهید. با فعال سازی آن توسط خریدار، دستگاه از کارتابل شما خارج می‌شود."));
  }
  const actions = el("div", { class: "actions" });
  actions.append(el("button", { type: "button", onclick: () => openHistory(device) }, "سوابق دستگاه"));
  if (device.status === "transfer_pending") {
    actions.append(el("button", { type: "button", onclick: () => cancelSale(device) }, "لغو فروش"));
  }
  if (device.status === "blocked") {
    actions.append(el("button", { type: "button", onclick: () => openUnblock(device) }, "رفع مسدودی"));
  } else {
    actions.append(el("button", { type: "button", class: "danger", onclick: () => openBlock(device) }, "اعلام مفقودی یا سرقت"));
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

async function offerForSale() {
  $("#devices-error").textContent = "";
  const device = needSelection();
  if (!device) return;
  try {
    const offer = await call("POST", `/devices/${imeiPath(device.imeis[0])}/transfer`);
    state.sale = { imei: device.imeis[0], ...offer };
    await loadDevices();
    notify(`کد فعال سازی ${toPersian(offer.activation_code)} برای خریدار تولید شد.`);
  } catch (error) {
    $("#devices-error").textContent = errorText(error);
  }
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

// ---- dialogs ---------------------------------------------------------------------------

function openDialog(dialog) {
  // While a dialog is open, the page behind it is out of reach for keyboard and screen reader.
  $("#app").setAttribute("aria-hidden", "true");
  $("#app").inert = true;
  dialog.showModal();
  const first = $("input:not([type=hidden]):not([hidden]), select, button", dialog);
  first?.focus();
}

function setupDialogs() {
  for (const dialog of $$("dialog")) {
    dialog.addEventListener("close", () => {
      $("#app").removeAttribute("aria-hidden");
      $("#app").inert = false;
      $("#device-table")?.focus?.();
    });
    for (const button of $$("[data-close]", dialog)) button.addEventListener("click", () => dialog.close());
  }
}

async function openAdd() {
  const dialog = $("#add-dialog");
  const first = $("#add-device");
  first.reset();
  clearError(first);
  first.hidden = false;
  $("#add-previous").hidden = true;
  $("#add-previous").reset();
  await simChoice($("[data-sim-choice]", first));
  openDialog(dialog);
}

function setupAdd() {
  let pending = null;
  const added = async (data) => {
    $("#add-dialog").close();
    state.selected = data.device.imeis[0];
    await loadDevices();
    notify("دستگاه با موفقیت به کارتابل شما اضافه شد.");
  };
  onSubmit($("#add-device"), async (form) => {
    pending = { imei: number(form, "imei") };
    if (form.elements.msisdn) pending.msisdn = form.elements.msisdn.value;
    try {
      await added(await call("POST", "/devices", pending));
    } catch (error) {
      if (error.code !== "previous_msisdn_required") throw error;
      form.hidden = true;
      const second = $("#add-previous");
      second.hidden = false;
      $("#add-previous-msisdn").focus();
    }
  });
  onSubmit($("#add-previous"), async (form) => {
    await added(await call("POST", "/devices", { ...pending, previous_msisdn: number(form, "previous_msisdn") }));
  });
}

async function openHistory(device) {
  const dialog = $("#history-dialog");
  const list = $(".events", dialog);
  list.textContent = "";
  $(".error", dialog).textContent = "";
  $("#history-title").textContent = `سوابق دستگاه ${toPersian(device.imeis[0])}`;
  openDialog(dialog);
  try {
    const { events } = await call("GET", `/devices/${imeiPath(device.imeis[0])}/history`);
    for (const event of events) {
      const who = event.counterparty || event.msisdn;
      list.append(el("li", {},
        el("strong", {}, EVENT_FA[event.type] || event.type),
        " — ", el("span", {}, event.at_jalali ? toPersian(event.at_jalali) : jalaliDateTime(event.at)),
        who ? el("span", {}, " — شماره: ", num(who.includes("*") ? who : maskMsisdn(who), who)) : null,
        event.detail && SOURCE_FA[event.detail] ? ` — ${SOURCE_FA[event.detail]}` : null));
    }
    if (!events.length) list.append(el("li", {}, "سابقه‌ای نیست."));
  } catch (error) {
    $(".error", dialog).textContent = errorText(error);
  }
}

function openBlock(device) {
  const form = $("#block");
  form.reset();
  clearError(form);
  form.dataset.imei = device.imeis[0];
  openDialog($("#block-dialog"));
}

function openUnblock(device) {
  const form = $("#unblock");
  form.reset();
  clearError(form);
  form.dataset.imei = device.imeis[0];
  // A national-ID cartable's block is lifted only with its password (API.md "Lost or stolen").
  $("#unblock-password-box").hidden = currentSession()?.kind !== "national_id";
  openDialog($("#unblock-dialog"));
}

function setupBlock() {
  onSubmit($("#block"), async (form) => {
    const reason = form.elements.reason.value;
    await call("POST", `/devices/${imeiPath(form.dataset.imei)}/block`, { reason });
    $("#block-dialog").close();
    await loadDevices();
    notify(`گوشی به عنوان ${BLOCK_FA[reason]} ثبت و مسدود شد.`);
  });
  onSubmit($("#unblock"), async (form) => {
    const body = currentSession()?.kind === "national_id" ? { password: form.elements.password.value } : {};
    await call("DELETE", `/devices/${imeiPath(form.dataset.imei)}/block`, body);
    $("#unblock-dialog").close();
    await loadDevices();
    notify("مسدودی گوشی برداشته شد.");
  });
}

// ---- activation, repair --------------------------------------------------------------

function setupActivate() {
  onSubmit($("#activate"), async (form) => {
    const body = { imei: number(form, "imei"), activation_code: number(form, "activation_code") };
    if (form.elements.msisdn) body.msisdn = form.elements.msisdn.value;
    const { device } = await call("POST", "/devices/activate", body);
    form.reset();
    state.selected = device.imeis[0];
    go("devices");
    notify(`دستگاه ${device.brand || ""} ${device.model || ""} فعال شد و در کارتابل شما است.`);
  });
}

async function loadRepair() {
  const select = $("#rep-device");
  const form = $("#repair");
  clearError(form);
  try {
    state.devices = (await call("GET", "/devices")).devices || [];
  } catch (error) {
    showError(form, error);
    return;
  }
  select.textContent = "";
  for (const device of state.devices) {
    select.append(el("option", { value: device.imeis[0], selected: device.imeis[0] === state.selected },
      `${toPersian(device.imeis[0])} — ${device.brand || ""} ${device.model || ""}`));
  }
  if (!state.devices.length) select.append(el("option", { value: "" }, "دستگاهی در کارتابل نیست"));
  const dual = () => {
    const device = state.devices.find((d) => d.imeis[0] === select.value);
    $("#rep-imei2-box").hidden = !device || device.imeis.length < 2;
  };
  select.onchange = dual;
  dual();
}

function setupRepair() {
  onSubmit($("#repair"), async (form) => {
    const imei = form.elements.imei.value;
    if (!imei) throw "دستگاهی برای ثبت تعمیر انتخاب نشده است.";
    const body = { new_imei: number(form, "new_imei") };
    if (!$("#rep-imei2-box").hidden) body.new_imei2 = number(form, "new_imei2");
    const { device } = await call("POST", `/devices/${imeiPath(imei)}/repair`, body);
    form.reset();
    state.selected = device.imeis[0];
    go("devices");
    notify(`شناسه جدید ${toPersian(device.imeis.join(" / "))} برای گوشی ثبت شد.`);
  });
}

// ---- public inquiry ---------------------------------------------------------------------

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

function setupInquiry(kind) {
  const form = $(`#${kind}`);
  onSubmit(form, async () => {
    const result = $(".result", form.closest("section"));
    result.textContent = "";
    const data = await call("GET", `/imei/${imeiPath(number(form, "imei"))}`);
    result.append(...inquiryText(data, kind));
  });
}

// ---- SIM management ---------------------------------------------------------------------

async function loadSims() {
  const nid = currentSession()?.kind === "national_id";
  $("#sims-nid").hidden = !nid;
  $("#sims-simonly").hidden = nid;
  $("#sims-error").textContent = "";
  const body = $("#sim-table tbody");
  try {
    const sims = nid ? (await call("GET", "/sims")).sims : (await call("GET", "/me")).sims;
    state.sims = sims;
    body.textContent = "";
    for (const sim of sims) {
      body.append(el("tr", { role: "row" },
        el("td", { role: "cell" }, num(sim.msisdn)),
        el("td", { role: "cell" }, STATUS_FA[sim.status] || sim.status),
        el("td", { role: "cell" }, nid ? el("button", { type: "button", class: "small",
          "aria-label": `حذف سیم کارت ${toPersian(sim.msisdn)}`, onclick: () => removeSim(sim.msisdn) }, "حذف") : "")));
    }
  } catch (error) {
    $("#sims-error").textContent = errorText(error);
  }
}

async function removeSim(msisdn) {
  try {
    await call("DELETE", `/sims/${encodeURIComponent(msisdn)}`);
    state.sims = null;
    await loadSims();
    notify(`سیم کارت ${toPersian(msisdn)} از کارتابل حذف شد.`);
  } catch (error) {
    $("#sims-error").textContent = errorText(error);
  }
}

function setupSims() {
  let adding = null;
  onSubmit($("#sim-add"), async (form) => {
    adding = number(form, "msisdn");
    await call("POST", "/sims", { msisdn: adding });
    form.hidden = true;
    $("#sim-verify").hidden = false;
    $("#sim-verify-to").textContent = "";
    $("#sim-verify-to").append("اگر این سیم کارت به نام کد ملی شما و فعال باشد، کد تأیید به شماره ",
      num(adding), " پیامک شد. آن را وارد کنید.");
    $("#sim-code").focus();
  });
  onSubmit($("#sim-verify"), async (form) => {
    const data = await call("POST", "/sims/verify", { msisdn: adding, code: number(form, "code") });
    form.reset();
    form.hidden = true;
    $("#sim-add").reset();
    $("#sim-add").hidden = false;
    state.sims = null;
    await loadSims();
    notify(`سیم کارت ${toPersian(data.msisdn)} به کارتابل اضافه شد.`);
  });
  $("#sim-verify-cancel").addEventListener("click", () => {
    $("#sim-verify").hidden = true;
    $("#sim-add").hidden = false;
  });
}

// ---- transfers, travellers --------------------------------------------------------------

async function loadTable(section, path, key, row) {
  const table = $("table", section);
  const empty = $(".empty", section);
  $(".error", section).textContent = "";
  try {
    const items = (await call("GET", path))[key] || [];
    const body = $("tbody", table);
    body.textContent = "";
    body.append(...items.map(row));
    table.hidden = !items.length;
    empty.hidden = !!items.length;
  } catch (error) {
    $(".error", section).textContent = errorText(error);
  }
}

const cell = (label, ...content) => el("td", { role: "cell", "data-label": label }, ...content);

function loadTransfers() {
  loadTable($('[data-screen="transfers"]'), "/transfers", "transfers", (t) => el("tr", { role: "row" },
    cell("نوع", t.direction === "out" ? "فروش" : "خرید"),
    cell("شناسه دستگاه (IMEI)", (t.imeis || []).map((imei) => el("div", {}, num(imei)))),
    cell("مدل تلفن همراه", [t.brand, t.model].filter(Boolean).join(" ") || "—"),
    cell("طرف مقابل", t.counterparty ? num(t.counterparty) : "—"),
    cell("تاریخ", t.at_jalali ? toPersian(t.at_jalali) : jalaliDateTime(t.at))));
}

function loadTravellers() {
  loadTable($('[data-screen="travellers"]'), "/travellers", "registrations", (r) => el("tr", { role: "row" },
    cell("شماره ثبت", num(r.registration_id)),
    cell("شناسه دستگاه (IMEI)", (r.imeis || []).map((imei) => el("div", {}, num(imei)))),
    cell("مدل تلفن همراه", [r.brand, r.model].filter(Boolean).join(" ") || "—"),
    cell("تاریخ ورود", jalaliDate(r.entry_date)),
    cell("وضعیت", r.status === "activated" ? "فعال شده" : "در انتظار فعال سازی")));
}

// ---- account -------------------------------------------------------------------------

function enterAccount() {
  const session = currentSession();
  const nid = session?.kind === "national_id";
  $("#account-nid").hidden = !nid;
  $("#account-sim").hidden = nid;
  $("#account-who").textContent = nid
    ? `کارتابل کد ملی ${toPersian(session.national_id)}`
    : `کارتابل سیم کارت ${toPersian(session?.msisdn || "")}`;
}

function setupAccount() {
  onSubmit($("#password"), async (form) => {
    checkRepeat(form, "new_password", "again");
    await call("PUT", "/me/password", { old_password: form.elements.old_password.value, new_password: form.elements.new_password.value });
    form.reset();
    notify("رمز عبور تغییر کرد. نشستهای دیگر این کارتابل بسته شدند.");
  });
  onSubmit($("#mustchange"), async (form) => {
    checkRepeat(form, "new_password", "again");
    await call("PUT", "/me/password", { old_password: form.elements.old_password.value, new_password: form.elements.new_password.value });
    form.reset();
    try {
      await call("POST", "/auth/logout");
    } catch {
      // the temporary session may already be closed by the change
    }
    selectTab($("#tab-nid"));
    signedOut("رمز عبور جدید ثبت شد. با کد ملی و رمز عبور جدید وارد شوید.");
  });
  onSubmit($("#register"), async (form) => {
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
  $("#end-sessions").addEventListener("click", async () => {
    $("#sessions-error").textContent = "";
    try {
      await call("DELETE", "/me/sessions");
      signedOut("همه نشستهای این کارتابل بسته شدند.");
    } catch (error) {
      if (currentSession()) $("#sessions-error").textContent = errorText(error);
    }
  });
  $("#logout").addEventListener("click", async () => {
    try {
      await call("POST", "/auth/logout");
    } catch {
      // the token is dropped here either way
    }
    signedOut("از سامانه خارج شدید.");
  });
}

// ---- start -----------------------------------------------------------------------------

function start() {
  loadSession();
  whenSessionLost(() => signedOut("نشست شما به پایان رسیده است. دوباره وارد شوید."));
  captchas["otp-request"] = new Captcha($("#otp-request [data-captcha]"));
  captchas.resend = new Captcha($("#otp-resend-captcha [data-captcha]"));
  captchas["nid-login"] = new Captcha($("#nid-login [data-captcha]"));
  setupTabs();
  setupSimLogin();
  setupNidLogin();
  setupDialogs();
  setupAdd();
  setupBlock();
  setupActivate();
  setupRepair();
  setupInquiry("inquiry");
  setupInquiry("status");
  setupSims();
  setupAccount();
  $("#do-add").addEventListener("click", openAdd);
  $("#do-sale").addEventListener("click", offerForSale);
  $("#do-code").addEventListener("click", offerForSale);
  for (const button of $$("[data-go]")) button.addEventListener("click", () => go(button.dataset.go));
  window.addEventListener("hashchange", () => show(screenFromHash()));
  show(screenFromHash());
}

start();
