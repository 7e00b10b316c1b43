"""The one error type of the service and every message it can say, in Persian and English.

Services raise `HamtaError("code")`; the web layer renders it as
`{"error": {"code", "message"}}` with the status from `MESSAGES`. Adding a code means
adding one row here, nowhere else.
"""
from __future__ import annotations

from typing import Any

# code: (HTTP status, Persian message, English message)
MESSAGES: dict[str, tuple[int, str, str]] = {
    "invalid_request": (400, "درخواست نامعتبر است.", "The request is not valid."),
    "invalid_msisdn": (400, "شماره تلفن همراه معتبر نیست.", "The mobile number is not valid."),
    "invalid_national_id": (400, "کد ملی معتبر نیست.", "The national ID is not valid."),
    "invalid_imei": (400, "شناسه دستگاه (IMEI) معتبر نیست.", "The IMEI is not valid."),
    "invalid_seen_at": (
        400,
        "زمان دیده شدن (seen_at) در آینده یا قدیمی‌تر از حد مجاز است.",
        "seen_at is in the future or older than the service accepts.",
    ),
    "invalid_birth_date": (400, "تاریخ تولد معتبر نیست.", "The birth date is not valid."),
    "invalid_tac": (
        400,
        "کد TAC (هشت رقم اول شناسه دستگاه) معتبر نیست.",
        "The TAC (the IMEI's first 8 digits) is not valid.",
    ),
    "imei_count_mismatch": (
        400,
        "تعداد شناسه‌های دستگاه (IMEI) با تعداد سیم کارت‌های این مدل همخوانی ندارد.",
        "The number of IMEIs does not fit this model's SIM slots.",
    ),
    "captcha_invalid": (
        400,
        "کد امنیتی اشتباه است یا منقضی شده است. کد امنیتی جدید دریافت کنید.",
        "The security code is wrong or has expired. Get a new one.",
    ),
    "weak_password": (
        400,
        "رمز عبور باید دست کم ۸ نویسه باشد و نباید کد ملی یا شماره تلفن همراه باشد.",
        "The password must have at least 8 characters and must not be the national ID "
        "or the mobile number.",
    ),
    "unauthorized": (
        401,
        "نشست شما معتبر نیست یا پایان یافته است. دوباره وارد شوید.",
        "Your session is not valid or has ended. Please sign in again.",
    ),
    "otp_invalid": (
        401,
        "رمز عبور موقت اشتباه است یا منقضی شده است.",
        "The temporary password is wrong or has expired.",
    ),
    "invalid_credentials": (
        401,
        "کد ملی یا رمز عبور اشتباه است.",
        "The national ID or the password is wrong.",
    ),
    "forbidden": (
        403,
        "این بخش برای کارتابل شما در دسترس نیست.",
        "This is not available to your cartable.",
    ),
    "password_change_required": (
        403,
        "با رمز عبور موقت فقط می‌توانید رمز عبور جدید تعیین کنید.",
        "With a temporary password you can only choose a new password.",
    ),
    "sim_not_owned": (
        403,
        "این سیم کارت طبق اطلاعات اپراتور متعلق به این کد ملی نیست.",
        "The operator's record does not name this national ID as the SIM's holder.",
    ),
    "not_found": (404, "موردی یافت نشد.", "Not found."),
    "cartable_exists": (
        409,
        "برای این کد ملی قبلاً کارتابل تشکیل شده است.",
        "A national-ID cartable already exists for this national ID.",
    ),
    "last_sim": (
        409,
        "آخرین سیم کارت فعال کارتابل را نمی‌توان حذف کرد.",
        "The cartable's last active SIM cannot be removed.",
    ),
    "previous_msisdn_required": (
        409,
        "شماره سیم کارت قبلی (سیم کارت منقضی یا واگذار شده) را وارد کنید.",
        "Enter the previous SIM number (the expired or transferred SIM).",
    ),
    "already_in_cartable": (
        409,
        "این دستگاه در کارتابل شما قرار دارد.",
        "This device is already in your cartable.",
    ),
    "already_registered": (
        409,
        "این شناسه دستگاه (IMEI) قبلاً ثبت شده است.",
        "This IMEI is already registered.",
    ),
    "device_blocked": (
        409,
        "این دستگاه به دلیل مفقودی یا سرقت مسدود است. ابتدا رفع مسدودی کنید.",
        "This device is blocked as lost or stolen. Unblock it first.",
    ),
    "sim_inactive": (
        409,
        "این سیم کارت فعال نیست یا در کارتابل شما نیست.",
        "This SIM is not active, or not an active SIM of your cartable.",
    ),
    "no_active_sim": (
        409,
        "کارتابل شما سیم کارت فعالی ندارد. سیم کارت جدید را از راه «فراموشی رمز عبور» اضافه کنید.",
        "Your cartable has no active SIM left. Add a new SIM through forgot password.",
    ),
    # The guide's menu (issue 12): models, repairs, travellers.
    "model_mismatch": (
        409,
        "شناسه جدید (IMEI) با مدل این دستگاه در جدول مدل‌های سامانه همخوانی ندارد.",
        "The new IMEI's TAC is not in the registry's model table with this device's brand and model.",
    ),
    "imei_in_use": (
        409,
        "شناسه دستگاه (IMEI) جدید متعلق به دستگاه دیگری است.",
        "The new IMEI already belongs to a device.",
    ),
    "registration_window_closed": (
        409,
        "مهلت ثبت مسافری برای این تاریخ ورود به پایان رسیده است یا تاریخ ورود در آینده است.",
        "The traveller registration window for this entry date has closed, or the date is in the future.",
    ),
    "traveller_quota_used": (
        409,
        "سهمیه ثبت مسافری این گذرنامه در یک سال گذشته استفاده شده است.",
        "This passport has used its traveller registrations for the past year.",
    ),
    "otp_resend_too_soon": (
        429,
        "رمز عبور موقت به تازگی ارسال شده است. {retry_after} ثانیه دیگر دوباره درخواست کنید.",
        "A temporary password was sent recently. Ask again in {retry_after} seconds.",
    ),
    "rate_limited": (
        429,
        "تعداد درخواست‌ها بیش از حد مجاز است. بعداً دوباره تلاش کنید.",
        "Too many attempts. Try again later.",
    ),
    "method_not_allowed": (
        405,
        "این روش درخواست برای این نشانی پشتیبانی نمی‌شود.",
        "This method is not supported for this address.",
    ),
    "unsupported_media_type": (
        415,
        "نوع محتوای درخواست پشتیبانی نمی‌شود. از application/json استفاده کنید.",
        "The request's content type is not supported. Use application/json.",
    ),
    "sms_unavailable": (
        503,
        "ارسال پیامک در حال حاضر ممکن نیست. چند دقیقه بعد دوباره تلاش کنید.",
        "The SMS could not be sent right now. Try again in a few minutes.",
    ),
    "service_unavailable": (
        503,
        "سامانه موقتاً در دسترس نیست. لحظاتی بعد دوباره تلاش کنید.",
        "The service is briefly unavailable. Please try again in a moment.",
    ),
    "internal_error": (
        500,
        "خطای داخلی رخ داد. دوباره تلاش کنید.",
        "An internal error occurred. Please try again.",
    ),
}

# The same code said more precisely where the caller's situation is known: (fa, en).
# HamtaError(code, reason=...) picks one; the code and status stay those of MESSAGES.
REASONS: dict[str, tuple[str, str]] = {
    "national_id_cartable_required": (
        "این بخش در کارتابل کد ملی است. ابتدا با «ثبت نام» کارتابل کد ملی بسازید و با کد ملی وارد شوید.",
        "This is part of a national-ID cartable. Create one first (POST /auth/register) "
        "and sign in with your national ID.",
    ),
    "partner_role": (
        "کلید این همکار برای این بخش مجاز نیست.",
        "This partner key's role may not use this route.",
    ),
    "temporary_password_session": (
        "نشست رمز عبور موقت را نمی‌توان از این راه بست. رمز عبور جدید تعیین کنید.",
        "A temporary-password session cannot do this. Choose a new password first.",
    ),
    "lost_race": (
        "این مورد هم‌زمان تغییر کرد. لحظاتی بعد دوباره تلاش کنید.",
        "This changed at the same moment elsewhere. Please try again in a moment.",
    ),
    "partner_key": (
        "کلید همکار (اپراتور، واردکننده یا گمرک) ارسال نشده یا معتبر نیست.",
        "The partner key is missing or not valid.",
    ),
    # Per route (ROUTE_REASONS): what to check, never which of two things was wrong.
    "activation_not_found": (
        "شناسه دستگاه (IMEI) یا کد فعالسازی درست نیست. هر دو را دوباره بررسی کنید.",
        "The IMEI or the activation code is wrong. Check both.",
    ),
    "recovery_not_found": (
        "این دستگاه با این شماره سیم کارت قبلی بازیابی نمی‌شود. شناسه دستگاه (IMEI) و شماره "
        "سیم کارتی را که گوشی روی آن بود و به نام شما بود، بررسی کنید.",
        "This device cannot be recovered with this previous number. Check the IMEI and the "
        "number the phone was on, held in your name.",
    ),
    "device_not_found": (
        "این دستگاه در کارتابل شما نیست. شناسه دستگاه (IMEI) را بررسی کنید.",
        "This device is not in your cartable. Check the IMEI.",
    ),
    "sim_not_found": (
        "این شماره در سیم کارتهای کارتابل شما نیست.",
        "This number is not one of your cartable's SIMs.",
    ),
    "cartable_password": (
        "رمز عبور کارتابل کد ملی اشتباه است.",
        "The national-ID cartable's password is wrong.",
    ),
    "current_password": (
        "رمز عبور فعلی اشتباه است.",
        "The current password is wrong.",
    ),
}

# (method, route, code) -> the REASONS row that says it for that route. The code and the
# status stay the same: only the words name what the person should check.
ROUTE_REASONS: dict[tuple[str, str, str], str] = {
    ("POST", "/devices/activate", "not_found"): "activation_not_found",
    ("POST", "/devices", "not_found"): "recovery_not_found",
    ("POST", "/devices/{imei}/transfer", "not_found"): "device_not_found",
    ("DELETE", "/devices/{imei}/transfer", "not_found"): "device_not_found",
    ("GET", "/devices/{imei}/history", "not_found"): "device_not_found",
    ("POST", "/devices/{imei}/block", "not_found"): "device_not_found",
    ("DELETE", "/devices/{imei}/block", "not_found"): "device_not_found",
    ("POST", "/devices/{imei}/repair", "not_found"): "device_not_found",
    ("DELETE", "/sims/{msisdn}", "not_found"): "sim_not_found",
    ("POST", "/devices/{imei}/transfer", "invalid_credentials"): "cartable_password",
    ("DELETE", "/devices/{imei}/block", "invalid_credentials"): "cartable_password",
    ("POST", "/devices/{imei}/repair", "invalid_credentials"): "cartable_password",
    ("PUT", "/me/password", "invalid_credentials"): "current_password",
}

# API.md "Conventions": every 503 carries Retry-After; these seconds where the raiser
# names none (the SMS gate names its window's end, a lost race 1).
RETRY_AFTER_503 = {"sms_unavailable": 60, "service_unavailable": 1}

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


class HamtaError(Exception):
    """A refusal the caller should see: a code from MESSAGES, maybe a retry delay, maybe
    the request field it is about (`invalid_request` names it), maybe a precise reason."""

    def __init__(
        self,
        code: str,
        retry_after: int | None = None,
        field: str | None = None,
        reason: str | None = None,
    ) -> None:
        if code not in MESSAGES:
            raise ValueError(f"unknown error code {code!r}")
        if reason is not None and reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        super().__init__(code)
        self.code = code
        if retry_after is None and MESSAGES[code][0] == 503:
            retry_after = RETRY_AFTER_503.get(code, 1)  # every 503 carries Retry-After
        self.retry_after = retry_after
        self.field = field
        self.reason = reason

    @property
    def status(self) -> int:
        return MESSAGES[self.code][0]

    def body(self, lang: str = "fa") -> dict[str, Any]:
        _, fa, en = MESSAGES[self.code]
        if self.reason is not None:
            fa, en = REASONS[self.reason]
        message = en if lang == "en" else fa
        if "{retry_after}" in message:
            seconds = self.retry_after if self.retry_after is not None else ""
            if lang != "en":
                seconds = str(seconds).translate(_PERSIAN_DIGITS)
            message = message.replace("{retry_after}", str(seconds))
        error: dict[str, Any] = {"code": self.code, "message": message}
        if self.field is not None:
            error["field"] = self.field
        body: dict[str, Any] = {"error": error}
        if self.retry_after is not None:
            # API.md puts it "in the body"; both places, so either reading finds it.
            error["retry_after"] = body["retry_after"] = self.retry_after
        return body

    def on_route(self, method: str, route: str) -> "HamtaError":
        """This error as `route` says it (ROUTE_REASONS), unless it has a reason already."""
        if self.reason is None:
            self.reason = ROUTE_REASONS.get((method, route, self.code))
        return self

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
