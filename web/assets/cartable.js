// The signed-in cartable's data shared by several screens: its SIMs and its devices.
import { call, currentSession } from "./api.js";
import { el } from "./dom.js";
import { toPersian } from "./digits.js";
import { state } from "./state.js";

export async function me() {
  if (!state.sims) {
    const data = await call("GET", "/me");
    state.sims = data.sims || [];
    state.inNationalIdCartable = Boolean(data.cartable?.in_national_id_cartable);
  }
  return state.sims;
}

/** For a national-ID cartable with more than one active SIM: which SIM the device goes on. */
export async function simChoice(box) {
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

export function selectedDevice() {
  return state.devices.find((d) => d.imeis[0] === state.selected) || null;
}

/** A sale or a repair from a SIM session asks for the password of the national-ID cartable
 * its SIM is in; a SIM in none has no password to give (the API answers 409
 * password_required), and a national-ID session proved it at login. */
export async function passwordAsked() {
  if (currentSession()?.kind !== "sim") return false;
  try {
    await me();
  } catch {
    return true;
  }
  return state.inNationalIdCartable;
}
