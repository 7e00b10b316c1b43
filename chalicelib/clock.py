"""The service's one clock, so tests move time instead of sleeping.

Every rule with a deadline (OTP, captcha, sessions, locks, SIM expiry) asks `now()`.
Tests call `advance()` / `reset()` (tests/conftest.py resets it around each test), and
`freeze()` where they compare times to the second.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

_offset = 0.0
_frozen: float | None = None  # tests: the moment time stands still at (freeze())

# Iran's wall clock, for Jalali dates and Iran's day. Iran has kept UTC+03:30 all year since
# it dropped daylight saving in 2022, and a fixed offset needs no tz database in the Lambda.
TEHRAN = timezone(timedelta(hours=3, minutes=30))


def now() -> float:
    """Seconds since the epoch, UTC."""
    return (time.time() if _frozen is None else _frozen) + _offset


def now_dt() -> datetime:
    return datetime.fromtimestamp(now(), tz=timezone.utc)


def advance(seconds: float) -> None:
    global _offset
    _offset += seconds


def freeze() -> None:
    """Tests: time stands still but for advance(), so a test's times compare exactly
    however long the machine takes between two steps."""
    global _frozen
    _frozen = time.time()


def reset() -> None:
    global _offset, _frozen
    _offset = 0.0
    _frozen = None
