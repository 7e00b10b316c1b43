// The Hamta web page: every flow of API.md a person uses, over the same-origin API.
// This module only wires the screens (one module per screen or area) to the router.
import { loadSession, whenSessionLost } from "./api.js";
import { enterAccount } from "./account.js";
import { enterActivate, enterRepair } from "./activate.js";
import { enterConnections } from "./connections.js";
import { enterDevices } from "./devices.js";
import { $ } from "./dom.js";
import { inquiryScreen } from "./inquiry.js";
import { enterForgot, enterLogin, enterMustChange } from "./login.js";
import { enterTransfers, enterTravellers } from "./records.js";
import { screenFromHash, show, signedOut, useScreens } from "./router.js";
import { enterSims } from "./sims.js";

const SCREENS = {
  login: enterLogin,
  forgot: enterForgot,
  devices: enterDevices,
  activate: enterActivate,
  inquiry: inquiryScreen("inquiry"),
  status: inquiryScreen("status"),
  sims: enterSims,
  connections: enterConnections,
  transfers: enterTransfers,
  travellers: enterTravellers,
  repair: enterRepair,
  account: enterAccount,
  mustchange: enterMustChange,
};

useScreens(SCREENS);
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
