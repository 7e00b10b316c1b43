"""POST /auth/otp's send window (API.md "Temporary password"): what an SMS fault puts back, the
daily cap as it changes, items of the old shape, and a send meeting another write."""
from __future__ import annotations

from chalicelib import clock, settings
from testkit import ids
from tests.flows import break_sns, latest_code, messages_to, request_otp, verify_otp, wrong_code


def test_sns_failure_puts_back_the_older_codes_attempts(api, monkeypatch, set_env):
    """The code put back is the one that was live, wrong tries included: it does not get
    a fresh set of attempts from a send that never left."""
    set_env(OTP_TTL_SECONDS=600)
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    code = latest_code(msisdn)
    for _ in range(2):
        assert verify_otp(api, msisdn, wrong_code(code))[0] == 401
    clock.advance(settings.OTP_RESEND_SECONDS)
    break_sns(monkeypatch)
    assert request_otp(api, msisdn)[0] == 503
    monkeypatch.undo()
    for _ in range(settings.OTP_MAX_ATTEMPTS - 2):
        assert verify_otp(api, msisdn, wrong_code(code))[0] == 401
    assert verify_otp(api, msisdn, code)[1]["error"]["code"] == "otp_invalid"


def test_sns_failure_after_a_used_code_does_not_revive_it(api, monkeypatch):
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    code = latest_code(msisdn)
    assert verify_otp(api, msisdn, code)[0] == 200
    clock.advance(settings.OTP_RESEND_SECONDS)
    break_sns(monkeypatch)
    assert request_otp(api, msisdn)[0] == 503
    monkeypatch.undo()
    assert verify_otp(api, msisdn, code)[1]["error"]["code"] == "otp_invalid"


def test_sns_failure_on_the_first_send_leaves_no_code(api, monkeypatch):
    msisdn = ids.msisdn()
    break_sns(monkeypatch)
    assert request_otp(api, msisdn)[0] == 503
    monkeypatch.undo()
    for code in ("000000", "123456"):
        assert verify_otp(api, msisdn, code)[1]["error"]["code"] == "otp_invalid"


def test_sns_failure_at_the_cap_keeps_the_window(api, monkeypatch, set_env):
    """A failed send shifts the send window and puts it back: the sends still counted
    stay counted (the cap holds) and the timer is the last real send's."""
    set_env(OTP_MAX_SENDS_PER_DAY=2)
    msisdn = ids.msisdn()
    request_otp(api, msisdn)
    clock.advance(7200)
    request_otp(api, msisdn)  # sends at t0 and t0 + 2 h
    clock.advance(24 * 3600 - 7200 + 1)  # t0 has left the window
    break_sns(monkeypatch)
    assert request_otp(api, msisdn)[0] == 503
    monkeypatch.undo()
    assert request_otp(api, msisdn)[0] == 202  # one free place, the failure took none
    clock.advance(settings.OTP_RESEND_SECONDS)
    status, data, _ = request_otp(api, msisdn)
    assert status == 429 and data["error"]["code"] == "rate_limited"
    assert len(messages_to(msisdn)) == 3


def test_daily_cap_retry_after_is_when_the_oldest_counted_send_turns_a_day_old(api):
    clock.freeze()  # Retry-After is compared to the second
    msisdn = ids.msisdn()
    first = clock.now()
    for _ in range(settings.OTP_MAX_SENDS_PER_DAY):
        assert request_otp(api, msisdn)[0] == 202
        clock.advance(settings.OTP_RESEND_SECONDS)
    status, data, headers = request_otp(api, msisdn)
    assert status == 429 and data["error"]["code"] == "rate_limited"
    left = first + 24 * 3600 - clock.now()
    assert int(headers["Retry-After"]) in (int(left), int(left) + 1)
    clock.advance(left - 1)
    assert request_otp(api, msisdn)[0] == 429
    clock.advance(1)
    assert request_otp(api, msisdn)[0] == 202


def test_raising_the_daily_cap_counts_the_sends_made_under_the_old_one(api, set_env):
    set_env(OTP_MAX_SENDS_PER_DAY=2)
    msisdn = ids.msisdn()
    for _ in range(2):
        assert request_otp(api, msisdn)[0] == 202
        clock.advance(settings.OTP_RESEND_SECONDS)
    assert request_otp(api, msisdn)[0] == 429
    set_env(OTP_MAX_SENDS_PER_DAY=3)
    assert request_otp(api, msisdn)[0] == 202
    clock.advance(settings.OTP_RESEND_SECONDS)
    assert request_otp(api, msisdn)[1]["error"]["code"] == "rate_limited"
    assert len(messages_to(msisdn)) == 3


def test_lowering_the_daily_cap_then_raising_it_again(api, set_env):
    """Sends made under a larger cap count against a smaller one, and raising it again
    counts every send of the last 24 h, whatever cap they were made under."""
    resend = settings.OTP_RESEND_SECONDS
    msisdn = ids.msisdn()
    set_env(OTP_MAX_SENDS_PER_DAY=3)
    for _ in range(2):
        assert request_otp(api, msisdn)[0] == 202
        clock.advance(resend)
    set_env(OTP_MAX_SENDS_PER_DAY=2)
    assert request_otp(api, msisdn)[1]["error"]["code"] == "rate_limited"
    clock.advance(24 * 3600)
    for _ in range(2):
        assert request_otp(api, msisdn)[0] == 202
        clock.advance(resend)
    assert request_otp(api, msisdn)[1]["error"]["code"] == "rate_limited"
    set_env(OTP_MAX_SENDS_PER_DAY=5)
    for _ in range(3):
        assert request_otp(api, msisdn)[0] == 202
        clock.advance(resend)
    assert request_otp(api, msisdn)[1]["error"]["code"] == "rate_limited"
    assert len(messages_to(msisdn)) == 7


def test_the_window_stays_exact_and_bounded_over_many_days(api, set_env):
    """The send times are tidied now and then (older than a day dropped): the cap holds
    every day, and the item does not grow with the number's history."""
    from chalicelib.services.signin import otp
    from chalicelib.store.challenges import OtpItem

    set_env(OTP_MAX_SENDS_PER_DAY=2, OTP_RESEND_SECONDS=60)
    msisdn = ids.msisdn()
    for _ in range(15):
        for _ in range(2):
            assert request_otp(api, msisdn)[0] == 202
            clock.advance(60)
        assert request_otp(api, msisdn)[1]["error"]["code"] == "rate_limited"
        clock.advance(24 * 3600)
    assert len(messages_to(msisdn)) == 30
    stored = OtpItem.get("otp#" + msisdn, consistent_read=True)
    assert len(stored.sent) <= 2 + otp.TIDY_SLACK
    assert verify_otp(api, msisdn, latest_code(msisdn))[0] == 401  # expired a day ago
    assert request_otp(api, msisdn)[0] == 202
    assert verify_otp(api, msisdn, latest_code(msisdn))[0] == 200


def test_a_huge_daily_cap_costs_nothing_more(api, set_env):
    set_env(OTP_MAX_SENDS_PER_DAY=100000, OTP_RESEND_SECONDS=0)
    msisdn = ids.msisdn()
    for _ in range(25):
        assert request_otp(api, msisdn)[0] == 202
    assert verify_otp(api, msisdn, latest_code(msisdn))[0] == 200


def _old_shape_item(msisdn: str, sends: list[float], code: str, attempts: int = 0):
    """An OtpItem as the code before the shift register wrote it (a list of send times
    read before each write, `last_sent_at`, a revision), with a live login code."""
    from chalicelib.services.signin import otp
    from chalicelib.store.challenges import OtpItem

    now = clock.now()
    OtpItem(
        pk="otp#" + msisdn,
        code_hmac=otp._code_hmac(msisdn, otp.LOGIN, None, code),
        purpose=otp.LOGIN,
        attempts=attempts,
        expires_at=max(sends) + settings.OTP_TTL_SECONDS,
        sends=sends,
        last_sent_at=max(sends),
        revision=len(sends),
        ttl=int(now + 24 * 3600) + 3600,
    ).save()


def test_an_old_shape_item_keeps_its_timer_and_its_live_code(api):
    clock.freeze()  # Retry-After is compared to the second
    msisdn = ids.msisdn()
    now = clock.now()
    _old_shape_item(msisdn, [now - 3600, now - 30], "246810")
    status, data, headers = request_otp(api, msisdn)
    assert status == 429 and data["error"]["code"] == "otp_resend_too_soon"
    left = settings.OTP_RESEND_SECONDS - 30
    assert int(headers["Retry-After"]) in (left, left + 1)
    assert messages_to(msisdn) == []
    assert verify_otp(api, msisdn, "246810")[0] == 200


def test_an_old_shape_item_keeps_its_daily_cap(api):
    msisdn = ids.msisdn()
    now = clock.now()
    cap = settings.OTP_MAX_SENDS_PER_DAY
    oldest = now - 23 * 3600
    _old_shape_item(msisdn, [oldest] + [now - 3600 * k for k in range(1, cap)], "246810")
    status, data, headers = request_otp(api, msisdn)
    assert status == 429 and data["error"]["code"] == "rate_limited"
    assert int(headers["Retry-After"]) in (3600, 3601)
    clock.advance(3600)
    assert request_otp(api, msisdn)[0] == 202
    clock.advance(settings.OTP_RESEND_SECONDS)
    assert request_otp(api, msisdn)[1]["error"]["code"] == "rate_limited"


def test_an_old_shape_item_then_sends_as_usual(api, monkeypatch):
    msisdn = ids.msisdn()
    now = clock.now()
    _old_shape_item(msisdn, [now - 7200, now - 3600], "246810")
    break_sns(monkeypatch)
    assert request_otp(api, msisdn)[0] == 503  # upgraded, then the failed send undone
    monkeypatch.undo()
    assert verify_otp(api, msisdn, "135790")[0] == 401  # one wrong try of the kept code
    assert request_otp(api, msisdn)[0] == 202
    assert verify_otp(api, msisdn, "246810")[1]["error"]["code"] == "otp_invalid"  # replaced
    assert verify_otp(api, msisdn, latest_code(msisdn))[0] == 200
    cap = settings.OTP_MAX_SENDS_PER_DAY
    for _ in range(cap - 3):
        clock.advance(settings.OTP_RESEND_SECONDS)
        assert request_otp(api, msisdn)[0] == 202
    clock.advance(settings.OTP_RESEND_SECONDS)
    assert request_otp(api, msisdn)[1]["error"]["code"] == "rate_limited"


def test_an_old_shape_item_with_a_failed_send_keeps_its_code(api, monkeypatch, set_env):
    set_env(OTP_TTL_SECONDS=600)
    msisdn = ids.msisdn()
    _old_shape_item(msisdn, [clock.now() - settings.OTP_RESEND_SECONDS], "246810", attempts=1)
    break_sns(monkeypatch)
    assert request_otp(api, msisdn)[0] == 503
    monkeypatch.undo()
    assert verify_otp(api, msisdn, "246810")[0] == 200


def test_a_send_meeting_another_write_on_its_code_at_that_moment_still_sends(api, monkeypatch):
    """DynamoDB cancels a transaction that meets another write on the same item at the same
    moment (TransactionConflict: here a verify's count on the number's code). Nothing was
    written, so the send writes again: one SMS, 202, not a 429 for a send that never left."""
    from botocore.exceptions import ClientError
    from botocore.client import BaseClient

    msisdn = ids.msisdn()
    real = BaseClient._make_api_call
    conflicts = []

    def first_one_conflicts(self, operation, params):
        if operation == "TransactWriteItems" and not conflicts:
            conflicts.append(operation)
            raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                               "CancellationReasons": [{"Code": "TransactionConflict"}]}, operation)
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", first_one_conflicts)
    status, data, _ = request_otp(api, msisdn)
    assert status == 202, data
    assert conflicts and len(messages_to(msisdn)) == 1
    status, data, _ = api.post("/auth/otp/verify", {"msisdn": msisdn, "code": latest_code(msisdn)})
    assert status == 200, data


def test_a_cap_past_the_window_keeps_the_item_bounded_and_counts_as_no_cap(api, set_env, monkeypatch):
    """The window keeps at most WINDOW_MAX send times, so a number's item never nears
    DynamoDB's 400 KB limit; a cap set above that (a test stage turning it off) refuses
    nothing. (WINDOW_MAX is 1000; the same code at a smaller scale here.)"""
    from chalicelib.services.signin import otp
    from chalicelib.store.challenges import OtpItem

    monkeypatch.setattr(otp, "WINDOW_MAX", 4)
    set_env(OTP_MAX_SENDS_PER_DAY=50, OTP_RESEND_SECONDS=0)
    msisdn = ids.msisdn()
    for _ in range(60):
        assert request_otp(api, msisdn)[0] == 202
    assert len(OtpItem.get("otp#" + msisdn, consistent_read=True).sent) <= 4 + otp.TIDY_SLACK
    assert verify_otp(api, msisdn, latest_code(msisdn))[0] == 200
