"""Every SMS text of the service (chalicelib/sms.py) is Persian and fits in two SMS segments,
measured with the longest values it can carry; docs/channels.md lists each with its count."""
from __future__ import annotations

import inspect
import os
import re

import pytest

from chalicelib import sms

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The longest value each parameter of a text can take. A text with a parameter not named
# here fails below: add its worst case, so nobody measures a text with short samples.
LONGEST = {
    "code": "999999",  # OTP and activation codes: six digits
    "password": "Ab3dEf7hJk12",  # passwords.new_temp_password: 12 letters and digits
    "until": "۱۴۰۵/۱۲/۲۹",  # a Jalali date
    "imei": "356707000000017",
    "reason": "lost",  # a block's reason: مفقودی is the longer
    "why": "not_activated",  # an enforcement warning's reason: the longer text
    "cutoff": 1795000000.0,  # epoch seconds: a Jalali date is always 10 characters
    "seen_at": 1795000000.0,
    "answer": {
        "imei": "356707000000017",
        "status": "replaced",  # the longest status line
        "brand": "B" * 100,
        "model": "M" * 100,
        "source": "manufacture",
        "flags": ["duplicate"],
    },
}


def texts() -> dict[str, str]:
    """{function name: its text at the longest values} for every *_text of sms.py."""
    found = {}
    for name, function in inspect.getmembers(sms, inspect.isfunction):
        if name.endswith("_text") and function.__module__ == sms.__name__:
            params = inspect.signature(function).parameters
            missing = set(params) - set(LONGEST)
            assert not missing, f"{name}: add the longest {missing} to LONGEST"
            found[name] = function(**{p: LONGEST[p] for p in params})
    return found


def test_there_are_texts_to_measure():
    assert {"otp_text", "inquiry_text", "inbound_help_text", "sale_code_text"} <= set(texts())


@pytest.mark.parametrize("name", sorted(texts()))
def test_each_text_is_persian_and_fits_two_segments(name):
    text = texts()[name]
    assert re.search("[\u0600-\u06ff]", text), name
    assert sms.segment_count(text) <= sms.MAX_SEGMENTS, (name, len(text))


def test_every_inquiry_status_fits_too():
    for status in [*sms.INQUIRY_STATUS, "a-status-added-later"]:
        answer = {**LONGEST["answer"], "status": status}
        assert sms.segment_count(sms.inquiry_text(answer)) <= sms.MAX_SEGMENTS, status


def test_every_reason_fits_too():
    for why in (sms.UNREGISTERED, sms.NOT_ACTIVATED):
        assert sms.segment_count(sms.warning_text(LONGEST["imei"], why, LONGEST["cutoff"])) <= sms.MAX_SEGMENTS
    for reason in ("lost", "stolen"):
        assert sms.segment_count(sms.block_text(LONGEST["imei"], reason)) <= sms.MAX_SEGMENTS


def test_segments_are_counted_as_phones_count_them():
    assert sms.segment_count("س" * 70) == 1
    assert sms.segment_count("س" * 71) == 2  # concatenated: 67 a segment
    assert sms.segment_count("س" * 134) == 2
    assert sms.segment_count("س" * 135) == 3
    assert sms.segment_count("a" * 160) == 1  # GSM-7
    assert sms.segment_count("a" * 161) == 2
    assert sms.segment_count("a" * 159 + "€") == 2  # an extended character takes two septets
    assert sms.segment_count("a" * 69 + "😀") == 2  # UCS-2 counts UTF-16 units


def test_the_channels_page_lists_every_text_with_its_segments():
    with open(os.path.join(ROOT, "docs", "channels.md"), encoding="utf-8") as f:
        page = f.read()
    for name, text in texts().items():
        row = re.search(rf"^\| `{name}` \| (\d+) \| (\d+) \|", page, re.MULTILINE)
        assert row, f"docs/channels.md: no row for {name}"
        assert (int(row[1]), int(row[2])) == (len(text), sms.segment_count(text)), name


def test_a_secret_is_the_only_ascii_word_of_its_text():
    """So a person (and tests/flows.secret_in) reads the secret without doubt."""
    for name, function in inspect.getmembers(sms, inspect.isfunction):
        params = set(inspect.signature(function).parameters)
        if name.endswith("_text") and params & {"code", "password"}:
            secret = LONGEST["code"] if "code" in params else LONGEST["password"]
            text = function(**{p: LONGEST[p] for p in params})
            assert re.findall(r"[A-Za-z0-9]{6,}", text) == [secret], name


@pytest.mark.parametrize(
    "status, phrase",
    [("registered", "ثبت شده"), ("not_registered", "ثبت نشده"), ("blocked", "مسدود"),
     ("replaced", "تعویض شده")],
)
def test_the_inquiry_answer_reads_every_status_the_inquiry_gives(status, phrase):
    answer = {"imei": "356707000000017", "status": status, "brand": "Apple",
              "model": "Apple iPhone 8", "source": "passenger", "flags": ["duplicate"]}
    text = sms.inquiry_text(answer)
    assert "356707000000017" in text and phrase in text
    assert "Apple iPhone 8" in text and "Apple Apple" not in text
    assert "مسافری" in text and "چند سیم کارت" in text
    assert "ثبت نشده" not in sms.inquiry_text({**answer, "status": "registered"})


ASCII_RUN = re.compile(r"[0-9]+")
PERSIAN_RUN = re.compile(r"[۰-۹]+")


@pytest.mark.parametrize("name", sorted(texts()))
def test_one_digit_rule_per_kind_of_message(name):
    """sms.py's rule: in a message with a secret, the secret is its only ASCII number and
    every other number (IMEI, date) is Persian; every other message is ASCII throughout."""
    params = set(inspect.signature(getattr(sms, name)).parameters)
    text = texts()[name]
    if params & {"code", "password"}:
        secret = LONGEST["code"] if "code" in params else LONGEST["password"]
        assert [run for run in ASCII_RUN.findall(text) if run not in secret] == [], text
    else:
        assert PERSIAN_RUN.findall(text) == [], text


def test_the_inquiry_answer_names_the_whole_model_when_it_fits():
    answer = {"imei": "356707000000017", "status": "registered", "brand": "Xiaomi",
              "model": "Redmi Note 13 Pro+ 5G", "source": "import"}
    assert "Xiaomi Redmi Note 13 Pro+ 5G" in sms.inquiry_text(answer)
    # Too long for two segments: cut just enough, still two segments.
    long_one = sms.inquiry_text({**answer, "model": "M" * 300})
    assert sms.segment_count(long_one) == 2 and "…" in long_one
