// Digits as people type them (Persian ۰-۹, Arabic-Indic ٠-٩, spaces, dashes) and as the page shows them.
const PERSIAN = "۰۱۲۳۴۵۶۷۸۹";
const ARABIC = "٠١٢٣٤٥٦٧٨٩";

/** Persian and Arabic-Indic digits to ASCII; nothing else changes. */
export function toAscii(text) {
  return String(text ?? "")
    .replace(/[۰-۹]/g, (d) => String(PERSIAN.indexOf(d)))
    .replace(/[٠-٩]/g, (d) => String(ARABIC.indexOf(d)));
}

/** A typed number (IMEI, code, mobile number): ASCII digits, without spaces, dashes or
 * the invisible marks a phone's keyboard or a copied text brings (ZWNJ, LRM, RLM). */
export function normaliseNumber(text) {
  return toAscii(text).replace(/[\s\-_\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "");
}

/** ASCII digits to Persian ones, for everything the page shows. */
export function toPersian(text) {
  return String(text ?? "").replace(/[0-9]/g, (d) => PERSIAN[Number(d)]);
}

/** A mobile number masked as the API masks one (0930***4567), in Persian digits: one
 * format on every screen, the API's masked numbers included. */
export function maskMsisdn(msisdn) {
  const number = toAscii(msisdn);
  if (!/^09[0-9]{9}$/.test(number)) return toPersian(number);
  return toPersian(`${number.slice(0, 4)}***${number.slice(7)}`);
}

/** A national ID masked the same way (001***89): the header chip never shows it whole. */
export function maskNationalId(nationalId) {
  const number = toAscii(nationalId);
  if (!/^[0-9]{10}$/.test(number)) return toPersian(number);
  return toPersian(`${number.slice(0, 3)}***${number.slice(8)}`);
}
