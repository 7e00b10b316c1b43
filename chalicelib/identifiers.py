"""What people type, made canonical: msisdn, national ID (کد ملی), IMEI, birth date, codes,
and what partners send: a TAC, a passport number, an entry date.

Each `parse_*` accepts ASCII, Persian (۰-۹) and Arabic-Indic (٠-٩) digits with spaces and
dashes ignored, and returns the canonical form or raises the API.md 400 error. Digits of
any other script (fullwidth ０-９, Devanagari, ...) are not digits here: every pattern is
`re.ASCII` and runs after the mapping, so `\d` and `int()` never see them.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Callable

from chalicelib.errors import HamtaError

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
# Spaces of every kind, ASCII and Unicode dashes, and the zero-width joiners a Persian
# keyboard leaves behind.
_IGNORED = re.compile(r"[\s\-\u2010-\u2015\u2212\u200c\u200d\u200e\u200f]")

# Iranian mobile numbers: 9 then the operator digit (0 to 4 or 9), then 8 digits.
_MOBILE = re.compile(r"9[0-49]\d{8}", re.ASCII)


_TEN_DIGITS = re.compile(r"\d{10}", re.ASCII)
_FIFTEEN_DIGITS = re.compile(r"\d{15}", re.ASCII)


def normalize_digits(value: str) -> str:
    """Persian and Arabic-Indic digits to ASCII; spaces and dashes removed."""
    return _IGNORED.sub("", value.translate(_DIGITS))


def _typed(value: object, error: str) -> str:
    if not isinstance(value, str):
        raise HamtaError(error)
    return normalize_digits(value)


def parse_msisdn(value: object) -> str:
    """Any written form of an Iranian mobile number -> `09XXXXXXXXX`."""
    text = _typed(value, "invalid_msisdn")
    for prefix in ("+98", "0098", "98", "0"):
        if text.startswith(prefix) and len(text) - len(prefix) == 10:
            text = text[len(prefix):]
            break
    if not _MOBILE.fullmatch(text):
        raise HamtaError("invalid_msisdn")
    return "0" + text


def to_e164(msisdn: str) -> str:
    """`09121234567` -> `+989121234567` (what SNS wants)."""
    return "+98" + msisdn[1:]


def mask_msisdn(msisdn: str) -> str:
    """`09121234567` -> `0912***4567`: enough for its holder to recognise, no more."""
    return msisdn[:4] + "***" + msisdn[-4:]


def mask_national_id(national_id: str) -> str:
    """For logs only: never a whole national ID there."""
    return national_id[:3] + "****" + national_id[-3:]


def is_valid_national_id(text: str) -> bool:
    if not _TEN_DIGITS.fullmatch(text):
        return False
    if len(set(text)) == 1 or text[3:9] == "000000":
        return False
    total = sum(int(text[i]) * (10 - i) for i in range(9)) % 11
    check = total if total < 2 else 11 - total
    return int(text[9]) == check


def parse_national_id(value: object) -> str:
    text = _typed(value, "invalid_national_id")
    if not is_valid_national_id(text):
        raise HamtaError("invalid_national_id")
    return text


def is_valid_imei(text: str) -> bool:
    if not _FIFTEEN_DIGITS.fullmatch(text):
        return False
    total = 0
    for i, ch in enumerate(reversed(text)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def parse_imei(value: object) -> str:
    text = _typed(value, "invalid_imei")
    if not is_valid_imei(text):
        raise HamtaError("invalid_imei")
    return text


_DATE = re.compile(r"(\d{4})[/\-](\d{1,2})[/\-](\d{1,2})", re.ASCII)
# Below this a year is a Jalali one (1300s-1400s now); above it, Gregorian. So a Jalali date
# typed with dashes (1370-05-12) and an ISO date both name the right day.
_FIRST_GREGORIAN_YEAR = 1700


def parse_birth_date(value: object, today: date | None = None) -> date:
    """Jalali `1370/05/12` or ISO `1991-08-03` -> the Gregorian day both name."""
    if not isinstance(value, str):
        raise HamtaError("invalid_birth_date")
    # Dashes separate the fields here, so only digits and spaces are normalised.
    text = re.sub(r"\s", "", value.translate(_DIGITS))
    try:
        m = _DATE.fullmatch(text)
        if m is None:
            raise ValueError(text)
        year, month, day_of_month = int(m[1]), int(m[2]), int(m[3])
        if year < _FIRST_GREGORIAN_YEAR:
            import jdatetime  # on first use: only a Jalali birth date needs it

            day = jdatetime.date(year, month, day_of_month).togregorian()
        elif "/" in text:
            raise ValueError(text)  # slashes are the Jalali form only
        elif len(m[2]) != 2 or len(m[3]) != 2:
            raise ValueError(text)  # ISO: YYYY-MM-DD
        else:
            day = date(year, month, day_of_month)
    except ValueError:
        raise HamtaError("invalid_birth_date") from None
    if day.year < 1900 or day > (today or date.today()):
        raise HamtaError("invalid_birth_date")
    return day


def parse_code(value: object, field: str = "code") -> str:
    """A code a person types (OTP, activation code), digits made ASCII.

    Its shape is not judged here: a wrong code is answered like any wrong code. Digits of
    another script are refused (400 invalid_request naming the field), never compared.
    """
    if not isinstance(value, str) or len(value) > 64:
        raise HamtaError("invalid_request", field=field)
    text = normalize_digits(value)
    if has_foreign_digits(text):
        raise HamtaError("invalid_request", field=field)
    return text


def has_foreign_digits(text: str) -> bool:
    """Digits of a script other than ASCII (Persian and Arabic-Indic already mapped)."""
    return any(ch.isdecimal() and not ch.isascii() for ch in text)


_TAC = re.compile(r"[0-9]{8}", re.ASCII)
# Passport numbers: letters and digits (Iran's are a letter and 8 digits; others vary).
_PASSPORT = re.compile(r"[A-Z0-9]{5,20}", re.ASCII)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def parse_tac(value: object) -> str:
    """A model's TAC (an IMEI's first 8 digits) in any script API.md allows; else 400 invalid_tac."""
    text = _typed(value, "invalid_tac")
    if not _TAC.fullmatch(text):
        raise HamtaError("invalid_tac")
    return text


def parse_passport(value: object) -> str:
    """A passport number, upper-cased; else 400 invalid_request."""
    text = _typed(value, "invalid_request").upper()
    if not _PASSPORT.fullmatch(text):
        raise HamtaError("invalid_request")
    return text


def parse_entry_date(value: object) -> date:
    """A traveller's ISO entry day; else 400 invalid_request."""
    if not isinstance(value, str):
        raise HamtaError("invalid_request")
    # Digits of the scripts API.md allows; the dashes are the date's own, not ignored here.
    text = value.strip().translate(_DIGITS)
    if not _ISO_DAY.fullmatch(text):
        raise HamtaError("invalid_request")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HamtaError("invalid_request") from None


class Parsed:
    """A typed field parsed once, early (a route names from it what to read ahead with the
    session), its error kept for the point where the field is judged, so earlier answers
    (401, the body's 400) still come first."""

    def __init__(self, parse: Callable[[Any], Any], text: Any) -> None:
        self._parse, self.text, self.value, self._error = parse, text, None, None
        try:
            self.value = parse(text)
        except HamtaError as error:
            self._error = error

    def get(self, text: Any = None) -> Any:
        """The value (or its error) of `text`, the field as the body gave it; parsed anew
        only if it is not the text parsed ahead."""
        if text is not None and text != self.text:
            return self._parse(text)
        if self._error is not None:
            raise self._error
        return self.value
