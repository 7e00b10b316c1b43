"""Notices to a cartable's SIMs (API.md "Every SIM is told"): who is told, in what words, and the one send.

A notice names the device by brand and model at most: never a code, an IMEI or a phone
number, since the SIM told may be the thief's. A notice never fails the act it tells of:
`tell` is the one place a notice leaves, through the SMS gate (sms_gate.send_notice).
"""
from __future__ import annotations

from chalicelib import sms, sms_gate

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_CHECK = "اگر شما انجام نداده‌اید، به کارتابل خود در سامانه همتا بروید."


def _device(brand: str | None, model: str | None) -> str:
    name = sms.device_name(brand, model)
    return f"گوشی {name}" if name else "یک گوشی"


def sale_offered_text(brand: str | None, model: str | None) -> str:
    return f"سامانه همتا\nبرای {_device(brand, model)} کارتابل شما کد فروش صادر شد.\n{_CHECK}"


def sold_text(brand: str | None, model: str | None) -> str:
    return f"سامانه همتا\n{_device(brand, model)} با فروش از کارتابل شما خارج شد.\n{_CHECK}"


def repaired_text(brand: str | None, model: str | None) -> str:
    return f"سامانه همتا\nبرای {_device(brand, model)} کارتابل شما تعمیر و تعویض شناسه ثبت شد.\n{_CHECK}"


def sim_joined_text() -> str:
    return f"سامانه همتا\nیک سیم کارت به کارتابل کد ملی شما افزوده شد.\n{_CHECK}"


def password_changed_text() -> str:
    return f"سامانه همتا\nرمز عبور کارتابل کد ملی شما تغییر کرد.\n{_CHECK}"


def reset_used_text(hold_until: float) -> str:
    until = sms.jalali_time(hold_until).translate(_PERSIAN_DIGITS)
    return (
        "سامانه همتا\nرمز عبور کارتابل کد ملی شما بازیابی شد؛ فروش و ثبت تعمیر "
        f"تا {until} ممکن نیست.\n{_CHECK}"
    )


def is_notice(text: str) -> bool:
    """Is this SMS one of the notices above (they all end with the same line)?"""
    return text.endswith(_CHECK)


def tell(numbers: list[str], text: str) -> int:
    """Send `text` to each number once, through the SMS gate's notice class; how many
    left. The gate may hold one back (NOTICES_PER_NUMBER_PER_DAY) and never raises: the
    act this tells of has happened and stands."""
    return sum(1 for number in dict.fromkeys(numbers) if sms_gate.send_notice(number, text))
