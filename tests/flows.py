"""Sign-in flows driven through the real HTTP routes, for any test that needs a cartable.

Captcha: the helpers go through the REAL captcha check (CAPTCHA_MODE stays "image").
`captcha(api)` learns the answer by choosing it: for the one POST /captcha it makes, it
swaps `chalicelib.captcha.new_answer` (the only source of answers) for one that returns a
known value, then puts the original back. No fixture and no setting is needed.
(If you prefer the documented local-test switch instead, use the `captcha_off` fixture:
`pytestmark = pytest.mark.usefixtures("captcha_off")` after importing it from here.)

SMS: codes and temporary passwords are read from the emulated SNS (`conftest.sms_sent()`);
each message carries exactly one ASCII word, the secret.

Resend timer: signing in twice with one number inside OTP_RESEND_SECONDS would answer 429;
`sim_login` then moves the clock forward by Retry-After (`clock.advance`) and asks again.
Keep that in mind if your test also measures other deadlines across two logins.

Typical use:
    msisdn, nid = ids.msisdn(), ids.national_id()
    api.operator_sim(msisdn, nid)             # the operator names the holder
    sim_token = sim_login(api, msisdn)        # a SIM cartable
    register_cartable(api, sim_token, nid)    # its national-ID cartable
    nid_token = nid_login(api, nid)           # password defaults to PASSWORD
or in one go: `nid, msisdn, nid_token = new_nid_cartable(api)`.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator, NamedTuple

import pytest

from chalicelib import captcha as captcha_module
from chalicelib import clock
from chalicelib.identifiers import to_e164
from testkit import ids
from tests.conftest import sms_sent

PASSWORD = "a-Strong-pass-1"
BIRTH_DATE = "1370/05/12"
KNOWN_ANSWER = "24680"

_SECRET_WORD = re.compile(r"[A-Za-z0-9]{6,}")


@pytest.fixture
def captcha_off(set_env):
    """CAPTCHA_MODE=off for one test: any answer passes (the captcha id must still be real)."""
    set_env(CAPTCHA_MODE="off")


@contextmanager
def known_captcha_answer(answer: str = KNOWN_ANSWER) -> Iterator[None]:
    """Captchas made inside this block have `answer` as their answer."""
    original = captcha_module.new_answer
    captcha_module.new_answer = lambda: answer
    try:
        yield
    finally:
        captcha_module.new_answer = original


def captcha(api) -> tuple[str, str]:
    """POST /captcha; returns (captcha_id, its answer)."""
    with known_captcha_answer():
        status, data, _ = api.post("/captcha")
    assert status == 201, data
    return data["captcha_id"], KNOWN_ANSWER


def messages_to(msisdn: str) -> list[str]:
    """Texts of every SMS sent to that number so far, oldest first."""
    e164 = to_e164(msisdn)
    return [text for number, text in sms_sent() if number == e164]


def secret_in(text: str) -> str:
    """The one ASCII word (code or temporary password) of an SMS."""
    words = _SECRET_WORD.findall(text)
    assert len(words) == 1, text
    return words[0]


def latest_code(msisdn: str) -> str:
    """The code (or temporary password) of the newest SMS to that number that is not a
    notice to the cartable's SIMs (those carry no code)."""
    from chalicelib.services.channels.notices import is_notice

    texts = [text for text in messages_to(msisdn) if not is_notice(text)]
    assert texts, f"no SMS to {msisdn}"
    return secret_in(texts[-1])


def request_otp(api, msisdn: str) -> tuple[int, dict, dict]:
    """POST /auth/otp with a fresh, correctly answered captcha."""
    captcha_id, answer = captcha(api)
    return api.post(
        "/auth/otp", {"msisdn": msisdn, "captcha_id": captcha_id, "captcha_answer": answer}
    )


def verify_otp(api, msisdn: str, code: str) -> tuple[int, dict, dict]:
    return api.post("/auth/otp/verify", {"msisdn": msisdn, "code": code})


def wrong_code(code: str) -> str:
    """Another six-digit code than `code`."""
    return f"{(int(code) + 1) % 10**6:06d}"


def sim_login(api, msisdn: str) -> str:
    """Sign in with the SIM's SMS code; returns the SIM cartable's token."""
    status, data, headers = request_otp(api, msisdn)
    if status == 429 and data["error"]["code"] == "otp_resend_too_soon":
        clock.advance(int(headers["Retry-After"]))
        status, data, headers = request_otp(api, msisdn)
    assert status == 202, data
    status, data, _ = verify_otp(api, msisdn, latest_code(msisdn))
    assert status == 200, data
    return data["token"]


def register_cartable(
    api, sim_token: str, national_id: str, birth_date: str = BIRTH_DATE,
    password: str = PASSWORD,
) -> dict:
    """POST /auth/register from a SIM session; the operator must name `national_id` as the
    SIM's holder first (`api.operator_sim(msisdn, national_id)`). Returns the 201 body."""
    status, data, _ = api.post(
        "/auth/register",
        {"national_id": national_id, "birth_date": birth_date, "password": password},
        token=sim_token,
    )
    assert status == 201, data
    return data


def login(api, national_id: str, password: str = PASSWORD) -> tuple[int, dict, dict]:
    """POST /auth/login with a fresh, correctly answered captcha (any outcome)."""
    captcha_id, answer = captcha(api)
    return api.post(
        "/auth/login",
        {"national_id": national_id, "password": password, "captcha_id": captcha_id,
         "captcha_answer": answer},
    )


def nid_login(api, national_id: str, password: str = PASSWORD) -> str:
    """Sign in to a national-ID cartable; returns its token."""
    status, data, _ = login(api, national_id, password)
    assert status == 200, data
    return data["token"]


def forgot(api, national_id, msisdn, birth_date=BIRTH_DATE, channel="sms"):
    """POST /auth/password/forgot (any outcome)."""
    return api.post(
        "/auth/password/forgot",
        {"national_id": national_id, "msisdn": msisdn, "birth_date": birth_date,
         "channel": channel},
    )


def forgot_and_login_with_temp(api):
    """A national-ID cartable, a forgot-password SMS, and a login with the temporary
    password: returns that session's token (good only for PUT /me/password)."""
    nid, msisdn, _ = new_nid_cartable(api)
    forgot(api, nid, msisdn)
    status, data, _ = login(api, nid, latest_code(msisdn))
    assert status == 200 and data["must_change_password"] is True
    return data["token"]


def new_sim_cartable(
    api, national_id: str | None = None, expires_in: float | None = None
) -> tuple[str, str, str]:
    """A fresh SIM held (says the operator) by a fresh person: (msisdn, national_id, token).
    `expires_in`: the operator's expiry that many seconds from now (none by default)."""
    msisdn, national_id = ids.msisdn(), national_id or ids.national_id()
    expiry = {}
    if expires_in is not None:
        expiry["expires_at"] = datetime.fromtimestamp(clock.now() + expires_in, tz=timezone.utc).isoformat()
    status, data, _ = api.operator_sim(msisdn, national_id, **expiry)
    assert status == 200, data
    return msisdn, national_id, sim_login(api, msisdn)


def new_nid_cartable(api, password: str = PASSWORD) -> tuple[str, str, str]:
    """A fresh national-ID cartable with one SIM: (national_id, msisdn, token)."""
    msisdn, national_id, sim_token = new_sim_cartable(api)
    register_cartable(api, sim_token, national_id, password=password)
    return national_id, msisdn, nid_login(api, national_id, password)


# A sale or a repair from a SIM session carries the national-ID cartable's password
# (API.md "Acts that cannot be undone"); a national-ID session's is ignored.
SALE = {"password": PASSWORD}


def linked_sim_cartable(api, password: str = PASSWORD) -> tuple[str, str, str]:
    """A SIM session whose SIM is in a national-ID cartable, so it may sell with the
    password: (msisdn, national_id, SIM token)."""
    msisdn, national_id, sim_token = new_sim_cartable(api)
    register_cartable(api, sim_token, national_id, password=password)
    return msisdn, national_id, sim_token


def offer_sale(api, token: str, imei: str, password: str = PASSWORD) -> dict:
    """POST /devices/{imei}/transfer that must succeed (201): {activation_code, expires_at}."""
    status, data, _ = api.post(f"/devices/{imei}/transfer", {"password": password}, token=token)
    assert status == 201, data
    return data


def register_part(api, imei: str, brand: str = "Samsung", model: str = "Galaxy A54") -> None:
    """A registrar registers a repair part's IMEI (API.md "Partners"): 201 {}."""
    from tests.conftest import REGISTRAR_KEY

    body = {"imei": imei, "source": "repair_part", "brand": brand, "model": model}
    status, data, _ = api.post("/registrar/devices", body, token=REGISTRAR_KEY)
    assert (status, data) == (201, {}), data


def add_sim(api, nid_token: str, msisdn: str) -> dict:
    """POST /sims then /sims/verify with the SMS code (the operator must already name the
    cartable's national ID as its holder). Returns the 201 body."""
    status, data, headers = api.post("/sims", {"msisdn": msisdn}, token=nid_token)
    if status == 429 and data["error"]["code"] == "otp_resend_too_soon":
        clock.advance(int(headers["Retry-After"]))
        status, data, _ = api.post("/sims", {"msisdn": msisdn}, token=nid_token)
    assert status == 202, data
    status, data, _ = api.post(
        "/sims/verify", {"msisdn": msisdn, "code": latest_code(msisdn)}, token=nid_token
    )
    assert status == 201, data
    return data


def try_activate(api, token: str, imei: str, code: str, headers=None, **extra) -> tuple[int, dict, dict]:
    """POST /devices/activate, any outcome: (status, body, headers)."""
    body = {"imei": imei, "activation_code": code, **extra}
    return api.post("/devices/activate", body, token=token, headers=headers)


def activate(api, token: str, imei: str, code: str, **extra) -> dict:
    """POST /devices/activate that must succeed (201); returns the device."""
    status, data, _ = try_activate(api, token, imei, code, **extra)
    assert status == 201, data
    return data["device"]


class Device(NamedTuple):
    """A device a registrar registered: its IMEI(s) and its activation code."""

    imei: str
    imei2: str | None
    code: str


def try_own_new_device(api, token: str, msisdn: str | None = None, dual: bool = False,
                       **model: str) -> tuple[int, dict, Device]:
    """Register and activate: a registrar registers a fresh device (two IMEIs if `dual`;
    `model`: brand=, model=) and this cartable activates it (naming `msisdn` if given),
    any outcome: (status, body, the device)."""
    device = Device(ids.imei(), ids.imei() if dual else None, "")
    device = device._replace(code=api.register_device(device.imei, imei2=device.imei2, **model))
    body = {"imei": device.imei, "activation_code": device.code}
    if msisdn:
        body["msisdn"] = msisdn
    status, data, _ = api.post("/devices/activate", body, token=token)
    return status, data, device


def own_device(api, token: str, msisdn: str | None = None, dual: bool = False,
               **model: str) -> Device:
    """Register and activate a fresh device, which must succeed (201)."""
    status, data, device = try_own_new_device(api, token, msisdn, dual, **model)
    assert status == 201, data
    return device


def activate_new_device(api, token: str, msisdn: str | None = None) -> tuple[int, str]:
    """Register and activate a fresh device, any outcome: (status, imei)."""
    status, _, device = try_own_new_device(api, token, msisdn)
    return status, device.imei


def activated_device(api, token: str, msisdn: str | None = None) -> str:
    """Register and activate a fresh device (201); its IMEI."""
    return own_device(api, token, msisdn).imei


def break_sns(monkeypatch) -> list[str]:
    """Make every SNS Publish fail (a botocore ClientError) for the rest of the test;
    returns the list of numbers that were attempted."""
    from botocore.exceptions import ClientError

    from chalicelib import sms_providers

    tried: list[str] = []

    def refuse(**kwargs):
        tried.append(kwargs.get("PhoneNumber"))
        raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "Publish")

    monkeypatch.setattr(sms_providers.sns_client(), "publish", refuse)
    return tried
