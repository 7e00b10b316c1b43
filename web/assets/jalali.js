// Dates in the Jalali (Solar Hijri) calendar, Iran's time, Persian digits: the browser's own
// calendar data (ICU's "persian" calendar), so the page ships no conversion tables.
const DATE = new Intl.DateTimeFormat("fa-IR-u-ca-persian-nu-arabext", {
  timeZone: "Asia/Tehran", year: "numeric", month: "2-digit", day: "2-digit",
});
const TIME = new Intl.DateTimeFormat("fa-IR-u-nu-arabext", {
  timeZone: "Asia/Tehran", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

function parts(format, date) {
  const out = {};
  for (const part of format.formatToParts(date)) out[part.type] = part.value;
  return out;
}

function toDate(value) {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "۱۴۰۵/۰۹/۰۴" for an ISO instant or a Date; "" for anything else. */
export function jalaliDate(value) {
  const date = toDate(value);
  if (!date) return "";
  const p = parts(DATE, date);
  return `${p.year}/${p.month}/${p.day}`;
}

/** "۱۴۰۵/۰۹/۰۴ ساعت ۱۳:۰۵" (Tehran time). */
export function jalaliDateTime(value) {
  const date = toDate(value);
  if (!date) return "";
  const t = parts(TIME, date);
  return `${jalaliDate(date)} ساعت ${t.hour}:${t.minute}`;
}
