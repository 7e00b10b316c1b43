"""Every number a person types: ASCII, Persian and Arabic-Indic digits, spaces and dashes."""
from __future__ import annotations

from datetime import date

import pytest

from chalicelib import identifiers
from chalicelib.errors import HamtaError
from testkit import ids

FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
AR = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize("typed", [
    "09121234567", "9121234567", "+989121234567", "00989121234567", "989121234567",
    "0912 123 4567", "0912-123-4567", "+98 912 123 45 67",
    "09121234567".translate(FA), "+989121234567".translate(AR), "۰۹۱۲-۱۲۳-۴۵۶۷",
])
def test_msisdn_forms_name_one_sim(typed):
    assert identifiers.parse_msisdn(typed) == "09121234567"


@pytest.mark.parametrize("typed", [
    "02112345678",      # a Tehran landline
    "0912123456",       # too short
    "091212345678",     # too long
    "+449121234567",    # not Iran
    "09521234567",      # 095x is not a mobile range
    "0912123456a", "", "   ", "+", "0098",
])
def test_msisdn_that_is_no_iranian_mobile(typed):
    with pytest.raises(HamtaError) as raised:
        identifiers.parse_msisdn(typed)
    assert raised.value.code == "invalid_msisdn"


@pytest.mark.parametrize("typed", ["0012345679", "0023456787", "۰۰۱۲۳۴۵۶۷۹", "٠٠١٢٣٤٥٦٧٩",
                                   "001-234567-9"])
def test_valid_national_ids(typed):
    assert identifiers.parse_national_id(typed) == typed.translate(
        str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")).replace("-", "")


@pytest.mark.parametrize("typed", [
    "0012345678",   # wrong check digit
    "1111111111",   # ten equal digits (their check digit happens to fit)
    "0000000000",
    "1230000000",   # 4th to 9th digits all zero
    "123456789",    # nine digits
    "00123456790",  # eleven
    "abcdefghij",
])
def test_invalid_national_ids(typed):
    with pytest.raises(HamtaError) as raised:
        identifiers.parse_national_id(typed)
    assert raised.value.code == "invalid_national_id"


def test_generated_national_ids_and_imeis_are_valid():
    for _ in range(50):
        assert identifiers.is_valid_national_id(ids.national_id())
        assert identifiers.is_valid_imei(ids.imei())


@pytest.mark.parametrize("typed,expected", [
    ("490154203237518", "490154203237518"),
    ("۴۹۰۱۵۴۲۰۳۲۳۷۵۱۸", "490154203237518"),
    ("49-015420-323751-8", "490154203237518"),
])
def test_valid_imeis(typed, expected):
    assert identifiers.parse_imei(typed) == expected


@pytest.mark.parametrize("typed", ["490154203237519", "49015420323751", "4901542032375180", "x" * 15])
def test_invalid_imeis(typed):
    with pytest.raises(HamtaError) as raised:
        identifiers.parse_imei(typed)
    assert raised.value.code == "invalid_imei"


@pytest.mark.parametrize("typed", ["1370/05/12", "۱۳۷۰/۰۵/۱۲", "1370/5/12", "1991-08-03"])
def test_jalali_and_gregorian_birth_dates_name_the_same_day(typed):
    assert identifiers.parse_birth_date(typed) == date(1991, 8, 3)


@pytest.mark.parametrize("typed", ["1370/13/01", "1370/12/31", "2020-02-30", "1991/08/03x",
                                   "03-08-1991", "1370-05", "", "2999-01-01"])
def test_invalid_birth_dates(typed):
    # 1370 was not a leap year in the Jalali calendar: Esfand had 29 days.
    with pytest.raises(HamtaError) as raised:
        identifiers.parse_birth_date(typed)
    assert raised.value.code == "invalid_birth_date"


def test_masks_show_no_whole_number():
    assert identifiers.mask_msisdn("09121234567") == "0912***4567"
    assert "345" not in identifiers.mask_national_id("0012345679")


def test_each_identifier_error_reaches_http(api):
    cases = [
        ("/auth/otp", {"msisdn": "0211234567", "captcha_id": "x", "captcha_answer": "1"},
         "invalid_msisdn"),
        ("/auth/login", {"national_id": "1111111111", "password": "whatever1",
                         "captcha_id": "x", "captcha_answer": "1"}, "invalid_national_id"),
        ("/auth/password/forgot", {"national_id": ids.national_id(), "msisdn": ids.msisdn(),
                                   "birth_date": "1370/13/01", "channel": "sms"},
         "invalid_birth_date"),
    ]
    for path, body, code in cases:
        status, data, _ = api.post(path, body)
        assert (status, data["error"]["code"]) == (400, code), path
    status, data, _ = api.get("/imei/490154203237519")
    assert (status, data["error"]["code"]) == (400, "invalid_imei")
