// Which screen is shown ("#/name"), the menu beside it, and signing in and out.
import { call, currentSession, saveSession } from "./api.js";
import { $, $$, el, notify, num } from "./dom.js";
import { maskMsisdn, maskNationalId } from "./digits.js";
import { forgetCartable, state } from "./state.js";

const PUBLIC = new Set(["login", "forgot", "inquiry", "status"]);
const NAV_CARTABLE = [
  ["devices", "مدیریت دستگاهها"], ["sims", "مدیریت سیم کارتها"], ["connections", "سیم کارتهای به نام شما"],
  ["activate", "فعال سازی تلفن همراه"],
  ["inquiry", "استعلام اصالت دستگاه"], ["status", "وضعیت شناسه دستگاه (IMEI)"],
  ["transfers", "سوابق انتقال مالکیت"], ["travellers", "اطلاعات ثبت مسافری"],
  ["repair", "ثبت گوشی تعمیراتی"], ["account", "حساب کاربری"],
];
// The SIMs the operators name for a national ID are shown to that national ID's cartable only.
const NATIONAL_ID_ONLY = new Set(["connections"]);
const NAV_PUBLIC = [
  ["login", "کارتابل من"], ["inquiry", "استعلام اصالت دستگاه"], ["status", "وضعیت شناسه دستگاه (IMEI)"],
];

let screens = {};

/** The screens' set-up functions by name (app.js's SCREENS table). */
export function useScreens(table) {
  screens = table;
}

function renderNav(current) {
  const nav = $("#nav");
  const session = currentSession();
  nav.textContent = "";
  if (session?.must_change_password) {
    nav.hidden = true;
    return;
  }
  nav.hidden = false;
  const items = session
    ? NAV_CARTABLE.filter(([screen]) => session.kind === "national_id" || !NATIONAL_ID_ONLY.has(screen)) : NAV_PUBLIC;
  for (const [screen, label] of items) {
    nav.append(el("button", { type: "button", "aria-current": screen === current ? "page" : null,
      onclick: () => go(screen) }, label));
  }
  if (session) nav.append(el("button", { type: "button", id: "logout", onclick: logout }, "خروج"));
  // A phone's one-row menu starts at its beginning, with this screen's item in view.
  if (nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = 0;
    const current = $("[aria-current]", nav);
    if (current) nav.scrollLeft += current.getBoundingClientRect().left < nav.getBoundingClientRect().left
      ? current.getBoundingClientRect().left - nav.getBoundingClientRect().left - 8 : 0;
  }
}

export function screenFromHash() {
  const name = location.hash.replace(/^#\/?/, "");
  return document.querySelector(`template[data-screen="${name}"]`) ? name : "";
}

/** Opens a screen now (so a message given right after it stays), with a history entry
 * so that the phone's back button returns to the screen before. */
export function go(name) {
  if (location.hash !== `#/${name}`) history.pushState(null, "", `#/${name}`);
  show(name, true);
}

export function show(requested, focus = Boolean(requested)) {
  const session = currentSession();
  let name = requested || (session ? "devices" : "login");
  if (session?.must_change_password) name = "mustchange";
  else if (!session && !PUBLIC.has(name)) name = "login";
  else if (session && (name === "login" || name === "forgot" || name === "mustchange")) name = "devices";
  else if (session?.kind !== "national_id" && NATIONAL_ID_ONLY.has(name)) name = "devices";
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
      session.kind === "sim" ? num(maskMsisdn(session.msisdn), "") : num(maskNationalId(session.national_id), ""));
  }
  const heading = $("h1", screen);
  document.title = `${heading.textContent} — سامانه همتا`;
  screens[name]?.(screen);
  if (focus) heading.focus();
}

/** 409 password_required (a sale or a repair from a SIM in no national-ID cartable): the
 * person is taken to «تشکیل کارتابل کد ملی» with the reason (account.js shows it). */
export function leadToNationalIdCartable(message) {
  state.lead = message;
  go("account");
}

export function signedIn(data) {
  saveSession({
    token: data.token,
    kind: data.cartable.kind,
    msisdn: data.cartable.msisdn || null,
    national_id: data.cartable.national_id || null,
    must_change_password: !!data.must_change_password,
  });
  forgetCartable();
  go(data.must_change_password ? "mustchange" : "devices");
}

export function signedOut(message, tab) {
  saveSession(null);
  forgetCartable();
  state.temporary = null;
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
