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

/** A copy of one of the page's <template>s: screens, steps and dialogs exist in the
 * document only while they are shown, so no hidden twin shares a control's name. */
function fromTemplate(id) {
  return document.getElementById(id).content.cloneNode(true);
}

function replaceWith(box, id) {
  box.textContent = "";
  box.append(fromTemplate(id));
  return box;
}

// ---- captcha -------------------------------------------------------------------------

/** A captcha picture from POST /captcha, with its answer field and a button for a new one. */
class Captcha {
  constructor(box) {
    this.id = null;
    this.timer = null;
    const uid = Math.random().toString(36).slice(2, 8);
    this.image = el("img", { alt: "تصویر کد امنیتی", width: "160", height: "60", class: "captcha-img" });
    this.input = el("input", { id: `captcha-${uid}`, name: "captcha_answer", type: "text",
      inputmode: "numeric", autocomplete: "off", dir: "ltr", "aria-describedby": `captcha-hint-${uid}` });
    box.append(
      el("label", { for: `captcha-${uid}` }, "کد امنیتی"),
      el("div", { class: "captcha-row" }, this.image,
        el("button", { type: "button", class: "small", onclick: () => this.refresh(true) }, "کد امنیتی جدید")),
      el("p", { class: "hint", id: `captcha-hint-${uid}` }, "کد امنیتی را به عدد وارد نمایید."),
      this.input,
    );
    this.refresh();
  }

  refresh(focus = false) {
    this.pending = this.load(focus);
    return this.pending;
  }

  async load(focus) {
    clearTimeout(this.timer);
    this.input.value = "";
    if (!this.input.isConnected && this.id) return;
    try {
      const data = await call("POST", "/captcha");
      this.id = data.captcha_id;
      this.image.src = data.image;
      this.image.alt = "تصویر کد امنیتی";
      // An expired captcha answers captcha_invalid: take a new one a little before.
      this.timer = setTimeout(() => this.input.isConnected && this.refresh(),
        Math.max(10, data.expires_in - 5) * 1000);
    } catch (error) {
      this.id = null;
      this.image.removeAttribute("src");
      this.image.alt = errorText(error);
    }
    if (focus) this.input.focus();
  }

  /** The captcha's id and the typed answer; waits for a picture still on its way. */
  async answer() {
    await this.pending;
    return { captcha_id: this.id || "", captcha_answer: normaliseNumber(this.input.value) };
  }
}

// ---- screens -------------------------------------------------------------------------

const NAV_CARTABLE = [
  ["devices", "مدیریت دستگاهها"], ["sims", "مدیریت سیم کارتها"], ["activate", "فعال سازی تلفن همراه"],
  ["inquiry", "استعلام اصالت دستگاه"], ["status", "وضعیت شناسه دستگاه (IMEI)"],
  ["transfers", "سوابق انتقال مالکیت"], ["travellers", "اطلاعات ثبت مسافری"],
  ["repair", "ثبت گوشی تعمیراتی"], ["account", "حساب کاربری"],
];
const NAV_PUBLIC = [
  ["login", "کارتابل من"], ["inquiry", "استعلام اصالت دستگاه"], ["status", "وضعیت شناسه دستگاه (IMEI)"],
];

function renderNav(current) {
  const nav = $("#nav");
  const session = currentSession();
  nav.textContent = "";
  if (session?.must_change_password) {
    nav.hidden = true;
    return;
  }
  nav.hidden = false;
  const items = session ? NAV_CARTABLE : NAV_PUBLIC;
  for (const [screen, label] of items) {
    nav.append(el("button", { type: "button", "aria-current": screen === current ? "page" : null,
      onclick: () => go(screen) }, label));
  }
  if (session) nav.append(el("button", { type: "button", id: "logout", onclick: logout }, "خروج"));
}

function screenFromHash() {
  const name = location.hash.replace(/^#\/?/, "");
  return document.querySelector(`template[data-screen="${name}"]`) ? name : "";
}

/** Opens a screen now (so a message given right after it stays), with a history entry
 * so that the phone's back button returns to the screen before. */
function go(name) {
  if (location.hash !== `#/${name}`) history.pushState(null, "", `#/${name}`);
  show(name, true);
}

function show(requested, focus = Boolean(requested)) {
  const session = currentSession();
  let name = requested || (session ? "devices" : "login");
  if (session?.must_change_password) name = "mustchange";
  else if (!session && !PUBLIC.has(name)) name = "login";
  else if (session && (name === "login" || name === "forgot" || name === "mustchange")) name = "devices";
  // The address always names the screen shown, so that back and reload return to it.
  if (location.hash !== `#/${name}`) history.replaceState(null, "", `#/${name}`);
  state.stopCountdown?.();
  $("#notice").textContent = "";
  const screen = $("#screen");
  screen.textContent = "";
  screen.dataset.screen = name;
  screen.append(document.querySelector(`template[data-screen="${name}"]`).content.cloneNode(true));
  for (const button of $$("[data-go]", screen)) button.addEventListener("click", () => go(button.dataset.go));
  renderNav(name);
  const who = $("#who");
  who.hidden = !session;
  if (session) {
    who.textContent = "";
    who.append(session.kind === "sim" ? "کارتابل سیم کارت " : "کارتابل کد ملی ",
      session.kind === "sim" ? num(maskMsisdn(session.msisdn), session.msisdn) : num(session.national_id));
  }
  const heading = $("h1", screen);
  document.title = `${heading.textContent} — سامانه همتا`;
  SCREENS[name]?.(screen);
  if (focus) heading.focus();
}

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
  state.sale = null;
  go(data.must_change_password ? "mustchange" : "devices");
}

function signedOut(message, tab) {
  saveSession(null);
  Object.assign(state, { devices: [], selected: null, sims: null, sale: null });
  if (tab) state.loginTab = tab;
  go("login");
  if (message) notify(message);
}

async function logout() {
  try {
    await call("POST", "/auth/logout");
  } catch {
    // the token is dropped here either way
  }
  signedOut("از سامانه خارج شدید.");
}

// ---- login: SIM and temporary password, national ID -----------------------------------

function enterLogin(screen) {
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

function enterForgot(screen) {
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

function enterDevices(screen) {
  $("#do-add", screen).addEventListener("click", openAdd);
  $("#do-sale", screen).addEventListener("click", offerForSale);
  $("#do-code", screen).addEventListener("click", offerForSale);
  renderDevices();
  loadDevices();
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

function selectedDevice() {
  return state.devices.find((d) => d.imeis[0] === state.selected) || null;
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
    panel.append(el("p", { class: "code-box" }, "کد فعال سازی برای خریدار: ",
      el("strong", {}, num(sale?.activation_code || device.activation_code)),
      sale?.expires_at ? ` — معتبر تا ${jalaliDateTime(sale.expires_at)}` : ""),
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
  await state.loading;
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

/** A modal dialog from a template; the page behind it is out of reach until it closes. */
function openDialog(id, setup) {
  const dialog = el("dialog", { "aria-labelledby": `${id}-title` });
  dialog.append(fromTemplate(id));
  const heading = $("h2", dialog);
  heading.id = `${id}-title`;
  document.body.append(dialog);
  const app = $("#app");
  app.setAttribute("aria-hidden", "true");
  app.inert = true;
  const opener = document.activeElement;
  dialog.addEventListener("click", (event) => {
    if (event.target.closest("[data-close]")) dialog.close();
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    app.removeAttribute("aria-hidden");
    app.inert = false;
    if (opener?.isConnected) opener.focus();
  });
  dialog.showModal();
  setup?.(dialog);
  $("input:not([type=radio]), select, button:not([data-close])", dialog)?.focus();
  return dialog;
}

async function openAdd() {
  let pending = null;
  const dialog = openDialog("tpl-dialog-add");
  const added = async (data) => {
    dialog.close();
    state.selected = data.device.imeis[0];
    await loadDevices();
    notify("دستگاه با موفقیت به کارتابل شما اضافه شد.");
  };
  const first = $("#add-device", dialog);
  simChoice($("[data-sim-choice]", first));
  onSubmit(first, async (form) => {
    pending = { imei: number(form, "imei") };
    if (form.elements.msisdn) pending.msisdn = form.elements.msisdn.value;
    try {
      await added(await call("POST", "/devices", pending));
    } catch (error) {
      if (error.code !== "previous_msisdn_required") throw error;
      // The guide's step five: the device was on a SIM that expired or changed hands.
      form.replaceWith(fromTemplate("tpl-add-previous"));
      const second = $("#add-previous", dialog);
      $("input", second).focus();
      onSubmit(second, async (form2) => {
        await added(await call("POST", "/devices", { ...pending, previous_msisdn: number(form2, "previous_msisdn") }));
      });
    }
  });
}

function openHistory(device) {
  openDialog("tpl-dialog-history", async (dialog) => {
    const list = $(".events", dialog);
    $("h2", dialog).textContent = `سوابق دستگاه ${toPersian(device.imeis[0])}`;
    try {
      const { events } = await call("GET", `/devices/${imeiPath(device.imeis[0])}/history`);
      for (const event of events) {
        const who = event.counterparty || event.msisdn;
        list.append(el("li", {},
          el("strong", {}, EVENT_FA[event.type] || event.type),
          " — ", event.at_jalali ? num(event.at_jalali) : jalaliDateTime(event.at),
          who ? el("span", {}, " — شماره: ", num(who.includes("*") ? who : maskMsisdn(who), who)) : null,
          event.detail && SOURCE_FA[event.detail] ? ` — ${SOURCE_FA[event.detail]}` : null));
      }
      if (!events.length) list.append(el("li", {}, "سابقه‌ای نیست."));
    } catch (error) {
      $(".error", dialog).textContent = errorText(error);
    }
  });
}

function openBlock(device) {
  openDialog("tpl-dialog-block", (dialog) => {
    onSubmit($("#block", dialog), async (form) => {
      const reason = form.elements.reason.value;
      await call("POST", `/devices/${imeiPath(device.imeis[0])}/block`, { reason });
      dialog.close();
      await loadDevices();
      notify(`گوشی به عنوان ${BLOCK_FA[reason]} ثبت و مسدود شد.`);
    });
  });
}

function openUnblock(device) {
  const nid = currentSession()?.kind === "national_id";
  openDialog("tpl-dialog-unblock", (dialog) => {
    // A national-ID cartable's block is lifted only with its password (API.md "Lost or stolen").
    if (!nid) $("#unblock-password-box", dialog).remove();
    onSubmit($("#unblock", dialog), async (form) => {
      await call("DELETE", `/devices/${imeiPath(device.imeis[0])}/block`, nid ? { password: form.elements.password.value } : {});
      dialog.close();
      await loadDevices();
      notify("مسدودی گوشی برداشته شد.");
    });
  });
}

// ---- activation, repair --------------------------------------------------------------

function enterActivate(screen) {
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

async function enterRepair(screen) {
  const form = $("#repair", screen);
  const select = $("#rep-device", form);
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
    const { device } = await call("POST", `/devices/${imeiPath(imei)}/repair`, body);
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

function inquiryScreen(kind) {
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

// ---- SIM management ---------------------------------------------------------------------

async function loadSims(screen) {
  const nid = currentSession()?.kind === "national_id";
  const error = $("#sims-error", screen);
  const body = $("#sim-table tbody", screen);
  try {
    const sims = nid ? (await call("GET", "/sims")).sims : (await call("GET", "/me")).sims;
    state.sims = sims;
    body.textContent = "";
    for (const sim of sims) {
      body.append(el("tr", { role: "row" },
        el("td", { role: "cell" }, num(sim.msisdn)),
        el("td", { role: "cell" }, STATUS_FA[sim.status] || sim.status),
        el("td", { role: "cell" }, nid ? el("button", { type: "button", class: "small",
          "aria-label": `حذف سیم کارت ${toPersian(sim.msisdn)}`, onclick: () => removeSim(screen, sim.msisdn) }, "حذف") : "")));
    }
  } catch (failure) {
    if (currentSession()) error.textContent = errorText(failure);
  }
}

async function removeSim(screen, msisdn) {
  $("#sims-error", screen).textContent = "";
  try {
    await call("DELETE", `/sims/${encodeURIComponent(msisdn)}`);
    state.sims = null;
    await loadSims(screen);
    notify(`سیم کارت ${toPersian(msisdn)} از کارتابل حذف شد.`);
  } catch (error) {
    $("#sims-error", screen).textContent = errorText(error);
  }
}

function enterSims(screen) {
  const nid = currentSession()?.kind === "national_id";
  // SIMs are added and removed only in a national-ID cartable; a SIM cartable is its one SIM.
  $(nid ? "#sims-simonly" : "#sims-nid", screen).remove();
  if (nid) addSimStep(screen);
  else $("#sims-simonly", screen).hidden = false;
  loadSims(screen);
}

function addSimStep(screen) {
  const form = $("#sim-add", screen);
  onSubmit(form, async () => {
    const adding = number(form, "msisdn");
    await call("POST", "/sims", { msisdn: adding });
    form.replaceWith(fromTemplate("tpl-sim-code"));
    const verify = $("#sim-verify", screen);
    $("#sim-verify-to", verify).append("اگر این سیم کارت به نام کد ملی شما و فعال باشد، کد تأیید به شماره ",
      num(adding), " پیامک شد. آن را وارد کنید.");
    $("#sim-code", verify).focus();
    const back = () => show("sims");
    $("#sim-verify-cancel", verify).addEventListener("click", back);
    onSubmit(verify, async () => {
      const data = await call("POST", "/sims/verify", { msisdn: adding, code: number(verify, "code") });
      state.sims = null;
      show("sims");
      notify(`سیم کارت ${toPersian(data.msisdn)} به کارتابل اضافه شد.`);
    });
  });
}

// ---- transfers, travellers --------------------------------------------------------------

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

const cell = (label, ...content) => el("td", { role: "cell", "data-label": label }, ...content);

function enterTransfers(screen) {
  loadTable(screen, "/transfers", "transfers", (t) => el("tr", { role: "row" },
    cell("نوع", t.direction === "out" ? "فروش" : "خرید"),
    cell("شناسه دستگاه (IMEI)", (t.imeis || []).map((imei) => el("div", {}, num(imei)))),
    cell("مدل تلفن همراه", [t.brand, t.model].filter(Boolean).join(" ") || "—"),
    cell("طرف مقابل", t.counterparty ? num(t.counterparty) : "—"),
    cell("تاریخ", t.at_jalali ? num(t.at_jalali) : jalaliDateTime(t.at))));
}

function enterTravellers(screen) {
  loadTable(screen, "/travellers", "registrations", (r) => el("tr", { role: "row" },
    cell("شماره ثبت", num(r.registration_id)),
    cell("شناسه دستگاه (IMEI)", (r.imeis || []).map((imei) => el("div", {}, num(imei)))),
    cell("مدل تلفن همراه", [r.brand, r.model].filter(Boolean).join(" ") || "—"),
    cell("تاریخ ورود", jalaliDate(`${r.entry_date}T12:00:00Z`)),
    cell("وضعیت", r.status === "activated" ? "فعال شده" : el("div", {}, "در انتظار فعال سازی",
      r.activation_code ? el("div", {}, "کد فعالسازی: ", num(r.activation_code)) : null))));
}

// ---- account -------------------------------------------------------------------------

function enterAccount(screen) {
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

function enterMustChange(screen) {
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

const SCREENS = {
  login: enterLogin,
  forgot: enterForgot,
  devices: enterDevices,
  activate: enterActivate,
  inquiry: inquiryScreen("inquiry"),
  status: inquiryScreen("status"),
  sims: enterSims,
  transfers: enterTransfers,
  travellers: enterTravellers,
  repair: enterRepair,
  account: enterAccount,
  mustchange: enterMustChange,
};

// ---- start -----------------------------------------------------------------------------

loadSession();
whenSessionLost(() => signedOut("نشست شما به پایان رسیده است. دوباره وارد شوید."));
// Screens are "#/name". The skip link moves the focus without a history entry of its own.
window.addEventListener("hashchange", () => {
  if (!location.hash || location.hash.startsWith("#/")) show(screenFromHash());
});
$(".skip").addEventListener("click", (event) => {
  event.preventDefault();
  $("#main").focus();
});
show(screenFromHash(), false);
