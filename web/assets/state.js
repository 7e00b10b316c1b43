// What the page remembers between screens of one signed-in visit (never the token: api.js).
export const state = {
  devices: [], selected: null, sims: null, sale: null, stopCountdown: null, otpMsisdn: null,
  inNationalIdCartable: false, // a SIM session's SIM is in a national-ID cartable (GET /me)
  forgot: null, // forgot password: {national_id, msisdn} between its steps
  temporary: null, // the temporary password, in memory for the one PUT /me/password
  lead: null, // why the account screen was opened (409 password_required), shown there once
};

/** Forgets the cartable's data (a sign-in or a sign-out). */
export function forgetCartable() {
  Object.assign(state, { devices: [], selected: null, sims: null, sale: null, inNationalIdCartable: false });
}
