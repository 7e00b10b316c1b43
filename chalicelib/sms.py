"""The Persian text of every SMS the service sends (they go out through sms_gate.py).

Digits, one rule per kind of message (tests/test_sms_texts.py holds each text to it):
- A message that carries a secret (a code or a temporary password): the secret is ASCII,
  so any phone shows it and a person types it as is; every other number in it (an IMEI, a
  date) is in Persian digits, so the secret is the message's one ASCII word.
- Every other message (answers, notices, warnings, help) and every USSD reply without a
  secret: every number is ASCII (an IMEI, a phone number, a date and time, a count, *7777#,
  *#06#, a menu or row number), as the phone's keypad and its *#06# screen show them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

import jdatetime

from chalicelib import clock


def persian_digits(text: str) -> str:
    """ASCII digits to Persian ones (۰-۹): the numbers a message only asks to read."""
    return text.translate(_TO_PERSIAN)


_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def otp_text(code: str) -> str:
    return f"سامانه همتا\nرمز عبور موقت شما: {code}\nاین رمز را در اختیار دیگران قرار ندهید."


def add_sim_text(code: str) -> str:
    return (
        f"سامانه همتا\nرمز عبور موقت افزودن این سیم کارت به کارتابل کد ملی: {code}\n"
        "اگر شما درخواست نکرده‌اید، آن را به کسی ندهید."
    )


def temp_password_text(password: str) -> str:
    return (
        f"سامانه همتا\nرمز عبور موقت کارتابل کد ملی: {password}\n"
        "پس از ورود با این رمز، رمز عبور جدید تعیین کنید."
    )


# --- Texts of the phone's own channels (USSD *7777# and SMS to 7777) and their measure.

# GSM 03.38 basic set: a text made only of these fits 160 characters a segment; anything
# else (every Persian letter) is sent as UCS-2: 70 a segment, 67 when concatenated.
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")  # two septets each
MAX_SEGMENTS = 2  # every text of the service fits in two SMS (issue 14)

# How the inquiry's status reads (API.md "Public IMEI inquiry"); an unknown one is shown as is.
INQUIRY_STATUS = {
    "registered": "در سامانه ثبت شده است.",
    "not_registered": "در سامانه ثبت نشده است.",
    "blocked": "مسدود است (مفقود یا سرقتی).",
    "replaced": "با تعمیر تعویض شده و معتبر نیست.",
}
SOURCES = {"import": "واردات", "manufacture": "تولید داخل", "passenger": "مسافری"}
FLAGS = {"duplicate": "هشدار: با چند سیم کارت دیده شده."}
DEVICE_NAME_MAX = 26  # brand + model on one line of a USSD list, where rows share 160 characters


def segment_count(text: str) -> int:
    """SMS segments `text` takes: GSM-7 (160 / 153) or UCS-2 (70 / 67, UTF-16 units)."""
    if all(c in _GSM7 or c in _GSM7_EXTENDED for c in text):
        units = sum(2 if c in _GSM7_EXTENDED else 1 for c in text)
        single, part = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
    return 1 if units <= single else -(-units // part)


def device_name(brand: str | None, model: str | None, limit: int | None = None) -> str:
    """"Brand Model", without the brand twice ("Apple Apple iPhone 8"); whole unless a
    `limit` is given and the name is longer (then cut, with "…")."""
    brand, model = (brand or "").strip(), (model or "").strip()
    name = model if brand and model.lower().startswith(brand.lower()) else f"{brand} {model}".strip()
    return name if limit is None or len(name) <= limit else name[: max(1, limit - 1)] + "…"


def fit_name(compose: Callable[[str], str], name: str, fits: Callable[[str], bool]) -> str:
    """`compose(name)` with the whole name if `fits` it, else the name cut just enough."""
    text = compose(name)
    limit = len(name)
    while not fits(text) and limit > 1:
        limit -= 1
        text = compose(name[: limit - 1] + "…")
    return text


def inquiry_text(answer: dict) -> str:
    """The inquiry's answer (services/registry/inquiry.py) in Persian: by SMS, and as a USSD reply.
    The model's whole name, unless the answer would then pass two SMS segments."""
    status = answer.get("status", "")
    head = f"همتا: شناسه {answer.get('imei', '')} {INQUIRY_STATUS.get(status, status)}"
    source = f"({SOURCES[answer['source']]})" if answer.get("source") in SOURCES else ""
    flags = [FLAGS.get(flag, flag) for flag in answer.get("flags") or []]

    def compose(name: str) -> str:
        details = " ".join(d for d in (name, source) if d)
        return "\n".join([head, *([details] if details else []), *flags])

    name = device_name(answer.get("brand"), answer.get("model"))
    return fit_name(compose, name, lambda text: segment_count(text) <= MAX_SEGMENTS and len(text) <= 160)


def inbound_help_text() -> str:
    return "همتا: برای استعلام اصالت، IMEI گوشی (15 رقم، با *#06#) را بفرستید."


def inbound_invalid_imei_text() -> str:
    return "همتا: این شناسه (IMEI) معتبر نیست. 15 رقم آن را از *#06# بخوانید."


def sale_code_text(code: str, until: str) -> str:
    """The sale's activation code (انتقال مالکیت/فروش) by USSD: the code is its one ASCII
    word (the date in Persian digits)."""
    return (
        f"همتا: کد فعالسازی فروش دستگاه: {code}\nاعتبار تا {persian_digits(until)}. "
        "این کد را فقط به خریدار بدهید."
    )


# Dates in texts: the Jalali calendar, Tehran time (clock.TEHRAN).


def jalali_date(epoch: float) -> str:
    """Epoch seconds -> "1405/09/05" (Tehran's day)."""
    moment = datetime.fromtimestamp(epoch, tz=clock.TEHRAN)
    return jdatetime.datetime.fromgregorian(datetime=moment).strftime("%Y/%m/%d")


def jalali_time(epoch: float) -> str:
    """Epoch seconds -> "1405/09/05 14:30" (Tehran time)."""
    moment = datetime.fromtimestamp(epoch, tz=clock.TEHRAN)
    return jdatetime.datetime.fromgregorian(datetime=moment).strftime("%Y/%m/%d %H:%M")


def traveller_activation_text(imei: str, code: str) -> str:
    """To a traveller's SIM: the code is the message's one ASCII word (the IMEI goes in
    Persian digits)."""
    return (
        f"سامانه همتا\nگوشی مسافری {persian_digits(imei)} ثبت شد.\nکد فعال سازی: {code}\n"
        "آن را در «فعال سازی تلفن همراه» فعال کنید."
    )


_BLOCK_REASON = {"lost": "مفقودی", "stolen": "سرقت"}


def block_text(imei: str, reason: str) -> str:
    """To the active SIMs of the cartable whose device was blocked (lost or stolen)."""
    return (
        f"سامانه همتا\nدستگاه {imei} به دلیل {_BLOCK_REASON.get(reason, reason)} مسدود شد و در "
        "شبکه کار نمی‌کند.\nاگر شما درخواست نکرده‌اید به کارتابل خود بروید."
    )


def unblock_text(imei: str) -> str:
    return (
        f"سامانه همتا\nدستگاه {imei} رفع مسدودی شد.\n"
        "اگر شما درخواست نکرده‌اید، به کارتابل خود مراجعه کنید."
    )


# Network enforcement: why a pair is warned.
UNREGISTERED = "unregistered"
NOT_ACTIVATED = "not_activated"


def warning_text(imei: str, why: str, cutoff: float) -> str:
    """To the SIM a phone was first seen with, when the pair is not put right: the cut-off
    as a Jalali date and a time in Tehran (the pair is blocked from that instant)."""
    # Two segments at most with the time in it: "on this SIM" is said once.
    if why == UNREGISTERED:
        state, fix = "ثبت نشده است", "آن را ثبت و فعال کنید"
    else:
        state, fix = "روی آن فعال نشده است", "آن را فعال کنید"
    day, hour = jalali_time(cutoff).split(" ")
    return (
        f"سامانه همتا\nگوشی {imei} با این سیم کارت دیده شد و {state}. "
        f"تا تاریخ {day} ساعت {hour} {fix}."
    )


def blocked_seen_text(imei: str, seen_at: float) -> str:
    """To the active SIMs of a blocked phone's owner (never which SIM it was seen with)."""
    return (
        f"سامانه همتا\nتلفن همراه مسدود شده شما با شناسه {imei} در تاریخ {jalali_time(seen_at)} "
        "در شبکه دیده شد."
    )


def duplicate_text(imei: str) -> str:
    """To the owner's active SIMs when their IMEI is seen on too many SIMs (a clone)."""
    return (
        f"سامانه همتا\nشناسه گوشی شما ({imei}) با چند سیم کارت در شبکه دیده شد و احتمال جعل "
        "آن هست. استعلام آن «تکراری» است."
    )
