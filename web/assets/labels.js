// The Persian words the page shows for the API's codes (statuses, reasons, events, sources).
export const STATUS_FA = { active: "فعال", expired: "منقضی", transferred: "واگذار شده" };
export const DEVICE_STATUS_FA = { active: "فعال", transfer_pending: "در انتظار انتقال به خریدار", blocked: "مسدود" };
export const BLOCK_FA = { lost: "مفقود شده", stolen: "سرقت شده" };
export const EVENT_FA = {
  registered: "ثبت در سامانه", activated: "فعال سازی", transfer_offered: "تولید کد انتقال مالکیت",
  transfer_cancelled: "لغو فروش", transferred: "انتقال مالکیت", detached: "جدا شدن از سیم کارت منقضی یا واگذار شده",
  recovered: "بازیابی در کارتابل", repaired: "ثبت گوشی تعمیراتی", blocked: "اعلام مفقودی یا سرقت",
  unblocked: "رفع مسدودی",
};
// A repair's refusals in plain words, by the new IMEI's field (the API's own are terser).
export const REPAIR_FA = {
  not_a_repair_part: "این شناسه به عنوان قطعه تعمیراتی از یک مرکز خدمات مجاز ثبت نشده یا پیش از این برای تعمیر گوشی دیگری به کار رفته است. شناسه جدید را از برگه تعمیر مرکز خدمات دوباره بخوانید.",
  model_mismatch: "این قطعه تعمیراتی برای برند و مدل دیگری ثبت شده است. شناسه جدید باید از قطعه همین مدل گوشی باشد.",
};
export const SOURCE_FA = { import: "واردات", manufacture: "تولید داخل", passenger: "مسافری" };
