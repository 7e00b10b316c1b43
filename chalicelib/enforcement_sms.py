"""The Persian text of the SMS that network enforcement sends (warnings, blocked or cloned
phones seen), with dates in the Jalali calendar, Tehran time."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jdatetime

# Iran has kept UTC+03:30 all year since it dropped daylight saving in 2022; a fixed
# offset needs no tz database in the Lambda.
TEHRAN = timezone(timedelta(hours=3, minutes=30))

UNREGISTERED = "unregistered"
NOT_ACTIVATED = "not_activated"


def jalali_date(epoch: float) -> str:
    """Epoch seconds -> "1405/09/05" (Tehran's day)."""
    moment = datetime.fromtimestamp(epoch, tz=TEHRAN)
    return jdatetime.datetime.fromgregorian(datetime=moment).strftime("%Y/%m/%d")


def jalali_time(epoch: float) -> str:
    """Epoch seconds -> "1405/09/05 14:30" (Tehran time)."""
    moment = datetime.fromtimestamp(epoch, tz=TEHRAN)
    return jdatetime.datetime.fromgregorian(datetime=moment).strftime("%Y/%m/%d %H:%M")


def warning_text(imei: str, reason: str, cutoff: float) -> str:
    """To the SIM a phone was first seen with, when the pair is not put right."""
    if reason == UNREGISTERED:
        why = "در سامانه همتا ثبت نشده است"
        fix = "آن را ثبت و روی این سیم کارت فعال کنید"
    else:
        why = "در کارتابل این سیم کارت فعال نشده است"
        fix = "آن را از راه «فعال سازی تلفن همراه» روی این سیم کارت فعال کنید"
    return (
        f"سامانه همتا\nتلفن همراه با شناسه {imei} که با این سیم کارت در شبکه دیده شد {why}.\n"
        f"تا تاریخ {jalali_date(cutoff)} {fix}؛ پس از آن این تلفن همراه روی این سیم کارت "
        "خدمات نمی‌گیرد."
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
        f"سامانه همتا\nشناسه تلفن همراه شما ({imei}) در یک روز با چند سیم کارت مختلف در شبکه "
        "دیده شده است و احتمال جعل آن وجود دارد. این شناسه در استعلام همتا «تکراری» نشان داده می‌شود."
    )
