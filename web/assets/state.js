// What the page remembers between screens of one signed-in visit (never the token: api.js).
export const state = { devices: [], selected: null, sims: null, sale: null, stopCountdown: null, otpMsisdn: null };

/** Forgets the cartable's data (a sign-in or a sign-out). */
export function forgetCartable() {
  Object.assign(state, { devices: [], selected: null, sims: null, sale: null });
}
