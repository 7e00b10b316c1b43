"""POST /auth/otp and POST /auth/otp/verify: the SIM login by SMS code, every limit."""
from __future__ import annotations

import re

import pytest

from chalicelib import clock, settings, sms_providers
from chalicelib.identifiers import to_e164
from testkit import ids
from tests.conftest import sms_sent
from tests.flows import break_sns, latest_code, messages_to, request_otp, secret_in, verify_otp, wrong_code
from tests.servers import at_once, server  # noqa: F401 (server: a fixture)


def test_otp_sends_one_transactional_persian_sms_with_six_ascii_digits(api, monkeypatch):

    published = []
    real_publish = sms_providers.sns_client().publish

    def spy(**kwargs):
        published.append(kwargs)
        return real_publish(**kwargs)

    monkeypatch.setattr(sms_providers.sns_client(), "publish", spy)
    msisdn = ids.msisdn()
    status, data, _ = request_otp(api, msisdn)
    assert status == 202, data
    assert data == {"msisdn": msisdn, "expires_in": settings.OTP_TTL_SECONDS,
                    "resend_in": settings.OTP_RESEND_SECONDS}
    texts = messages_to(msisdn)
    assert len(texts) == 1
    assert re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", texts[0])
    assert "رمز عبور موقت" in texts[0]
    assert len(published) == 1
    assert published[0]["PhoneNumber"] == to_e164(msisdn)
    assert published[0]["MessageAttributes"]["AWS.SNS.SMS.SMSType"]["StringValue"] == "Transactional"


@pytest.mark.parametrize("written", ["+98{n}", "0098{n}", "98{n}", "{n}", "0{n}"])
def test_every_written_form_of_the_number_is_one_sim(api, written):
    msisdn = ids.msisdn()
    status, data, _ = request_otp(api, written.format(n=msisdn[1:]))
    assert status == 202 and data["msisdn"] == msisdn
    assert sms_sent()[-1][0] == to_e164(msisdn)


def test_persian_digits_in_the_number(api):
    msisdn = ids.msisdn()
    persian = msisdn.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    status, data, _ = request_otp(api, persian)
    assert status == 202 and data["msisdn"] == msisdn


@pytest.mark.parametrize("bad", ["12345", "02112345678", "0912123456", "091212345678", "abc"])
def test_bad_number_is_invalid_msisdn(api, bad):
    status, data, _ = request_otp(api, bad)
    assert status == 400 and data["error"]["code"] == "invalid_msisdn"


def test_missing_or_wrongly_typed_fields_are_invalid_request(api):
    assert api.post("/auth/otp", {"msisdn": ids.msisdn()})[1]["error"]["code"] == "invalid_request"
    status, data, _ = api.post(
        "/auth/otp", {"msisdn": 9121234567, "captcha_id": "x", "captcha_answer": "1"})
    assert status == 400 and data["error"]["code"] == "invalid_request"
    assert api.post("/auth/otp", raw="{not json")[0] == 400
    assert api.post("/auth/otp/verify", {"msisdn": ids.msisdn()})[0] == 400


def test_right_code_opens_a_sim_cartable(api):
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    status, data, _ = verify_otp(api, msisdn, latest_code(msisdn))
    assert status == 200, data
    assert data["cartable"] == {"kind": "sim", "msisdn": msisdn}
    assert data["expires_in"] == settings.SESSION_TTL_SECONDS
    status, me, _ = api.get("/me", token=data["token"])
    assert status == 200 and me["cartable"] == {"kind": "sim", "msisdn": msisdn, "in_national_id_cartable": False}


def test_code_typed_in_persian_digits_works(api):
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    persian = latest_code(msisdn).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert verify_otp(api, msisdn, persian)[0] == 200


def test_wrong_code_is_otp_invalid(api):
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    status, data, _ = verify_otp(api, msisdn, wrong_code(latest_code(msisdn)))
    assert status == 401 and data["error"]["code"] == "otp_invalid"


def test_no_code_requested_is_otp_invalid(api):
    status, data, _ = verify_otp(api, ids.msisdn(), "123456")
    assert status == 401 and data["error"]["code"] == "otp_invalid"


def test_after_max_wrong_codes_even_the_right_one_fails_until_a_new_one(api):
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    code = latest_code(msisdn)
    for _ in range(settings.OTP_MAX_ATTEMPTS - 1):
        assert verify_otp(api, msisdn, wrong_code(code))[0] == 401
    # Fewer than the maximum: the right code still works...
    # (checked on a second number below); here one more wrong try kills it.
    assert verify_otp(api, msisdn, wrong_code(code))[0] == 401
    status, data, _ = verify_otp(api, msisdn, code)
    assert status == 401 and data["error"]["code"] == "otp_invalid"
    clock.advance(settings.OTP_RESEND_SECONDS)
    assert request_otp(api, msisdn)[0] == 202
    assert verify_otp(api, msisdn, latest_code(msisdn))[0] == 200


def test_right_code_after_fewer_than_max_wrong_ones_works(api):
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    code = latest_code(msisdn)
    for _ in range(settings.OTP_MAX_ATTEMPTS - 1):
        assert verify_otp(api, msisdn, wrong_code(code))[0] == 401
    assert verify_otp(api, msisdn, code)[0] == 200


def test_max_attempts_setting_is_honoured(api, set_env):
    set_env(OTP_MAX_ATTEMPTS=2)
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    code = latest_code(msisdn)
    verify_otp(api, msisdn, wrong_code(code))
    verify_otp(api, msisdn, wrong_code(code))
    assert verify_otp(api, msisdn, code)[0] == 401


def test_code_works_once(api):
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    code = latest_code(msisdn)
    assert verify_otp(api, msisdn, code)[0] == 200
    status, data, _ = verify_otp(api, msisdn, code)
    assert status == 401 and data["error"]["code"] == "otp_invalid"


def test_code_expires(api):
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    clock.advance(settings.OTP_TTL_SECONDS + 1)
    status, data, _ = verify_otp(api, msisdn, latest_code(msisdn))
    assert status == 401 and data["error"]["code"] == "otp_invalid"


def test_code_good_just_before_expiry(api):
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    clock.advance(settings.OTP_TTL_SECONDS - 2)
    assert verify_otp(api, msisdn, latest_code(msisdn))[0] == 200


def test_a_newer_code_kills_the_older_one(api):
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    old = latest_code(msisdn)
    clock.advance(settings.OTP_RESEND_SECONDS)
    assert request_otp(api, msisdn)[0] == 202
    new = latest_code(msisdn)
    if new != old:  # one in a million they coincide
        assert verify_otp(api, msisdn, old)[1]["error"]["code"] == "otp_invalid"
    assert verify_otp(api, msisdn, new)[0] == 200


def test_a_code_of_one_number_does_not_open_another(api):
    a, b = ids.msisdn(), ids.msisdn()
    request_otp(api, a)
    request_otp(api, b)
    code_a = latest_code(a)
    if code_a != latest_code(b):
        assert verify_otp(api, b, code_a)[0] == 401


def test_resend_too_soon_is_429_with_retry_after_and_no_sms(api):
    clock.freeze()  # Retry-After is compared to the second
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    clock.advance(30)
    status, data, headers = request_otp(api, msisdn)
    assert status == 429 and data["error"]["code"] == "otp_resend_too_soon"
    left = settings.OTP_RESEND_SECONDS - 30
    assert int(headers["Retry-After"]) in (left, left + 1)
    assert data["retry_after"] == int(headers["Retry-After"])
    assert len(messages_to(msisdn)) == 1
    clock.advance(left)
    assert request_otp(api, msisdn)[0] == 202
    assert len(messages_to(msisdn)) == 2


def test_resend_too_soon_keeps_the_live_code(api):
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    code = latest_code(msisdn)
    request_otp(api, msisdn)  # 429
    assert verify_otp(api, msisdn, code)[0] == 200


def test_daily_cap_is_429_rate_limited_then_frees_after_24h(api):
    msisdn = ids.msisdn()
    for _ in range(settings.OTP_MAX_SENDS_PER_DAY):
        assert request_otp(api, msisdn)[0] == 202
        clock.advance(settings.OTP_RESEND_SECONDS)
    status, data, headers = request_otp(api, msisdn)
    assert status == 429 and data["error"]["code"] == "rate_limited"
    assert int(headers["Retry-After"]) > 0 and data["retry_after"] == int(headers["Retry-After"])
    assert len(messages_to(msisdn)) == settings.OTP_MAX_SENDS_PER_DAY
    # A rolling window: once the first send is 24 h old, one more is allowed.
    clock.advance(24 * 3600 - settings.OTP_MAX_SENDS_PER_DAY * settings.OTP_RESEND_SECONDS + 1)
    assert request_otp(api, msisdn)[0] == 202
    assert request_otp(api, msisdn)[0] == 429


def test_daily_cap_is_per_number(api):
    a = ids.msisdn()
    for _ in range(settings.OTP_MAX_SENDS_PER_DAY):
        request_otp(api, a)
        clock.advance(settings.OTP_RESEND_SECONDS)
    assert request_otp(api, a)[0] == 429
    assert request_otp(api, ids.msisdn())[0] == 202


def test_sns_failure_is_503_and_starts_no_timer(api, monkeypatch):
    msisdn = ids.msisdn()
    tried = break_sns(monkeypatch)
    status, data, _ = request_otp(api, msisdn)
    assert status == 503 and data["error"]["code"] == "sms_unavailable"
    assert tried == [to_e164(msisdn)]
    monkeypatch.undo()
    # No resend timer: asking again at once works.
    status, data, _ = request_otp(api, msisdn)
    assert status == 202, data
    assert verify_otp(api, msisdn, latest_code(msisdn))[0] == 200


def test_sns_failure_leaves_the_older_code_alive_and_does_not_count(api, monkeypatch, set_env):
    set_env(OTP_MAX_SENDS_PER_DAY=2, OTP_TTL_SECONDS=600)  # the old code outlives the timer
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    code = latest_code(msisdn)
    clock.advance(settings.OTP_RESEND_SECONDS)
    break_sns(monkeypatch)
    for _ in range(3):
        assert request_otp(api, msisdn)[0] == 503
    monkeypatch.undo()
    assert verify_otp(api, msisdn, code)[0] == 200
    # The failed sends did not eat the daily cap: one more send still goes out.
    assert request_otp(api, msisdn)[0] == 202


def test_sns_failure_keeps_the_older_timer(api, monkeypatch):
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    break_sns(monkeypatch)
    status, data, _ = request_otp(api, msisdn)
    assert status == 429 and data["error"]["code"] == "otp_resend_too_soon"


def test_an_unknown_or_expired_sim_can_still_sign_in(api):
    expired = ids.msisdn()
    api.operator_sim(expired, ids.national_id(), status="expired")
    for msisdn in (ids.msisdn(), expired):
        request_otp(api, msisdn)
        status, data, _ = verify_otp(api, msisdn, latest_code(msisdn))
        assert status == 200, data


def test_sim_session_dies_when_the_number_changes_hands(api):
    msisdn = ids.msisdn()
    api.operator_sim(msisdn, ids.national_id())
    request_otp(api, msisdn)
    token = verify_otp(api, msisdn, latest_code(msisdn))[1]["token"]
    assert api.get("/me", token=token)[0] == 200
    api.operator_sim(msisdn, ids.national_id())
    assert api.get("/me", token=token)[0] == 401


@pytest.mark.parametrize("path", ["verify_code", "sim_login: named SIM", "sim_login: unnamed SIM"])
def test_racing_verifies_give_one_session(server, monkeypatch, path):
    """Racers verifying one right code at the same moment, threads against a moto server:
    every one passes step 1 (its attempt counts) before any reaches step 2, so step 2's
    condition alone decides: exactly one session, the rest 401 otp_invalid. The login's
    step 2 is a transaction with the session (and the SIM): the code's refusal must still
    read as otp_invalid there, not as a race to retry (503)."""
    import threading

    from chalicelib import keys
    from chalicelib.services.signin import accounts, otp
    from chalicelib.services.sims import sim_records

    racers = 4
    msisdn = ids.msisdn()
    if path == "sim_login: named SIM":
        sim_records.operator_update(msisdn, ids.national_id(), sim_records.ACTIVE, None)
    sent = []
    monkeypatch.setattr(sms_providers.Sns, "send", lambda self, number, text: sent.append(text))
    otp.send_code(msisdn, otp.LOGIN)
    code = secret_in(sent[-1])

    # Between the steps each racer compares the code: hold them all there, so none has
    # marked the code used when the others try to.
    between_steps = threading.Barrier(racers, timeout=30)
    real_same = keys.same

    def same_then_wait(a: str, b: str) -> bool:
        answer = real_same(a, b)
        between_steps.wait()
        return answer

    monkeypatch.setattr(keys, "same", same_then_wait)

    def verify() -> str:
        if path == "verify_code":
            otp.verify_code(msisdn, code, otp.LOGIN)
        else:
            accounts.sim_login(msisdn, code)
        return "session"

    outcomes = sorted(getattr(o, "code", o) for o in at_once([verify] * racers))
    assert outcomes == ["otp_invalid"] * (racers - 1) + ["session"]


def test_racing_sends_give_one_sms(server, monkeypatch):
    """Sends to one number fired at once, threads against a moto server: the write that
    checks the timer and stores the code lets one through; one SMS, the rest 429
    otp_resend_too_soon, and the code of that one SMS is the live one."""
    from chalicelib.services.signin import otp

    racers = 6
    msisdn = ids.msisdn()
    sent = []
    monkeypatch.setattr(sms_providers.Sns, "send", lambda self, number, text: sent.append(text))

    def send() -> str:
        otp.send_code(msisdn, otp.LOGIN)
        return "sent"

    outcomes = sorted(getattr(o, "code", o) for o in at_once([send] * racers))
    assert outcomes == ["otp_resend_too_soon"] * (racers - 1) + ["sent"]
    assert len(sent) == 1
    otp.verify_code(msisdn, secret_in(sent[0]), otp.LOGIN)
