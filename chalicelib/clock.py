"""The service's one clock, so tests move time instead of sleeping.

Every rule with a deadline (OTP, captcha, sessions, locks, SIM expiry) asks `now()`.
Tests call `advance()` / `reset()` (see tests/conftest.py's `clock` fixture).
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

_offset = 0.0

# Iran's wall clock, for Jalali dates and Iran's day. Iran has kept UTC+03:30 all year since
# it dropped daylight saving in 2022, and a fixed offset needs no tz database in the Lambda.
TEHRAN = timezone(timedelta(hours=3, minutes=30))


def now() -> float:
    """Seconds since the epoch, UTC."""
    return time.time() + _offset


def now_dt() -> datetime:
    return datetime.fromtimestamp(now(), tz=timezone.utc)


def advance(seconds: float) -> None:
    global _offset
    _offset += seconds


def reset() -> None:
    global _offset
    _offset = 0.0
